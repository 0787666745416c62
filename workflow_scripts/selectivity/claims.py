"""The class-selectivity paper's claims, measured on the study's run cubes.

The claims table ``results/claims/selectivity.csv`` and the claims tests both call these.
Inputs and options: ``claim_data.open_inputs`` (``SelectivityPlan.claims_inputs`` and
``claims_options``).

"Early" means the checkpoints up to one epoch; values are means over seeds, with the
spread (min..max over seeds) where the claim is about a difference.
"""

import numpy as np

from ..claims import Claims, NotMeasured, Result
from . import metrics
from .claim_data import (
    UNREGULARISED,
    ablation_auc,
    epoch_batches,
    epoch_one_on,
    final_accuracy,
    final_si,
    first_epoch,
    open_inputs,
    r,
    reg_groups,
    seed_cka,
    seed_si,
    setting,
    spike,
)

CLAIMS = Claims("selectivity", load=open_inputs)


@CLAIMS.claim(
    "module7_rises_and_stays",
    figure="fig2",
    statement="module 7's selectivity rises in the first epoch and stays high (~0.7) for the "
    "rest of training",
    threshold="mean over seeds: SI at init < 0.45, >= 0.55 within the first epoch, and at the "
    "end >= 90 % of its maximum",
)
def module7_rises_and_stays(ctx):
    si = seed_si(ctx).sel(module=7).mean("seed")
    init, top, end = float(si.isel(checkpoint=0)), float(si.max()), float(si.isel(checkpoint=-1))
    early = float(first_epoch(si, epoch_batches(ctx)).max())
    return Result(
        {"init": r(init), "max in epoch 1": r(early), "max": r(top), "end": r(end)},
        holds=init < 0.45 and early >= 0.55 and end >= 0.9 * top,
    )


@CLAIMS.claim(
    "module6_spikes_and_recedes",
    figure="fig2",
    statement="module 6's selectivity rises sharply in the first epoch, then recedes",
    threshold="mean over seeds: early peak >= init + 0.1; end below the peak by >= 0.02 and "
    "in every seed",
)
def module6_spikes_and_recedes(ctx):
    init, peak, end = spike(ctx, 6)
    drop = peak - end
    return Result(
        {
            "init": r(init.mean()),
            "early peak": r(peak.mean()),
            "end": r(end.mean()),
            "peak - end per seed": [r(v) for v in drop.values],
        },
        holds=float(peak.mean() - init.mean()) >= 0.1
        and float(drop.mean()) >= 0.02
        and bool((drop > 0).all()),
    )


@CLAIMS.claim(
    "modules45_spike_and_recede",
    figure="fig2",
    statement="modules 4 and 5's selectivity rises in the first epoch, then recedes",
    threshold="in both modules: early peak - end >= 0.02 on average over seeds and > 0 in "
    "every seed, and the peak >= 3x the shuffled-label floor",
)
def modules45_spike_and_recede(ctx):
    floor = seed_si(ctx, "si_floor")
    values, holds = {}, True
    for module in (4, 5):
        init, peak, end = spike(ctx, module)
        drop = peak - end
        f = float(floor.sel(module=module).mean())
        values[f"module {module} init/peak/end"] = [r(init.mean()), r(peak.mean()), r(end.mean())]
        values[f"module {module} peak - end per seed"] = [r(v) for v in drop.values]
        values[f"module {module} floor"] = r(f)
        holds &= (
            float(drop.mean()) >= 0.02 and bool((drop > 0).all()) and float(peak.mean()) >= 3 * f
        )
    return Result(values, holds=holds)


@CLAIMS.claim(
    "si_above_noise_floor",
    figure="fig9",
    statement="(beyond the paper) the selectivity read in every module is a real class signal, "
    "not the index's bias on finite samples",
    threshold="after the first checkpoint, every module's mean SI >= 3x its shuffled-label "
    "floor at every checkpoint and seed",
)
def si_above_noise_floor(ctx):
    si, floor = seed_si(ctx), seed_si(ctx, "si_floor")
    later = [s for s in si["checkpoint"].values if s > 0]
    ratio = (si / floor).sel(checkpoint=later).min(["seed", "checkpoint"])
    values = {f"module {m} min SI/floor": r(ratio.sel(module=m)) for m in ratio["module"].values}
    values.update(
        {f"module {m} floor": r(floor.sel(module=m).mean()) for m in floor["module"].values}
    )
    return Result(values, holds=bool((ratio >= 3).all()))


