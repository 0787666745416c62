"""Training length and weight-dump schedule of race runs (pure; the plan uses them)."""

import numpy as np


def steps_per_epoch(n, batch_size):
    if n % batch_size:
        raise ValueError(f"N = {n} must be a multiple of the batch size {batch_size}")
    return n // batch_size


def resolve_total_steps(n, batch_size, epochs=None, steps=None):
    """Training length in SGD steps from exactly one of epochs / steps."""
    if (epochs is None) == (steps is None):
        raise ValueError("give exactly one of epochs and steps")
    if steps is not None:
        return int(steps)
    return int(round(epochs * steps_per_epoch(n, batch_size)))


def checkpoint_steps(total_steps, dense_until, dense_every, n_log):
    """Dump steps: every ``dense_every`` steps up to ``dense_until``, then ``n_log``
    log-spaced steps up to ``total_steps``. Sorted, unique, includes 0 and the last."""
    total_steps = int(total_steps)
    dense_until = min(int(dense_until), total_steps)
    steps = set(range(0, dense_until + 1, max(1, int(dense_every))))
    if n_log > 0 and total_steps > dense_until:
        start = max(dense_until, 1)
        steps.update(int(round(s)) for s in np.geomspace(start, total_steps, int(n_log) + 1)[1:])
    steps.update({0, total_steps})
    return sorted(s for s in steps if 0 <= s <= total_steps)
