"""Sample-set metrics on the study's cubes: pure functions, no torch.

The node formulas (f, p, u, the informativeness bound) are the shared metrics layer's
(``metrics.sample_sets``), which the extraction uses; this module aggregates the cubes: per-layer means leaving out the
nodes the paper's eqs. 16-17 leave out, seed means and standard errors, peaks, the
error onset, and the grid summary rows.
"""

import warnings

import numpy as np
import xarray as xr

from .figure_specs import ERROR_ONSET_FRACTION

QUANTITIES = ("activation_fraction", "predictability", "informativeness")


# ---------------------------------------------------------------------------------
# on cubes (xarray Datasets written by ``extract``)


def layer_means(ds, quantity):
    """(time, layer) per-layer mean of a node quantity, leaving out the nodes eqs. 16-17 do."""
    keep = ~ds["dead"]
    if quantity != "activation_fraction":
        keep = keep & ~ds["always_active"]
    with warnings.catch_warnings():  # a layer with no defined node gives NaN, on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        return ds[quantity].where(keep).groupby("layer").mean("node")


def seed_stats(arrays):
    """Mean and standard error over seeds of equally shaped DataArrays (SE NaN for one)."""
    stacked = xr.concat(list(arrays), dim="seed")
    n = stacked.sizes["seed"]
    mean = stacked.mean("seed")
    if n < 2:
        return mean, xr.full_like(mean, np.nan)
    return mean, stacked.std("seed", ddof=1) / np.sqrt(n)


def seed_mean_layers(cubes, quantity):
    return seed_stats([layer_means(ds, quantity) for ds in cubes])[0]


def seed_mean_error(cubes):
    return seed_stats([ds["val_error"] for ds in cubes])[0]


def peak(curve):
    """(step, value) of the maximum of a (time,) curve (the first one on ties)."""
    values = np.asarray(curve.values, dtype=float)
    if np.all(np.isnan(values)):
        return None, float("nan")
    i = int(np.nanargmax(values))
    return int(curve["time"].values[i]), float(values[i])


def at_step(curve, step):
    """Value at the recorded step nearest to ``step`` (in log distance)."""
    steps = curve["time"].values.astype(float)
    i = int(np.argmin(np.abs(np.log1p(steps) - np.log1p(step))))
    return float(curve.isel(time=i))


def error_onset(val_error, fraction=ERROR_ONSET_FRACTION):
    """First step from which the validation error stays at least ``fraction`` of its
    total drop (initial value minus minimum) below its initial value: where learning
    visibly starts. "Stays": in the first steps the error jumps between ~0.7 and 0.9 as
    the outputs favour one class or another. The loss is no good marker: with MSE it
    falls in the first steps as the outputs shrink."""
    values = np.asarray(val_error.values, dtype=float)
    start, low = values[0], np.nanmin(values)
    if not start > low:
        return None
    above = np.flatnonzero(values > start - fraction * (start - low))
    return int(val_error["time"].values[above[-1] + 1])


def final(curve):
    return float(curve.isel(time=-1))


def group_by_net(cubes):
    """{net name: [cubes in seed order]}, nets sorted by depth, width, loss."""
    groups = {}
    for ds in cubes:
        groups.setdefault(ds.attrs["net"], []).append(ds)
    order = sorted(
        groups,
        key=lambda n: (
            int(groups[n][0].attrs["depth"]),
            int(groups[n][0].attrs["width"]),
            str(groups[n][0].attrs["loss"]),
        ),
    )
    return {n: sorted(groups[n], key=lambda ds: int(ds.attrs["seed"])) for n in order}


def grid_row(net, cubes, max_layers, onset_fraction=ERROR_ONSET_FRACTION):
    """One row of the grid summary: a net's seed-mean numbers (see ``grid_columns``)."""
    depth, width, loss = (cubes[0].attrs[k] for k in ("depth", "width", "loss"))
    err = seed_mean_error(cubes)
    onset = error_onset(err, onset_fraction)
    row = {
        "net": net,
        "depth": int(depth),
        "width": int(width),
        "loss": str(loss),
        "seeds": len(cubes),
        "epochs": float(cubes[0]["epoch"].values[-1]),
        "final_val_error": final(err),
        "error_onset_step": onset if onset is not None else "",
    }
    curves = {q: seed_mean_layers(cubes, q) for q in QUANTITIES}
    for layer in range(1, max_layers + 1):
        if layer not in curves["activation_fraction"]["layer"].values:
            row.update({f"{k}_L{layer}": "" for k in LAYER_COLUMNS})
            continue
        f = curves["activation_fraction"].sel(layer=layer)
        step, height = peak(f)
        row.update(
            {
                f"f_init_L{layer}": float(f.isel(time=0)),
                f"f_peak_L{layer}": height,
                f"f_peak_step_L{layer}": step,
                f"f_final_L{layer}": final(f),
                f"p_final_L{layer}": final(curves["predictability"].sel(layer=layer)),
                f"u_final_L{layer}": final(curves["informativeness"].sel(layer=layer)),
            }
        )
    return row


LAYER_COLUMNS = ("f_init", "f_peak", "f_peak_step", "f_final", "p_final", "u_final")


def grid_columns(max_layers):
    return [
        "net",
        "depth",
        "width",
        "loss",
        "seeds",
        "epochs",
        "final_val_error",
        "error_onset_step",
    ] + [f"{k}_L{layer}" for layer in range(1, max_layers + 1) for k in LAYER_COLUMNS]
