"""Figures of the class-selectivity paper, one function per figure, from run cubes only.

Inputs: ``cubes["baseline"]`` (the unregularised runs, one per seed) and, for figs 6-7,
``cubes["regularised"]``. Numbers come from ``selectivity.metrics``; this module only
draws. Time axes are training batches on a symlog scale (everything happens in the
first few hundred batches), with the epochs on a second axis on top. Shades are 95 %
confidence intervals of the mean over seeds (seaborn's bootstrap), as in the paper.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter, NullLocator

from ..plotting import save_figure
from . import metrics

MODULE_COLOURS = dict(zip((4, 5, 6, 7), sns.color_palette("colorblind", 4)))
ORDER_COLOURS = {"selective": "tab:red", "random": "0.35"}
CI = ("ci", 95)


# ---------------------------------------------------------------------------------
# shared pieces


def time_axis(ax, bpe, epochs=True):
    """Batches on a symlog axis (linear below 5) with plain-number ticks; epochs on top
    (call after plotting: the limits follow the data)."""
    ax.set_xscale("symlog", linthresh=5, linscale=0.4)
    right = max(ax.dataLim.x1, 1) * 1.12
    ax.set_xlim(0, right)
    ax.set_xticks([0] + [10**k for k in range(1, 8) if 10**k <= right])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("training batches")
    if epochs and np.isfinite(bpe) and bpe > 0:
        top = ax.twiny()
        top.set_xscale("symlog", linthresh=5, linscale=0.4)
        top.set_xlim(ax.get_xlim())
        ticks = [e for e in (1, 2, 4, 8, 12, 20, 30, 60, 90) if e * bpe <= right]
        top.set_xticks([e * bpe for e in ticks])
        top.set_xticklabels([f"{e:g}" for e in ticks], fontsize="small")
        top.xaxis.set_minor_locator(NullLocator())
        top.set_xlabel("epochs", fontsize="small")


def _bpe(cubes):
    return metrics.batches_per_epoch(cubes[0])


def _line(ax, df, y, hue=None, palette=None, style=None, **kw):
    sns.lineplot(
        data=df,
        x="checkpoint",
        y=y,
        hue=hue,
        palette=palette,
        style=style,
        errorbar=CI,
        n_boot=1000,
        seed=0,
        marker="o",
        markersize=3,
        ax=ax,
        **kw,
    )


def _legend(ax, title=None, **kw):
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            labels,
            title=title,
            frameon=False,
            fontsize="small",
            title_fontsize="small",
            **kw,
        )


def _si_table(cubes, var):
    df = metrics.long_table(cubes, lambda ds: metrics.module_si(ds, var), "si")
    df["module"] = "module " + df["module"].astype(str)
    return df


def _module_palette():
    return {f"module {m}": c for m, c in MODULE_COLOURS.items()}


# ---------------------------------------------------------------------------------
# Fig 2 and Fig 9: selectivity over training


def fig2(cubes, opts, out):
    runs = cubes["baseline"]
    si, floor = _si_table(runs, "si"), _si_table(runs, "si_floor")
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    _line(ax, si, "si", hue="module", palette=_module_palette())
    floor_mean = floor.groupby(["module", "checkpoint"], as_index=False)["si"].mean()
    for name, part in floor_mean.groupby("module"):
        ax.plot(part["checkpoint"], part["si"], ls="--", lw=0.9, color=_module_palette()[name])
    ax.plot([], [], ls="--", color="0.4", label="shuffled-label floor")
    time_axis(ax, _bpe(runs))
    ax.set_ylabel("mean class selectivity index")
    ax.set_ylim(0, max(1.0, float(si["si"].max()) + 0.05))
    _legend(ax, loc="upper left", ncol=2)
    ax.set_title(
        f"{opts['model']} on {opts['source']}: {len(runs)} seed(s)", fontsize="small", pad=24
    )
    fig.tight_layout()
    save_figure(fig, out)


def fig9(cubes, opts, out):
    runs = cubes["baseline"]
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.3), sharey=True)
    bpe = _bpe(runs)
    for ax, module in zip(axes, opts["modules"]):
        df = metrics.long_table(runs, lambda ds: metrics.block_si(ds, "si"), "si")
        df = df[df["layer"].str.startswith(f"{module}.")]
        fl = metrics.long_table(runs, lambda ds: metrics.block_si(ds, "si_floor"), "si")
        fl = fl[fl["layer"].str.startswith(f"{module}.")]
        blocks = sorted(df["layer"].unique(), key=lambda s: int(s.split(".")[1]))
        shades = dict(zip(blocks, sns.light_palette(MODULE_COLOURS[module], len(blocks) + 2)[2:]))
        df = df.assign(block="block " + df["layer"].str.split(".").str[1])
        _line(
            ax,
            df,
            "si",
            hue="block",
            palette={f"block {b.split('.')[1]}": c for b, c in shades.items()},
        )
        mean_floor = fl.groupby("checkpoint", as_index=False)["si"].mean()
        ax.plot(
            mean_floor["checkpoint"],
            mean_floor["si"],
            ls="--",
            lw=0.9,
            color="0.4",
            label="shuffled-label floor",
        )
        time_axis(ax, bpe)
        ax.set_title(f"module {module}", pad=22)
        ax.set_ylabel("mean class selectivity index")
        _legend(ax, loc="upper left")
    fig.tight_layout()
    save_figure(fig, out)


# ---------------------------------------------------------------------------------
# Figs 3, 4, 8: ablation


def _auc_table(cubes):
    df = metrics.long_table(cubes, metrics.ablation_auc, "auc").dropna(subset=["auc"])
    return df


def _curves(cubes, module):
    """Normalised accuracy per (checkpoint, order, fraction), mean over seeds (random:
    over draws too)."""
    frames = []
    for ds in cubes:
        norm = metrics.normalised_ablation(ds).sel(ablated_module=module).mean("draw", skipna=True)
        df = norm.rename("acc").to_dataframe().reset_index()
        frames.append(df)
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
    return (
        f"epoch {epochs:g}"
        if step >= bpe and abs(epochs - round(epochs)) < 1e-9
        else f"batch {step:g}"
    )


def ablation_rows(cubes, modules, out, title):
    runs = cubes["baseline"]
    bpe = _bpe(runs)
    auc = _auc_table(runs)
    fig, axes = plt.subplots(len(modules), 3, figsize=(12, 3.1 * len(modules)), squeeze=False)
    for row, module in zip(axes, modules):
        sub = auc[auc["ablated_module"] == module]
        _line(row[0], sub, "auc", hue="order", palette=ORDER_COLOURS)
        time_axis(row[0], bpe)
        row[0].set_ylabel("AUC (sum of normalised accuracies)")
        row[0].set_title(
            f"module {module}: area under the ablation curves", fontsize="small", pad=22
        )
        _legend(row[0])
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
    fig.suptitle(title, y=1.0)
    fig.tight_layout()
    save_figure(fig, out)


def fig3(cubes, opts, out):
    ablation_rows(
        cubes,
        [m for m in opts["modules"] if m < 7],
        out,
        "Selective vs random ablation through training (modules 4-6)",
    )


def fig4(cubes, opts, out):
    ablation_rows(cubes, [7], out, "Selective vs random ablation through training (module 7)")


def fig8(cubes, opts, out):
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
    modules = sorted(df["ablated_module"].unique())
    fig, axes = plt.subplots(1, len(modules), figsize=(3.2 * len(modules), 3.1), sharey=True)
    for ax, module in zip(np.atleast_1d(axes), modules):
        sns.lineplot(
            data=df[df["ablated_module"] == module],
            x="fraction",
            y="acc",
            hue="order",
            palette=ORDER_COLOURS,
            errorbar=CI,
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
        _legend(ax)
    epochs = float(runs[0]["epoch"].values[-1])
    fig.suptitle(f"Ablation of the fully trained network ({epochs:g} epochs)", y=1.02)
    fig.tight_layout()
    save_figure(fig, out)


# ---------------------------------------------------------------------------------
# Figs 5 and 10: CKA


def _cka_table(cubes, source, targets):
    frames = []
    for target in targets:
        df = metrics.long_table(
            cubes,
            lambda ds, t=target: metrics.cka(
                ds,
                metrics.module_layer(ds, source) if not isinstance(source, str) else source,
                t(ds) if callable(t) else t,
            ),
            "cka",
        )
        df["pair"] = target.name if callable(target) else target
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def fig5(cubes, opts, out):
    runs = cubes["baseline"]
    ds0 = runs[0]
    targets = metrics.module_blocks(ds0, 7) + ["fc"]
    src = metrics.module_layer(ds0, 4)
    frames = []
    for t in targets:
        df = metrics.long_table(runs, lambda ds, t=t: metrics.cka(ds, src, t), "cka")
        df["pair"] = f"module 4 ({src}) vs " + ("FC input" if t == "fc" else f"block {t}")
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    colours = sns.color_palette("flare", len(targets) - 1) + ["0.2"]
    _line(ax, df, "cka", hue="pair", palette=dict(zip(df["pair"].unique(), colours)))
    time_axis(ax, _bpe(runs))
    ax.set_ylabel("linear CKA (minibatch, unbiased)")
    ax.set_ylim(0, 1.02)
    _legend(ax, loc="upper right")
    fig.tight_layout()
    save_figure(fig, out)


def fig10(cubes, opts, out):
    runs = cubes["baseline"]
    sources = [m for m in opts["modules"] if m < 7]
    fig, axes = plt.subplots(1, len(sources), figsize=(4.3 * len(sources), 3.4), sharey=True)
    bpe = _bpe(runs)
    for ax, source in zip(np.atleast_1d(axes), sources):
        frames = []
        for target in [m for m in opts["modules"] if m > source] + ["fc"]:
            df = metrics.long_table(
                runs,
                lambda ds, s=source, t=target: metrics.cka(
                    ds, metrics.module_layer(ds, s), metrics.module_layer(ds, t)
                ),
                "cka",
            )
            df["pair"] = "FC input" if target == "fc" else f"module {target}"
            frames.append(df)
        df = pd.concat(frames, ignore_index=True)
        pal = {**_module_palette(), "FC input": "0.2"}
        _line(ax, df, "cka", hue="pair", palette={k: pal[k] for k in df["pair"].unique()})
        time_axis(ax, bpe)
        ax.set_title(f"module {source} vs later modules", pad=22)
        ax.set_ylabel("linear CKA (last blocks)")
        ax.set_ylim(0, 1.02)
        _legend(ax, loc="upper right")
    fig.tight_layout()
    save_figure(fig, out)


# ---------------------------------------------------------------------------------
# Figs 6 and 7: the regulariser


def _regularised_runs(cubes, opts):
    """{'unregularised': [...], onset: [...]} for the regulariser seeds."""
    seeds = set(opts["reg_seeds"])
    runs = {"unregularised": []}
    for ds in cubes["baseline"] + cubes.get("regularised", []):
        labels = metrics.run_labels(ds)
        if labels["seed"] not in seeds:
            continue
        key = "unregularised" if labels["alpha"] == 0 else labels["onset"]
        if ds not in runs.setdefault(key, []):
            runs[key].append(ds)
    return runs


SINGULAR = {"batches": "batch", "epochs": "epoch"}


def _onset_name(onset, opts):
    unit = opts["onset_unit"]
    return "from the start" if onset == 0 else f"from {SINGULAR[unit]} {onset:g}"


def _onset_batches(onset, opts, bpe):
    return onset * (bpe if opts["onset_unit"] == "epochs" else 1)


def _accuracy_table(groups, opts):
    frames = []
    for key, runs in groups.items():
        df = metrics.long_table(
            runs, lambda ds: metrics.accuracy_series(ds).to_array("set"), "accuracy"
        )
        df["model"] = key if key == "unregularised" else _onset_name(key, opts)
        frames.append(df)
    return pd.concat(frames, ignore_index=True).dropna(subset=["accuracy"])


def fig6(cubes, opts, out):
    groups = _regularised_runs(cubes, opts)
    later = opts["later_onset"]
    shown = {"unregularised": groups["unregularised"], 0.0: groups[0.0], later: groups[later]}
    bpe = _bpe(groups["unregularised"] or groups[0.0])
    fig = plt.figure(figsize=(12, 6.6))
    grid = fig.add_gridspec(2, 6)
    top = [fig.add_subplot(grid[0, 2 * i : 2 * i + 2]) for i in range(3)]
    bottom = [fig.add_subplot(grid[1, 3 * i : 3 * i + 3]) for i in range(2)]
    for ax, (key, runs) in zip(top, shown.items()):
        df = _si_table(runs, "si")
        _line(ax, df, "si", hue="module", palette=_module_palette())
        time_axis(ax, bpe)
        name = key if key == "unregularised" else _onset_name(key, opts)
        if key != "unregularised":
            ax.axvline(_onset_batches(key, opts, bpe), color="0.5", lw=0.8, ls=":")
            name = f"alpha {opts['alpha']:g} on modules {opts['reg_modules']} {name}"
        ax.set_title(name, fontsize="small", pad=22)
        ax.set_ylabel("mean class selectivity index")
        ax.set_ylim(0, 1)
        _legend(ax, loc="upper left", ncol=2)
    acc = _accuracy_table(shown, opts)
    palette = dict(zip(acc["model"].unique(), ["0.2", "tab:red", "tab:blue"]))
    for ax, which in zip(bottom, ("train", "held-out")):
        _line(ax, acc[acc["set"] == which], "accuracy", hue="model", palette=palette)
        time_axis(ax, bpe)
        ax.set_ylabel(f"{which} accuracy")
        ax.set_title(f"{which} accuracy", fontsize="small", pad=22)
        _legend(ax, loc="lower right")
    fig.tight_layout()
    save_figure(fig, out)


def fig7(cubes, opts, out):
    groups = _regularised_runs(cubes, opts)
    onsets = sorted(float(o) for o in opts["onsets"])
    shown = {"unregularised": groups["unregularised"], **{o: groups[o] for o in onsets}}
    bpe = _bpe(groups["unregularised"] or groups[onsets[0]])
    acc = _accuracy_table(shown, opts)
    names = list(acc["model"].unique())
    palette = {
        n: ("0.2" if n == "unregularised" else c)
        for n, c in zip(names, ["0.2"] + sns.color_palette("rocket", len(names) - 1))
    }
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), gridspec_kw={"width_ratios": [3, 3, 2]})
    for ax, which in zip(axes[:2], ("train", "held-out")):
        _line(ax, acc[acc["set"] == which], "accuracy", hue="model", palette=palette)
        time_axis(ax, bpe)
        ax.set_ylabel(f"{which} accuracy")
        ax.set_title(f"{which} accuracy", fontsize="small", pad=22)
        ax.get_legend().remove()
    _legend(
        axes[0],
        loc="lower right",
        ncol=2,
        title=f"alpha {opts['alpha']:g} on modules {opts['reg_modules']}",
    )
    last = acc[(acc["set"] == "held-out")]
    last = last[last["checkpoint"] == last["checkpoint"].max()]
    order = names
    sns.pointplot(
        data=last,
        x="model",
        y="accuracy",
        order=order,
        hue="model",
        palette=palette,
        errorbar=CI,
        n_boot=1000,
        seed=0,
        ax=axes[2],
        legend=False,
    )
    axes[2].set_xticks(range(len(order)))
    axes[2].set_xticklabels(
        [n.replace("from ", "") for n in order], rotation=40, ha="right", fontsize="small"
    )
    axes[2].set_xlabel(f"regulariser onset ({opts['onset_unit']})")
    axes[2].set_ylabel("final held-out accuracy")
    fig.tight_layout()
    save_figure(fig, out)


FIGURES = {
    "fig2": fig2,
    "fig3": fig3,
    "fig4": fig4,
    "fig5": fig5,
    "fig6": fig6,
    "fig7": fig7,
    "fig8": fig8,
    "fig9": fig9,
    "fig10": fig10,
}
