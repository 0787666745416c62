"""Drawing helpers of the samplesets figures (``figures``): the log time axis like the
paper's (epochs below, optimizer steps above, step 0 at half a step marked "init"), seed-mean
bands, per-layer curves, and the names the figures print."""

import matplotlib as mpl
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

from . import metrics

LABELS = {
    "activation_fraction": "activation fraction $f_l$",
    "predictability": "predictability $p_l$",
    "informativeness": "informativeness $u_l$",
}
LOSS_NAMES = {"ce": "cross-entropy", "mse": "MSE"}


def net_title(ds):
    return f"{ds.attrs['depth']}x{ds.attrs['width']} {LOSS_NAMES[ds.attrs['loss']]}"


def epochs_of(ds):
    """x positions (epochs) of the time points; step 0 at half a step."""
    steps = ds["time"].values.astype(float)
    return np.where(steps == 0, 0.5, steps) / float(ds.attrs["steps_per_epoch"])


def layer_colours(n):
    return mpl.colormaps["viridis"](np.linspace(0.0, 0.88, n))


def _decimal(x, _pos=None):
    return f"{x:g}" if x >= 1e-4 else f"$10^{{{int(round(np.log10(x)))}}}$"


def log_time_axis(ax, ds, top=True):
    """Log epochs below (readable decimals, 'init' for step 0), steps above."""
    spe = float(ds.attrs["steps_per_epoch"])
    x = epochs_of(ds)
    ax.set_xscale("log")
    ax.set_xlim(x[0] / 1.3, x[-1] * 1.3)
    lo, hi = np.floor(np.log10(x[0])), np.ceil(np.log10(x[-1]))
    # a decade tick closer than a factor 3 to the init tick would overprint it
    decades = [10.0**k for k in np.arange(lo, hi + 1) if x[0] * 3 < 10.0**k <= x[-1] * 1.3]
    ticks = ([x[0]] if ds["time"].values[0] == 0 else []) + decades
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, pos: "init" if np.isclose(v, 0.5 / spe) else _decimal(v))
    )
    ax.xaxis.set_minor_locator(LogLocator(subs=np.arange(2, 10)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("epoch (log scale)")
    if top:
        sec = ax.secondary_xaxis("top", functions=(lambda e: e * spe, lambda s: s / spe))
        sec.xaxis.set_major_locator(LogLocator(base=10))
        sec.xaxis.set_major_formatter(FuncFormatter(lambda v, pos: f"{v:g}"))
        sec.xaxis.set_minor_formatter(NullFormatter())
        sec.set_xlabel("step", fontsize="small")
        sec.tick_params(labelsize="small")
    return x


def band(ax, x, mean, se, colour, label):
    ax.plot(x, mean, color=colour, lw=1.3, label=label)
    if np.isfinite(se).any():
        ax.fill_between(x, mean - se, mean + se, color=colour, alpha=0.25, lw=0)


def plot_layers(ax, cubes, quantity, legend=True, n_colours=None):
    """Per-layer seed means with standard-error bands, shallow (dark) to deep (light)."""
    curves = [metrics.layer_means(ds, quantity) for ds in cubes]
    mean, se = metrics.seed_stats(curves)
    x = log_time_axis(ax, cubes[0], top=legend)
    layers = mean["layer"].values
    for colour, layer in zip(layer_colours(n_colours or len(layers)), layers):
        band(
            ax,
            x,
            mean.sel(layer=layer).values,
            se.sel(layer=layer).values,
            colour,
            f"layer {layer}",
        )
    ax.set_ylim(0, 1)
    if legend and len(layers) > 1:
        ax.legend(frameon=False, fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return mean


def seeds_text(cubes):
    seeds = sorted(int(ds.attrs["seed"]) for ds in cubes)
    return f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''}"


def cubes_of(inputs, net):
    """The input cubes, which must all be of ``net`` (the figure's options name it)."""
    cubes = inputs["cubes"]
    other = sorted({str(ds.attrs["net"]) for ds in cubes} - {net})
    if other or not cubes:
        raise ValueError(f"the figure's options name net {net}, its input cubes hold {other}")
    return cubes
