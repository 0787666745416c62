"""Figs 6 and 7: regularising against selectivity, from the start or from later onsets."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .. import metrics
from . import common

UNREGULARISED = "unregularised"
SINGULAR = {"batches": "batch", "epochs": "epoch"}


def regularised_runs(cubes, seeds):
    """{'unregularised': [...], onset: [...]} of the regulariser seeds."""
    runs = {UNREGULARISED: []}
    for ds in cubes["baseline"] + cubes.get("regularised", []):
        labels = metrics.run_labels(ds)
        if labels["seed"] not in seeds:
            continue
        key = UNREGULARISED if labels["alpha"] == 0 else labels["onset"]
        if ds not in runs.setdefault(key, []):
            runs[key].append(ds)
    return runs


def onset_name(onset, unit):
    return "from the start" if onset == 0 else f"from {SINGULAR[unit]} {onset:g}"


def _model_name(key, unit):
    return key if key == UNREGULARISED else onset_name(key, unit)


def _accuracy_table(groups, unit):
    frames = []
    for key, runs in groups.items():
        df = metrics.long_table(
            runs, lambda ds: metrics.accuracy_series(ds).to_array("set"), "accuracy"
        )
        df["model"] = _model_name(key, unit)
        frames.append(df)
    return pd.concat(frames, ignore_index=True).dropna(subset=["accuracy"])


def _accuracy_panel(ax, acc, which, palette, bpe):
    common.line(ax, acc[acc["set"] == which], "accuracy", hue="model", palette=palette)
    common.time_axis(ax, bpe)
    ax.set_ylabel(f"{which} accuracy")
    ax.set_title(f"{which} accuracy", fontsize="small", pad=22)


def fig6(cubes, options, out):
    groups = regularised_runs(cubes, set(options.seeds))
    unit, later = options.onset_unit, options.later_onset
    shown = {UNREGULARISED: groups[UNREGULARISED], 0.0: groups[0.0], later: groups[later]}
    bpe = common.bpe(groups[UNREGULARISED] or groups[0.0])
    fig = plt.figure(figsize=(12, 6.6))
    grid = fig.add_gridspec(2, 6)
    top = [fig.add_subplot(grid[0, 2 * i : 2 * i + 2]) for i in range(3)]
    bottom = [fig.add_subplot(grid[1, 3 * i : 3 * i + 3]) for i in range(2)]
    for ax, (key, runs) in zip(top, shown.items()):
        common.line(
            ax, common.si_table(runs, "si"), "si", hue="module", palette=common.module_palette()
        )
        common.time_axis(ax, bpe)
        name = _model_name(key, unit)
        if key != UNREGULARISED:
            ax.axvline(key * (bpe if unit == "epochs" else 1), color="0.5", lw=0.8, ls=":")
            name = f"alpha {options.alpha:g} on modules {list(options.modules)} {name}"
        ax.set_title(name, fontsize="small", pad=22)
        ax.set_ylabel("mean class selectivity index")
        ax.set_ylim(0, 1)
        common.legend(ax, loc="upper left", ncol=2)
    acc = _accuracy_table(shown, unit)
    palette = dict(zip(acc["model"].unique(), ["0.2", "tab:red", "tab:blue"]))
    for ax, which in zip(bottom, ("train", "held-out")):
        _accuracy_panel(ax, acc, which, palette, bpe)
        common.legend(ax, loc="lower right")
    fig.tight_layout()
    common.save_figure(fig, out)


def fig7(cubes, options, out):
    groups = regularised_runs(cubes, set(options.seeds))
    onsets = sorted(options.onsets)
    shown = {UNREGULARISED: groups[UNREGULARISED], **{o: groups[o] for o in onsets}}
    bpe = common.bpe(groups[UNREGULARISED] or groups[onsets[0]])
    acc = _accuracy_table(shown, options.onset_unit)
    names = list(acc["model"].unique())
    palette = {
        n: ("0.2" if n == UNREGULARISED else c)
        for n, c in zip(names, ["0.2"] + sns.color_palette("rocket", len(names) - 1))
    }
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), gridspec_kw={"width_ratios": [3, 3, 2]})
    for ax, which in zip(axes[:2], ("train", "held-out")):
        _accuracy_panel(ax, acc, which, palette, bpe)
        ax.get_legend().remove()
    common.legend(
        axes[0],
        loc="lower right",
        ncol=2,
        title=f"alpha {options.alpha:g} on modules {list(options.modules)}",
    )
    last = acc[(acc["set"] == "held-out")]
    last = last[last["checkpoint"] == last["checkpoint"].max()]
    sns.pointplot(
        data=last,
        x="model",
        y="accuracy",
        order=names,
        hue="model",
        palette=palette,
        errorbar=common.CI,
        n_boot=1000,
        seed=0,
        ax=axes[2],
        legend=False,
    )
    axes[2].set_xticks(range(len(names)))
    axes[2].set_xticklabels(
        [n.replace("from ", "") for n in names], rotation=40, ha="right", fontsize="small"
    )
    axes[2].set_xlabel(f"regulariser onset ({options.onset_unit})")
    axes[2].set_ylabel("final held-out accuracy")
    fig.tight_layout()
    common.save_figure(fig, out)
