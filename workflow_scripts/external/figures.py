"""The figures of a run (one function per name of ``specs.FIGURES``): plotting only.

Each takes ``inputs`` ({"cube": the run's cube of the metric}), the figure's options (the
plan's resolved dict, rebuilt into its dataclass) and the output path. The layer means
leave out the units where the quantity is undefined: dead units for SI and the activation
fraction, dead and always-active units for predictability and informativeness.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

from ..metrics.datasets import normalised_auc
from ..plotting import save_figure
from ..specs import from_params
from .figure_specs import (
    AblationFigureOptions,
    CkaFigureOptions,
    SamplesetsFigureOptions,
    SelectivityFigureOptions,
)

QUANTITIES = {
    "activation_fraction": "activation fraction f",
    "predictability": "predictability p",
    "informativeness": "informativeness u",
}


def _time_axis(ax, cube, options, scale):
    ax.set_xlabel(f"training {options.time_unit}s")
    times = np.asarray(cube["time"].values, dtype=float)
    positive = times[times > 0]
    if scale == "symlog":  # linear up to the first checkpoint after 0, log beyond
        ax.set_xscale("symlog", linthresh=float(positive.min()) if len(positive) else 1.0)
    elif scale == "log":
        ax.set_xscale("log")


def layer_means(cube, name, exclude):
    """(layer names, [time, layer] means) of a per-unit variable, leaving out ``exclude``."""
    keep = ~cube[exclude[0]].astype(bool)
    for flag in exclude[1:]:
        keep = keep & ~cube[flag].astype(bool)
    with warnings.catch_warnings():  # a layer with no defined unit gives NaN, on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        means = cube[name].where(keep).groupby("layer").mean("unit")
    return means


def _ordered(means, layers):
    order = [layer for layer in layers if layer in means["layer"].values]
    return means.sel(layer=order)


def selectivity(inputs, options, out):
    o = from_params(SelectivityFigureOptions, options)
    cube = inputs["cube"]
    si = _ordered(layer_means(cube, "si", ["dead"]), o.layers)
    floor = _ordered(layer_means(cube, "si_floor", ["dead"]), o.layers)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    colours = plt.cm.viridis(np.linspace(0, 0.9, si.sizes["layer"]))
    t = cube["time"].values
    for i, layer in enumerate(si["layer"].values):
        ax.plot(t, si.sel(layer=layer).values, color=colours[i], label=str(layer))
        ax.plot(t, floor.sel(layer=layer).values, color=colours[i], ls=":", lw=1)
    _time_axis(ax, cube, o, o.x_scale)
    ax.set_ylabel("mean class selectivity")
    ax.set_title(f"{o.run}: selectivity per layer (dotted: shuffled-label floor)")
    ax.legend(fontsize=6, ncol=2, frameon=False)
    save_figure(fig, out)


def samplesets(inputs, options, out):
    o = from_params(SamplesetsFigureOptions, options)
    cube = inputs["cube"]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharex=True)
    excludes = {
        "activation_fraction": ["dead"],
        "predictability": ["dead", "always_active"],
        "informativeness": ["dead", "always_active"],
    }
    t = cube["time"].values
    for ax, (name, title) in zip(axes, QUANTITIES.items()):
        means = _ordered(layer_means(cube, name, excludes[name]), o.layers)
        colours = plt.cm.viridis(np.linspace(0, 0.9, means.sizes["layer"]))
        for i, layer in enumerate(means["layer"].values):
            ax.plot(t, means.sel(layer=layer).values, color=colours[i], label=str(layer))
        if name == "informativeness":
            ax.axhline(float(cube.attrs["max_informativeness"]), color="gray", ls="--", lw=0.8)
        _time_axis(ax, cube, o, o.x_scale)
        ax.set_title(title)
    axes[0].legend(fontsize=6, frameon=False)
    fig.suptitle(f"{o.run}: sample-set statistics per layer")
    save_figure(fig, out)


def panel_times(times, panels):
    """Up to ``panels`` checkpoint indices spread over the run, first and last included."""
    n = len(times)
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, min(panels, n))})


def cka(inputs, options, out):
    o = from_params(CkaFigureOptions, options)
    cube = inputs["cube"]
    chosen = panel_times(cube["time"].values, o.panels)
    fig, axes = plt.subplots(1, len(chosen), figsize=(3.2 * len(chosen), 3.2), squeeze=False)
    for ax, i in zip(axes[0], chosen):
        values = cube["cka"].isel(time=i).values
        image = ax.imshow(values, vmin=0, vmax=1, cmap="magma")
        ax.set_title(f"{o.time_unit} {cube['time'].values[i]:g}")
        ticks = np.arange(len(cube["layer"]))
        ax.set_xticks(ticks, cube["layer2"].values.astype(str), rotation=90, fontsize=5)
        ax.set_yticks(ticks, cube["layer"].values.astype(str), fontsize=5)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="linear CKA")
    save_figure(fig, out)


def ablation(inputs, options, out):
    o = from_params(AblationFigureOptions, options)
    cube = inputs["cube"]
    auc = normalised_auc(cube["ablation_accuracy"])
    t = cube["time"].values
    fig, ax = plt.subplots(figsize=(6, 3.6))
    colours = plt.cm.viridis(np.linspace(0, 0.9, cube.sizes["group"]))
    for i, group in enumerate(cube["group"].values):
        sel = auc.sel(group=group, order="selective").isel(draw=0).values
        rand = auc.sel(group=group, order="random")
        ax.plot(t, sel, color=colours[i], label=f"{group} selective")
        ax.plot(t, rand.mean("draw").values, color=colours[i], ls="--", label=f"{group} random")
        ax.fill_between(
            t, rand.min("draw").values, rand.max("draw").values, color=colours[i], alpha=0.15, lw=0
        )
    _time_axis(ax, cube, o, o.x_scale)
    ax.set_ylabel("ablation AUC (sum of normalised accuracy)")
    ax.set_title(f"{o.run}: ablation by selectivity vs random orders")
    ax.legend(fontsize=6, ncol=2, frameon=False)
    save_figure(fig, out)