@CLAIMS.claim(
    "selective_ablation_matters_more_early",
    figure="fig3",
    statement="in modules 4-6, ablating class-selective units is more damaging early in "
    "training than late (the selective AUC rises), while random ablation is about "
    "equally damaging throughout",
    threshold="modules 4-6 averaged: the selective AUC at the end exceeds its mean over the "
    "first epoch by >= 5 % of the fraction count x 100, and by more than the random "
    "AUC's rise",
)
def selective_ablation_matters_more_early(ctx):
    auc = ablation_auc(ctx, needs=(4, 5, 6)).sel(ablated_module=[4, 5, 6])
    auc = auc.mean(["seed", "ablated_module"])
    bpe = epoch_batches(ctx)
    early = auc.sel(checkpoint=[s for s in auc["checkpoint"].values if s <= bpe]).mean("checkpoint")
    end = auc.isel(checkpoint=-1)
    rise = end - early
    scale = 100 * ctx["baseline"][0].sizes["fraction"]
    sel, rnd = float(rise.sel(order="selective")), float(rise.sel(order="random"))
    return Result(
        {
            **{
                f"{o} AUC early/end": [r(early.sel(order=o)), r(end.sel(order=o))]
                for o in ("selective", "random")
            },
            "selective rise": r(sel),
            "random rise": r(rnd),
        },
        holds=sel >= 0.05 * scale and sel > rnd,
    )


@CLAIMS.claim(
    "random_ablation_more_damaging_4_6",
    figure="fig3",
    statement="in modules 4-6, random ablation stays more damaging than class-selective "
    "ablation at every epoch",
    threshold="selective AUC > random AUC (mean over seeds) at >= 80 % of the checkpoints "
    "from epoch 1 on, in each of modules 4-6",
)
def random_ablation_more_damaging_4_6(ctx):
    auc = epoch_one_on(ablation_auc(ctx, needs=(4, 5, 6)).mean("seed"), epoch_batches(ctx))
    share = {}
    for m in (4, 5, 6):
        a = auc.sel(ablated_module=m)
        share[f"module {m} share selective > random"] = r(
            (a.sel(order="selective") > a.sel(order="random")).mean()
        )
    return Result(share, holds=all(v >= 0.8 for v in share.values()))


@CLAIMS.claim(
    "module7_selective_ablation_more_damaging",
    figure="fig4",
    statement="in module 7, class-selective ablation is more damaging than random ablation "
    "throughout training",
    threshold="selective AUC < random AUC (mean over seeds) at every checkpoint from epoch 1 "
    "on, and in every seed at the end",
)
def module7_selective_ablation_more_damaging(ctx):
    auc = ablation_auc(ctx, needs=(7,)).sel(ablated_module=7)
    later = epoch_one_on(auc, epoch_batches(ctx))
    gap = later.sel(order="random") - later.sel(order="selective")
    mean_gap = gap.mean("seed")
    end = gap.isel(checkpoint=-1)
    return Result(
        {
            "random - selective AUC, min over checkpoints": r(mean_gap.min()),
            "at the end per seed": [r(v) for v in end.values],
        },
        holds=bool((mean_gap > 0).all()) and bool((end > 0).all()),
    )


@CLAIMS.claim(
    "fully_trained_ablation",
    figure="fig8",
    statement="in the fully trained network, random ablation is more damaging than selective "
    "ablation in modules 4-6, and less damaging in module 7",
    threshold="last checkpoint, mean over seeds: selective AUC > random AUC in modules 4-6, "
    "< in module 7",
)
def fully_trained_ablation(ctx):
    auc = ablation_auc(ctx, needs=(4, 5, 6, 7)).isel(checkpoint=-1).mean("seed")
    diff = auc.sel(order="selective") - auc.sel(order="random")
    values = {
        f"module {int(m)} selective - random AUC": r(diff.sel(ablated_module=m))
        for m in diff["ablated_module"].values
    }
    holds = (
        all(float(diff.sel(ablated_module=m)) > 0 for m in (4, 5, 6))
        and float(diff.sel(ablated_module=7)) < 0
    )
    return Result(values, holds=holds)


