"""Figs 3, 4 and 8: selective vs random ablation, through training and at its end."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .. import metrics
from . import common


def _curves(cubes, module):
    """Normalised accuracy per (checkpoint, order, fraction), mean over seeds (random:
    over draws too)."""
    frames = []
    for ds in cubes:
        norm = metrics.normalised_ablation(ds).sel(ablated_module=module).mean("draw", skipna=True)
        frames.append(norm.rename("acc").to_dataframe().reset_index())
    df = pd.concat(frames).dropna(subset=["acc"])
    return df.groupby(["checkpoint", "order", "fraction"], as_index=False)["acc"].mean()


def shown_checkpoints(steps, n=8):
    """Up to n checkpoints spread evenly in log time (all of them when fewer)."""
    if len(steps) <= n:
        return list(steps)
    idx = np.unique(np.round(np.geomspace(1, len(steps), n)).astype(int) - 1)
    return [steps[i] for i in idx]


def _checkpoint_label(step, bpe):
    epochs = step / bpe
    whole = step >= bpe and abs(epochs - round(epochs)) < 1e-9
    return f"epoch {epochs:g}" if whole else f"batch {step:g}"


def ablation_rows(cubes, modules, out):
    """One row per module: the AUC over training, then the selective and random curves."""
    runs = cubes["baseline"]
    bpe = common.bpe(runs)
    auc = metrics.long_table(runs, metrics.ablation_auc, "auc").dropna(subset=["auc"])
    fig, axes = plt.subplots(len(modules), 3, figsize=(12, 3.1 * len(modules)), squeeze=False)
    for row, module in zip(axes, modules):
        sub = auc[auc["ablated_module"] == module]
        common.line(row[0], sub, "auc", hue="order", palette=common.ORDER_COLOURS)
        common.time_axis(row[0], bpe)
        row[0].set_ylabel("AUC (sum of normalised accuracies)")
        row[0].set_title(
            f"module {module}: area under the ablation curves", fontsize="small", pad=22
        )
        common.legend(row[0])
        curves = _curves(runs, module)
        steps = shown_checkpoints(sorted(curves["checkpoint"].unique()))
        colours = dict(zip(steps, sns.color_palette("viridis_r", len(steps))))
        for ax, order in zip(row[1:], ("selective", "random")):
            for step in steps:
                c = curves[(curves["checkpoint"] == step) & (curves["order"] == order)]
                ax.plot(
                    100 * c["fraction"],
                    c["acc"],
                    color=colours[step],
                    lw=1.2,
                    label=_checkpoint_label(step, bpe),
                )
            ax.set_title(f"module {module}: {order} ablation", fontsize="small")
            ax.set_xlabel("channels ablated in every block (%)")
            ax.set_ylabel("normalised accuracy")
            ax.set_ylim(0, 105)
    axes[0, 2].legend(
        frameon=False,
        fontsize="x-small",
        title="checkpoint",
        title_fontsize="x-small",
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
    )
    title = f"Selective vs random ablation through training ({common.modules_name(modules)})"
    fig.suptitle(title, y=1.0)
    fig.tight_layout()
    common.save_figure(fig, out)


def fig3(cubes, options, out):
    ablation_rows(cubes, options.modules, out)


def fig4(cubes, options, out):
    ablation_rows(cubes, options.modules, out)


def fig8(cubes, options, out):
    runs = cubes["baseline"]
    frames = []
    for ds in runs:
        step = int(ds["checkpoint"].values[-1])
        norm = metrics.normalised_ablation(ds).sel(checkpoint=step).mean("draw", skipna=True)
        df = norm.rename("acc").to_dataframe().reset_index()
        df["seed"] = metrics.run_labels(ds)["seed"]
        frames.append(df)
    df = pd.concat(frames).dropna(subset=["acc"])
    df["fraction"] = 100 * df["fraction"]
    modules = options.modules
    fig, axes = plt.subplots(
        1, len(modules), figsize=(3.2 * len(modules), 3.1), sharey=True, squeeze=False
    )
    for ax, module in zip(axes[0], modules):
        sns.lineplot(
            data=df[df["ablated_module"] == module],
            x="fraction",
            y="acc",
            hue="order",
            palette=common.ORDER_COLOURS,
            errorbar=common.CI,
            n_boot=1000,
            seed=0,
            marker="o",
            markersize=3,
            ax=ax,
        )
        ax.set_title(f"module {module}")
        ax.set_xlabel("channels ablated in every block (%)")
        ax.set_ylabel("normalised accuracy")
        ax.set_ylim(0, 105)
        common.legend(ax)
    epochs = float(runs[0]["epoch"].values[-1])
    fig.suptitle(f"Ablation of the fully trained network ({epochs:g} epochs)", y=1.02)
    fig.tight_layout()
    common.save_figure(fig, out)
