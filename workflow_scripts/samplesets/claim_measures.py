"""Per-seed figures behind the samplesets claims (``claims``): pure functions on cubes.

Every claim states a seed mean with its interval (``claims.stats``), so what it measures
is first taken per seed. Where a claim speaks of a point of the plotted (seed-mean) curve,
e.g. the peak of a layer's f, that point is located on the seed-mean curve and each seed's
value is read there: a mean of per-seed maxima of noisy curves lies above anything the
plotted mean curve reaches.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import linregress

from ..claims import Check, stats
from . import metrics


def per_seed(cubes, quantity):
    """[seed] of (time, layer) per-layer means (nodes left out as eqs. 16-17)."""
    return [metrics.layer_means(ds, quantity) for ds in cubes]


def layers_of(curves):
    return [int(layer) for layer in curves[0]["layer"].values]


def peak_steps(cubes, quantity):
    """{layer: step of the seed-mean curve's maximum after init} (after: a curve that only
    falls then peaks below its start, and shows no rise)."""
    mean = metrics.seed_mean_layers(cubes, quantity).isel(time=slice(1, None))
    return {int(lay): metrics.peak(mean.sel(layer=lay))[0] for lay in mean["layer"].values}


def at(curves, layer, step):
    """[seed] value of ``layer`` at ``step`` (a recorded step)."""
    return np.array([float(c.sel(layer=layer, time=step)) for c in curves])


def first(curves, layer):
    return np.array([float(c.sel(layer=layer).isel(time=0)) for c in curves])


def last(curves, layer):
    return np.array([float(c.sel(layer=layer).isel(time=-1)) for c in curves])


def per_layer(func, layers):
    """[seed, layer] array of ``func(layer)`` ([seed] each)."""
    return np.stack([func(layer) for layer in layers], axis=1)


def estimate(values, unit="seeds"):
    """(Estimate over seeds, the per-seed values as a tuple) of a [seed] array."""
    values = np.asarray(values, dtype=float)
    return stats.mean_over_seeds(values, unit), tuple(float(v) for v in values)


def check(name, values, threshold, side="above"):
    """A ``Check`` of the mean over seeds of ``values`` ([seed]) with its t interval."""
    est, seeds = estimate(values)
    return Check(name, est, threshold, side, per_seed=seeds)


def shallow_deep(layers):
    """The first third of the hidden layers (at least one) and the rest."""
    k = max(1, math.ceil(len(layers) / 3))
    return layers[:k], layers[k:]


@dataclass
class LayerPoints:
    """A quantity's per-layer means, per seed: at init, at the peak step of each layer's
    seed-mean curve, and at the end ([seed, layer] arrays)."""

    layers: list
    peak_steps: dict  # layer -> step
    init: np.ndarray
    peak: np.ndarray
    end: np.ndarray
    curves: list  # [seed] of (time, layer)


def layer_points(cubes, quantity):
    curves = per_seed(cubes, quantity)
    layers, peaks = layers_of(curves), peak_steps(cubes, quantity)
    return LayerPoints(
        layers,
        peaks,
        per_layer(lambda lay: first(curves, lay), layers),
        per_layer(lambda lay: at(curves, lay, peaks[lay]), layers),
        per_layer(lambda lay: last(curves, lay), layers),
        curves,
    )


def latest_layer_peaks(cubes):
    """Per seed: the latest step at which one of its layers' f curves peaks."""
    curves = per_seed(cubes, "activation_fraction")
    layers = layers_of(curves)
    return [max(per_seed_peak_step(c.sel(layer=lay)) for lay in layers) for c in curves]


def nodes_at_layer_peaks(cubes):
    """Per seed: (f of every hidden node at the peak step of its layer's seed-mean f curve,
    the node's largest f from that step to the end)."""
    peaks = peak_steps(cubes, "activation_fraction")
    out = []
    for ds in cubes:
        f = ds["activation_fraction"].values  # [time, node]
        steps = list(ds["time"].values)
        at_peak = np.array([steps.index(peaks[int(lay)]) for lay in ds["layer"].values])
        now = f[at_peak, np.arange(f.shape[1])]
        from_peak = np.arange(f.shape[0])[:, None] >= at_peak[None, :]
        out.append((now, np.where(from_peak, f, -np.inf).max(0)))
    return out


def onset_ratio(ds, marker="val_loss"):
    """(onset step of ``marker``, median layer's f peak step, log2 of their ratio; NaN
    without an onset or with a peak at step 0) of one seed's cube."""
    onset = metrics.error_onset(ds[marker])
    f = metrics.layer_means(ds, "activation_fraction")
    median = float(np.median([per_seed_peak_step(f.sel(layer=lay)) for lay in f["layer"]]))
    ratio = math.log2(median / onset) if onset and median > 0 else math.nan
    return onset, median, ratio


def per_seed_peak_step(curve):
    """Step of the maximum of one seed's (time,) curve."""
    return metrics.peak(curve)[0]


def depth_slope(values, layers):
    """Least-squares slope of a per-layer value against the layer number, per seed
    (values [seed, layer])."""
    return np.array([linregress(layers, row).slope for row in values])


def error_estimate(cubes):
    """Final validation error over seeds: the accuracy interval (seeds and images) of
    ``stats.accuracy_over_seeds``, turned into an error interval."""
    n_images = int(cubes[0]["class_size"].sum()) if "class_size" in cubes[0] else 0
    n_images = n_images or int(cubes[0].attrs.get("n_validation", 0))
    error = np.array([float(ds["val_error"].isel(time=-1)) for ds in cubes])
    acc = stats.accuracy_over_seeds(1 - error, n_images)
    return (
        stats.Estimate(1 - acc.value, 1 - acc.high, 1 - acc.low, acc.n, acc.unit, acc.method),
        tuple(float(e) for e in error),
    )


def rounded(values, digits=3):
    return [round(float(v), digits) for v in np.ravel(values)]
