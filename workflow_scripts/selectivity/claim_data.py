"""What the selectivity claims read: the run cubes and their seed-stacked numbers.

``open_inputs`` is the claims' ``load``: the claims rule's inputs (``baseline``: the
unregularised runs, one per seed; ``regularised``: the regulariser runs and the
unregularised reference of a regulariser seed that is no baseline seed) and the claims
options (``figure_specs.ClaimsOptions``). A claim whose inputs cannot measure it by design (no
checkpoint in the first epoch, a module not ablated) raises ``NotMeasured`` here.
"""

import numpy as np
import xarray as xr

from ..claims import NotMeasured
from ..specs import from_params
from ..store.cube import open_cube
from . import metrics
from .figure_specs import ClaimsOptions

UNREGULARISED = "none"


def open_inputs(inputs, options):
    return {
        "baseline": [open_cube(p) for p in _paths(inputs["baseline"])],
        "regularised": [open_cube(p) for p in _paths(inputs["regularised"])],
        "options": from_params(ClaimsOptions, options),
    }


def _paths(value):
    return [value] if isinstance(value, str) else list(value)


def r(x):
    return round(float(x), 3)


def epoch_batches(ctx):
    return metrics.batches_per_epoch(ctx["baseline"][0])


def seed_si(ctx, var="si"):
    """(seed, checkpoint, module) mean SI over live units."""
    return xr.concat([metrics.module_si(ds, var) for ds in ctx["baseline"]], dim="seed")


def seed_cka(ctx, source, target):
    """(seed, checkpoint) CKA between the layers ``source(ds)`` and ``target(ds)``."""
    pairs = [metrics.cka(ds, source(ds), target(ds)) for ds in ctx["baseline"]]
    return xr.concat(pairs, dim="seed")


def first_epoch(da, batches_per_epoch):
    """``da`` at the checkpoints of the first epoch after the initialisation."""
    steps = [s for s in da["checkpoint"].values if 0 < s <= batches_per_epoch]
    if not steps:
        raise NotMeasured("no checkpoint within the first epoch (selectivity.checkpoints)")
    return da.sel(checkpoint=steps)


def epoch_one_on(da, batches_per_epoch):
    steps = [s for s in da["checkpoint"].values if s >= batches_per_epoch]
    if not steps:
        raise NotMeasured("no checkpoint from epoch 1 on (selectivity.checkpoints)")
    return da.sel(checkpoint=steps)


def spike(ctx, module):
    """Per seed: (init, early peak, end) of a module's mean SI."""
    si = seed_si(ctx).sel(module=module)
    peak = first_epoch(si, epoch_batches(ctx)).max("checkpoint")
    return si.isel(checkpoint=0), peak, si.isel(checkpoint=-1)


def ablation_auc(ctx, needs):
    """(seed, checkpoint, ablated_module, order) AUC, the initialisation dropped; the
    claim ``needs`` these modules ablated."""
    ablated = set(ctx["baseline"][0]["ablated_module"].values.tolist())
    missing = sorted(set(needs) - ablated)
    if missing:
        raise NotMeasured(f"module(s) {missing} not ablated (selectivity.ablation.modules)")
    a = xr.concat([metrics.ablation_auc(ds) for ds in ctx["baseline"]], dim="seed")
    return a.sel(checkpoint=[s for s in a["checkpoint"].values if s > 0])


def reg_groups(ctx):
    """{'none' or onset: {seed: cube}} of the regulariser seeds."""
    seeds = set(ctx["options"].seeds)
    groups = {}
    for ds in ctx["baseline"] + ctx["regularised"]:
        lab = metrics.run_labels(ds)
        if lab["seed"] in seeds:
            key = UNREGULARISED if lab["alpha"] == 0 else lab["onset"]
            groups.setdefault(key, {})[lab["seed"]] = ds
    return groups


def final_accuracy(runs):
    """Final held-out (probe) accuracy, mean over the runs ``{seed: cube}``."""
    return float(np.mean([metrics.final(ds["accuracy"]) for ds in runs.values()]))


def final_si(runs, modules):
    """Mean SI of ``modules`` at the last checkpoint, mean over the runs ``{seed: cube}``."""
    last = [
        metrics.module_si(ds).isel(checkpoint=-1).sel(module=list(modules)) for ds in runs.values()
    ]
    return float(np.mean([s.mean() for s in last]))


def setting(options):
    """The regulariser setting a claim reports with its numbers."""
    return {"alpha": options.alpha, "modules": list(options.modules)}
