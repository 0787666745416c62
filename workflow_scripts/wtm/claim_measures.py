"""What the wtm claims measure on a run's cubes (one per seed), with their intervals.

``claims.py`` states the claims and their thresholds; the numbers come from here.
"""

import math

from ..claims.stats import Estimate, accuracy_over_seeds, mean_over_seeds
from . import metrics


def spread_of_run(ds):
    """WTM spread of one run (``metrics.wtm_spread``: top-3 minus bottom-3 pattern mean
    pre-activation, 5 most influential neurons): growth from the first to the last
    recorded epoch in the class whose mean dL/da is negative (mean over the neurons), the
    other class's growth, the weakest neuron's growth, and the spread at start and end."""
    spread = metrics.wtm_spread(ds, n_neurons=5, k=3)
    neg, pos = spread["negative"], spread["positive"]
    first, last = neg.isel(epoch=0), neg.isel(epoch=-1)
    return {
        "growth": float(last.mean() / first.mean()),
        "other": float(pos.isel(epoch=-1).mean() / pos.isel(epoch=0).mean()),
        "weakest": float((last / first).min()),
        "start": float(first.mean()),
        "end": float(last.mean()),
    }


def n_test_images(ds):
    return int(metrics.select_split(ds, "test").sizes["sample"])


def runs_by_name(cubes):
    """{run name: summary over its seeds}, in input order. A summary holds ``seeds``,
    ``trained`` (seeds that predict both classes) and ``degenerate`` (the others'
    seeds), ``w2_negative`` (every degenerate seed has one negative output weight), and
    over the trained seeds: ``accuracy`` (final test accuracy, seed t and binomial
    intervals), ``spread growth`` (``spread_of_run``, t interval) and its per-seed
    values; ``accuracy with every seed`` counts the degenerate seeds too."""
    grouped = {}
    for ds in cubes:
        grouped.setdefault(ds.attrs["run_name"], []).append(ds)
    return {name: _summary(runs) for name, runs in grouped.items()}


def _summary(runs):
    bad = [metrics.single_class_prediction(ds) for ds in runs]
    trained = [ds for ds, b in zip(runs, bad) if not b]
    degenerate = [ds for ds, b in zip(runs, bad) if b]
    images = n_test_images(runs[0])
    row = {
        "seeds": len(runs),
        "trained": len(trained),
        "degenerate": [metrics.run_seed(ds) for ds in degenerate],
        "w2_negative": all(
            len(w2 := ds["output_weight"].values) == 1 and w2[0] < 0 for ds in degenerate
        ),
        "accuracy with every seed": accuracy_over_seeds(
            [metrics.final_test_accuracy(ds) for ds in runs], images
        ),
    }
    if trained:
        row["accuracy by seed"] = [metrics.final_test_accuracy(ds) for ds in trained]
        row["accuracy"] = accuracy_over_seeds(row["accuracy by seed"], images)
        # undefined (nan) where a class has too few patterns for a top-3 and a bottom-3
        growth = [g for g in (spread_of_run(ds)["growth"] for ds in trained) if math.isfinite(g)]
        row["spread growth by seed"] = growth
        row["spread growth"] = mean_over_seeds(growth) if growth else None
    return row


def accuracy_difference(a, b):
    """a - b of two accuracy estimates, with the widest interval their intervals allow
    (a.low - b.high, a.high - b.low): conservative, since both were measured on the same
    test images and their errors partly cancel."""
    return Estimate(
        a.value - b.value,
        a.low - b.high,
        a.high - b.low,
        min(a.n, b.n),
        a.unit,
        "difference of the two intervals",
    )


def degenerate_note(runs):
    notes = [
        f"{name} {len(r['degenerate'])} of {r['seeds']} (seeds "
        f"{', '.join(map(str, r['degenerate']))}"
        + ("; frozen output weight < 0" if r["w2_negative"] else "")
        + ")"
        for name, r in runs.items()
        if r["degenerate"]
    ]
    return "; ".join(notes) or "none"
