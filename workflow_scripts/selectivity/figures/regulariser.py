"""Figs 6 and 7: regularising against selectivity, from the start or from later onsets.

Every run is shown up to the regulariser runs' last checkpoint (``regularizer.epochs`` may
end them before the baseline runs, whose unregularised run of the same seed is the
reference). The final held-out accuracy is the test-split accuracy measured there
(``data.n_test`` images), with the interval the claims use: the seed t interval joined
with the binomial interval of the images (``claims.stats.accuracy_over_seeds``).
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ...claims import stats
from .. import metrics
from ..claim_data import reg_end, test_accuracy
from . import common

UNREGULARISED = "unregularised"
SINGULAR = {"batches": "batch", "epochs": "epoch"}
UNREGULARISED_DASHES = (4, 2)  # drawn last and dashed: never hidden under a later onset
FINAL_SPAN = 0.04  # the final-accuracy axis spans at least 4 points (1-point gaps look flat)


def regularised_runs(cubes, seeds):
    """{'unregularised': [...], onset: [...]} of the regulariser seeds, each cube cut at
    the regulariser runs' last checkpoint; and that checkpoint."""
    runs = {UNREGULARISED: {}}
    for ds in cubes["baseline"] + cubes.get("regularised", []):
        labels = metrics.run_labels(ds)
        if labels["seed"] not in seeds:
            continue
        key = UNREGULARISED if labels["alpha"] == 0 else labels["onset"]
        runs.setdefault(key, {}).setdefault(labels["seed"], ds)
    end = reg_end(runs)
    cut = {
        k: [ds.sel(checkpoint=slice(None, end)) for _, ds in sorted(v.items())]
        for k, v in runs.items()
    }
    return cut, runs, end


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
    names = [n for n in palette if n != UNREGULARISED] + [UNREGULARISED]  # drawn last
    common.line(
        ax,
        acc[acc["set"] == which],
        "accuracy",
        hue="model",
        palette=palette,
        style="model",
        hue_order=names,
        style_order=names,
        dashes={n: UNREGULARISED_DASHES if n == UNREGULARISED else "" for n in names},
    )
    common.time_axis(ax, bpe)
    ax.set_ylabel(f"{which} accuracy")
    ax.set_title(f"{which} accuracy", fontsize="small", pad=22)


def final_accuracies(by_seed, end, unit):
    """{model name: Estimate} of the test accuracy at ``end``: the claims' interval."""
    out = {}
    for key, runs in by_seed.items():
        acc, n = test_accuracy(runs, end)
        out[_model_name(key, unit)] = stats.accuracy_over_seeds(acc, n)
    return out


def _final_points(ax, finals, palette, x=None):
    """The final test accuracy per model with its interval, at ``x`` (default 0, 1, ...)."""
    x = list(range(len(finals))) if x is None else x
    for xi, (name, e) in zip(x, finals.items()):
        high = e.high if np.isfinite(e.high) else e.value
        low = e.low if np.isfinite(e.low) else e.value
        ax.errorbar(
            xi, e.value, yerr=[[e.value - low], [high - e.value]], fmt="o", ms=5, capsize=3,
            color=palette[name], label=f"{name} (test split)",
        )  # fmt: skip
    values = [v for e in finals.values() for v in (e.low, e.high, e.value) if np.isfinite(v)]
    mid, half = (max(values) + min(values)) / 2, max(FINAL_SPAN, max(values) - min(values)) / 2
    return mid - 1.1 * half, mid + 1.1 * half


def fig6(cubes, options, out):
    groups, by_seed, end = regularised_runs(cubes, set(options.seeds))
    unit, later = options.onset_unit, options.later_onset
    keys = (UNREGULARISED, 0.0, later)
    shown = {k: groups[k] for k in keys}
    bpe = common.bpe(groups[UNREGULARISED] or groups[0.0])
    fig = plt.figure(figsize=(12, 7.6))
    grid = fig.add_gridspec(2, 6)
    top = [fig.add_subplot(grid[0, 2 * i : 2 * i + 2]) for i in range(3)]
    bottom = [fig.add_subplot(grid[1, 3 * i : 3 * i + 3]) for i in range(2)]
    for ax, (key, runs) in zip(top, shown.items()):
        palette = common.module_palette()
        common.line(ax, common.si_table(runs, "si"), "si", hue="module", palette=palette)
        common.draw_floor(ax, runs, palette)  # each run's own floor
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
    palette = dict(zip([_model_name(k, unit) for k in keys], ["0.2", "tab:red", "tab:blue"]))
    for ax, which in zip(bottom, ("train", "held-out")):
        _accuracy_panel(ax, acc, which, palette, bpe)
    finals = final_accuracies({k: by_seed[k] for k in keys}, end, unit)
    _final_points(bottom[1], finals, palette, x=[end * (1.04 + 0.04 * i) for i in range(3)])
    bottom[1].set_title(
        f"held-out accuracy: probe images; points at batch {end}: the test split",
        fontsize="small",
        pad=22,
    )
    for ax in bottom:
        common.legend(ax, loc="lower right")
    fig.tight_layout()
    common.save_figure(fig, out)


def fig7(cubes, options, out):
    groups, by_seed, end = regularised_runs(cubes, set(options.seeds))
    onsets = sorted(options.onsets)
    keys = [UNREGULARISED, *onsets]
    shown = {k: groups[k] for k in keys}
    bpe = common.bpe(groups[UNREGULARISED] or groups[onsets[0]])
    acc = _accuracy_table(shown, options.onset_unit)
    names = [_model_name(k, options.onset_unit) for k in keys]
    palette = dict(zip(names, ["0.2"] + sns.color_palette("rocket", len(names) - 1)))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), gridspec_kw={"width_ratios": [3, 3, 2]})
    for ax, which in zip(axes[:2], ("train", "held-out")):
        _accuracy_panel(ax, acc, which, palette, bpe)
        ax.get_legend().remove()
    common.legend_below(
        axes[0], ncol=4, offset=0.22,
        title=f"alpha {options.alpha:g} on modules {list(options.modules)}",
    )  # fmt: skip
    finals = final_accuracies({k: by_seed[k] for k in keys}, end, options.onset_unit)
    axes[2].set_ylim(*_final_points(axes[2], finals, palette))
    e = next(iter(finals.values()))
    axes[2].set_xticks(range(len(names)))
    axes[2].set_xticklabels(
        [n.replace("from ", "") for n in names], rotation=40, ha="right", fontsize="small"
    )
    axes[2].set_xlabel(f"regulariser onset ({options.onset_unit})")
    axes[2].set_ylabel(f"test accuracy at batch {end}")
    axes[2].set_title(f"{e.n} seed(s) x {e.unit.split(' x ')[-1]}: 95 % interval", fontsize="small")
    fig.tight_layout()
    common.save_figure(fig, out)
