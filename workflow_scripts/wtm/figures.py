"""Figures of the WTM paper: one function per name of ``figure_specs.FIGURES``, each
``(inputs, options, out)``: the cubes by role (``options.input_roles``), the figure's
resolved options (its dataclass), the PDF to write. Plotting only."""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import MultipleLocator

from ..plotting import CLASS_COLOURS, class_shades, save_figure
from ..store.cube import cube_config
from . import metrics

PAPER_ABLATION_ACCURACY = 0.8  # the paper's "about 80 %" of the ablations (Fig 3)


def _sigma_train(ds):
    return cube_config(ds)["run"]["data"]["sigma"]


def plot_pattern_evolution(ax, ds, neuron_rank, split, classes=(0, 1)):
    """One line per pattern (shades of its class colour): mean pre-activation vs epoch."""
    sub = metrics.select_split(ds, split).isel(neuron=neuron_rank)
    means = metrics.pattern_mean(sub["preactivation"])  # epoch, pattern
    pat_cls = metrics.pattern_classes(sub)
    for cls in classes:
        pats = pat_cls["pattern"].values[pat_cls.values == cls]
        # shade by final value so the winners/losers ordering is visible
        order = pats[np.argsort(means.sel(pattern=pats).isel(epoch=-1).values)]
        for colour, p in zip(class_shades(len(order), cls), order):
            ax.plot(means["epoch"], means.sel(pattern=p), color=colour, lw=1)
    ax.axhline(0, color="0.6", lw=0.6, ls=":")
    ax.set_xlabel("epoch")


def class_legend(fig, **kw):
    """Class colour legend outside every panel (above the figure unless told), so that it
    never covers a line."""
    handles = [
        Line2D([], [], color=c, label=f"class {i} patterns") for i, c in enumerate(CLASS_COLOURS)
    ]
    kw = {"loc": "lower center", "bbox_to_anchor": (0.5, 1.0), "ncol": 2, **kw}
    fig.legend(handles=handles, frameon=False, **kw)


def fig1(inputs, options, out):
    names = options.runs
    fig, axes = plt.subplots(
        1, len(names), figsize=(4 * len(names), 3.2), sharey=False, squeeze=False
    )
    for ax, name, ds in zip(axes[0], names, inputs["runs"], strict=True):
        plot_pattern_evolution(ax, ds, options.neuron_rank, options.split)
        ax.set_title(
            f"{name}: $\\sigma_{{train}}$ = {_sigma_train(ds):g}, "
            f"test acc {metrics.final_test_accuracy(ds):.2f}"
        )
        ax.set_ylabel("average pattern pre-activation")
    fig.suptitle(
        f"Average pattern pre-activation ({options.split} samples, "
        f"neuron of influence rank {options.neuron_rank})",
        y=1.0,
    )
    fig.tight_layout()
    class_legend(fig, loc="upper center", bbox_to_anchor=(0.5, 0.0))  # below: off the data
    save_figure(fig, out)


