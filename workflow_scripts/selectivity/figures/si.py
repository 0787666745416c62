"""Figs 2 and 9: class selectivity over training, per module and per block."""

import matplotlib.pyplot as plt
import seaborn as sns

from .. import metrics
from . import common


def fig2(cubes, options, out):
    runs = cubes["baseline"]
    si = common.si_table(runs, "si")
    palette = common.module_palette()
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    common.line(ax, si, "si", hue="module", palette=palette)
    common.draw_floor(ax, runs, palette)
    common.time_axis(ax, common.bpe(runs))
    ax.set_ylabel("mean class selectivity index")
    ax.set_ylim(0, max(1.0, float(si["si"].max()) + 0.05))
    common.legend(ax, loc="upper left", ncol=2)
    ax.set_title(
        f"{options.model} on {options.source}: {len(runs)} seed(s)", fontsize="small", pad=24
    )
    fig.tight_layout()
    common.save_figure(fig, out)


def fig9(cubes, options, out):
    runs = cubes["baseline"]
    modules = options.modules
    fig, axes = plt.subplots(
        1, len(modules), figsize=(3.25 * len(modules), 4.3), sharey=True, squeeze=False
    )
    bpe = common.bpe(runs)
    si = metrics.long_table(runs, lambda ds: metrics.block_si(ds, "si"), "si")
    floor = metrics.long_table(runs, lambda ds: metrics.block_si(ds, "si_floor"), "si")
    for ax, module in zip(axes[0], modules):
        df = si[si["layer"].str.startswith(f"{module}.")]
        fl = floor[floor["layer"].str.startswith(f"{module}.")]
        blocks = sorted(df["layer"].unique(), key=lambda s: int(s.split(".")[1]))
        shades = sns.light_palette(common.MODULE_COLOURS[module], len(blocks) + 2)[2:]
        df = df.assign(block="block " + df["layer"].str.split(".").str[1])
        palette = {f"block {b.split('.')[1]}": c for b, c in zip(blocks, shades)}
        common.line(ax, df, "si", hue="block", palette=palette)
        mean_floor = fl.groupby("checkpoint", as_index=False)["si"].mean()
        ax.plot(
            mean_floor["checkpoint"],
            mean_floor["si"],
            ls="--",
            lw=0.9,
            color="0.4",
            label="shuffled-label floor",
        )
        common.time_axis(ax, bpe)
        ax.set_title(f"module {module}", pad=22)
        ax.set_ylabel("mean class selectivity index")
        common.legend_below(ax, offset=0.24)
    fig.tight_layout()
    common.save_figure(fig, out)
