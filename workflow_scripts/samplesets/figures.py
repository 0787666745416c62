"""Figures of the samplesets paper: one function per name of ``figure_specs.FIGURES``,
``(inputs, options, out)``: ``inputs["cubes"]`` the opened cubes the plan's
``figure_inputs`` names, ``options`` the figure's options dataclass.

The numbers come from ``workflow_scripts.samplesets.metrics``; this module only draws.
Time axes are logarithmic in epochs like the paper's (1e-3 .. end), with the optimizer
step on the top axis; step 0 (the initial weights) sits half a step left of step 1,
marked "init".
"""

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

from ..plotting import save_figure
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


def _seeds(cubes):
    seeds = sorted(int(ds.attrs["seed"]) for ds in cubes)
    return f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''}"


def cubes_of(inputs, net):
    """The input cubes, which must all be of ``net`` (the figure's options name it)."""
    cubes = inputs["cubes"]
    other = sorted({str(ds.attrs["net"]) for ds in cubes} - {net})
    if other or not cubes:
        raise ValueError(f"the figure's options name net {net}, its input cubes hold {other}")
    return cubes


def layer_figure(cubes, quantity, out):
    """A per-layer quantity of a net's runs (seed mean ± SE) over log time."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    mean = plot_layers(ax, cubes, quantity)
    ax.set_ylabel(LABELS[quantity])
    if quantity == "predictability":  # p starts near 0.5: show the detail above it
        ax.set_ylim(max(0.0, min(0.5, float(mean.min()) - 0.05)), 1)
    if quantity == "informativeness":
        u_max = float(cubes[0].attrs["max_informativeness"])
        ax.axhline(u_max, color="0.3", ls="--", lw=1)
        ax.text(
            ax.get_xlim()[0] * 1.15,
            u_max + 0.015,
            f"max {u_max:.3f}",
            fontsize="small",
            color="0.3",
        )
        ax.set_ylim(0, max(0.35, u_max + 0.05))
    ax.set_title(
        f"{LABELS[quantity].split(' $')[0].capitalize()}, {net_title(cubes[0])} "
        f"(validation set, mean of {_seeds(cubes)} ± SE)",
        fontsize="medium",
    )
    save_figure(fig, out)


def fig3(inputs, options, out):
    """Validation error and loss over training, seed mean with standard-error band."""
    cubes = cubes_of(inputs, options.net)
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.2))
    for ax, var, label in (
        (axes[0], "val_error", "validation error"),
        (axes[1], "val_loss", "validation loss"),
    ):
        mean, se = metrics.seed_stats([ds[var] for ds in cubes])
        x = log_time_axis(ax, cubes[0])
        band(ax, x, mean.values, se.values, "tab:blue", label)
        ax.set_ylabel(label)
    onset = metrics.error_onset(metrics.seed_mean_error(cubes), options.onset_fraction)
    if onset is not None:
        pos = max(onset, 0.5) / float(cubes[0].attrs["steps_per_epoch"])
        for ax in axes:
            ax.axvline(pos, color="0.5", ls=":", lw=1)
        axes[0].text(
            pos * 1.2,
            0.05,
            f"error onset: step {onset}",
            fontsize="small",
            va="bottom",
            color="0.35",
            transform=axes[0].get_xaxis_transform(),
        )
    axes[0].set_ylim(0, 1)
    final = float(metrics.seed_mean_error(cubes).isel(time=-1))
    fig.suptitle(
        f"{net_title(cubes[0])}: final validation error {100 * final:.1f} % "
        f"(mean of {_seeds(cubes)} ± SE)",
        fontsize="medium",
    )
    fig.tight_layout()
    save_figure(fig, out)


def fig4(inputs, options, out):
    """Activation fraction of every hidden node (heat map node x log time), one seed."""
    (ds,) = cubes_of(inputs, options.net)
    x = epochs_of(ds)
    logx = np.log(x)
    mids = np.exp((logx[1:] + logx[:-1]) / 2)
    edges = np.concatenate([[x[0] ** 2 / mids[0]], mids, [x[-1] ** 2 / mids[-1]]])
    n_nodes, width = ds.sizes["node"], int(ds.attrs["width"])
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    mesh = ax.pcolormesh(
        edges,
        np.arange(n_nodes + 1),
        ds["activation_fraction"].values.T,
        cmap="viridis",
        vmin=0,
        vmax=1,
        shading="flat",
        rasterized=True,
    )
    log_time_axis(ax, ds)
    ax.set_xlim(edges[0], edges[-1])
    for layer in range(1, ds.sizes["node"] // width):
        ax.axhline(layer * width, color="white", lw=0.6)
    for layer in range(ds.sizes["node"] // width):
        ax.text(
            0.99,
            (layer + 0.5) * width / n_nodes,
            f"layer {layer + 1}",
            fontsize="x-small",
            va="center",
            ha="right",
            color="white",
            transform=ax.transAxes,
        )
    ax.set_yticks(np.arange(0, n_nodes + 1, width))
    ax.set_ylabel("node (shallowest to deepest)")
    fig.colorbar(mesh, ax=ax, label="activation fraction $f_{l,i}$", pad=0.06)
    ax.set_title(
        f"Activation fraction of every hidden node, {net_title(ds)}, seed "
        f"{ds.attrs['seed']} (validation set)",
        fontsize="medium",
    )
    save_figure(fig, out)


def fig5(inputs, options, out):
    """Per-layer activation fraction (the paper: 9x320 CE)."""
    layer_figure(cubes_of(inputs, options.net), "activation_fraction", out)


def fig6(inputs, options, out):
    """Per-layer predictability."""
    layer_figure(cubes_of(inputs, options.net), "predictability", out)


def fig7(inputs, options, out):
    """Per-layer informativeness, with the bound for the validation set's class counts."""
    layer_figure(cubes_of(inputs, options.net), "informativeness", out)


