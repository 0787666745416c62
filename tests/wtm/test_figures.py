"""Each wtm figure plots what its cubes hold: the plotted data against numbers computed
from the cubes (small runs trained here), captured before the PDF is written."""

import numpy as np
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.text import Text
from scipy import stats

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
# one hidden neuron: seed 1 draws a negative 1x1 output weight for 60 inputs (Layca
# cannot rotate it: every test sample is predicted class 0), seed 2 a positive one
ONE_NEURON_SEEDS = (1, 2)
# text legible where the docs show a figure: they render it at 110 dpi and shrink it to
# the page width (~800 px), so a figure at most 8.5 in wide keeps 8.5 pt at >= 11 px
MIN_TEXT_PT, MAX_WIDTH_IN = 8.5, 8.5


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
        name: [
            cube(tmp, name, seed=seed, max_epochs=12, **kw)
            for seed in (ONE_NEURON_SEEDS if name == "one_neuron" else SEEDS)
        ]
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


def visible_texts(fig):
    fig.canvas.draw()  # lays out ticks and legends
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_window_extent().width > 0
    ]


def assert_legible(fig):
    assert fig.get_figwidth() <= MAX_WIDTH_IN
    small = {t.get_text(): t.get_fontsize() for t in visible_texts(fig)}
    small = {text: size for text, size in small.items() if size < MIN_TEXT_PT}
    assert not small, small


def overlaps(box, boxes):
    return [b for b in boxes if box.overlaps(b)]


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
    # the class legend sits outside every panel: it covers no line
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["class 0 patterns", "class 1 patterns"]
    assert not overlaps(legend.get_window_extent(), [ax.get_window_extent() for ax in fig.axes])
    assert_legible(fig)


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
    assert_legible(fig)


def test_fig2_at_its_default_size_is_legible(cubes, drawn):
    fig = drawn("fig2", {"run": cubes["good"][0]}, Fig2Options())  # 4 neurons
    assert fig.get_figwidth() > 7  # the widest it is drawn by default
    assert_legible(fig)


def test_fig3_shows_a_trained_seed_and_every_seeds_accuracy(cubes, drawn):
    options = Fig3Options(runs=("linear", "one_neuron"), reference="good", changes=("a", "b"))
    seeds = [ds for name in ("good", "linear", "one_neuron") for ds in cubes[name]]
    degenerate, trained = cubes["one_neuron"]
    assert metrics.single_class_prediction(degenerate)  # the first seed predicts one class
    assert not metrics.single_class_prediction(trained)
    fig = drawn("fig3", {"seeds": seeds}, options)
    ablation_axes, accuracy, key = fig.axes[:4], fig.axes[4], fig.axes[5]
    # each row shows the first seed that predicts both classes
    for row, example in ((0, cubes["linear"][0]), (1, trained)):
        for cls in (0, 1):
            ax = ablation_axes[2 * row + cls]
            assert f"seed {metrics.run_seed(example)}: class {cls}" in ax.get_title()
            assert_same_rows(pattern_lines(ax), pattern_means(example, "train", 0, cls))
    ticks = [t.get_text() for t in accuracy.get_yticklabels()]
    assert ticks == ["good 2/2", "linear 2/2", "one_neuron 1/2"]
    dots = [c for c in accuracy.collections if isinstance(c, PathCollection)]
    plotted = np.concatenate([c.get_offsets()[:, 0] for c in dots])
    expected = [metrics.final_test_accuracy(ds) for ds in seeds]
    np.testing.assert_allclose(np.sort(plotted), np.sort(expected))
    # the degenerate seed: a hollow red marker at 0.50; the mean of one_neuron leaves it out
    hollow = [c for c in dots if len(c.get_offsets()) and not c.get_facecolors().size]
    assert [float(x) for c in hollow for x in c.get_offsets()[:, 0]] == [0.5]
    means = [line.get_xdata()[0] for line in accuracy.lines if line.get_marker() == "o"]
    assert means[2] == pytest.approx(metrics.final_test_accuracy(trained))
    # the key to the markers is on a panel of its own, with no data
    assert key.get_legend() is not None and not key.lines and not key.collections
    assert not key.axison
    assert_legible(fig)


def test_fig4_plots_the_difficult_groups_share_of_the_loss(cubes, drawn):
    ds = cubes["good"][0]
    fig = drawn("fig4", {"run": ds}, Fig4Options(run="good", difficult_fraction=0.2))
    left, right = fig.axes
    share, threshold = metrics.loss_share(ds, 0.2)
    np.testing.assert_allclose(right.lines[0].get_ydata(), share.values)
    np.testing.assert_allclose(right.lines[1].get_ydata(), 1 - share.values)
    assert left.lines[0].get_xdata()[0] == pytest.approx(threshold)
    assert "top 20%" in left.get_legend().get_texts()[0].get_text()
    assert_legible(fig)


def test_noise_generalization_plots_the_seed_mean_per_training_noise(tmp_path, drawn, one_thread):
    sigma_test = (0.2, 0.5, 0.9)
    evals = [noise_eval(tmp_path, s, seed, sigma_test) for s in (0.3, 0.9) for seed in SEEDS]
    options = NoiseGeneralizationOptions(sigma_train=(0.3, 0.9), sigma_test=sigma_test, seeds=SEEDS)
    fig = drawn("noise_generalization", {"evals": evals}, options)
    (ax,) = fig.axes
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2  # a standard-error band over the seeds per training noise
    for line, band, sigma_train in zip(ax.lines, bands, (0.3, 0.9)):
        mine = [
            ds["test_accuracy"].values for ds in evals if ds.attrs["sigma_train"] == sigma_train
        ]
        assert len(mine) == len(SEEDS)
        expected = np.mean(mine, axis=0)
        np.testing.assert_allclose(line.get_xdata(), sigma_test)
        np.testing.assert_allclose(line.get_ydata(), expected)
        (outline,) = band.get_paths()
        for x, mean, se in zip(sigma_test, expected, stats.sem(mine, axis=0)):
            ys = outline.vertices[np.isclose(outline.vertices[:, 0], x), 1]
            np.testing.assert_allclose([ys.min(), ys.max()], [mean - se, mean + se], atol=1e-6)
    assert_legible(fig)
