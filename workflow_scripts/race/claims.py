"""The race paper's claims, measured on the study's cubes (grid, d sweep, IMP, cells).

``results/claims/race.csv`` and the claims tests call these. Inputs
(``RacePlan.claims_inputs``, read by ``claim_measures.open_inputs``): the dynamics and
similarity cubes of every grid and d-sweep run, the final IMP masks and the stable-cell
cubes; options (``RacePlan.claims_options``): the grid's d, init scales and seeds, the d
sweep, and the early steps of Fig 4 (``early_step``) and Fig 5 (``pruning_step``), as the
plan resolved them for the figures.

Every claim returns its measured figures with 95 % intervals (``claims.stats``): over
seeds (t intervals; Welch for a difference between two sets of runs), over the IMP runs
or the probe seeds where those are the units, and for the accuracy changes of merging
also over the test images (``merge_change``). The thresholds are the paper's words, each
check's text says which (module ``claims``: three verdicts).
"""

import numpy as np
from scipy.stats import spearmanr

from ..claims import Check, Claims, NotMeasured, Result, stats
from . import records as rec
from .claim_measures import (
    by_seed,
    cell_name,
    cells,
    clusters_by_n,
    difference,
    growth_checks,
    means,
    merge_change,
    open_inputs,
    small,
    spearman_final_norm,
)

CLAIMS = Claims("race", load=open_inputs)


# ---------------------------------------------------------------------------------
# clusters (Fig 3, Table 1)


@CLAIMS.claim(
    "few_clusters",
    figure="fig3",
    statement="at small init the neurons align into far fewer clusters than there are neurons",
    threshold="small init, tau 0.95, end of training, at the smallest N (the paper's Fig 1 "
    "and Table 1: 15 of 300 at N = 200): mean clusters over all neurons (t interval over "
    "seeds) below d / 10",
)
def few_clusters(ctx):
    runs = small(ctx)
    every = clusters_by_n(runs, 0.95)
    large = clusters_by_n(runs, 0.95, large=True)
    n0 = min(every)
    est = stats.mean_over_seeds(every[n0])
    return Result(
        {"clusters (all) by N": means(every), "clusters (large) by N": means(large)}
        | {"N": list(every), "d": ctx["d"]},
        checks=[
            Check(f"clusters at N={n0}", est, ctx["d"] / 10, "below", per_seed=tuple(every[n0]))
        ],
    )


@CLAIMS.claim(
    "clusters_grow_with_N",
    figure="fig3",
    statement="the number of clusters grows with the number of training samples N, until "
    "it saturates at d",
    threshold="d sweep, small init, tau 0.95, end of training, all neurons; for every d: "
    "clusters at the largest N minus at the smallest (Welch interval over seeds) above 0, "
    "unless saturated (mean >= 0.9 d at the smallest N)",
)
def clusters_grow_with_n(ctx):
    values, checks = growth_checks(ctx, large=False)
    return Result(values, checks=checks)


@CLAIMS.claim(
    "large_clusters_grow_with_N",
    figure="fig3",
    statement="the number of clusters grows with N (counted among the clusters that carry "
    "weight: those holding a neuron with a >= rel_threshold of the largest)",
    threshold="as clusters_grow_with_N, on the clusters that contain a large neuron",
)
def large_clusters_grow_with_n(ctx):
    values, checks = growth_checks(ctx, large=True)
    return Result(values, checks=checks)


