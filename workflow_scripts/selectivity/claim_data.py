"""What the selectivity claims read: the run cubes and their seed-stacked numbers.

``open_inputs`` is the claims' ``load``: the claims rule's inputs (``baseline``: the
unregularised runs, one per seed; ``regularised``: the regulariser runs and the
unregularised reference of a regulariser seed that is no baseline seed) and the claims
options (``figure_specs.ClaimsOptions``). A claim whose inputs cannot measure it by design (no
checkpoint in the first epoch, a module not ablated) raises ``NotMeasured`` here.

Every figure a claim checks is a mean over seeds of per-seed values (``seed`` dim), so that
its interval is a t interval over seeds (``claims.stats``); where the paper speaks of a
curve's peak, the peak is that of the seed-MEAN curve (the checkpoint where the plotted
mean is highest), read in every seed at that checkpoint: a mean of per-seed maxima is
higher than the plotted curve ever gets.
"""

import numpy as np
import xarray as xr

from ..claims import Check, NotMeasured
from ..claims import stats as st
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


def per_seed(da):
    """A (seed,) DataArray as a tuple of floats (a Check's ``per_seed``)."""
    return tuple(float(v) for v in np.asarray(da, dtype=np.float64).ravel())


def mean_check(name, values, threshold, side="above"):
    """A check of the mean over seeds of ``values`` (one per seed), t interval."""
    values = per_seed(values)
    return Check(name, st.mean_over_seeds(values), threshold, side, per_seed=values)


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


def early_peak(curves, batches_per_epoch):
    """(step, per-seed values) at the first-epoch checkpoint where the seed-mean of
    ``curves`` (seed, checkpoint) is highest."""
    early = first_epoch(curves, batches_per_epoch)
    step = int(early["checkpoint"].values[int(np.argmax(early.mean("seed").values))])
    return step, curves.sel(checkpoint=step)


def spike(curves, batches_per_epoch):
    """Per seed (init, early peak of the seed-mean curve, end) and the peak's step."""
    step, peak = early_peak(curves, batches_per_epoch)
    return curves.isel(checkpoint=0), peak, curves.isel(checkpoint=-1), step


def ablation_auc(ctx, needs):
    """(seed, checkpoint, ablated_module, order) AUC at the ablated checkpoints (the
    initialisation and checkpoints left out by ``ablation.checkpoints`` dropped); the
    claim ``needs`` these modules ablated."""
    ablated = set(ctx["baseline"][0]["ablated_module"].values.tolist())
    missing = sorted(set(needs) - ablated)
    if missing:
        raise NotMeasured(f"module(s) {missing} not ablated (selectivity.ablation.modules)")
    a = xr.concat([metrics.ablation_auc(ds) for ds in ctx["baseline"]], dim="seed")
    measured = a.notnull().all(["seed", "ablated_module", "order"])
    return a.sel(checkpoint=a["checkpoint"].values[measured.values])


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


def reg_end(groups):
    """The last checkpoint of the regulariser runs: where they are compared with the
    unregularised runs of the same seeds (which may train longer). The runs are told
    apart by their own labels, not by the groups' keys (the figures name them otherwise)."""
    ends = {int(ds["checkpoint"].values[-1]) for runs in groups.values() for ds in runs.values()
            if metrics.run_labels(ds)["alpha"] != 0}  # fmt: skip
    if len(ends) != 1:
        raise ValueError(f"the regulariser runs end at different checkpoints: {sorted(ends)}")
    return ends.pop()


def test_accuracy(runs, step):
    """(per-seed accuracy on the test images at ``step``, seeds in order; images per
    seed): the test accuracy the extraction measures at the regulariser runs' end."""
    acc, images = [], set()
    for seed in sorted(runs):
        row = runs[seed].sel(checkpoint=step)
        acc.append(float(row["test_accuracy"]))
        images.add(int(row["test_images"]))
    if len(images) != 1 or 0 in images:
        raise ValueError(
            f"checkpoint {step}: test accuracies on unequal or no image counts {sorted(images)}"
        )
    return np.asarray(acc), images.pop()


def accuracy_difference(a, b, n_images):
    """mean(a - b) of paired per-seed accuracies, each on ``n_images`` images: the union of
    the paired t interval over seeds and Newcombe's interval for a difference of two
    proportions (method 10 of Newcombe 1998: from the two Wilson intervals of the pooled
    images; scipy has no interval for a difference of proportions; it treats the two as
    independent samples, which is conservative for the same images)."""
    seeds = st.paired_difference(a, b)
    pa, pb = (st.proportion(round(float(v.sum()) * n_images), len(v) * n_images) for v in (a, b))
    d = pa.value - pb.value
    low = d - np.hypot(pa.value - pa.low, pb.high - pb.value)
    high = d + np.hypot(pa.high - pa.value, pb.value - pb.low)
    return st.Estimate(
        seeds.value,
        min(seeds.low, float(low)),
        max(seeds.high, float(high)),
        len(a),
        f"seeds x {n_images} images",
        "union of the paired seed t interval and Newcombe's interval of the pooled images",
    )


def accuracy_check(name, a, b, n_images, threshold, side):
    """A check of the accuracy difference a - b (paired seeds) against ``threshold``."""
    diff = tuple(float(v) for v in np.asarray(a) - np.asarray(b))
    return Check(name, accuracy_difference(a, b, n_images), threshold, side, per_seed=diff)


def final_si(runs, modules, step):
    """Per seed (seeds in order): mean SI of ``modules`` at ``step``."""
    return np.asarray(
        [
            float(metrics.module_si(runs[s]).sel(checkpoint=step, module=list(modules)).mean())
            for s in sorted(runs)
        ]
    )


def setting(options):
    """The regulariser setting a claim reports with its numbers."""
    return {"alpha": options.alpha, "modules": list(options.modules)}
