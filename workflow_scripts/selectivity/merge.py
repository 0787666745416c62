"""The run's cube: its part cubes merged along ``checkpoint`` (sorted by training batch;
a checkpoint asked for twice, e.g. ``e1`` and the batch it falls on, appears once).

A light job: it copies slices, one checkpoint at a time (peak memory one slice).
"""

import logging

import numpy as np

from ..store.cube import CubeWriter, open_cube
from .ablate import ABLATION_VARIABLES
from .extract import CHECKPOINT, EXTRACT_VARIABLES

log = logging.getLogger(__name__)


def _layout(ds, variables):
    dims = {d for dims, _, _ in variables.values() for d in dims} - {"checkpoint"}
    sizes = {d: ds.sizes[d] for d in dims}
    coords = {}
    for name, var in ds.coords.items():
        if name == "checkpoint" or not set(var.dims) <= dims:
            continue
        values = var.values
        coords[name] = (
            var.dims,
            values.astype(str) if values.dtype.kind == "O" else values,
            dict(var.attrs),
        )
    return sizes, coords


def merge(extract_parts, ablate_parts, out, attrs):
    extract = [open_cube(p) for p in extract_parts]
    ablate = [open_cube(p) for p in ablate_parts]
    try:
        _merge(extract, ablate, out, attrs)
    finally:
        for ds in extract + ablate:
            ds.close()


def _merge(extract, ablate, out, attrs):
    variables = dict(EXTRACT_VARIABLES)
    if ablate:
        variables.update(ABLATION_VARIABLES)
    sizes, coords = _layout(extract[0], EXTRACT_VARIABLES)
    if ablate:
        a_sizes, a_coords = _layout(ablate[0], ABLATION_VARIABLES)
        sizes.update(a_sizes)
        coords.update(a_coords)
    where = {}  # step -> (extract part index, ablate part index)
    for i, ds in enumerate(extract):
        for step in ds["checkpoint"].values.tolist():
            where.setdefault(int(step), [i, None])
    for j, ds in enumerate(ablate):
        for step in ds["checkpoint"].values.tolist():
            if int(step) in where and where[int(step)][1] is None:
                where[int(step)][1] = j
    missing = [s for s, (_, j) in where.items() if ablate and j is None]
    if missing:
        raise ValueError(f"ablation parts lack checkpoint(s) {missing}")
    steps = sorted(where)
    with CubeWriter(
        out,
        grow_dim="checkpoint",
        grow_dtype="i8",
        grow_attrs=CHECKPOINT,
        sizes=sizes,
        coords=coords,
        variables=variables,
        attrs=attrs,
        expected_length=len(steps),
    ) as writer:
        if ablate:
            writer.set("ablation_k", ablate[0]["ablation_k"].values)
        for step in steps:
            i, j = where[step]
            row = extract[i].sel(checkpoint=step)
            arrays = {name: row[name].values for name, (dims, _, _) in EXTRACT_VARIABLES.items()}
            if ablate:
                arow = ablate[j].sel(checkpoint=step)
                arrays.update(
                    ablation_accuracy=arow["ablation_accuracy"].values,
                    ablation_base_accuracy=arow["ablation_base_accuracy"].values,
                )
            writer.append(step, **{k: np.asarray(v) for k, v in arrays.items()})
    log.info("merged %d checkpoint(s) from %d part(s) into %s", len(steps), len(extract), out)
