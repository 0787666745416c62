"""The selectivity figures plot the numbers of the cubes: each figure is drawn from small
synthetic run cubes (the layout of a merged cube) and the plotted data are compared with
the same numbers computed from the cubes by ``selectivity.metrics``."""

import numpy as np
import pytest
import xarray as xr

from workflow_scripts.selectivity import figures, metrics
from workflow_scripts.selectivity.specs import FIGURES, MODULES

STEPS = np.array([0, 5, 10, 20])  # 10 batches per epoch
BLOCKS, CHANNELS = 2, 3
FRACTIONS = np.array([0.0, 0.5, 1.0])
LAYERS = [f"{m}.{b}" for m in MODULES for b in range(BLOCKS)] + ["fc"]


def fake_cube(seed, alpha=0.0, onset=0.0, ablate=True):
    """A run cube with random numbers in the layout ``merge`` writes."""
    rng = np.random.default_rng([seed, int(onset), int(-alpha)])
    n_units, n_layers = len(MODULES) * BLOCKS * CHANNELS, len(LAYERS)
    module = np.repeat(MODULES, BLOCKS * CHANNELS)
    block = np.tile(np.repeat(np.arange(BLOCKS), CHANNELS), len(MODULES))
    cka = rng.uniform(0.2, 0.9, (len(STEPS), n_layers, n_layers))
    dead = np.zeros((len(STEPS), n_units), dtype=np.int8)
    dead[:, 0] = 1  # a silent unit: left out of every SI mean
    data = {
        "si": (("checkpoint", "unit"), rng.uniform(0, 1, (len(STEPS), n_units))),
        "si_floor": (("checkpoint", "unit"), rng.uniform(0, 0.1, (len(STEPS), n_units))),
        "dead": (("checkpoint", "unit"), dead),
        "accuracy": (("checkpoint",), rng.uniform(0.1, 0.9, len(STEPS))),
        "train_accuracy": (("checkpoint",), rng.uniform(0.1, 0.9, len(STEPS))),
        "epoch": (("checkpoint",), STEPS / 10),
        "cka": (("checkpoint", "layer", "layer2"), (cka + cka.transpose(0, 2, 1)) / 2),
    }
    if ablate:
        acc = rng.uniform(0.2, 0.9, (len(STEPS), len(MODULES), 2, len(FRACTIONS), 2))
        acc[:, :, 0, :, 1:] = np.nan  # selective order: draw 0 only
        acc[0] = np.nan  # the initialisation is not ablated
        data["ablation_accuracy"] = (
            ("checkpoint", "ablated_module", "order", "fraction", "draw"),
            acc,
        )
    coords = {
        "checkpoint": STEPS,
        "unit": np.arange(n_units),
        "module": ("unit", module),
        "block": ("unit", block),
        "layer": LAYERS,
        "layer2": LAYERS,
        "layer_module": ("layer", [int(n.split(".")[0]) if n != "fc" else 8 for n in LAYERS]),
        "ablated_module": list(MODULES),
        "order": ["selective", "random"],
        "fraction": FRACTIONS,
        "draw": [0, 1],
    }
    attrs = {"seed": seed, "alpha": alpha, "onset": onset, "onset_unit": "batches"}
    attrs["role"] = "baseline" if alpha == 0 else "regularised"
    return xr.Dataset(data, coords=coords, attrs=attrs)


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
