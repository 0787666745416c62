"""What a race run's checkpoints hold, and a run's checkpoints read back as one dict.

Each checkpoint is a ``store.checkpoints`` file (``step_<9 digits>.pt``): ``step``, ``epoch``
(fractional: steps / steps per epoch), ``model`` {W1, b1, W2, b2} and, recorded at that
step, ``train_loss`` and ``test_accuracy``, plus ``meta`` (a dict: the run's settings, seed,
init, data). Readers (extraction, IMP) take a run's checkpoints as one dict of stacked
tensors over the recorded steps (``result_dict``), the format an IMP round file holds.
"""

import json

import torch

from ..store.checkpoints import checkpoint_steps, load_steps

WEIGHTS = ("W1", "b1", "W2", "b2")


def entry_of(checkpoint):
    """A checkpoint as one dump entry: the weights, step, train loss, test accuracy."""
    return {
        **checkpoint["model"],
        "step": int(checkpoint["step"]),
        "train_loss": float(checkpoint["train_loss"]),
        "test_accuracy": float(checkpoint["test_accuracy"]),
    }


def result_dict(entries, meta, mask_W1=None, mask_W2=None):
    """Dump entries (step order) as one dict: ``steps`` [T], W1 [T, d, D], ..., losses,
    accuracies, ``meta`` (JSON) and the masks of a masked run."""
    res = {
        "steps": torch.tensor([int(e["step"]) for e in entries], dtype=torch.int64),
        **{k: torch.stack([e[k] for e in entries]) for k in WEIGHTS},
        "train_loss": torch.tensor([e["train_loss"] for e in entries], dtype=torch.float32),
        "test_accuracy": torch.tensor([e["test_accuracy"] for e in entries], dtype=torch.float32),
        "meta": json.dumps(meta, sort_keys=True),
    }
    if mask_W1 is not None:
        res["mask_W1"] = mask_W1.to(torch.bool)
        res["mask_W2"] = mask_W2.to(torch.bool)
    return res


def load_run(directory, ends_only=False):
    """The checkpoints of one run (a directory of ``step_*.pt``) as a ``result_dict``;
    ``ends_only``: the first and the last checkpoint only (what an IMP round reads)."""
    steps = None
    if ends_only:
        every = checkpoint_steps(directory)
        steps = sorted({every[0], every[-1]})
    checkpoints = [checkpoint for _, checkpoint in load_steps(directory, steps)]
    return result_dict([entry_of(c) for c in checkpoints], checkpoints[-1]["meta"])