def fig9(inputs, options, out):
    """Per-layer activation fraction (the paper: 9x320 MSE)."""
    layer_figure(cubes_of(inputs, options.net), "activation_fraction", out)


def fig10(inputs, options, out):
    """Per-layer activation fraction (the paper: 2x320 MSE)."""
    layer_figure(cubes_of(inputs, options.net), "activation_fraction", out)


def grid(inputs, options, out):
    """Beyond the paper: the per-layer curves of every planned net, one panel each."""
    quantity = options.quantity
    groups = metrics.group_by_net(inputs["cubes"])
    if set(groups) != set(options.nets):
        raise ValueError(f"the grid lists nets {options.nets}, its cubes hold {sorted(groups)}")
    max_layers = max(int(g[0].attrs["depth"]) - 1 for g in groups.values())
    depths = sorted({int(g[0].attrs["depth"]) for g in groups.values()})
    columns = sorted(
        {(int(g[0].attrs["width"]), str(g[0].attrs["loss"])) for g in groups.values()},
        key=lambda c: (c[1], c[0]),
    )
    fig, axes = plt.subplots(
        len(depths),
        len(columns),
        squeeze=False,
        figsize=(2.5 * len(columns) + 1.2, 2.1 * len(depths) + 0.6),
    )
    for ax in axes.flat:
        ax.set_visible(False)
    for group in groups.values():
        ds = group[0]
        ax = axes[
            depths.index(int(ds.attrs["depth"])),
            columns.index((int(ds.attrs["width"]), str(ds.attrs["loss"]))),
        ]
        ax.set_visible(True)
        plot_layers(ax, group, quantity, legend=False, n_colours=max_layers)
        err = float(metrics.seed_mean_error(group).isel(time=-1))
        ax.set_title(f"{net_title(ds)}: error {100 * err:.1f} %", fontsize="small")
        ax.tick_params(labelsize="x-small")
        ax.xaxis.label.set_size("x-small")
    for row in axes:
        for ax in row:
            ax.set_ylabel(LABELS[quantity], fontsize="x-small")
    handles = [
        plt.Line2D([], [], color=c, label=f"layer {i + 1}")
        for i, c in enumerate(layer_colours(max_layers))
    ]
    fig.suptitle(
        f"Every net: per-layer {LABELS[quantity].split(' $')[0]} (validation set, seed mean ± SE)",
        fontsize="medium",
    )
    fig.tight_layout()
    fig.legend(
        handles=handles,
        loc="center left",
        frameon=False,
        fontsize="small",
        bbox_to_anchor=(1.0, 0.5),
    )
    save_figure(fig, out)
