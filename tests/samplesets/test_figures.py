"""The figures draw what the cubes hold and what their options say: the plotted curves are
compared with numbers computed here from the (synthetic) cubes."""

from dataclasses import replace

import numpy as np
import pytest

from workflow_scripts.samplesets import figures
from workflow_scripts.samplesets.figure_specs import (
    Fig3Options,
    Fig4Options,
    Fig5Options,
    Fig10Options,
    GridOptions,
    Setup,
)

from .synthetic import FALL, RISE_FALL, STEPS, cube

SETUP = Setup("fashion_mnist", 100, 0, 1e-3, 60, 10.0, "default", (0, 1))
NET = "4x320_ce"  # the three hidden layers of ce_cubes


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Draw a figure and return its matplotlib Figure (instead of writing the PDF)."""
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(figures, "save_figure", lambda fig, out: shown.append(fig))

    def draw(name, cubes, options):
        getattr(figures, name)({"cubes": cubes}, options, tmp_path / f"{name}.pdf")
        return shown[-1]

    yield draw
    plt.close("all")


def ce_cubes(**kw):
    layers = {1: RISE_FALL, 2: FALL, 3: np.linspace(0.3, 0.9, len(STEPS))}
    return [cube(layers, seed=s, **kw) for s in (0, 1)]


def layer_means(cubes, quantity):
    """(layer, time) seed mean of the per-layer node means, by hand (no dead nodes here)."""
    per_seed = []
    for ds in cubes:
        values, layer = ds[quantity].values, ds["layer"].values
        per_seed.append([values[:, layer == k].mean(1) for k in np.unique(layer)])
    return np.mean(per_seed, axis=0)


def epochs(cubes):
    steps = np.asarray(STEPS, dtype=float)
    return np.where(steps == 0, 0.5, steps) / cubes[0].attrs["steps_per_epoch"]


@pytest.mark.parametrize(
    "name,quantity",
    [("fig5", "activation_fraction"), ("fig6", "predictability"), ("fig7", "informativeness")],
)
def test_layer_figures_plot_the_seed_mean_of_each_layer(drawn, name, quantity):
    cubes = ce_cubes()
    fig = drawn(name, cubes, Fig5Options(NET, SETUP))
    ax = fig.axes[0]
    expected = layer_means(cubes, quantity)
    assert len(ax.lines) >= len(expected)
    for line, curve in zip(ax.lines, expected):
        np.testing.assert_allclose(line.get_xdata(), epochs(cubes))
        np.testing.assert_allclose(line.get_ydata(), curve, rtol=1e-6)
    if name == "fig7":  # the bound for the class counts, from the cube
        (bound,) = ax.lines[len(expected) :]
        assert np.allclose(bound.get_ydata(), cubes[0].attrs["max_informativeness"])


def test_a_figure_refuses_cubes_of_another_net(drawn):
    with pytest.raises(ValueError, match="9x320_mse"):
        drawn("fig10", ce_cubes(), Fig10Options("9x320_mse", SETUP))


def test_fig3_plots_the_mean_error_and_marks_the_onset_its_options_define(drawn):
    cubes = ce_cubes()
    error = np.mean([ds["val_error"].values for ds in cubes], axis=0)
    options = Fig3Options(NET, SETUP)
    for fraction in (options.onset_fraction, 0.5):
        fig = drawn("fig3", cubes, replace(options, onset_fraction=fraction))
        curve, onset_line = fig.axes[0].lines
        np.testing.assert_allclose(curve.get_ydata(), error)
        # first step from which on the error stays `fraction` of its drop below the start
        below = error <= error[0] - fraction * (error[0] - error.min())
        first = next(i for i in range(len(error)) if below[i:].all())
        assert onset_line.get_xdata()[0] == pytest.approx(STEPS[first] / 800)
    assert STEPS[first] == 50  # the 50 % onset lies later than the 5 % one


def test_fig3_marks_the_loss_onset_and_the_median_layer_f_peak_the_claim_compares(drawn):
    cubes = ce_cubes(error=[0.9, 0.9, 0.9, 0.9, 0.9, 0.89, 0.6, 0.3, 0.2, 0.15, 0.12])
    fig = drawn("fig3", cubes, Fig3Options(NET, SETUP))
    curve, onset_line, peak_line = fig.axes[1].lines
    loss = np.mean([ds["val_loss"].values for ds in cubes], axis=0)
    np.testing.assert_allclose(curve.get_ydata(), loss)
    # the loss stays >= 5 % of its drop below the start from step 50 on (index 6)
    assert onset_line.get_xdata()[0] == pytest.approx(50 / 800)
    # the layers' seed-mean f peaks after init: RISE_FALL at step 5, FALL at step 1
    # (it only falls), the linear rise at the end: the median is step 5
    assert peak_line.get_xdata()[0] == pytest.approx(5 / 800)
    labels = [t.get_text() for t in fig.axes[1].texts]
    assert labels == ["loss onset: step 50", "f peak (median layer): step 5"]


@pytest.mark.parametrize("name", ["fig3", "fig4", "fig5", "fig7", "grid"])
def test_no_text_is_smaller_than_8_points(drawn, name):
    """Legible at the figure's own size: 8 pt is 8 px at 72 dpi (x-small was 6.7)."""
    cubes = ce_cubes()
    options = {
        "fig3": Fig3Options(NET, SETUP),
        "fig4": Fig4Options(NET, 0, SETUP),
        "grid": GridOptions((NET,), SETUP),
    }.get(name, Fig5Options(NET, SETUP))
    fig = drawn(name, cubes[:1] if name == "fig4" else cubes, options)
    fig.canvas.draw()
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize")) if t.get_text()]
    assert texts and min(t.get_fontsize() for t in texts) >= 7.99, sorted(
        (t.get_fontsize(), t.get_text()) for t in texts
    )[:3]


