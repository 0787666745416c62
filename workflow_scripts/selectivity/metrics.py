"""Numbers of the selectivity figures and claims: pure functions on the run cubes.

Every function takes opened cubes (xarray Datasets, ``store.cube.open_cube``) and
returns xarray objects or long-form pandas tables (one row per seed and checkpoint,
what seaborn plots with 95 % confidence intervals over seeds). Dead units (silent on
every probe image: SI = 0/eps, meaningless) are left out of every SI average (the
cube's ``dead`` flags them).
"""

import numpy as np
import pandas as pd
import xarray as xr


def run_labels(ds):
    """seed, alpha, onset, onset_unit, role of the run a cube belongs to."""
    return {
        "seed": int(ds.attrs["seed"]),
        "alpha": float(ds.attrs["alpha"]),
        "onset": float(ds.attrs["onset"]),
        "onset_unit": str(ds.attrs["onset_unit"]),
        "role": str(ds.attrs["role"]),
    }


def batches_per_epoch(ds):
    steps, epochs = ds["checkpoint"].values, ds["epoch"].values
    later = np.flatnonzero(steps > 0)
    return float(steps[later[0]] / epochs[later[0]]) if len(later) else float("nan")


def _live(ds, var):
    return ds[var].where(ds["dead"] == 0)


def module_si(ds, var="si"):
    """Mean ``var`` (si or si_floor) over the live units of each module: (checkpoint, module)."""
    return _live(ds, var).groupby(ds["module"]).mean("unit")


def block_si(ds, var="si"):
    """Mean ``var`` over the live units of each block: (checkpoint, layer) with layer
    '<module>.<block>'."""
    name = xr.DataArray(
        [f"{m}.{b}" for m, b in zip(ds["module"].values, ds["block"].values)],
        dims="unit",
        name="layer",
    )
    return _live(ds, var).groupby(name).mean("unit")


def long_table(cubes, fn, name):
    """Long-form table of ``fn(ds)`` (a DataArray with a checkpoint dim) for every cube,
    with the run's labels and the checkpoint's batch and epoch as columns."""
    frames = []
    for ds in cubes:
        da = fn(ds).rename(name)
        df = da.to_dataframe().reset_index()
        df["epoch"] = df["checkpoint"].map(
            dict(zip(ds["checkpoint"].values.tolist(), ds["epoch"].values.tolist()))
        )
        for key, value in run_labels(ds).items():
            df[key] = value
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------
# ablation


def normalised_ablation(ds):
    """Ablation accuracy normalised by each curve's maximum, x 100 (the paper's
    normalisation: acc / max(acc) * 100): (checkpoint, ablated_module, order, fraction,
    draw)."""
    acc = ds["ablation_accuracy"]
    return 100.0 * acc / acc.max("fraction")


def ablation_auc(ds):
    """The paper's "area under the curve": the plain sum of the normalised points of a
    curve; random orders averaged over draws. (checkpoint, ablated_module, order); NaN at
    checkpoints without ablation (the initialisation)."""
    norm = normalised_ablation(ds)
    auc = norm.sum("fraction", min_count=1)
    return auc.mean("draw", skipna=True)


# ---------------------------------------------------------------------------------
# CKA


def module_layer(ds, module):
    """The representation of a module: its last block's output ('fc': the FC input)."""
    if module == "fc":
        return "fc"
    names = [n for n, m in zip(ds["layer"].values, ds["layer_module"].values) if m == module]
    return str(names[-1])


def module_blocks(ds, module):
    return [str(n) for n, m in zip(ds["layer"].values, ds["layer_module"].values) if m == module]


def cka(ds, a, b):
    """CKA between layers ``a`` and ``b`` over checkpoints."""
    return ds["cka"].sel(layer=a, layer2=b)


# ---------------------------------------------------------------------------------
# regulariser


def accuracy_series(ds):
    """Training and probe (held-out) accuracy over checkpoints: a Dataset."""
    return xr.Dataset({"train": ds["train_accuracy"], "held-out": ds["accuracy"]})


def final(da):
    return float(da.isel(checkpoint=-1))
