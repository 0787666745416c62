"""The selectivity figures plot the numbers of the cubes: each figure is drawn from small
synthetic run cubes (the layout of a merged cube) and the plotted data are compared with
the same numbers computed from the cubes by ``selectivity.metrics``."""

import numpy as np
import pytest
import xarray as xr

from workflow_scripts.claims import stats
from workflow_scripts.selectivity import figures, metrics
from workflow_scripts.selectivity.figure_specs import FIGURES
from workflow_scripts.selectivity.specs import MODULES

from .fake_cubes import BLOCKS, FRACTIONS, STEPS, TEST_IMAGES, fake_cube


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


def has_line_obj(line, x, y):
    lx, ly = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    x, y = np.asarray(x, float), np.asarray(y, float)
    return lx.shape == x.shape and np.allclose(lx, x) and np.allclose(ly, y, equal_nan=True)


def legend_labels(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def assert_legends_cover_no_data(figure):
    """No data point of an axes lies under that axes' legend (display coordinates)."""
    figure.canvas.draw()
    for ax in figure.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent()
        for line in ax.lines:
            xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
            xy = xy[np.isfinite(xy).all(1)]
            if not len(xy):
                continue
            px, py = ax.transData.transform(xy).T
            inside = (px >= box.x0) & (px <= box.x1) & (py >= box.y0) & (py <= box.y1)
            assert not inside.any(), (ax.get_title(), line.get_label())


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
    assert_legends_cover_no_data(fig)


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
    assert legend_labels(ax) == ["block 6.0", "block 6.1", "FC input"]
    assert_legends_cover_no_data(figure)


def test_a_block_equal_to_the_fc_input_is_drawn_once_and_named_so(drawn, cubes):
    """At 28x28 module 7's last block outputs 1x1: its CKA is the FC input's; one line,
    one legend entry naming both (before, the FC line hid the block's)."""
    figure = draw(drawn, "fig5", cubes, module=4, later_module=7)
    ax = figure.axes[0]
    assert legend_labels(ax) == ["block 7.0", "block 7.1 = FC input"]
    same = seed_mean(cubes["baseline"], lambda ds: metrics.cka(ds, "4.1", "fc"))
    drawn_lines = [ln for ln in ax.lines if has_line_obj(ln, STEPS, same)]
    assert len(drawn_lines) == 1
    fig10 = draw(drawn, "fig10", cubes, modules=MODULES)
    panel = next(ax for ax in fig10.axes if ax.get_title() == "module 4 vs later modules")
    assert legend_labels(panel) == ["module 5", "module 6", "module 7 = FC input"]


def test_fig10_compares_each_module_with_the_later_ones(drawn, cubes):
    figure = draw(drawn, "fig10", cubes, modules=MODULES)
    panels = [ax for ax in figure.axes if ax.get_title().endswith("later modules")]
    assert len(panels) == 3
    for ax, (a, b) in zip(panels, (("4.1", "5.1"), ("5.1", "6.1"), ("6.1", "fc"))):
        cka = seed_mean(cubes["baseline"], lambda ds, a=a, b=b: metrics.cka(ds, a, b))
        assert has_line(ax, STEPS, cka), (a, b)
    assert_legends_cover_no_data(figure)


REG = dict(alpha=-3.0, modules=(4, 5, 6), onset_unit="batches")


@pytest.fixture(scope="module")
def reg_cubes():
    """Regulariser runs of seeds 0 and 1 (and the baseline runs of seeds 0-2)."""
    baseline = [fake_cube(s) for s in (0, 1, 2)]
    regularised = [fake_cube(s, -3.0, o, ablate=False) for s in (0, 1) for o in (0.0, 5.0, 10.0)]
    return {"baseline": baseline, "regularised": regularised}


def errorbars(ax):
    """[(x, y, low, high)] of the error-bar points of ``ax``."""
    out = []
    for container in ax.containers:
        point, _caps, (bars,) = container.lines
        x, y = float(point.get_xdata()[0]), float(point.get_ydata()[0])
        (seg,) = bars.get_segments()
        out.append((x, y, float(seg[:, 1].min()), float(seg[:, 1].max())))
    return out


def test_fig6_plots_the_regulariser_runs_of_its_seeds(drawn, reg_cubes):
    figure = draw(drawn, "fig6", reg_cubes, **REG, later_onset=10.0, seeds=(0, 1))
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[:3] == [
        "unregularised",
        "alpha -3 on modules [4, 5, 6] from the start",
        "alpha -3 on modules [4, 5, 6] from batch 10",
    ]
    later = [ds for ds in reg_cubes["regularised"] if ds.attrs["onset"] == 10.0]
    top_right = figure.axes[2]
    for m in MODULES:
        assert has_line(
            top_right, STEPS, seed_mean(later, lambda ds, m=m: metrics.module_si(ds).sel(module=m))
        )
        floor = seed_mean(later, lambda ds, m=m: metrics.module_si(ds, "si_floor").sel(module=m))
        assert has_line(top_right, STEPS, floor, style="--")  # the run's own floor
    assert has_line(top_right, [10, 10], [0, 1], style=":")  # the onset (axvline)
    held_out = next(ax for ax in figure.axes if ax.get_title().startswith("held-out accuracy"))
    assert has_line(held_out, STEPS, seed_mean(later, lambda ds: ds["accuracy"]))
    free = reg_cubes["baseline"][:2]  # the regulariser seeds' unregularised runs only
    assert has_line(held_out, STEPS, seed_mean(free, lambda ds: ds["accuracy"]), style="--")
    assert not has_line(
        held_out, STEPS, seed_mean(reg_cubes["baseline"], lambda ds: ds["accuracy"])
    )
    # the unregularised line is dashed and drawn last: never hidden under a later onset
    dashed = [ln for ln in held_out.lines if ln.get_linestyle() == "--"]
    solid = [ln for ln in held_out.lines if ln.get_linestyle() == "-" and len(ln.get_xdata()) > 2]
    assert dashed and min(ln.zorder for ln in dashed) >= max(ln.zorder for ln in solid)
    assert held_out.lines.index(dashed[0]) > max(held_out.lines.index(ln) for ln in solid)
    assert "unregularised" in legend_labels(held_out)
    # the final test accuracy of each model with the claims' interval
    points = errorbars(held_out)
    assert len(points) == 3
    acc = np.array([float(ds["test_accuracy"].isel(checkpoint=-1)) for ds in later])
    e = stats.accuracy_over_seeds(acc, TEST_IMAGES)
    assert any(np.isclose(y, e.value) and np.isclose(lo, e.low) and np.isclose(hi, e.high)
               for _, y, lo, hi in points)  # fmt: skip


def test_fig7_plots_every_onset_with_the_interval_of_its_final_accuracy(drawn, reg_cubes):
    figure = draw(drawn, "fig7", reg_cubes, **REG, onsets=(0.0, 5.0, 10.0), seeds=(0, 1))
    held_out = figure.axes[1]
    for onset in (0.0, 5.0, 10.0):
        runs = [ds for ds in reg_cubes["regularised"] if ds.attrs["onset"] == onset]
        assert has_line(held_out, STEPS, seed_mean(runs, lambda ds: ds["accuracy"])), onset
    final = figure.axes[2]
    labels = [t.get_text() for t in final.get_xticklabels()]
    assert labels == ["unregularised", "the start", "batch 5", "batch 10"]
    points = errorbars(final)
    groups = [reg_cubes["baseline"][:2]] + [
        [ds for ds in reg_cubes["regularised"] if ds.attrs["onset"] == o] for o in (0.0, 5.0, 10.0)
    ]
    for (_, y, low, high), runs in zip(points, groups):
        acc = np.array([float(ds["test_accuracy"].isel(checkpoint=-1)) for ds in runs])
        e = stats.accuracy_over_seeds(acc, TEST_IMAGES)
        assert (y, low, high) == pytest.approx((e.value, e.low, e.high))
        assert final.get_ylim()[0] <= low and high <= final.get_ylim()[1]
    assert [p[0] for p in points] == [0, 1, 2, 3]
    assert np.diff(final.get_ylim())[0] >= 0.04  # never a 1-point axis
    assert_legends_cover_no_data(figure)


def ends_at(ds, step):
    """``ds`` cut at ``step``, its test accuracy measured there (as extraction does at the
    regulariser runs' end)."""
    return measured_at(ds.sel(checkpoint=slice(None, step)).copy(deep=True), step, ds)


def measured_at(ds, step, source):
    ds["test_accuracy"].loc[{"checkpoint": step}] = float(source["test_accuracy"].values[-1])
    ds["test_images"].loc[{"checkpoint": step}] = TEST_IMAGES
    return ds


@pytest.mark.parametrize("fig", ["fig6", "fig7"])
def test_regulariser_figures_compare_at_their_end_when_the_baseline_trains_longer(drawn, fig):
    """The default build: the unregularised runs train 12 epochs, the regulariser runs 4;
    the figures (and claims) compare at the regulariser runs' last checkpoint."""
    end = int(STEPS[-2])
    baseline = [measured_at(fake_cube(s), end, fake_cube(s)) for s in (0, 1, 2)]
    regularised = [
        ends_at(fake_cube(s, -3.0, o, ablate=False), end) for s in (0, 1) for o in (0.0, 5.0)
    ]
    cubes = {"baseline": baseline, "regularised": regularised}
    onsets = {"fig6": {"later_onset": 5.0}, "fig7": {"onsets": (0.0, 5.0)}}[fig]
    figure = draw(drawn, fig, cubes, **REG, **onsets, seeds=(0, 1))
    held_out = next(ax for ax in figure.axes if ax.get_title().startswith("held-out"))
    free = [ds.sel(checkpoint=slice(None, end)) for ds in baseline[:2]]
    assert has_line(held_out, STEPS[:-1], seed_mean(free, lambda ds: ds["accuracy"]), style="--")
