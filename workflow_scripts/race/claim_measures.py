"""What the race claims measure, with their intervals: the claims' inputs (``open_inputs``,
the claims' ``load``), per-seed values of the cubes, differences between sets of runs, the
growth checks of the cluster counts and the accuracy change of merging (``race.claims``)."""

import numpy as np
from scipy.stats import spearmanr

from ..claims import Check, stats
from . import records as rec


def by_seed(records, value):
    """[value(record)] in seed order."""
    return [value(r) for r in sorted(records, key=lambda r: r["seed"])]


def cells(records):
    """[(sigma0, N, records of that cell)] of a grid, in (sigma0, N) order."""
    return [
        (s, n, rec.select(records, sigma0=s, N=n))
        for s in rec.sorted_unique(records, "sigma0")
        for n in rec.sorted_unique(rec.select(records, sigma0=s), "N")
    ]


def cell_name(sigma0, n):
    return f"sigma0 {sigma0:g} N={n}"


def spearman_final_norm(dyn, step):
    """Spearman correlation between the final norm product a and cos(delta) at ``step``
    (nearest recorded time), over neurons with a finite cos(delta)."""
    i = rec.time_index(dyn, step)
    cos, final = dyn["cos_delta"].values[i], dyn["final_norm_product"].values
    ok = np.isfinite(cos) & np.isfinite(final)
    return float(spearmanr(cos[ok], final[ok]).statistic) if ok.sum() >= 3 else float("nan")


def difference(high, low, unit="seeds"):
    """mean(high) - mean(low) of two independent sets of runs (Welch's t interval), and
    the per-seed differences by index (their spread is that of the difference of the two
    means, for ``seeds_needed``). No spread on either side: the interval is the value."""
    high, low = np.asarray(high, dtype=np.float64), np.asarray(low, dtype=np.float64)
    if len(high) > 1 and len(low) > 1 and high.std() == 0 and low.std() == 0:
        diff = float(high.mean() - low.mean())
        est = stats.Estimate(diff, diff, diff, min(len(high), len(low)), unit, "no spread")
    else:
        est = stats.difference_of_means(high, low, unit)
    n = min(len(high), len(low))
    return est, tuple(float(x) for x in high[:n] - low[:n])


def clusters_by_n(records, tau, large=False):
    """{N: [clusters at the end, by seed]} over the records."""
    return {
        n: by_seed(
            rec.select(records, N=n), lambda r: rec.final_clusters(r["dynamics"], tau, large)
        )
        for n in rec.sorted_unique(records, "N")
    }


def means(by_key):
    return [round(float(np.mean(v)), 1) for v in by_key.values()]


def merge_numbers(record, tau):
    """(relative change %, gained, lost, correct before merging) of one run at ``tau``."""
    sim = record["similarity"]
    j = int(np.argmin(np.abs(sim["tau"].values - tau)))
    n = int(sim.attrs["merge_n_samples"])
    correct = round(float(sim.attrs["merge_accuracy_original"]) * n)
    return (
        float(sim["merge_relative_change"].values[j]),
        int(sim["merge_gained"].values[j]),
        int(sim["merge_lost"].values[j]),
        correct,
    )


def merge_change(records, tau):
    """The mean relative accuracy change (%) after merging at ``tau`` over the runs, with
    the union of two 95 % intervals (as ``stats.accuracy_over_seeds`` does for
    accuracies): the t interval over the runs, and the paired-sample interval of all runs'
    test images pooled. Merged and original networks are scored on the same images, so
    only the discordant ones (gained G, lost L) carry the change: G of G + L is binomial,
    its Wilson interval [p_lo, p_hi] bounds the pooled change (2p - 1)(G + L) / correct."""
    numbers = [merge_numbers(r, tau) for r in sorted(records, key=lambda r: r["seed"])]
    change = [x[0] for x in numbers]
    seeds = stats.mean_over_seeds(change, unit="runs")
    gained, lost, correct = (sum(x[k] for x in numbers) for k in (1, 2, 3))
    if gained + lost == 0:
        lo = hi = 0.0
    else:
        p = stats.proportion(gained, gained + lost)
        lo, hi = ((2 * q - 1) * (gained + lost) / correct * 100 for q in (p.low, p.high))
    n_images = int(records[0]["similarity"].attrs["merge_n_samples"])
    est = stats.Estimate(
        seeds.value,
        min(seeds.low, lo),
        max(seeds.high, hi),
        seeds.n,
        f"runs x {n_images} images",
        "union of the t interval over runs and the pooled paired-image (Wilson) interval",
    )
    return est, tuple(change)


def open_inputs(inputs, options):
    """The claims' context (``Claims`` load): the options, every run's records (``all``),
    the grid runs at the grid's d, init scales and seeds (``grid``), the d-sweep runs
    (``sweep_runs``) and the stable-cell records (``cells``)."""
    records = rec.load_records(
        dynamics=inputs["dynamics"], similarity=inputs["similarity"], masks=inputs.get("masks", ())
    )
    cell_records = rec.load_records(stable_cells=inputs.get("stable_cells", ()))
    grid_seeds = options.get("seeds")
    grid = [
        r
        for r in records
        if r["d"] == options["d"]
        and any(np.isclose(r["sigma0"], s) for s in options["sigma0"])
        and (grid_seeds is None or r["seed"] in grid_seeds)
    ]
    sweep = options.get("sweep")
    swept = [
        r
        for r in records
        if sweep
        and r["d"] in sweep["hidden"]
        and np.isclose(r["sigma0"], sweep["sigma0"])
        and r["seed"] in sweep["seeds"]
    ]
    return {**options, "grid": grid, "sweep_runs": swept, "all": records, "cells": cell_records}


def small(ctx):
    """The grid runs at the smallest init scale."""
    return rec.select(ctx["grid"], sigma0=min(ctx["sigma0"]))


def growth_checks(ctx, large):
    """One check per d of the d sweep (small init, tau 0.95, end of training): clusters at
    the largest N minus at the smallest (Welch interval over seeds) above 0, or, where the
    count is saturated (the paper: counts grow "until they saturate their capacity",
    d = n_clusters: mean >= 0.9 d at the smallest N), the count at the smallest N above
    0.9 d."""
    runs = ctx["sweep_runs"] or small(ctx)
    values, checks = {}, []
    for d in rec.sorted_unique(runs, "d"):
        by_n = clusters_by_n(rec.select(runs, d=d), 0.95, large=large)
        ns = sorted(by_n)
        values[f"d={d} by N"] = means(by_n)
        lo, hi = by_n[ns[0]], by_n[ns[-1]]
        if np.mean(lo) >= 0.9 * d:
            est = stats.mean_over_seeds(lo)
            checks.append(Check(f"d={d} saturated at N={ns[0]}", est, 0.9 * d, "above"))
            continue
        est, per_seed = difference(hi, lo)
        checks.append(Check(f"d={d}: N={ns[-1]} minus N={ns[0]}", est, 0.0, per_seed=per_seed))
    values["N"] = ns
    return values, checks
