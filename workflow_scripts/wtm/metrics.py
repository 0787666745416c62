"""Pure functions on WTM cubes (xarray Datasets): the quantities the figures plot and
the claims tests check. Nothing here reads or writes files."""

import numpy as np
import xarray as xr


def select_split(ds, split):
    return ds.isel(sample=np.flatnonzero(ds["split"].values == split))


def pattern_classes(ds):
    """Class of each pattern, as a DataArray over ``pattern``."""
    cls = ds["class"].groupby(ds["pattern"]).first()
    return cls.astype(int)


def pattern_mean(da):
    """Average of a (..., sample) variable over the samples of each pattern."""
    return da.groupby("pattern").mean("sample")


def negative_class(ds, split="train"):
    """Per neuron, the class whose mean dL/da over training is negative.

    Those samples are pushed towards larger activations: the class subject to WTM.
    """
    sub = select_split(ds, split)
    per_class = sub["dloss_dactivation"].groupby("class").mean(("sample", "epoch"))
    return per_class.argmin("class").rename("negative_class")


def wtm_spread(ds, n_neurons=5, k=3, split="train"):
    """Top-k minus bottom-k pattern mean pre-activation, per epoch, in the n most
    influential neurons, for the negative-dL/da class and for the other class.

    Returns a Dataset with ``negative`` and ``positive`` over (epoch, neuron).
    """
    sub = select_split(ds, split).isel(neuron=slice(0, n_neurons))
    means = pattern_mean(sub["preactivation"])  # epoch, neuron, pattern
    classes = pattern_classes(sub)
    neg = negative_class(sub, split)
    out = {"negative": [], "positive": []}
    for i in range(sub.sizes["neuron"]):
        for key, cls in (("negative", int(neg[i])), ("positive", 1 - int(neg[i]))):
            pats = classes["pattern"].values[classes.values == cls]
            vals = np.sort(means.isel(neuron=i).sel(pattern=pats).values, axis=-1)
            out[key].append(vals[:, -k:].mean(-1) - vals[:, :k].mean(-1))
    coords = {"epoch": sub["epoch"].values, "neuron": sub["neuron"].values}
    return xr.Dataset(
        {key: (("neuron", "epoch"), np.array(v)) for key, v in out.items()}, coords=coords
    ).transpose("epoch", "neuron")


def mean_sign_dloss(ds, split="train"):
    """Average over training (epochs and samples) of sign(dL/da), per neuron and pattern."""
    sub = select_split(ds, split)
    return pattern_mean(np.sign(sub["dloss_dactivation"])).mean("epoch")


def difficult_mask(difficulty, fraction):
    """The `fraction` of samples with the largest difficulty coefficient."""
    threshold = np.quantile(difficulty, 1.0 - fraction)
    return difficulty >= threshold, float(threshold)


def loss_share(ds, fraction):
    """Share of the total training loss held by the difficult group, per epoch."""
    sub = select_split(ds, "train")
    hard, threshold = difficult_mask(sub["difficulty"].values, fraction)
    loss = sub["loss"]
    share = loss.isel(sample=np.flatnonzero(hard)).sum("sample") / loss.sum("sample")
    return share.rename("difficult_share"), threshold


def first_epoch_above(series, level=0.5):
    """First epoch at which a per-epoch series reaches `level` (None if never)."""
    above = np.flatnonzero(series.values >= level)
    return int(series["epoch"].values[above[0]]) if above.size else None


def final_test_accuracy(ds):
    return float(ds["test_accuracy"].isel(epoch=-1))


def single_class_prediction(ds):
    """True when the final model predicts one class for every test sample (logit > 0 is
    class 1): a degenerate run, e.g. one hidden neuron whose output weight Layca cannot
    rotate and that starts negative, so the logit can never be positive."""
    test = select_split(ds, "test")
    predicted = test["logit"].isel(epoch=-1).values > 0
    return bool(predicted.all() or not predicted.any())


def run_seed(ds):
    """The training seed of the run a cube was extracted from."""
    from ..store.cube import cube_config

    return int(cube_config(ds)["run"]["train"]["seed"])
