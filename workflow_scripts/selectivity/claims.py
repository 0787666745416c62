"""The class-selectivity paper's claims, measured on the study's run cubes.

The claims table ``results/claims/selectivity.csv`` and the claims tests both call these.
Inputs and options: ``claim_data.open_inputs`` (``SelectivityPlan.claims_inputs`` and
``claims_options``). Every claim returns its per-seed figures and ``Check``s: a mean over
seeds with its t interval (accuracies: with the binomial error of the test images too,
``claim_data.accuracy_difference``) against the threshold the paper's words set.

"Early" means the checkpoints up to one epoch; a curve's early peak is the peak of the
seed-mean curve (``claim_data.early_peak``). The ablation claims are measured in
``claims_ablation``, the regulariser claims in ``claims_regulariser``; this module declares
every claim, in the table's order.
"""

from ..claims import Claims, Result
from . import claims_ablation as ablation
from . import claims_regulariser as regulariser
from . import metrics
from .claim_data import (
    early_peak,
    epoch_batches,
    mean_check,
    open_inputs,
    r,
    seed_cka,
    seed_si,
    spike,
)

CLAIMS = Claims("selectivity", load=open_inputs)
MODULES_BELOW_7 = (4, 5, 6)


@CLAIMS.claim(
    "module7_rises_and_stays",
    figure="fig2",
    statement="module 7's selectivity rises in the first epoch and stays high (~0.7) for the "
    "rest of training",
    threshold="mean over seeds (t interval): SI at init < 0.45; the first-epoch peak of the "
    "seed-mean curve >= 0.55; at the end >= 90 % of each seed's maximum",
)
def module7_rises_and_stays(ctx):
    si = seed_si(ctx).sel(module=7)
    init, peak, end, step = spike(si, epoch_batches(ctx))
    kept = end / si.max("checkpoint")
    return Result(
        {
            "init": [r(v) for v in init],
            f"peak (batch {step})": [r(v) for v in peak],
            "end / max": [r(v) for v in kept],
        },
        checks=[
            mean_check("first-epoch peak", peak, 0.55),
            mean_check("SI at init", init, 0.45, "below"),
            mean_check("end / max", kept, 0.9),
        ],
    )


def _rise_and_recession(ctx, module, rise):
    """(values, checks) of one module's early spike: the seed-mean curve's first-epoch
    peak above init by ``rise``, then receding by the end by >= 0.02."""
    init, peak, end, step = spike(seed_si(ctx).sel(module=module), epoch_batches(ctx))
    values = {
        f"module {module} init": [r(v) for v in init],
        f"module {module} peak (batch {step})": [r(v) for v in peak],
        f"module {module} end": [r(v) for v in end],
    }
    checks = [
        mean_check(f"module {module} peak - init", peak - init, rise),
        mean_check(f"module {module} peak - end", peak - end, 0.02),
    ]
    return values, checks


@CLAIMS.claim(
    "module6_spikes_and_recedes",
    figure="fig2",
    statement="module 6's selectivity rises sharply in the first epoch, then recedes",
    threshold="per seed at the first-epoch peak of the seed-mean curve, mean over seeds (t "
    "interval): peak - init >= 0.1 and peak - end >= 0.02",
)
def module6_spikes_and_recedes(ctx):
    values, checks = _rise_and_recession(ctx, 6, rise=0.1)
    return Result(values, checks=checks)


@CLAIMS.claim(
    "modules45_spike_and_recede",
    figure="fig2",
    statement="modules 4 and 5's selectivity rises in the first epoch, then recedes",
    threshold="in each module, per seed at the first-epoch peak of the seed-mean curve, mean "
    "over seeds (t interval): peak - init >= 0.02, peak - end >= 0.02, and peak - 3x the "
    "shuffled-label floor > 0",
)
def modules45_spike_and_recede(ctx):
    floor = seed_si(ctx, "si_floor")
    values, checks = {}, []
    for module in (4, 5):
        v, c = _rise_and_recession(ctx, module, rise=0.02)
        step, peak = early_peak(seed_si(ctx).sel(module=module), epoch_batches(ctx))
        over = peak - 3 * floor.sel(module=module, checkpoint=step)
        values.update(v)
        checks += c + [mean_check(f"module {module} peak - 3x floor", over, 0.0)]
    return Result(values, checks=checks)


@CLAIMS.claim(
    "si_above_noise_floor",
    figure="fig9",
    statement="(beyond the paper) the selectivity read in every module is a real class signal, "
    "not the index's bias on finite samples",
    threshold="in every module: per seed the smallest SI / shuffled-label floor ratio after "
    "the initialisation, mean over seeds (t interval) >= 3",
)
def si_above_noise_floor(ctx):
    si, floor = seed_si(ctx), seed_si(ctx, "si_floor")
    later = [s for s in si["checkpoint"].values if s > 0]
    ratio = (si / floor).sel(checkpoint=later).min("checkpoint")
    modules = [int(m) for m in ratio["module"].values]
    values = {f"module {m} min SI/floor": [r(v) for v in ratio.sel(module=m)] for m in modules}
    values.update({f"module {m} floor": r(floor.sel(module=m).mean()) for m in modules})
    checks = [mean_check(f"module {m} min SI/floor", ratio.sel(module=m), 3.0) for m in modules]
    return Result(values, checks=checks)