def test_fig4_maps_the_activation_fraction_of_every_node(drawn):
    (ds,) = ce_cubes()[:1]
    fig = drawn("fig4", [ds], Fig4Options(NET, 0, SETUP))
    mesh = fig.axes[0].collections[0]
    values = ds["activation_fraction"].values.T  # node x time
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(values.shape), values)


@pytest.mark.parametrize("quantity", ["activation_fraction", "informativeness"])
def test_the_grid_draws_its_options_quantity_for_every_net(drawn, quantity):
    ce = ce_cubes()
    mse = [cube({1: FALL}, seed=s, loss="mse", depth=2) for s in (0, 1)]
    options = GridOptions(("2x320_mse", NET), SETUP, quantity=quantity)
    fig = drawn("grid", ce + mse, options)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.lines]
    assert len(panels) == 2
    # the table's other cells (depth 2 with CE, depth 4 with MSE) say why they are empty
    notes = sorted(t.get_text() for ax in fig.axes if not ax.lines for t in ax.texts)
    assert notes == [
        "2x320 cross-entropy:\nnot planned\n(samplesets.nets)",
        "4x320 MSE:\nnot planned\n(samplesets.nets)",
    ]
    assert all(not ax.texts for ax in panels)
    titles = {ax.get_title().split(":")[0]: ax for ax in panels}
    for cubes, title in ((mse, "2x320 MSE"), (ce, "4x320 cross-entropy")):
        expected = layer_means(cubes, quantity)
        lines = titles[title].lines
        assert len(lines) == len(expected)
        for line, curve in zip(lines, expected):
            np.testing.assert_allclose(line.get_ydata(), curve, rtol=1e-6)


def test_the_grid_refuses_cubes_of_other_nets_than_its_options_list(drawn):
    with pytest.raises(ValueError, match="2x320_mse"):
        drawn("grid", ce_cubes(), GridOptions(("2x320_mse", NET), SETUP))
