"""Checkpoints + data -> the WTM cube (epoch x neuron x sample), one checkpoint at a time.

Per recorded epoch k, neuron i, sample j:
  preactivation[k, i, j]      z = (W1_k)_i . x_j
  dloss_dactivation[k, i, j]  dl_j/da_i = (sigmoid(o_j) - y_j) * w2_i   (per-sample BCE)
plus per-sample logits and losses. Neurons are the ``neurons`` most influential ones
(largest |w2| after training; 0 = all), ordered by influence rank.
"""

import logging

import numpy as np
import torch
import torch.nn.functional as F

from ..progress import progress
from ..store.checkpoints import list_checkpoints, load_checkpoint, load_steps
from ..store.cube import CubeWriter
from .network import forward_parts, weights

log = logging.getLogger(__name__)


def sample_table(train, test):
    """Concatenate the train and test splits with their per-sample coordinates."""
    parts = {"train": train, "test": test}
    x = np.concatenate([p["x"] for p in parts.values()])
    coords = {
        "split": np.concatenate([[name] * len(p["x"]) for name, p in parts.items()]).astype(str),
        "class": np.concatenate([p["y"] for p in parts.values()]).astype(np.int64),
        "pattern": np.concatenate([p["pattern"] for p in parts.values()]).astype(np.int64),
        "difficulty": np.concatenate([p["difficulty"] for p in parts.values()]).astype(np.float32),
    }
    return x.astype(np.float32), coords


def subsample_per_pattern(arrays, per_pattern):
    """The first ``per_pattern`` samples of every pattern (0 = all); keeps cubes small."""
    if not per_pattern:
        return arrays
    keep = np.concatenate(
        [np.flatnonzero(arrays["pattern"] == p)[:per_pattern] for p in np.unique(arrays["pattern"])]
    )
    return {
        k: (v[keep] if k in ("x", "y", "pattern", "difficulty") else v) for k, v in arrays.items()
    }


def influence_order(w2, n_keep):
    """Neuron indices by decreasing |w2| (the paper's 'most influential'); first n_keep."""
    order = np.argsort(-np.abs(w2), kind="stable")
    return order if n_keep in (0, None) else order[:n_keep]


SAMPLE_ATTRS = {
    "split": {"description": "train or test split the sample belongs to"},
    "class": {"description": "binary class label y", "units": "1"},
    "pattern": {"description": "index of the hidden pattern (cluster) the sample was drawn from"},
    "difficulty": {
        "description": "d(x) = <x, sum of other-class centroids> - <x, sum of own-class centroids>; > 0 is difficult",
        "units": "a.u.",
    },
}


def extract(
    ckpt_dir,
    train_arrays,
    test_arrays,
    activation,
    n_neurons,
    out_path,
    attrs,
    train_per_pattern=0,
    show_progress=True,
):
    found = list_checkpoints(ckpt_dir)
    w2_final = weights(load_checkpoint(found[-1][1])["model"])[1].numpy()
    keep = influence_order(w2_final, n_neurons)
    x, coords = sample_table(subsample_per_pattern(train_arrays, train_per_pattern), test_arrays)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(coords["class"]).float()
    is_train = coords["split"] == "train"
    S, K = len(x), len(keep)
    cube_coords = {
        "sample": (
            ("sample",),
            np.arange(S),
            {"description": "sample index (train first, then test)"},
        ),
        "neuron": (
            ("neuron",),
            keep.astype(np.int64),
            {"description": "index of the hidden neuron in W1"},
        ),
        "influence_rank": (
            ("neuron",),
            np.arange(K),
            {"description": "rank by |output weight| after training (0 = most influential)"},
        ),
        "output_weight": (
            ("neuron",),
            w2_final[keep].astype(np.float32),
            {"description": "output weight w2 after training", "units": "a.u."},
        ),
        **{name: (("sample",), values, SAMPLE_ATTRS[name]) for name, values in coords.items()},
    }
    E, N, Sd = "epoch", "neuron", "sample"
    variables = {
        "preactivation": (
            (E, N, Sd),
            "f4",
            {"long_name": "hidden pre-activation z = W1 x", "units": "a.u."},
        ),
        "dloss_dactivation": (
            (E, N, Sd),
            "f4",
            {
                "long_name": "per-sample dL/da of the hidden activation a = act(z)",
                "units": "1/a.u.",
                "description": "(sigmoid(o) - y) * w2 for the per-sample BCE loss (not divided by the batch size)",
            },
        ),
        "logit": ((E, Sd), "f4", {"long_name": "output logit o", "units": "a.u."}),
        "loss": ((E, Sd), "f4", {"long_name": "per-sample binary cross-entropy", "units": "nats"}),
        "train_loss": (
            (E,),
            "f4",
            {"long_name": "mean BCE over the recorded train samples", "units": "nats"},
        ),
        "train_accuracy": (
            (E,),
            "f4",
            {"long_name": "accuracy on the recorded train samples", "units": "1"},
        ),
        "test_accuracy": ((E,), "f4", {"long_name": "accuracy on the test split", "units": "1"}),
    }
    with CubeWriter(
        out_path,
        grow_dim=E,
        grow_dtype="i4",
        sizes={N: K, Sd: S},
        coords=cube_coords,
        variables=variables,
        attrs=attrs,
        expected_length=len(found),
    ) as cube:
        checkpoints = load_steps(ckpt_dir)
        for _, ckpt in progress(
            checkpoints, desc="extract", unit="checkpoint", enabled=show_progress, total=len(found)
        ):
            W1, w2 = weights(ckpt["model"])
            z, logits = forward_parts(W1, w2, xt, activation)
            losses = F.binary_cross_entropy_with_logits(logits, yt, reduction="none")
            residual = torch.sigmoid(logits) - yt  # dl_j/do_j
            correct = ((logits > 0).float() == yt).numpy()
            cube.append(
                round(ckpt["epoch"]),  # whole epochs: the cube's coordinate
                preactivation=z[:, keep].T.numpy(),
                dloss_dactivation=(w2[keep][:, None] * residual[None, :]).numpy(),
                logit=logits.numpy(),
                loss=losses.numpy(),
                train_loss=losses.numpy()[is_train].mean(),
                train_accuracy=correct[is_train].mean(),
                test_accuracy=correct[~is_train].mean(),
            )
    log.info("wrote %s: %d epochs x %d neurons x %d samples", out_path, len(found), K, S)