@CLAIMS.claim(
    "medium_init_more_clusters",
    figure="fig3",
    statement="a larger initialisation scale leaves more clusters",
    threshold="grid, tau 0.95, end of training, all neurons: clusters at the largest init "
    "scale minus at the smallest, paired by (N, seed) (same data order and init direction), "
    "t interval above 0",
)
def medium_init_more_clusters(ctx):
    lo_s, hi_s = min(ctx["sigma0"]), max(ctx["sigma0"])
    pairs = []
    for n in rec.sorted_unique(ctx["grid"], "N"):
        for r in rec.select(ctx["grid"], sigma0=lo_s, N=n):
            (other,) = rec.select(ctx["grid"], sigma0=hi_s, N=n, seed=r["seed"])
            pairs.append(
                (
                    rec.final_clusters(other["dynamics"], 0.95),
                    rec.final_clusters(r["dynamics"], 0.95),
                )
            )
    hi, lo = np.asarray(pairs, dtype=np.float64).T
    est = stats.paired_difference(hi, lo, unit="(N, seed) pairs")
    return Result(
        {
            f"clusters sigma0 {lo_s:g}": float(lo.mean()),
            f"clusters sigma0 {hi_s:g}": float(hi.mean()),
        },
        checks=[Check("clusters medium minus small", est, 0.0, per_seed=tuple(hi - lo))],
    )


# ---------------------------------------------------------------------------------
# alignment (Figs 4, 5)


@CLAIMS.claim(
    "early_alignment_predicts_norm",
    figure="fig4",
    statement="the norm grows exponentially with the alignment: early cos(delta) predicts "
    "the final norm",
    threshold="Spearman(final a, cos delta at the early step): in every (sigma0, N) cell of "
    "the grid the mean over seeds above 0.5 (t interval), and above its value at t = 0 "
    "(paired over the grid runs, t interval above 0)",
)
def early_alignment_predicts_norm(ctx):
    step = ctx["early_step"]
    checks, rise_early, rise_0 = [], [], []
    for s, n, runs in cells(ctx["grid"]):
        early = by_seed(runs, lambda r: spearman_final_norm(r["dynamics"], step))
        at0 = by_seed(runs, lambda r: spearman_final_norm(r["dynamics"], 0))
        rise_early += early
        rise_0 += at0
        est = stats.mean_over_seeds(early)
        checks.append(Check(f"rho {cell_name(s, n)}", est, 0.5, per_seed=tuple(early)))
    rise = stats.paired_difference(rise_early, rise_0, unit="runs")
    diffs = tuple(np.subtract(rise_early, rise_0))
    checks.append(Check(f"rho at t={step} minus at t=0", rise, 0.0, per_seed=diffs))
    return Result(
        {
            "rho at t=0": f"{np.nanmin(rise_0):.2f}-{np.nanmax(rise_0):.2f}",
            f"rho at t={step}": f"{np.nanmin(rise_early):.2f}-{np.nanmax(rise_early):.2f}",
        },
        checks=checks,
    )


@CLAIMS.claim(
    "early_alignment_predicts_pruning",
    figure="fig5",
    statement="early alignment predicts, to a large degree, which neurons IMP prunes at "
    "lower target sparsities: well aligned neurons keep their weights",
    threshold="Spearman(pruned weights per neuron, cos delta at the early step) at the "
    "lowest sparsity, mean over the IMP runs (t interval over runs) below -0.5",
)
def early_alignment_predicts_pruning(ctx):
    rhos = {}
    for r in sorted(ctx["grid"], key=lambda r: (r["sigma0"], r["N"], r["seed"])):
        i = rec.time_index(r["dynamics"], ctx["pruning_step"])
        cos = r["dynamics"]["cos_delta"].values[i]
        for sparsity, pruned in r.get("pruned", {}).items():
            ok = np.isfinite(cos)
            rhos.setdefault(sparsity, []).append(float(spearmanr(cos[ok], pruned[ok]).statistic))
    if not rhos:  # a config without IMP runs (race.imp.sparsities or .seeds empty)
        raise NotMeasured("no IMP runs are planned (race.imp)")
    lowest = min(rhos)
    est = stats.mean_over_seeds(rhos[lowest], unit="IMP runs")
    return Result(
        {f"rho at sparsity {s:g}": float(np.nanmean(v)) for s, v in sorted(rhos.items())}
        | {"IMP runs": len(rhos[lowest])},
        checks=[
            Check(f"rho at sparsity {lowest:g}", est, -0.5, "below", per_seed=tuple(rhos[lowest]))
        ],
    )


