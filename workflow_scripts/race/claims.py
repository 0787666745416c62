"""The race paper's claims, measured on the study's cubes (grid, d sweep, IMP, cells).

``results/claims/race.csv`` and the claims tests call these. Inputs
(``RacePlan.claims_inputs``): the dynamics and similarity cubes of every grid and
d-sweep run, the final IMP masks and the stable-cell cubes; options
(``RacePlan.claims_options``): the grid's d, init scales and seeds, the d sweep, and the
early steps of Fig 4 (``early_step``) and Fig 5 (``pruning_step``), as the plan resolved
them for the figures.
"""

import numpy as np
from scipy.stats import spearmanr

from ..claims import Claims, NotMeasured, Result
from . import records as rec


def open_inputs(inputs, options):
    records = rec.load_records(
        dynamics=inputs["dynamics"], similarity=inputs["similarity"], masks=inputs.get("masks", ())
    )
    cells = rec.load_records(stable_cells=inputs.get("stable_cells", ()))
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
    return {**options, "grid": grid, "sweep_runs": swept, "all": records, "cells": cells}


CLAIMS = Claims("race", load=open_inputs)


def small(ctx):
    return rec.select(ctx["grid"], sigma0=min(ctx["sigma0"]))


def spearman_final_norm(dyn, step):
    """Spearman correlation between the final norm product a and cos(delta) at ``step``
    (nearest recorded time), over neurons with a finite cos(delta)."""
    i = rec.time_index(dyn, step)
    cos, final = dyn["cos_delta"].values[i], dyn["final_norm_product"].values
    ok = np.isfinite(cos) & np.isfinite(final)
    return float(spearmanr(cos[ok], final[ok]).statistic) if ok.sum() >= 3 else float("nan")


def clusters_by_n(records, tau, large=False):
    """{N: mean clusters at the end} over the records."""
    return {
        n: float(
            np.mean(
                [rec.final_clusters(r["dynamics"], tau, large) for r in rec.select(records, N=n)]
            )
        )
        for n in rec.sorted_unique(records, "N")
    }


@CLAIMS.claim(
    "few_clusters",
    figure="fig3",
    statement="at small init the neurons align into far fewer clusters than there are neurons",
    threshold="small init, tau 0.95, end of training: clusters over all neurons < d / 2 in "
    "every grid run",
)
def few_clusters(ctx):
    runs = small(ctx)
    counts = [rec.final_clusters(r["dynamics"], 0.95) for r in runs]
    large = [rec.final_clusters(r["dynamics"], 0.95, large=True) for r in runs]
    return Result(
        {
            "clusters (all)": f"{min(counts)}-{max(counts)}",
            "clusters (large neurons)": f"{min(large)}-{max(large)}",
            "d": ctx["d"],
        },
        holds=max(counts) < ctx["d"] / 2,
    )


def growth_with_n(ctx, large):
    """Per d of the d sweep (small init, tau 0.95, end of training, mean over seeds):
    (clusters by N, grows or saturated). Saturated: already >= 90 % of d at the smallest
    N (the paper: counts grow "until they saturate their capacity", d = n_clusters)."""
    runs = ctx["sweep_runs"] or small(ctx)
    out = {}
    for d in rec.sorted_unique(runs, "d"):
        by_n = clusters_by_n(rec.select(runs, d=d), 0.95, large=large)
        ns = sorted(by_n)
        grows = by_n[ns[-1]] > by_n[ns[0]] or by_n[ns[0]] >= 0.9 * d
        out[d] = ([round(by_n[n], 1) for n in ns], grows, ns)
    return out


def _growth_result(out):
    ns = next(iter(out.values()))[2]
    values = {f"d={d} by N": counts for d, (counts, _, _) in out.items()}
    return Result(
        {**values, "N": ns, "d where it grows": _held_of([g for _, g, _ in out.values()])},
        holds=all(g for _, g, _ in out.values()),
    )


def _held_of(flags):
    return f"{sum(flags)} of {len(flags)}"


@CLAIMS.claim(
    "clusters_grow_with_N",
    figure="fig3",
    statement="the number of clusters grows with the number of training samples N, until "
    "it saturates at d",
    threshold="d sweep, small init, tau 0.95, end of training, mean over seeds, all neurons: "
    "for every d more clusters at the largest N than at the smallest, unless already "
    ">= 0.9 d at the smallest",
)
def clusters_grow_with_n(ctx):
    return _growth_result(growth_with_n(ctx, large=False))


@CLAIMS.claim(
    "large_clusters_grow_with_N",
    figure="fig3",
    statement="the number of clusters grows with N (counted among the neurons that carry "
    "weight: a >= rel_threshold of the largest)",
    threshold="as clusters_grow_with_N, on the clusters among the large neurons",
)
def large_clusters_grow_with_n(ctx):
    return _growth_result(growth_with_n(ctx, large=True))