CLAIMS.claim(
    "selective_ablation_matters_more_early",
    figure="fig3",
    statement="in modules 4-6, ablating class-selective units is more damaging early in "
    "training than late (the selective AUC rises), while random ablation is about "
    "equally damaging throughout",
    threshold="modules 4-6 averaged, per seed AUC at the end - its mean over the first "
    "epoch, mean over seeds (t interval): the selective rise >= 5 % of the fraction count x "
    "100, above the random rise (paired), and the random rise < 5 % of it",
)(ablation.matters_more_early)
CLAIMS.claim(
    "random_ablation_more_damaging_4_6",
    figure="fig3",
    statement="in modules 4-6, random ablation stays more damaging than class-selective "
    "ablation at every epoch",
    threshold="in each of modules 4-6, selective - random AUC (mean over seeds, t interval) "
    "> 0 averaged over the checkpoints from epoch 1 on, and at the checkpoint where the "
    "seed-mean difference is smallest",
)(ablation.random_more_damaging_4_6)
CLAIMS.claim(
    "module7_selective_ablation_more_damaging",
    figure="fig4",
    statement="in module 7, class-selective ablation is more damaging than random ablation "
    "throughout training",
    threshold="random - selective AUC (mean over seeds, t interval) > 0 averaged over the "
    "checkpoints from epoch 1 on, and at the checkpoint where the seed-mean gap is smallest",
)(ablation.module7_selective_more_damaging)
CLAIMS.claim(
    "fully_trained_ablation",
    figure="fig8",
    statement="in the fully trained network, random ablation is more damaging than selective "
    "ablation in modules 4-6, and less damaging in module 7",
    threshold="last checkpoint, selective - random AUC (mean over seeds, t interval): > 0 in "
    "each of modules 4-6, < 0 in module 7",
)(ablation.fully_trained)


def _recedes(ctx, name, source, target, values, checks):
    """CKA between two layers, per seed at the first-epoch peak of the seed-mean curve
    and at the end: the recession (>= 0.1) as a check."""
    c = seed_cka(ctx, source, target)
    step, peak = early_peak(c, epoch_batches(ctx))
    end = c.isel(checkpoint=-1)
    values[f"{name}: peak (batch {step}) / end"] = [r(peak.mean()), r(end.mean())]
    checks.append(mean_check(f"{name} peak - end", peak - end, 0.1))


@CLAIMS.claim(
    "cka_high_early",
    figure="fig5",
    statement="the representations of module 4 and of module 7 / the FC input are more similar "
    "early in training than later",
    threshold="CKA of module 4 (its last block) with module 7's first block and with the FC "
    "input, per seed at the first-epoch peak of the seed-mean curve minus the end, mean over "
    "seeds (t interval) >= 0.1",
)
def cka_high_early(ctx):
    # module 7's first block, not its last: on small inputs (28x28 at default size) the
    # last block's output is 1x1, so its CKA is the FC input's and would count it twice
    values, checks = {}, []
    _recedes(ctx, "module 4 vs module 7 block 0", _last_block(4), _first_block(7), values, checks)
    _recedes(ctx, "module 4 vs FC input", _last_block(4), _last_block("fc"), values, checks)
    return Result(values, checks=checks)


def _last_block(module):
    """The layer of a module's representation in a cube (its last block; 'fc')."""
    return lambda ds: metrics.module_layer(ds, module)


def _first_block(module):
    return lambda ds: metrics.module_blocks(ds, module)[0]


@CLAIMS.claim(
    "cka_all_pairs_recede",
    figure="fig10",
    statement="the similarity of every pair of module representations is high in the first "
    "epochs and then recedes to a low level; after that, module 4 is most similar to "
    "module 5, then 6, then 7",
    threshold="for every pair of fig10 (each of modules 4-6 vs every later module and the FC "
    "input; last blocks): per seed CKA at the first-epoch peak of the seed-mean curve minus "
    "the end >= 0.1; at the end CKA(4, 5) - CKA(4, 6) > 0 and CKA(4, 6) - CKA(4, 7) > 0; "
    "means over seeds, t intervals",
)
def cka_all_pairs_recede(ctx):
    values, checks = {}, []
    for a in MODULES_BELOW_7:
        for b in [m for m in (5, 6, 7) if m > a] + ["fc"]:
            name = f"module {a} vs " + ("FC input" if b == "fc" else f"module {b}")
            _recedes(ctx, name, _last_block(a), _last_block(b), values, checks)
    end = {b: seed_cka(ctx, _last_block(4), _last_block(b)).isel(checkpoint=-1) for b in (5, 6, 7)}
    for near, far in ((5, 6), (6, 7)):
        checks.append(mean_check(f"end CKA(4, {near}) - CKA(4, {far})", end[near] - end[far], 0.0))
    values["end CKA of module 4 with 5 / 6 / 7"] = [r(end[b].mean()) for b in (5, 6, 7)]
    return Result(values, checks=checks)


CLAIMS.claim(
    "regulariser_suppresses_selectivity",
    figure="fig6",
    statement="the regulariser (alpha < 0) suppresses selectivity in the regularised modules",
    threshold="at the regulariser runs' end, per seed the regularised modules' mean SI "
    "regularised from the start / unregularised, mean over seeds (t interval) < 0.5",
)(regulariser.suppresses_selectivity)
CLAIMS.claim(
    "regularising_from_start_hurts",
    figure="fig6",
    statement="regularising against selectivity from the start impairs accuracy; from a later "
    "onset (after the selectivity spike) the network trains about as well as unregularised",
    threshold="accuracy on the test images at the regulariser runs' end, paired over "
    "seeds (interval: seeds and images): the later onset above the start by >= 0.01, and "
    "within 0.01 of unregularised",
)(regulariser.from_start_hurts)
CLAIMS.claim(
    "only_the_first_onset_hurts",
    figure="fig7",
    statement="only regularising from the very start impairs learning; every later onset "
    "trains about as well",
    threshold="accuracy on the test images at the regulariser runs' end, paired over seeds "
    "(interval: seeds and images): every later onset above onset 0 by >= 0.01 and within "
    "0.015 of unregularised",
)(regulariser.only_the_first_onset_hurts)
