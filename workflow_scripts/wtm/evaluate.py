"""Final-checkpoint test accuracy at several test noise levels (a small cube per run)."""

import numpy as np
import torch

from ..store.checkpoints import list_checkpoints, load_checkpoint
from ..store.cube import CubeWriter
from .network import forward_parts, weights


def accuracy(W1, w2, x, y, activation):
    _, logits = forward_parts(W1, w2, torch.from_numpy(x), activation)
    return float(((logits > 0).numpy() == y.astype(bool)).mean())


def evaluate(ckpt_dir, test_sets, activation, out_path, attrs):
    """test_sets: list of (sigma_test, arrays); writes accuracy over dim sigma_test."""
    W1, w2 = weights(load_checkpoint(list_checkpoints(ckpt_dir)[-1][1])["model"])
    rows = sorted(
        (sigma, accuracy(W1, w2, a["x"], a["y"], activation), len(a["y"])) for sigma, a in test_sets
    )
    with CubeWriter(
        out_path,
        grow_dim="sigma_test",
        grow_dtype="f8",
        sizes={},
        coords={},
        attrs=attrs,
        variables={
            "test_accuracy": (
                ("sigma_test",),
                "f4",
                {"long_name": "test accuracy of the final weights", "units": "1"},
            ),
            "test_samples": (
                ("sigma_test",),
                "i4",
                {"long_name": "number of test samples the accuracy is measured on", "units": "1"},
            ),
        },
    ) as cube:
        for sigma, acc, n in rows:
            cube.append(np.float64(sigma), test_accuracy=acc, test_samples=n)
