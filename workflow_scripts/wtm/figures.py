"""Figures of the WTM paper: one function per name of ``figure_specs.FIGURES``, each
``(inputs, options, out)``: the cubes by role (``options.input_roles``), the figure's
resolved options (its dataclass), the PDF to write. Plotting only."""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D

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


def class_legend(target, **kw):
    """Class colour legend on an axis, or above a whole figure (no overlap with lines)."""
    handles = [
        Line2D([], [], color=c, label=f"class {i} patterns") for i, c in enumerate(CLASS_COLOURS)
    ]
    if isinstance(target, plt.Figure):
        kw = {"loc": "lower center", "bbox_to_anchor": (0.5, 1.0), "ncol": 2, **kw}
    target.legend(handles=handles, frameon=False, fontsize="small", **kw)


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
    class_legend(axes[0, 0], loc="upper left")
    fig.suptitle(
        f"Average pattern pre-activation ({options.split} samples, "
        f"neuron of influence rank {options.neuron_rank})",
        y=1.0,
    )
    fig.tight_layout()
    save_figure(fig, out)


def fig2(inputs, options, out):
    ds = inputs["run"]
    n = min(options.neurons, ds.sizes["neuron"])
    split = options.split
    sub = metrics.select_split(ds, split)
    neg = metrics.negative_class(ds, split)
    signs = metrics.mean_sign_dloss(ds, split)
    pat_cls = metrics.pattern_classes(sub)
    fig, axes = plt.subplots(4, n, figsize=(2.8 * n, 9), squeeze=False)
    for j in range(n):
        for row, cls in ((0, 0), (1, 1)):
            plot_pattern_evolution(axes[row, j], ds, j, split, classes=(cls,))
            tag = "dL/da < 0: WTM class" if int(neg[j]) == cls else "dL/da > 0"
            axes[row, j].set_title(f"class {cls} ({tag})", fontsize="small")
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
        axes[3, j].set_xlabel("pattern (sorted as row 3)")
        axes[0, j].text(
            0.5,
            1.25,
            f"neuron {int(ds['neuron'][j])} (rank {j}, "
            f"$w_2$ = {float(ds['output_weight'][j]):+.3f})",
            transform=axes[0, j].transAxes,
            ha="center",
            fontsize="small",
        )
    for row, label in enumerate(
        [
            "avg. pre-activation",
            "avg. pre-activation",
            "pre-activation after training",
            "avg. sign(dL/da)",
        ]
    ):
        axes[row, 0].set_ylabel(label)
    fig.tight_layout()
    class_legend(fig)
    save_figure(fig, out)


def fig3(inputs, options, out):
    """Rows: the ablations (first seed), pattern evolution per class. Right: final test
    accuracy of every seed of the full model and the ablations, mean +- std over the
    non-degenerate seeds (hollow markers: seeds that predict one class, left out)."""
    names = options.runs
    fig = plt.figure(figsize=(10.5, 2.6 * len(names)))
    grid = fig.add_gridspec(len(names), 3, width_ratios=[1, 1, 0.9])
    for i, (name, ds) in enumerate(zip(names, inputs["runs"], strict=True)):
        rank = min(options.neuron_rank, ds.sizes["neuron"] - 1)
        for cls in (0, 1):
            ax = fig.add_subplot(grid[i, cls])
            plot_pattern_evolution(ax, ds, rank, options.split, classes=(cls,))
            ax.set_title(
                f"{name} (seed {metrics.run_seed(ds)}), class {cls} (test acc "
                f"{metrics.final_test_accuracy(ds):.2f})",
                fontsize="small",
            )
            if cls == 0:
                ax.set_ylabel("avg. pattern pre-activation")
    seeds = {n: [] for n in [options.reference, *names]}
    for ds in inputs["seeds"]:  # every seed's cube names its run
        seeds[ds.attrs["run_name"]].append(ds)
    plot_seed_accuracy(fig.add_subplot(grid[:, 2]), seeds)
    fig.tight_layout()
    class_legend(fig)
    save_figure(fig, out)


def plot_seed_accuracy(ax, seeds):
    """One column per run: a dot per seed, mean +- std of the non-degenerate seeds."""
    rng = np.random.default_rng(0)
    for x, cubes in enumerate(seeds.values()):
        acc = np.array([metrics.final_test_accuracy(ds) for ds in cubes])
        bad = np.array([metrics.single_class_prediction(ds) for ds in cubes])
        jitter = x + rng.uniform(-0.12, 0.12, len(acc))
        ax.scatter(jitter[~bad], acc[~bad], s=14, color="0.35", zorder=3)
        ax.scatter(
            jitter[bad],
            acc[bad],
            s=18,
            facecolors="none",
            edgecolors="tab:red",
            zorder=3,
            label="one class predicted" if bad.any() else None,
        )
        if (~bad).any():
            ax.errorbar(
                x + 0.3,
                acc[~bad].mean(),
                yerr=acc[~bad].std(),
                fmt="o",
                ms=5,
                color="k",
                capsize=3,
                zorder=4,
            )
        ax.annotate(
            f"{(~bad).sum()}/{len(acc)}",
            (x, 0.02),
            xycoords=("data", "axes fraction"),
            ha="center",
            fontsize="x-small",
            color="0.4",
        )
    ax.axhline(PAPER_ABLATION_ACCURACY, color="0.6", lw=0.6, ls=":")
    ax.set_xticks(range(len(seeds)), list(seeds), rotation=20, fontsize="small")
    ax.set_ylabel("final test accuracy")
    ax.set_title("seeds (dots) and mean $\\pm$ std", fontsize="small")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles[:1], labels[:1], frameon=False, fontsize="x-small", loc="lower right")


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
    left.legend(frameon=False, fontsize="small")
    right.plot(share["epoch"], share, color=CLASS_COLOURS[1], label="difficult group")
    right.plot(share["epoch"], 1 - share, color=CLASS_COLOURS[0], label="easy group")
    right.axhline(0.5, color="0.6", lw=0.6, ls=":")
    cross = metrics.first_epoch_above(share, 0.5)
    if cross is not None:
        right.axvline(cross, color="0.6", lw=0.6)
        right.annotate(f"epoch {cross}", (cross, 0.52), fontsize="small")
    right.set_xlabel("epoch")
    right.set_ylabel("share of the training loss")
    right.set_ylim(0, 1)
    right.legend(frameon=False, fontsize="small")
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
    ax.legend(title="$\\sigma_{train}$", frameon=False, fontsize="small")
    save_figure(fig, out)


def _frame(rows):
    import pandas as pd  # seaborn's dependency; only this figure needs a table

    return pd.DataFrame(rows)
