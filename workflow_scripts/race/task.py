"""How hard the race study's task is: the task table (``task.csv``) beside Table 1.

The paper's task (binary grayscale CIFAR-10, airplane + cat vs car + bird) is a hard one:
at N = 200, small init, d = 300 its training loss drops around t = 300 (Fig. 1a). To
compare a Fashion-MNIST grouping with it, this table gives per (sigma0, N) cell of the
grid, over its seeds (the runs Table 1 reads):

- the final test accuracy (the last dumped step): mean and its 95 % t interval over
  seeds (``claims.stats.mean_over_seeds``; one seed: an unbounded interval);
- the training loss at step 0 and at the end: means over seeds;
- the loss-drop step. Per run: the first dumped step (the dynamics cube's ``time``) at
  which ``train_loss`` is at most half its value at step 0; NaN when it never is. Its
  resolution is the dump schedule (``race.checkpoints``; default: every 50 steps up to
  step 1000, log-spaced after), so the loss crossed half its initial value somewhere in
  (previous dump, loss-drop step]. Reported as the median and the min-max over the runs
  whose loss dropped, with their number (``n_loss_dropped``): a run that never drops has
  no step to enter a median. (Fig 3b's "before the loss drop" snapshot uses another mark,
  relative to each run's lowest loss: ``extract.before_drop_index``.)
"""

import numpy as np

from ..claims.stats import mean_over_seeds
from .records import select, sorted_unique, write_rows_csv

DROP_FRACTION = 0.5  # "the loss drops": it falls to at most half its value at step 0

FIELDS = [
    "sigma0",
    "N",
    "n_seeds",
    "test_accuracy_mean",
    "test_accuracy_low",
    "test_accuracy_high",
    "train_loss_start_mean",
    "train_loss_end_mean",
    "loss_drop_step_median",
    "loss_drop_step_min",
    "loss_drop_step_max",
    "n_loss_dropped",
]


def _start_loss(dyn, run_id):
    if int(dyn["time"].values[0]) != 0:
        raise ValueError(
            f"run {run_id}: its first dumped step is {int(dyn['time'].values[0])}, not 0; "
            "the loss-drop step is relative to the loss at step 0"
        )
    return float(dyn["train_loss"].values[0])


def loss_drop_step(dyn, fraction=DROP_FRACTION, run_id="?"):
    """The first dumped step at which ``train_loss`` <= ``fraction`` x its value at step 0
    (NaN when it never is; a NaN loss never counts as dropped)."""
    loss = np.asarray(dyn["train_loss"].values, dtype=np.float64)
    below = np.flatnonzero(loss <= fraction * _start_loss(dyn, run_id))
    return float(dyn["time"].values[below[0]]) if len(below) else float("nan")


def task_rows(records, fraction=DROP_FRACTION):
    """One row (a dict with ``FIELDS``) per (sigma0, N) of the records' dynamics cubes."""
    rows = []
    for sigma in sorted_unique(records, "sigma0"):
        for N in sorted_unique(select(records, sigma0=sigma), "N"):
            recs = [r for r in select(records, sigma0=sigma, N=N) if "dynamics" in r]
            dyns = [(r.get("run_id", "?"), r["dynamics"]) for r in recs]
            acc = mean_over_seeds([float(d["test_accuracy"].values[-1]) for _, d in dyns])
            drops = np.array([loss_drop_step(d, fraction, run_id) for run_id, d in dyns])
            dropped = drops[np.isfinite(drops)]
            nan = float("nan")
            rows.append(
                {
                    "sigma0": sigma,
                    "N": N,
                    "n_seeds": len(recs),
                    "test_accuracy_mean": acc.value,
                    "test_accuracy_low": acc.low,
                    "test_accuracy_high": acc.high,
                    "train_loss_start_mean": float(
                        np.mean([_start_loss(d, run_id) for run_id, d in dyns])
                    ),
                    "train_loss_end_mean": float(
                        np.mean([float(d["train_loss"].values[-1]) for _, d in dyns])
                    ),
                    "loss_drop_step_median": float(np.median(dropped)) if len(dropped) else nan,
                    "loss_drop_step_min": float(dropped.min()) if len(dropped) else nan,
                    "loss_drop_step_max": float(dropped.max()) if len(dropped) else nan,
                    "n_loss_dropped": len(dropped),
                }
            )
    return rows


def task_table(records, out_csv, fraction=DROP_FRACTION):
    """Write ``task_rows(records)`` to ``out_csv`` (floats to 6 significant digits; NaN
    where no run's loss dropped, -inf/inf for the interval of one seed); return the rows."""
    rows = task_rows(records, fraction)
    write_rows_csv(rows, FIELDS, out_csv)
    return rows