@CLAIMS.claim(
    "cka_high_early",
    figure="fig5",
    statement="the representations of module 4 and of module 7 / the FC input are more similar "
    "early in training than later",
    threshold="mean over seeds: CKA of module 4 (its last block) with module 7's first block "
    "and with the FC input, highest in the first epoch (after init), exceeds its final "
    "value by >= 0.1",
)
def cka_high_early(ctx):
    # module 7's first block, not its last: on small inputs (28x28 at default size) the
    # last block's output is 1x1, so its CKA is the FC input's and would count it twice
    bpe = epoch_batches(ctx)
    values, holds = {}, True
    for name, target in (
        ("module 7 block 0", lambda ds: metrics.module_blocks(ds, 7)[0]),
        ("FC input", lambda ds: "fc"),
    ):
        c = seed_cka(ctx, lambda ds: metrics.module_layer(ds, 4), target).mean("seed")
        early = float(first_epoch(c, bpe).max())
        end = float(c.isel(checkpoint=-1))
        values[f"module 4 vs {name}: early max / end"] = [r(early), r(end)]
        holds &= early - end >= 0.1
    return Result(values, holds=holds)


@CLAIMS.claim(
    "regulariser_suppresses_selectivity",
    figure="fig6",
    statement="the regulariser (alpha < 0) suppresses selectivity in the regularised modules",
    threshold="at the end, the regularised modules' mean SI from the start is < 50 % of the "
    "unregularised run's",
)
def regulariser_suppresses_selectivity(ctx):
    g, opts = reg_groups(ctx), ctx["options"]
    free, reg = final_si(g[UNREGULARISED], opts.modules), final_si(g[0.0], opts.modules)
    values = {"unregularised": r(free), "regularised from the start": r(reg)}
    return Result({**values, **setting(opts)}, holds=reg < 0.5 * free)


@CLAIMS.claim(
    "regularising_from_start_hurts",
    figure="fig6",
    statement="regularising against selectivity from the start impairs accuracy; from a later "
    "onset (after the selectivity spike) the network trains about as well as "
    "unregularised",
    threshold="final held-out accuracy (mean over regulariser seeds): from the start below the "
    "later onset by >= 0.01, and the later onset within 0.01 of unregularised",
)
def regularising_from_start_hurts(ctx):
    g, opts = reg_groups(ctx), ctx["options"]
    free, start = final_accuracy(g[UNREGULARISED]), final_accuracy(g[0.0])
    later = final_accuracy(g[opts.later_onset])
    values = {
        "unregularised": r(free),
        "from the start": r(start),
        f"from {opts.onset_unit} {opts.later_onset:g}": r(later),
    }
    return Result(
        {**values, **setting(opts)}, holds=later - start >= 0.01 and abs(later - free) <= 0.01
    )


@CLAIMS.claim(
    "only_the_first_onset_hurts",
    figure="fig7",
    statement="only regularising from the very start impairs learning; every later onset "
    "trains about as well",
    threshold="final held-out accuracy: onset 0 the lowest, below every later onset by "
    ">= 0.01; later onsets within 0.015 of unregularised",
)
def only_the_first_onset_hurts(ctx):
    g, opts = reg_groups(ctx), ctx["options"]
    if not any(o > 0 for o in opts.onsets):
        raise NotMeasured("selectivity.regularizer.onsets holds no onset after 0")
    free = final_accuracy(g[UNREGULARISED])
    acc = {o: final_accuracy(g[o]) for o in sorted(opts.onsets)}
    later = {o: a for o, a in acc.items() if o > 0}
    holds = all(a - acc.get(0.0, np.inf) >= 0.01 for a in later.values()) and all(
        abs(a - free) <= 0.015 for a in later.values()
    )
    values = {"unregularised": r(free)}
    values.update({f"onset {o:g}": r(a) for o, a in acc.items()})
    return Result(values, holds=holds)
