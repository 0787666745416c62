"""Which update method the stacked trainer uses, resolved once (pure; the plan calls it).

``race.train.method: auto`` is a choice made for the machine: the low-rank window update
turns the CPU's many rank-4 updates into a few big matmuls that run near the BLAS peak
(``lowrank``), and needs unmasked runs; on a GPU and for masked (IMP) runs the trainer
takes the direct per-step update. The two agree to float32 rounding, which the loss
drop amplifies to ~1e-3 (``stacked``), so they are different computations: the plan
resolves ``auto`` from its device and ids hash the method the job will run
(``TrainSpec.method``).
"""

METHODS = ("direct", "lowrank")
# Under the direct method W1 is updated at every step: its window is one step whatever
# ``race.train.window`` says, so that the window (a setting of the low-rank method
# only) changes no id of a direct run.
DIRECT_WINDOW = 1
# Steps the direct update advances between the points where the trainer can save a
# resume state (the per-step updates do not depend on how they are grouped): a run
# setting of the trainer, in no id.
DIRECT_BLOCK = 32


def effective_method(method, device, masked=False):
    """``auto`` -> ``lowrank`` on the CPU without masks, else ``direct``; an explicit
    method is kept (``lowrank`` with masks is an error)."""
    if method == "auto":
        return "lowrank" if device == "cpu" and not masked else "direct"
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use auto, {' or '.join(METHODS)}")
    if method == "lowrank" and masked:
        raise ValueError("masked runs need method='direct' (masks break the low-rank update)")
    return method


def effective_window(method, window):
    return int(window) if method == "lowrank" else DIRECT_WINDOW
