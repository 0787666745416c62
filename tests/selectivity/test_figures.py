"""The selectivity figures plot the numbers of the cubes: each figure is drawn from small
synthetic run cubes (the layout of a merged cube) and the plotted data are compared with
the same numbers computed from the cubes by ``selectivity.metrics``."""

import numpy as np
import pytest
import xarray as xr

from workflow_scripts.selectivity import figures, metrics
from workflow_scripts.selectivity.figure_specs import FIGURES
from workflow_scripts.selectivity.specs import MODULES

from .fake_cubes import BLOCKS, FRACTIONS, STEPS, fake_cube


@pytest.fixture
def drawn(monkeypatch):
    """figure name -> the matplotlib Figure it saved (the PDF is not written)."""
    saved = {}
    monkeypatch.setattr(figures.common, "save_figure", lambda fig, out: saved.update({out: fig}))
    return saved


@pytest.fixture(scope="module")
def cubes():
    baseline = [fake_cube(s) for s in (0, 1, 2)]
    regularised = [fake_cube(0, -3.0, o, ablate=False) for o in (0.0, 5.0, 10.0)]
    return {"baseline": baseline, "regularised": regularised}


def draw(drawn, fig, cubes, **options):
    getattr(figures, fig)(cubes, FIGURES[fig](**options), fig)
    return drawn[fig]


