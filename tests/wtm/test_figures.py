"""Each wtm figure plots what its cubes hold: the plotted data against numbers computed
from the cubes (small runs trained here), captured before the PDF is written."""

import numpy as np
import pytest
from matplotlib.collections import PathCollection

from workflow_scripts.plotting import apply_style
from workflow_scripts.wtm import figures, metrics
from workflow_scripts.wtm.figure_specs import (
    Fig1Options,
    Fig2Options,
    Fig3Options,
    Fig4Options,
    NoiseGeneralizationOptions,
)

from .runs import cube, noise_eval

SEEDS = (0, 1)


@pytest.fixture(scope="module")
def cubes(tmp_path_factory):
    """Named runs over two seeds, as the plan names them (good, bad and three ablations)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the jobs run (tests/conftest.py's one_thread, per module)
    tmp = tmp_path_factory.mktemp("wtm_figures")
    runs = {
        "good": dict(sigma=0.3),
        "bad": dict(sigma=0.8),
        "linear": dict(sigma=0.3, activation="linear"),
        "one_neuron": dict(sigma=0.3, hidden=1),
    }
    yield {
        name: [cube(tmp, name, seed=seed, max_epochs=12, **kw) for seed in SEEDS]
        for name, kw in runs.items()
    }
    torch.set_num_threads(threads)


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Calls a figure function and returns the matplotlib Figure it would save."""
    apply_style()
    captured = []
    monkeypatch.setattr(figures, "save_figure", lambda fig, path: captured.append(fig))

    def draw(name, inputs, options):
        getattr(figures, name)(inputs, options, tmp_path / f"{name}.pdf")
        (fig,) = captured[-1:]
        return fig

    return draw


def pattern_lines(ax):
    """y data of the pattern lines of an axis (the dotted zero line left out)."""
    return [line.get_ydata() for line in ax.lines if line.get_linestyle() != ":"]


def assert_same_rows(plotted, expected):
    assert len(plotted) == len(expected)
    for row in expected:
        assert any(np.allclose(row, got) for got in plotted), row


def pattern_means(ds, split, rank, cls=None):
    sub = metrics.select_split(ds, split).isel(neuron=rank)
    means = metrics.pattern_mean(sub["preactivation"])
    classes = metrics.pattern_classes(sub)
    patterns = (
        classes["pattern"].values
        if cls is None
        else classes["pattern"].values[classes.values == cls]
    )
    return [means.sel(pattern=p).values for p in patterns]


def test_fig1_plots_each_patterns_mean_preactivation_per_run(cubes, drawn):
    options = Fig1Options(runs=("good", "bad"), split="test", neuron_rank=1, sigma_train=(0.3, 0.8))
    runs = [cubes["good"][0], cubes["bad"][0]]
    fig = drawn("fig1", {"runs": runs}, options)
    for ax, ds, sigma in zip(fig.axes, runs, options.sigma_train, strict=True):
        assert_same_rows(pattern_lines(ax), pattern_means(ds, "test", 1))
        assert np.array_equal(ax.lines[0].get_xdata(), ds["epoch"].values)
        assert f"= {sigma:g}," in ax.get_title()
        assert f"test acc {metrics.final_test_accuracy(ds):.2f}" in ax.get_title()


def test_fig2_plots_classes_apart_and_the_mean_sign_of_dloss(cubes, drawn):
    ds = cubes["good"][0]
    fig = drawn("fig2", {"run": ds}, Fig2Options(run="good", neurons=2, split="train"))
    axes = np.array(fig.axes[: 4 * 2]).reshape(4, 2)
    signs = metrics.mean_sign_dloss(ds, "train")
    final = metrics.select_split(ds, "train")["preactivation"].isel(epoch=-1)
    for j in range(2):
        for cls in (0, 1):
            assert_same_rows(pattern_lines(axes[cls, j]), pattern_means(ds, "train", j, cls))
        order = metrics.pattern_mean(final.isel(neuron=j)).sortby(lambda m: m).pattern.values
        heights = [bar.get_height() for bar in axes[3, j].patches]
        np.testing.assert_allclose(heights, signs.isel(neuron=j).sel(pattern=order).values)


def test_fig3_plots_the_ablations_and_every_seeds_accuracy(cubes, drawn):
    options = Fig3Options(runs=("linear", "one_neuron"), reference="good", changes=("a", "b"))
    seeds = [ds for name in ("good", "linear", "one_neuron") for ds in cubes[name]]
    inputs = {"runs": [cubes["linear"][0], cubes["one_neuron"][0]], "seeds": seeds}
    fig = drawn("fig3", inputs, options)
    ablation_axes, accuracy = fig.axes[:-1], fig.axes[-1]
    assert len(ablation_axes) == 2 * len(options.runs)
    for ax, cls in zip(ablation_axes[:2], (0, 1)):
        assert_same_rows(pattern_lines(ax), pattern_means(cubes["linear"][0], "train", 0, cls))
    ticks = [t.get_text() for t in accuracy.get_xticklabels()]
    assert ticks == ["good", "linear", "one_neuron"]
    dots = [c for c in accuracy.collections if isinstance(c, PathCollection)]
    plotted = np.concatenate([c.get_offsets()[:, 1] for c in dots])
    expected = [metrics.final_test_accuracy(ds) for ds in seeds]
    np.testing.assert_allclose(np.sort(plotted), np.sort(expected))


def test_fig4_plots_the_difficult_groups_share_of_the_loss(cubes, drawn):
    ds = cubes["good"][0]
    fig = drawn("fig4", {"run": ds}, Fig4Options(run="good", difficult_fraction=0.2))
    left, right = fig.axes
    share, threshold = metrics.loss_share(ds, 0.2)
    np.testing.assert_allclose(right.lines[0].get_ydata(), share.values)
    np.testing.assert_allclose(right.lines[1].get_ydata(), 1 - share.values)
    assert left.lines[0].get_xdata()[0] == pytest.approx(threshold)
    assert "top 20%" in left.get_legend().get_texts()[0].get_text()


def test_noise_generalization_plots_the_seed_mean_per_training_noise(tmp_path, drawn, one_thread):
    sigma_test = (0.2, 0.5, 0.9)
    evals = [noise_eval(tmp_path, s, seed, sigma_test) for s in (0.3, 0.9) for seed in SEEDS]
    options = NoiseGeneralizationOptions(sigma_train=(0.3, 0.9), sigma_test=sigma_test, seeds=SEEDS)
    fig = drawn("noise_generalization", {"evals": evals}, options)
    (ax,) = fig.axes
    for line, sigma_train in zip(ax.lines, (0.3, 0.9)):
        mine = [ds for ds in evals if ds.attrs["sigma_train"] == sigma_train]
        expected = np.mean([ds["test_accuracy"].values for ds in mine], axis=0)
        np.testing.assert_allclose(line.get_xdata(), sigma_test)
        np.testing.assert_allclose(line.get_ydata(), expected)
