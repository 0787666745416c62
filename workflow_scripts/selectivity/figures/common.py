"""What the selectivity figures share: colours, the time axis, line plots with 95 % CIs
over seeds, legends, module names."""

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


def si_table(cubes, var):
    df = metrics.long_table(cubes, lambda ds: metrics.module_si(ds, var), "si")
    df["module"] = "module " + df["module"].astype(str)
    return df


def module_palette():
    return {f"module {m}": c for m, c in MODULE_COLOURS.items()}