def has_line(ax, x, y, style=None):
    """Whether ``ax`` shows a line through the points (x, y)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    for line in ax.lines:
        lx, ly = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        if style and line.get_linestyle() != style:
            continue
        if lx.shape == x.shape and np.allclose(lx, x) and np.allclose(ly, y, equal_nan=True):
            return True
    return False


def seed_mean(cubes, fn):
    return xr.concat([fn(ds) for ds in cubes], dim="seed").mean("seed")


def test_fig2_plots_the_seed_mean_si_and_floor_of_every_module(drawn, cubes):
    fig = draw(drawn, "fig2", cubes, model="narrow_resnet18", source="fashion_mnist")
    ax = fig.axes[0]
    si = seed_mean(cubes["baseline"], metrics.module_si)
    floor = seed_mean(cubes["baseline"], lambda ds: metrics.module_si(ds, "si_floor"))
    for m in MODULES:
        assert has_line(ax, STEPS, si.sel(module=m), style="-"), m
        assert has_line(ax, STEPS, floor.sel(module=m), style="--"), m
    assert ax.get_title() == "narrow_resnet18 on fashion_mnist: 3 seed(s)"


def test_fig9_has_one_panel_per_chosen_module_with_its_blocks(drawn, cubes):
    fig = draw(drawn, "fig9", cubes, modules=(5, 7))
    panels = [ax for ax in fig.axes if ax.get_title().startswith("module")]
    assert [ax.get_title() for ax in panels] == ["module 5", "module 7"]
    blocks = seed_mean(cubes["baseline"], metrics.block_si)
    for b in range(BLOCKS):
        assert has_line(panels[1], STEPS, blocks.sel(layer=f"7.{b}"), style="-")
    assert not has_line(panels[0], STEPS, blocks.sel(layer="7.0"))


@pytest.mark.parametrize("fig, modules", [("fig3", (4, 5, 6)), ("fig3", (5,)), ("fig4", (7,))])
def test_ablation_rows_plot_auc_and_curves_of_the_chosen_modules(drawn, cubes, fig, modules):
    figure = draw(drawn, fig, cubes, modules=modules, draws=2)
    auc = seed_mean(cubes["baseline"], metrics.ablation_auc)
    norm = seed_mean(
        cubes["baseline"], lambda ds: metrics.normalised_ablation(ds).mean("draw", skipna=True)
    )
    titles = [ax.get_title() for ax in figure.axes]
    for m in modules:
        (auc_ax,) = [ax for ax in figure.axes if ax.get_title().startswith(f"module {m}: area")]
        for order in ("selective", "random"):
            assert has_line(auc_ax, STEPS[1:], auc.sel(ablated_module=m, order=order)[1:])
        (curves,) = [ax for ax in figure.axes if ax.get_title() == f"module {m}: random ablation"]
        for step in STEPS[1:]:
            y = norm.sel(ablated_module=m, order="random", checkpoint=step)
            assert has_line(curves, 100 * FRACTIONS, y), (m, step)
    assert sum(t.endswith("area under the ablation curves") for t in titles) == len(modules)
    name = ("module " if len(modules) == 1 else "modules ") + ", ".join(map(str, modules))
    assert figure._suptitle.get_text().endswith(f"({name})")


def test_fig8_plots_the_final_curves_of_the_chosen_modules(drawn, cubes):
    figure = draw(drawn, "fig8", cubes, modules=(4, 7), draws=2)
    assert [ax.get_title() for ax in figure.axes] == ["module 4", "module 7"]
    final = seed_mean(
        cubes["baseline"],
        lambda ds: metrics.normalised_ablation(ds).isel(checkpoint=-1).mean("draw", skipna=True),
    )
    for ax, m in zip(figure.axes, (4, 7)):
        for order in ("selective", "random"):
            assert has_line(ax, 100 * FRACTIONS, final.sel(ablated_module=m, order=order))


def test_fig5_compares_the_chosen_modules(drawn, cubes):
    figure = draw(drawn, "fig5", cubes, module=5, later_module=6)
    ax = figure.axes[0]
    for target in ("6.0", "6.1", "fc"):
        cka = seed_mean(cubes["baseline"], lambda ds, t=target: metrics.cka(ds, "5.1", t))
        assert has_line(ax, STEPS, cka), target
    assert not has_line(
        ax, STEPS, seed_mean(cubes["baseline"], lambda ds: metrics.cka(ds, "4.1", "7.0"))
    )


def test_fig10_compares_each_module_with_the_later_ones(drawn, cubes):
    figure = draw(drawn, "fig10", cubes, modules=MODULES)
    panels = [ax for ax in figure.axes if ax.get_title().endswith("later modules")]
    assert len(panels) == 3
    cka = seed_mean(cubes["baseline"], lambda ds: metrics.cka(ds, "4.1", "7.1"))
    assert has_line(panels[0], STEPS, cka)


def test_fig6_plots_the_regulariser_runs_of_its_seeds(drawn, cubes):
    figure = draw(
        drawn, "fig6", cubes, alpha=-3.0, modules=(4, 5, 6), onset_unit="batches",
        later_onset=10.0, seeds=(0,),
    )  # fmt: skip
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[:3] == [
        "unregularised",
        "alpha -3 on modules [4, 5, 6] from the start",
        "alpha -3 on modules [4, 5, 6] from batch 10",
    ]
    later = next(ds for ds in cubes["regularised"] if ds.attrs["onset"] == 10.0)
    top_right = figure.axes[2]
    for m in MODULES:
        assert has_line(top_right, STEPS, metrics.module_si(later).sel(module=m))
    assert has_line(top_right, [10, 10], [0, 1], style=":")  # the onset (axvline)
    held_out = next(ax for ax in figure.axes if ax.get_title() == "held-out accuracy")
    assert has_line(held_out, STEPS, later["accuracy"])
    assert has_line(held_out, STEPS, cubes["baseline"][0]["accuracy"])  # seed 0 only
    assert not has_line(held_out, STEPS, cubes["baseline"][1]["accuracy"])


def test_fig7_plots_every_onset(drawn, cubes):
    figure = draw(
        drawn, "fig7", cubes, alpha=-3.0, modules=(4, 5, 6), onset_unit="batches",
        onsets=(0.0, 5.0, 10.0), seeds=(0,),
    )  # fmt: skip
    held_out = figure.axes[1]
    for ds in cubes["regularised"]:
        assert has_line(held_out, STEPS, ds["accuracy"]), ds.attrs["onset"]
    labels = [t.get_text() for t in figure.axes[2].get_xticklabels()]
    assert labels == ["unregularised", "the start", "batch 5", "batch 10"]