def fig2(inputs, options, out):
    ds = inputs["run"]
    n = min(options.neurons, ds.sizes["neuron"])
    split = options.split
    sub = metrics.select_split(ds, split)
    neg = metrics.negative_class(ds, split)
    signs = metrics.mean_sign_dloss(ds, split)
    pat_cls = metrics.pattern_classes(sub)
    # 2 in per neuron and no text below the base size: legible where the docs shrink the
    # figure to the page width (tests/wtm/test_figures.py, MIN_TEXT_PT / MAX_WIDTH_IN)
    fig, axes = plt.subplots(4, n, figsize=(2.0 * n, 8.5), squeeze=False)
    for j in range(n):
        for row, cls in ((0, 0), (1, 1)):
            plot_pattern_evolution(axes[row, j], ds, j, split, classes=(cls,))
            tag = "dL/da < 0" if int(neg[j]) == cls else "dL/da > 0"
            axes[row, j].set_title(f"class {cls} ({tag})")
        final = sub["preactivation"].isel(epoch=-1, neuron=j)
        order = metrics.pattern_mean(final).sortby(lambda m: m).pattern.values
        frame = {"pattern": sub["pattern"].values, "z": final.values}
        palette = {int(p): CLASS_COLOURS[int(pat_cls.sel(pattern=p))] for p in order}
        sns.boxplot(
            x=frame["pattern"],
            y=frame["z"],
            order=list(order),
            hue=frame["pattern"],
            palette=palette,
            legend=False,
            ax=axes[2, j],
            fliersize=0,
            linewidth=0.5,
        )
        axes[2, j].set_xticks([])
        axes[2, j].set_xlabel("pattern (sorted)")
        s = signs.isel(neuron=j).sel(pattern=order)
        axes[3, j].bar(range(len(order)), s.values, color=[palette[int(p)] for p in order])
        axes[3, j].set_xticks([])
        axes[3, j].set_xlabel("pattern (as row 3)")
        axes[0, j].text(
            0.5,
            1.3,
            f"neuron {int(ds['neuron'][j])} (rank {j})\n"
            f"$w_2$ = {float(ds['output_weight'][j]):+.3f}",
            transform=axes[0, j].transAxes,
            ha="center",
        )
    for row, label in enumerate(
        [
            "avg. pre-activation",
            "avg. pre-activation",
            "final pre-activation",
            "avg. sign(dL/da)",
        ]
    ):
        axes[row, 0].set_ylabel(label)
    fig.tight_layout()
    class_legend(fig)
    save_figure(fig, out)


def by_run(cubes):
    """{run name: [its cubes, one per seed]}, in input order."""
    runs = {}
    for ds in cubes:  # every seed's cube names its run
        runs.setdefault(ds.attrs["run_name"], []).append(ds)
    return runs


def example_seed(cubes):
    """The cube a row shows: the first seed that predicts both classes (a degenerate
    seed's dynamics are not the model's: ``metrics.single_class_prediction``)."""
    return next((ds for ds in cubes if not metrics.single_class_prediction(ds)), cubes[0])


def fig3(inputs, options, out):
    """Rows: the ablations (first trained seed), pattern evolution per class. Right: final
    test accuracy of every seed of the full model and the ablations, mean +- std over the
    trained seeds (hollow red markers: seeds that predict one class, left out)."""
    names = options.runs
    seeds = by_run(inputs["seeds"])
    # 7.5 in wide and no text below the base size: legible where the docs shrink the
    # figure to the page width (tests/wtm/test_figures.py, MIN_TEXT_PT / MAX_WIDTH_IN)
    fig = plt.figure(figsize=(7.5, 2.3 * len(names) + 0.6))
    grid = fig.add_gridspec(len(names), 3, width_ratios=[1, 1, 1.2])
    for i, name in enumerate(names):
        ds = example_seed(seeds[name])
        rank = min(options.neuron_rank, ds.sizes["neuron"] - 1)
        for cls in (0, 1):
            ax = fig.add_subplot(grid[i, cls])
            plot_pattern_evolution(ax, ds, rank, options.split, classes=(cls,))
            ax.set_title(f"{name}, seed {metrics.run_seed(ds)}: class {cls}")
            if cls == 0:
                ax.set_ylabel("avg. pattern\npre-activation")
            if i < len(names) - 1:
                ax.set_xlabel("")
    # the accuracy panel over the rows but the last, whose third cell holds its key: apart
    # from the data, so that no marker of the key reads as a seed
    many = len(names) > 1
    accuracy = fig.add_subplot(grid[:-1, 2] if many else grid[:, 2])
    key = fig.add_subplot(grid[-1, 2]) if many else accuracy
    plot_seed_accuracy(accuracy, seeds, key)
    fig.tight_layout()
    class_legend(fig)
    save_figure(fig, out)