# ---------------------------------------------------------------------------------
# merging (Table 1)


def merge_costs_nothing(ctx, tau):
    checks = []
    for s, n, runs in cells(ctx["grid"]):
        est, per_seed = merge_change(runs, tau)
        checks.append(Check(f"change % {cell_name(s, n)}", est, -1.0, per_seed=per_seed))
    worst = min(checks, key=lambda c: c.estimate.value)
    return Result(
        {"mean change % by cell": [round(c.estimate.value, 2) for c in checks]}
        | {"worst cell": worst.name.removeprefix("change % ")},
        checks=sorted(checks, key=lambda c: c.estimate.value),
    )


@CLAIMS.claim(
    "merge_095_costs_nothing",
    figure="table1",
    statement="clusters at a threshold cos_sim >= 0.95 can be merged without loss in performance",
    threshold="tau 0.95, in every (sigma0, N) cell of the grid: relative test accuracy "
    "change (mean over seeds; interval over seeds and test images) above -1 %",
)
def merge_095_costs_nothing(ctx):
    return merge_costs_nothing(ctx, 0.95)


@CLAIMS.claim(
    "merge_099_costs_nothing",
    figure="table1",
    statement="merging each cluster at tau 0.99 into one neuron costs about no accuracy",
    threshold="tau 0.99, in every (sigma0, N) cell of the grid: relative test accuracy "
    "change (mean over seeds; interval over seeds and test images) above -1 %",
)
def merge_099_costs_nothing(ctx):
    return merge_costs_nothing(ctx, 0.99)


@CLAIMS.claim(
    "merge_070_hurts",
    figure="table1",
    statement="merging at tau 0.70 hurts accuracy",
    threshold="tau 0.70: relative test accuracy change, mean over the grid runs (interval "
    "over runs and test images), below -2 %",
)
def merge_070_hurts(ctx):
    est, per_run = merge_change(ctx["grid"], 0.70)
    by_cell = [round(merge_change(runs, 0.70)[0].value, 2) for _, _, runs in cells(ctx["grid"])]
    return Result(
        {"mean change % by cell": by_cell, "worst run %": min(per_run)},
        checks=[Check("mean change %", est, -2.0, "below", per_seed=per_run)],
    )


# ---------------------------------------------------------------------------------
# stable cells (Fig 7)


@CLAIMS.claim(
    "stable_cells",
    figure="fig7",
    statement="tens to hundreds of stable cells, growing with N",
    threshold="for both alignments: at every N the mean over probe seeds (t interval) at "
    "least 10, and at the largest N minus at the smallest (Welch interval) above 0",
)
def stable_cells(ctx):
    per = {}
    for r in ctx["cells"]:
        for a in (1, -1):
            vals = r["stable_cells"]["stable_cells"].sel(alignment=a).values
            per.setdefault((r["N"], a), []).extend(float(v) for v in vals)
    if not per:
        raise NotMeasured("no stable-cell cubes (race.stable_cells)")
    ns = sorted({n for n, _ in per})
    checks = []
    for a in (1, -1):
        for n in ns:
            est = stats.mean_over_seeds(per[(n, a)], unit="probe seeds")
            checks.append(Check(f"cells {a:+d} N={n}", est, 10.0, per_seed=tuple(per[(n, a)])))
    for a in (1, -1):
        est, diffs = difference(per[(ns[-1], a)], per[(ns[0], a)], unit="probe seeds")
        checks.append(Check(f"cells {a:+d}: N={ns[-1]} minus N={ns[0]}", est, 0.0, per_seed=diffs))
    return Result(
        {f"alignment {a:+d} by N": [float(np.mean(per[(n, a)])) for n in ns] for a in (1, -1)}
        | {"N": ns},
        checks=checks,
    )
