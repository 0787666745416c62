"""The regulariser claims (figs 6 and 7): each regulariser run against the unregularised
run of the same seed, at the regulariser runs' last checkpoint (``claim_data.reg_end``;
``regularizer.epochs`` may end them before the baseline runs end). Accuracies are on the
test images (``data.n_test``), their intervals join the spread over seeds and the binomial
error of the images (``claim_data.accuracy_difference``). Declared in ``claims.py``."""

from ..claims import NotMeasured, Result
from .claim_data import (
    UNREGULARISED,
    accuracy_check,
    final_si,
    mean_check,
    r,
    reg_end,
    reg_groups,
    setting,
    test_accuracy,
)

HURTS = 0.01  # accuracy cost of regularising from the start (the paper: "impairs")
AS_WELL = 0.01  # "about as well as unregularised" (fig6)
SIMILAR = 0.015  # "performed similarly" (fig7)


def _groups(ctx):
    """({'none' or onset: {seed: cube}} restricted to the seeds every group has, end step)."""
    groups = reg_groups(ctx)
    seeds = set.intersection(*(set(runs) for runs in groups.values()))
    groups = {k: {s: runs[s] for s in sorted(seeds)} for k, runs in groups.items()}
    return groups, reg_end(groups)


def suppresses_selectivity(ctx):
    (g, end), opts = _groups(ctx), ctx["options"]
    free, reg = final_si(g[UNREGULARISED], opts.modules, end), final_si(g[0.0], opts.modules, end)
    ratio = reg / free
    values = {
        "unregularised": [r(v) for v in free],
        "regularised from the start": [r(v) for v in reg],
        "ratio": [r(v) for v in ratio],
        "at batch": end,
    }
    return Result(
        {**values, **setting(opts)},
        checks=[mean_check("regularised / unregularised SI", ratio, 0.5, "below")],
    )


def _accuracies(g, end):
    acc, images = {}, set()
    for key, runs in g.items():
        acc[key], n = test_accuracy(runs, end)
        images.add(n)
    if len(images) != 1:
        raise ValueError(f"runs measured on different numbers of test images: {sorted(images)}")
    return acc, images.pop()


def from_start_hurts(ctx):
    (g, end), opts = _groups(ctx), ctx["options"]
    acc, n = _accuracies(g, end)
    free, start, later = acc[UNREGULARISED], acc[0.0], acc[opts.later_onset]
    values = {
        "unregularised": [r(v) for v in free],
        "from the start": [r(v) for v in start],
        f"from {opts.onset_unit} {opts.later_onset:g}": [r(v) for v in later],
        "at batch": end,
        "test images": n,
    }
    checks = [
        accuracy_check("later onset - from the start", later, start, n, HURTS, "above"),
        accuracy_check("later onset - unregularised", later, free, n, -AS_WELL, "above"),
        accuracy_check("later onset - unregularised", later, free, n, AS_WELL, "below"),
    ]
    return Result({**values, **setting(opts)}, checks=checks)


def only_the_first_onset_hurts(ctx):
    (g, end), opts = _groups(ctx), ctx["options"]
    if not any(o > 0 for o in opts.onsets):
        raise NotMeasured("selectivity.regularizer.onsets holds no onset after 0")
    acc, n = _accuracies(g, end)
    free, start = acc[UNREGULARISED], acc[0.0]
    values = {"unregularised": r(free.mean()), "at batch": end, "test images": n}
    checks = []
    for onset in sorted(o for o in opts.onsets if o > 0):
        a = acc[onset]
        values[f"onset {onset:g}"] = r(a.mean())
        checks += [
            accuracy_check(f"onset {onset:g} - onset 0", a, start, n, HURTS, "above"),
            accuracy_check(f"onset {onset:g} - unregularised", a, free, n, -SIMILAR, "above"),
            accuracy_check(f"onset {onset:g} - unregularised", a, free, n, SIMILAR, "below"),
        ]
    values["onset 0"] = r(start.mean())
    return Result(values, checks=checks)
