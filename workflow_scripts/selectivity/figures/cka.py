"""Figs 5 and 10: similarity (linear CKA) of module representations over training."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .. import metrics
from ..specs import MODULES
from . import common


def _pairs(runs, source, targets, names):
    """Long table of CKA(source layer, each target layer) with a ``pair`` column."""
    frames = []
    for target, name in zip(targets, names):
        df = metrics.long_table(
            runs, lambda ds, t=target: metrics.cka(ds, source(ds), t(ds)), "cka"
        )
        df["pair"] = name
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def fig5(cubes, options, out):
    runs = cubes["baseline"]
    ds0 = runs[0]
    src = metrics.module_layer(ds0, options.module)
    blocks = metrics.module_blocks(ds0, options.later_module) + ["fc"]
    names = ["FC input" if t == "fc" else f"block {t}" for t in blocks]
    df = _pairs(
        runs,
        lambda ds: metrics.module_layer(ds, options.module),
        [lambda ds, t=t: t for t in blocks],
        names,
    )
    colours = sns.color_palette("flare", len(blocks) - 1) + ["0.2"]
    df, palette = common.merge_identical(df, "pair", "cka", dict(zip(names, colours)))
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    common.line(ax, df, "cka", hue="pair", palette=palette)
    common.time_axis(ax, common.bpe(runs))
    ax.set_ylabel("linear CKA (minibatch, unbiased)")
    ax.set_ylim(0, 1.02)
    ax.set_title(
        f"module {options.module} (block {src}) vs module {options.later_module} and the FC input",
        fontsize="small",
        pad=24,
    )
    common.legend_below(ax, ncol=len(palette), offset=0.2)
    fig.tight_layout()
    common.save_figure(fig, out)


def fig10(cubes, options, out):
    runs = cubes["baseline"]
    sources = [m for m in options.modules if m < max(MODULES)]  # module 7: only FC is later
    fig, axes = plt.subplots(
        1, len(sources), figsize=(4.3 * len(sources), 4.3), sharey=True, squeeze=False
    )
    bpe = common.bpe(runs)
    palette = {**common.module_palette(), "FC input": "0.2"}
    for ax, source in zip(axes[0], sources):
        targets = [m for m in options.modules if m > source] + ["fc"]
        names = ["FC input" if t == "fc" else f"module {t}" for t in targets]
        df = _pairs(
            runs,
            lambda ds, s=source: metrics.module_layer(ds, s),
            [lambda ds, t=t: metrics.module_layer(ds, t) for t in targets],
            names,
        )
        df, shown = common.merge_identical(df, "pair", "cka", {k: palette[k] for k in names})
        common.line(ax, df, "cka", hue="pair", palette=shown)
        common.time_axis(ax, bpe)
        ax.set_title(f"module {source} vs later modules", pad=22)
        ax.set_ylabel("linear CKA (last blocks)")
        ax.set_ylim(0, 1.02)
        common.legend_below(ax, offset=0.2)
    fig.tight_layout()
    common.save_figure(fig, out)
