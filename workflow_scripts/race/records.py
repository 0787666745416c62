"""The race cubes of a figure, table or claims table, opened and labelled by run.

A record is one run::

    {"run_id": ..., "sigma0": 1e-5, "N": 200, "d": 300, "seed": 0,
     "dynamics": xr.Dataset, "similarity": xr.Dataset,   # the run's cubes
     "pruned": {0.5: int array [d], ...}}                 # IMP, per target sparsity

or, for Fig 7, one data set: ``{"N": 200, "stable_cells": xr.Dataset}``. The labels
come from the cubes' own ``labels`` attribute, so the rules pass files only. Pure
functions on records follow (selection, time lookup, stable-cell and merge tables);
figures, Table 1 and the claims read records through them.
"""

import csv
import json

import numpy as np

from ..store.atomic import atomic_path
from ..store.checkpoints import load_checkpoint
from ..store.cube import open_cube


def _labels(ds):
    return json.loads(ds.attrs["labels"])


def load_pruned(path):
    """(run_id, target sparsity, pruned weights per neuron [d]) of an IMP masks file."""
    masks = load_checkpoint(path)
    meta = json.loads(masks["meta"])
    return (
        meta["run_id"],
        float(meta["sparsity_target"]),
        np.asarray(masks["pruned_per_neuron"]).astype(np.int64),
    )


def load_records(dynamics=(), similarity=(), masks=(), stable_cells=()):
    """Records from the files of a rule's inputs (``dynamics[i]`` pairs ``similarity[i]``)."""
    if len(dynamics) != len(similarity):
        raise ValueError(f"{len(dynamics)} dynamics cubes but {len(similarity)} similarity cubes")
    records = []
    for dyn_path, sim_path in zip(dynamics, similarity):
        dyn, sim = open_cube(dyn_path), open_cube(sim_path)
        labels = _labels(dyn)
        if _labels(sim)["run_id"] != labels["run_id"]:
            raise ValueError(f"{dyn_path} and {sim_path} belong to different runs")
        records.append({**labels, "dynamics": dyn, "similarity": sim})
    by_run = {r["run_id"]: r for r in records}
    for path in masks:
        run_id, sparsity, pruned = load_pruned(path)
        by_run[run_id].setdefault("pruned", {})[sparsity] = pruned
    for path in stable_cells:
        ds = open_cube(path)
        records.append({**_labels(ds), "stable_cells": ds})
    return records


def close(records):
    for rec in records:
        for key in ("dynamics", "similarity", "stable_cells"):
            if key in rec:
                rec[key].close()


def select(records, **labels):
    """Records whose labels equal the given values (floats compared with tolerance)."""

    def ok(rec):
        for k, v in labels.items():
            if v is None:
                continue
            got = rec.get(k)
            if isinstance(v, float) or isinstance(got, float):
                if got is None or not np.isclose(float(got), float(v), rtol=1e-6):
                    return False
            elif got != v:
                return False
        return True

    return [r for r in records if ok(r)]


def first(records, what, **labels):
    """The matching record with the lowest seed; names ``what`` when there is none."""
    found = select(records, **labels)
    if not found:
        raise ValueError(f"{what}: no run with {labels} among {len(records)} records")
    return sorted(found, key=lambda r: r.get("seed", 0))[0]


def sorted_unique(records, key):
    return sorted({r[key] for r in records if key in r})


def time_index(dyn, step):
    """Index of the recorded time nearest to SGD step ``step``."""
    return int(np.argmin(np.abs(dyn["time"].values - int(step))))


def largest_cluster(sim, tau, snapshot=-1, large_only=False):
    """Neuron indices of the largest cluster at ``tau`` in a similarity snapshot."""
    var = "cluster_label_large" if large_only else "cluster_label"
    labels = sim[var].sel(tau=tau, method="nearest").values[snapshot]
    return np.flatnonzero(labels == 0)


def final_clusters(dyn, tau, large=False):
    """Clusters at ``tau`` at the last recorded time (all neurons, or large ones)."""
    var = "n_clusters_large" if large else "n_clusters"
    return int(dyn[var].sel(tau=tau, method="nearest").values[-1])


def stable_cell_table(records):
    """Rows (N, alignment, mean, std, n) over probe seeds and data seeds."""
    rows = []
    for N in sorted_unique(records, "N"):
        for a in (1, -1):
            vals = np.concatenate(
                [
                    r["stable_cells"]["stable_cells"].sel(alignment=a).values
                    for r in select(records, N=N)
                ]
            )
            rows.append(
                {
                    "N": N,
                    "alignment": a,
                    "mean": float(np.mean(vals)),
                    "std": float(np.std(vals)),
                    "n": int(vals.size),
                }
            )
    return rows


def merge_rows(records):
    """Table 1 rows: per (sigma0, N, tau) k (clusters over all neurons = neurons after
    merging), k_large (those of the k clusters that contain a neuron with a >=
    rel_threshold of the largest: the merged neurons that carry weight, <= k; Fig 3a's
    lower panel) and the relative accuracy change after merging, mean/std over seeds."""

    def stats(values):
        v = np.asarray(values, dtype=np.float64)
        return v.mean(), (v.std(ddof=1) if len(v) > 1 else float("nan"))

    rows = []
    for sigma in sorted_unique(records, "sigma0"):
        for N in sorted_unique(select(records, sigma0=sigma), "N"):
            recs = select(records, sigma0=sigma, N=N)
            for j, tau in enumerate(recs[0]["similarity"]["tau"].values):
                k = stats([r["similarity"]["merge_k"].values[j] for r in recs])
                k_large = stats(
                    [final_clusters(r["dynamics"], float(tau), large=True) for r in recs]
                )
                dacc = stats([r["similarity"]["merge_relative_change"].values[j] for r in recs])
                rows.append(
                    {
                        "sigma0": sigma,
                        "N": N,
                        "tau": float(tau),
                        "n_seeds": len(recs),
                        "k_mean": k[0],
                        "k_std": k[1],
                        "k_large_mean": k_large[0],
                        "k_large_std": k_large[1],
                        "delta_acc_mean": dacc[0],
                        "delta_acc_std": dacc[1],
                    }
                )
    return rows


def write_rows_csv(rows, fields, out_csv):
    """The race tables' CSV: ``fields`` of every row, floats to 6 significant digits,
    written atomically."""
    with atomic_path(out_csv) as tmp:
        with open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            for r in rows:
                w.writerow(
                    {k: (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k]) for k in fields}
                )