@CLAIMS.claim(
    "medium_init_more_clusters",
    figure="fig3",
    statement="a larger initialisation scale leaves more clusters",
    threshold="mean clusters (all neurons, tau 0.95, end) at the largest init scale above "
    "that at the smallest",
)
def medium_init_more_clusters(ctx):
    means = {
        s: np.mean(
            [rec.final_clusters(r["dynamics"], 0.95) for r in rec.select(ctx["grid"], sigma0=s)]
        )
        for s in ctx["sigma0"]
    }
    lo, hi = min(means), max(means)
    return Result(
        {f"clusters sigma0 {s:g}": float(m) for s, m in sorted(means.items())},
        holds=means[hi] > means[lo],
    )


@CLAIMS.claim(
    "early_alignment_predicts_norm",
    figure="fig4",
    statement="the norm grows exponentially with the alignment: early cos(delta) predicts "
    "the final norm",
    threshold="Spearman(final a, cos delta at the early step) > 0.5 in every grid run and "
    "above its value at t = 0 on average",
)
def early_alignment_predicts_norm(ctx):
    at0 = [spearman_final_norm(r["dynamics"], 0) for r in ctx["grid"]]
    early = [spearman_final_norm(r["dynamics"], ctx["early_step"]) for r in ctx["grid"]]
    return Result(
        {
            "rho at t=0": f"{np.nanmin(at0):.2f}-{np.nanmax(at0):.2f}",
            f"rho at t={ctx['early_step']}": f"{np.nanmin(early):.2f}-{np.nanmax(early):.2f}",
        },
        holds=np.nanmin(early) > 0.5 and np.nanmean(early) > np.nanmean(at0),
    )


@CLAIMS.claim(
    "early_alignment_predicts_pruning",
    figure="fig5",
    statement="early alignment predicts which neurons IMP prunes: well aligned neurons keep "
    "their weights",
    threshold="Spearman(pruned weights per neuron, cos delta at the early step) < -0.3 on "
    "average over the IMP runs, at the lowest sparsity",
)
def early_alignment_predicts_pruning(ctx):
    rhos = {}
    for r in ctx["grid"]:
        i = rec.time_index(r["dynamics"], ctx["pruning_step"])
        cos = r["dynamics"]["cos_delta"].values[i]
        for sparsity, pruned in r.get("pruned", {}).items():
            ok = np.isfinite(cos)
            rhos.setdefault(sparsity, []).append(float(spearmanr(cos[ok], pruned[ok]).statistic))
    if not rhos:  # a config without IMP runs (race.imp.sparsities or .seeds empty)
        raise NotMeasured("no IMP runs are planned (race.imp)")
    means = {s: float(np.nanmean(v)) for s, v in sorted(rhos.items())}
    return Result(
        {f"rho at sparsity {s:g}": m for s, m in means.items()}, holds=means[min(means)] < -0.3
    )


@CLAIMS.claim(
    "merge_099_costs_nothing",
    figure="table1",
    statement="merging each cluster at tau 0.99 into one neuron costs about no accuracy",
    threshold="|relative test accuracy change| < 1 % in every grid run",
)
def merge_099_costs_nothing(ctx):
    change = [abs(_merge_change(r, 0.99)) for r in ctx["grid"]]
    return Result({"largest |change| %": max(change)}, holds=max(change) < 1.0)


@CLAIMS.claim(
    "merge_070_hurts",
    figure="table1",
    statement="merging at tau 0.70 hurts accuracy",
    threshold="mean relative test accuracy change over the grid runs below -2 %",
)
def merge_070_hurts(ctx):
    change = [_merge_change(r, 0.70) for r in ctx["grid"]]
    return Result(
        {"mean change %": float(np.mean(change)), "worst %": min(change)},
        holds=float(np.mean(change)) < -2.0,
    )


def _merge_change(record, tau):
    sim = record["similarity"]
    return float(
        sim["merge_relative_change"].values[int(np.argmin(np.abs(sim["tau"].values - tau)))]
    )


@CLAIMS.claim(
    "stable_cells",
    figure="fig7",
    statement="tens to hundreds of stable cells, growing with N",
    threshold="mean stable cells >= 10 at every N and for both alignments, more at the "
    "largest N than at the smallest",
)
def stable_cells(ctx):
    rows = rec.stable_cell_table(ctx["cells"])
    ns = sorted({r["N"] for r in rows})
    by = {(r["N"], r["alignment"]): r["mean"] for r in rows}
    grows = all(by[(ns[-1], a)] > by[(ns[0], a)] for a in (1, -1))
    return Result(
        {f"alignment {a:+d} by N": [by[(n, a)] for n in ns] for a in (1, -1)} | {"N": ns},
        holds=min(by.values()) >= 10 and grows,
    )
