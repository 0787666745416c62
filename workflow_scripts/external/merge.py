"""A run's part files -> its cube of one metric, along training time (a light job).

The cube's dimension ``time`` is each checkpoint's step (or epoch, when the run's
checkpoints give only epochs; ``units`` says which), in order; beside it the coordinates
``step``, ``epoch`` (NaN where unknown), ``checkpoint`` (the file), ``file_sha256`` and
``weights_sha256``, and ``duplicate_of``: the time of an earlier checkpoint with identical
weights (NaN for none). Duplicates are a known failure of published checkpoint series
(the same weights under several steps): they are logged and listed in the attribute
``duplicate_weights``; the cube's attribute ``checkpoints`` records every file's record.
"""

import json
import logging

import numpy as np
import xarray as xr

from ..store.atomic import atomic_path
from ..store.cube import COMPLETE_ATTR

log = logging.getLogger(__name__)
# what does not change along training: kept once, without the time dimension
STATIC = ("units_zeroed", "group_units", "class_size")
TIME = {
    "step": {"long_name": "training steps done (optimizer updates)", "units": "steps"},
    "epoch": {"long_name": "training epochs done", "units": "epochs"},
}


def _nan(value):
    return np.nan if value in (None, "") else float(value)


def read_part(path, group):
    """(record of the checkpoint, the part's Dataset of ``group``), loaded into memory."""
    with xr.open_dataset(path, engine="h5netcdf") as root:
        record = dict(root.attrs)
    with xr.open_dataset(path, group=group, engine="h5netcdf") as ds:
        return record, ds.load()


def duplicates(records, unit):
    """[[time, time, ...]] of the checkpoints sharing identical weights."""
    by_hash = {}
    for r in records:
        by_hash.setdefault(r["weights_sha256"], []).append(_nan(r[unit]))
    return [sorted(times) for times in by_hash.values() if len(times) > 1]


def merge(parts, metric, unit, out, attrs):
    loaded = [read_part(p, metric) for p in parts]
    loaded.sort(key=lambda rd: _nan(rd[0][unit]))
    records = [r for r, _ in loaded]
    times = np.asarray([_nan(r[unit]) for r in records])
    time = times.astype(np.int64) if unit == "step" else times
    first = {}
    duplicate_of = []
    for r, t in zip(records, times):
        duplicate_of.append(first.get(r["weights_sha256"], np.nan))
        first.setdefault(r["weights_sha256"], t)
    first_ds = loaded[0][1]
    static = [v for v in STATIC if v in first_ds.variables]
    cube = xr.concat(
        [ds.drop_vars(static).expand_dims("time") for _, ds in loaded],
        dim="time",
        data_vars="all",
        coords="minimal",
        compat="override",
        join="exact",
        combine_attrs="override",
    )
    cube = cube.assign_coords(
        {name: first_ds[name] for name in static if name in first_ds.coords}
    ).assign({name: first_ds[name] for name in static if name not in first_ds.coords})
    cube = cube.assign_coords(
        time=("time", time, TIME[unit]),
        step=("time", np.asarray([_nan(r["step"]) for r in records]), TIME["step"]),
        epoch=("time", np.asarray([_nan(r["epoch"]) for r in records]), TIME["epoch"]),
        checkpoint=("time", np.asarray([r["path"] for r in records], dtype=str)),
        file_sha256=("time", np.asarray([r["file_sha256"] for r in records], dtype=str)),
        weights_sha256=("time", np.asarray([r["weights_sha256"] for r in records], dtype=str)),
        duplicate_of=(
            "time",
            np.asarray(duplicate_of, dtype=np.float64),
            {"long_name": f"{unit} of an earlier checkpoint with identical weights (NaN: none)"},
        ),
    )
    dups = duplicates(records, unit)
    for group in dups:
        log.warning(
            "identical weights at %ss %s (the same weights saved under several steps)",
            unit,
            ", ".join(f"{t:g}" for t in group),
        )
    keep = {k: v for k, v in first_ds.attrs.items() if not isinstance(v, np.ndarray)}
    cube.attrs = {
        **keep,
        **{k: _attr(v) for k, v in attrs.items()},
        "time_unit": unit,
        "checkpoints": json.dumps(records, default=str),
        "duplicate_weights": json.dumps(dups),
        COMPLETE_ATTR: 1,
    }
    with atomic_path(out) as tmp:
        cube.to_netcdf(tmp, engine="h5netcdf")
    log.info(
        "wrote %s: %d checkpoint(s), %d group(s) of identical weights", out, len(parts), len(dups)
    )


def _attr(value):
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return "null" if value is None else value
