"""Which update method the stacked trainer uses, resolved once (pure; the plan calls it).

``race.train.method: auto`` is a choice made for the machine and the data: the low-rank
window update turns the CPU's many rank-4 updates into a few big matmuls that run near the
BLAS peak (``lowrank``); its dual form (``dual``) computes the same windows from the
training Gram matrix, which costs fewer FLOPs when the training set is small (N < 2 D:
auto takes it up to ``DUAL_MAX_N`` samples); both need unmasked runs. On a GPU and for
masked (IMP) runs the trainer takes the direct per-step update. The methods agree to
float32 rounding, which the loss drop amplifies to ~1e-3 (``stacked``), so they are
different computations: the plan resolves ``auto`` from its device and N, and ids hash the
method the job will run (``TrainSpec.method``).
"""

METHODS = ("direct", "lowrank", "dual")
# auto takes the dual form up to this many training samples: it does 4 B N d FLOP per
# step against the low-rank form's 8 B D d, so it pays for N < 2 D (D = 784 pixels of a
# 28x28 image, fewer after dropping constant ones, 1024 for CIFAR-10)
DUAL_MAX_N = 1024
# Under the direct method W1 is updated at every step: its window is one step whatever
# ``race.train.window`` says, so that the window (a setting of the low-rank method
# only) changes no id of a direct run.
DIRECT_WINDOW = 1
# Steps the direct update advances between the points where the trainer can save a
# resume state (the per-step updates do not depend on how they are grouped): a run
# setting of the trainer, in no id.
DIRECT_BLOCK = 32


def effective_method(method, device, masked=False, n_train=None):
    """``auto`` -> on the CPU without masks ``dual`` for ``n_train`` <= DUAL_MAX_N, else
    ``lowrank``; else ``direct``. An explicit method is kept (``lowrank`` or ``dual``
    with masks is an error)."""
    if method == "auto":
        if device != "cpu" or masked:
            return "direct"
        return "dual" if n_train is not None and n_train <= DUAL_MAX_N else "lowrank"
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use auto, {', '.join(METHODS)}")
    if method != "direct" and masked:
        raise ValueError(f"masked runs need method='direct' (masks break the {method} update)")
    return method


def effective_window(method, window):
    return DIRECT_WINDOW if method == "direct" else int(window)
