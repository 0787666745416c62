"""What the selectivity figures share: colours, the time axis, line plots with 95 % CIs
over seeds, legends (beside the data, never over it), series that are one and the same
drawn once, module names."""

import numpy as np
import seaborn as sns
from matplotlib.ticker import FuncFormatter, NullLocator

from ... import plotting
from .. import metrics
from ..specs import MODULES

MODULE_COLOURS = dict(zip(MODULES, sns.color_palette("colorblind", len(MODULES))))
ORDER_COLOURS = {"selective": "tab:red", "random": "0.35"}
CI = ("ci", 95)


def save_figure(fig, out):
    plotting.save_figure(fig, out)


def modules_name(modules):
    """'module 7', 'modules 4, 5, 6'."""
    return ("module " if len(modules) == 1 else "modules ") + ", ".join(map(str, modules))


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


def bpe(cubes):
    return metrics.batches_per_epoch(cubes[0])


def line(ax, df, y, hue=None, palette=None, style=None, **kw):
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


def legend(ax, title=None, **kw):
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


def legend_below(ax, title=None, ncol=2, offset=0.2):
    """The legend under the axes (below the x label): it covers no data."""
    legend(
        ax, title=title, loc="upper center", bbox_to_anchor=(0.5, -offset), ncol=ncol,
        borderaxespad=0.0,
    )  # fmt: skip


def merge_identical(df, series, value, palette=None, keys=("seed", "checkpoint")):
    """``df`` with the series (values of column ``series``) that are equal at every
    (seed, checkpoint) kept once, named 'A = B' (module 7's last block and the FC input
    are one layer when the block's output is 1x1): no line hides under another. With a
    ``palette``, also the palette of the merged names (each takes its last member's colour)."""
    names = list(dict.fromkeys(df[series]))
    table = df.pivot_table(index=list(keys), columns=series, values=value)
    groups = []
    for name in names:
        same = next(
            (g for g in groups if np.allclose(table[g[0]], table[name], rtol=0, atol=1e-12)),
            None,
        )
        if same is None:
            groups.append([name])
        else:
            same.append(name)
    merged = {n: " = ".join(g) for g in groups for n in g}
    out = df[df[series].isin([g[0] for g in groups])].copy()
    out[series] = out[series].map(merged)
    if palette is None:
        return out
    return out, {" = ".join(g): palette[g[-1]] for g in groups}


def draw_floor(ax, runs, palette):
    """The shuffled-label noise floor of each module of ``runs`` (seed mean), dashed in
    the module's colour, with one legend entry."""
    floor = si_table(runs, "si_floor")
    floor_mean = floor.groupby(["module", "checkpoint"], as_index=False)["si"].mean()
    for name, part in floor_mean.groupby("module"):
        ax.plot(part["checkpoint"], part["si"], ls="--", lw=0.9, color=palette[name])
    ax.plot([], [], ls="--", color="0.4", label="shuffled-label floor")


def si_table(cubes, var):
    df = metrics.long_table(cubes, lambda ds: metrics.module_si(ds, var), "si")
    df["module"] = "module " + df["module"].astype(str)
    return df


def module_palette():
    return {f"module {m}": c for m, c in MODULE_COLOURS.items()}