def plot_seed_accuracy(ax, seeds, key_ax):
    """One row per run (the reference on top): a dot per seed, mean +- std of the trained
    seeds, the count kept beside the run's name; the key to the markers on ``key_ax``."""
    rng = np.random.default_rng(0)
    labels = []
    for y, (name, cubes) in enumerate(seeds.items()):
        acc = np.array([metrics.final_test_accuracy(ds) for ds in cubes])
        bad = np.array([metrics.single_class_prediction(ds) for ds in cubes])
        jitter = y + rng.uniform(-0.12, 0.12, len(acc))
        ax.scatter(acc[~bad], jitter[~bad], s=14, color="0.35", zorder=3)
        ax.scatter(acc[bad], jitter[bad], s=18, facecolors="none", edgecolors="tab:red", zorder=3)
        if (~bad).any():
            ax.errorbar(
                acc[~bad].mean(),
                y + 0.3,
                xerr=acc[~bad].std(),
                fmt="o",
                ms=5,
                color="k",
                capsize=3,
                zorder=4,
            )
        labels.append(f"{name} {(~bad).sum()}/{len(acc)}")
    ax.axvline(PAPER_ABLATION_ACCURACY, color="0.6", lw=0.6, ls=":")
    ax.set_yticks(range(len(seeds)), labels)
    ax.set_ylim(len(seeds) - 0.5, -0.5)  # the reference on top
    ax.xaxis.set_major_locator(MultipleLocator(0.1))
    ax.set_xlabel("final test accuracy")
    ax.set_title("every seed")
    handles = [
        Line2D([], [], ls="", marker="o", ms=4, color="0.35", label="a seed"),
        Line2D(
            [], [], ls="", marker="o", ms=5, mfc="none", mec="tab:red", label="one class predicted"
        ),
        Line2D([], [], ls="-", marker="o", ms=5, color="k", label="mean $\\pm$ std of the rest"),
        Line2D([], [], ls=":", color="0.6", label="paper: about 80 %"),
    ]
    if key_ax is ax:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    else:
        key_ax.axis("off")
        key_ax.legend(handles=handles, loc="center", title="n/N: seeds kept of all")


def fig4(inputs, options, out):
    ds = inputs["run"]
    frac = options.difficult_fraction
    train = metrics.select_split(ds, "train")
    d = train["difficulty"].values
    share, threshold = metrics.loss_share(ds, frac)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2))
    sns.histplot(d, bins=50, ax=left, color="0.4")
    left.axvline(threshold, color=CLASS_COLOURS[1], ls="--", label=f"top {frac:.0%}: difficult")
    left.set_xlabel("difficulty coefficient d(x)")
    left.set_ylabel("train samples")
    left.legend(frameon=False)
    right.plot(share["epoch"], share, color=CLASS_COLOURS[1], label="difficult group")
    right.plot(share["epoch"], 1 - share, color=CLASS_COLOURS[0], label="easy group")
    right.axhline(0.5, color="0.6", lw=0.6, ls=":")
    cross = metrics.first_epoch_above(share, 0.5)
    if cross is not None:
        right.axvline(cross, color="0.6", lw=0.6)
        right.annotate(f"epoch {cross}", (cross, 0.52))
    right.set_xlabel("epoch")
    right.set_ylabel("share of the training loss")
    right.set_ylim(0, 1)
    right.legend(frameon=False)
    fig.tight_layout()
    save_figure(fig, out)


def noise_generalization(inputs, options, out):
    rows = []
    for ds in inputs["evals"]:
        for sigma, acc in zip(ds["sigma_test"].values, ds["test_accuracy"].values):
            rows.append(
                {
                    "sigma_train": float(ds.attrs["sigma_train"]),
                    "sigma_test": float(sigma),
                    "accuracy": float(acc),
                    "seed": int(ds.attrs["seed"]),
                }
            )
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    sns.lineplot(
        data=_frame(rows),
        x="sigma_test",
        y="accuracy",
        hue="sigma_train",
        marker="o",
        palette="viridis",
        ax=ax,
        errorbar="se",
    )
    ax.set_xlabel("$\\sigma_{test}$")
    ax.set_ylabel("test accuracy")
    ax.legend(title="$\\sigma_{train}$", frameon=False)
    save_figure(fig, out)


def _frame(rows):
    import pandas as pd  # seaborn's dependency; only this figure needs a table

    return pd.DataFrame(rows)
