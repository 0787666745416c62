"""Figures of the samplesets paper: one function per name of ``figure_specs.FIGURES``,
``(inputs, options, out)``: ``inputs["cubes"]`` the opened cubes the plan's
``figure_inputs`` names, ``options`` the figure's options dataclass.

The numbers come from ``workflow_scripts.samplesets.metrics``; this module only draws
(helpers: ``figure_axes``). Time axes are logarithmic in epochs like the paper's
(1e-3 .. end), with the optimizer step on the top axis; step 0 (the initial weights) sits
half a step left of step 1, marked "init".
"""

import matplotlib.pyplot as plt
import numpy as np

from ..plotting import save_figure
from . import metrics
from .figure_axes import (
    LABELS,
    LOSS_NAMES,
    band,
    cubes_of,
    epochs_of,
    layer_colours,
    log_time_axis,
    net_title,
    plot_layers,
    seeds_text,
)


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
        f"(validation set, mean of {seeds_text(cubes)} ± SE)",
        fontsize="medium",
    )
    save_figure(fig, out)


def mark_step(ax, step, spe, text, y, style=":"):
    """A vertical line at ``step`` (step 0 at half a step) labelled ``text`` at axes
    height ``y``."""
    pos = max(step, 0.5) / spe
    ax.axvline(pos, color="0.4", ls=style, lw=1)
    ax.text(
        pos * 1.2,
        y,
        text,
        fontsize="small",
        va="bottom",
        color="0.3",
        transform=ax.get_xaxis_transform(),
    )


def median_layer_f_peak(cubes):
    """Step of the seed-mean f peak (after init) of the median layer (the claim's
    ``fall_starts_with_loss_drop`` reads it per seed)."""
    f = metrics.seed_mean_layers(cubes, "activation_fraction").isel(time=slice(1, None))
    steps = [metrics.peak(f.sel(layer=layer))[0] for layer in f["layer"].values]
    return float(np.median(steps))


def fig3(inputs, options, out):
    """Validation error and loss over training, seed mean with standard-error band; each
    panel marks its onset, the loss panel also the median layer's f peak (Fig. 5)."""
    cubes = cubes_of(inputs, options.net)
    spe = float(cubes[0].attrs["steps_per_epoch"])
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.2))
    for ax, var, label in (
        (axes[0], "val_error", "validation error"),
        (axes[1], "val_loss", "validation loss"),
    ):
        mean, se = metrics.seed_stats([ds[var] for ds in cubes])
        x = log_time_axis(ax, cubes[0])
        band(ax, x, mean.values, se.values, "tab:blue", label)
        ax.set_ylabel(label)
        onset = metrics.error_onset(mean, options.onset_fraction)
        if onset is not None:
            mark_step(ax, onset, spe, f"{label.split()[1]} onset: step {onset}", 0.05)
    peak = median_layer_f_peak(cubes)
    mark_step(axes[1], peak, spe, f"f peak (median layer): step {peak:g}", 0.2, "--")
    axes[0].set_ylim(0, 1)
    final = float(metrics.seed_mean_error(cubes).isel(time=-1))
    fig.suptitle(
        f"{net_title(cubes[0])}: final validation error {100 * final:.1f} % "
        f"(mean of {seeds_text(cubes)} ± SE)",
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
            fontsize="small",
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
    """Beyond the paper: the per-layer curves of every planned net, one panel each (rows:
    depth; columns: loss and width); a cell of that table with no planned net says so."""
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
        figsize=(2.9 * len(columns) + 1.4, 2.4 * len(depths) + 0.7),
    )
    for ax in axes.flat:  # cells without a planned net: a note instead of a blank
        ax.set_axis_off()
    for depth, ax_row in zip(depths, axes):
        for (width, loss), ax in zip(columns, ax_row):
            ax.text(
                0.5,
                0.5,
                f"{depth}x{width} {LOSS_NAMES[loss]}:\nnot planned\n(samplesets.nets)",
                ha="center",
                va="center",
                fontsize="small",
                color="0.45",
                transform=ax.transAxes,
            )
    for group in groups.values():
        ds = group[0]
        ax = axes[
            depths.index(int(ds.attrs["depth"])),
            columns.index((int(ds.attrs["width"]), str(ds.attrs["loss"]))),
        ]
        ax.set_axis_on()
        ax.texts[0].remove()
        plot_layers(ax, group, quantity, legend=False, n_colours=max_layers)
        err = float(metrics.seed_mean_error(group).isel(time=-1))
        ax.set_title(f"{net_title(ds)}: error {100 * err:.1f} %", fontsize="small")
        ax.tick_params(labelsize="small")
        ax.xaxis.label.set_size("small")
        ax.set_ylabel(LABELS[quantity], fontsize="small")
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
