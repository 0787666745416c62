"""The class-selectivity paper's claims, measured on the study's run cubes.

The claims table ``results/claims/selectivity.csv`` and the claims tests both call these.
Inputs (``SelectivityPlan.claims_inputs``): ``baseline`` (the unregularised runs, one per
seed) and ``regularised`` (the regulariser runs, and the unregularised reference of a
regulariser seed that is no baseline seed); options: ``SelectivityPlan.figure_context``.

"Early" means the checkpoints up to one epoch; values are means over seeds, with the
spread (min..max over seeds) where the claim is about a difference.
"""

import numpy as np

from ..claims import Claims, Result
from ..store.cube import open_cube
from . import metrics


def open_inputs(inputs, options):
    return {
        "baseline": [open_cube(p) for p in _paths(inputs["baseline"])],
        "regularised": [open_cube(p) for p in _paths(inputs.get("regularised", []))],
        "options": options,
    }


def _paths(value):
    return [value] if isinstance(value, str) else list(value)


CLAIMS = Claims("selectivity", load=open_inputs)


def _module_si(ctx, var="si"):
    """(seed, checkpoint, module) mean SI over live units."""
    import xarray as xr

    return xr.concat([metrics.module_si(ds, var) for ds in ctx["baseline"]], dim="seed")


def _early(da, bpe):
    return da.sel(checkpoint=[s for s in da["checkpoint"].values if 0 < s <= bpe])


def _bpe(ctx):
    return metrics.batches_per_epoch(ctx["baseline"][0])


def _r(x):
    return round(float(x), 3)


@CLAIMS.claim(
    "module7_rises_and_stays",
    figure="fig2",
    statement="module 7's selectivity rises in the first epoch and stays high (~0.7) for the "
    "rest of training",
    threshold="mean over seeds: SI at init < 0.45, >= 0.55 within the first epoch, and at the "
    "end >= 90 % of its maximum",
)
def module7_rises_and_stays(ctx):
    si = _module_si(ctx).sel(module=7).mean("seed")
    init, top, end = float(si.isel(checkpoint=0)), float(si.max()), float(si.isel(checkpoint=-1))
    early = float(_early(si, _bpe(ctx)).max())
    return Result(
        {"init": _r(init), "max in epoch 1": _r(early), "max": _r(top), "end": _r(end)},
        holds=init < 0.45 and early >= 0.55 and end >= 0.9 * top,
    )


def _spike(ctx, module):
    """Per seed: (init, early peak, end) of a module's mean SI."""
    si = _module_si(ctx).sel(module=module)
    early = _early(si, _bpe(ctx)).max("checkpoint")
    return si.isel(checkpoint=0), early, si.isel(checkpoint=-1)


@CLAIMS.claim(
    "module6_spikes_and_recedes",
    figure="fig2",
    statement="module 6's selectivity rises sharply in the first epoch, then recedes",
    threshold="mean over seeds: early peak >= init + 0.1; end below the peak by >= 0.02 and "
    "in every seed",
)
def module6_spikes_and_recedes(ctx):
    init, peak, end = _spike(ctx, 6)
    drop = peak - end
    return Result(
        {
            "init": _r(init.mean()),
            "early peak": _r(peak.mean()),
            "end": _r(end.mean()),
            "peak - end per seed": [_r(v) for v in drop.values],
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
    floor = _module_si(ctx, "si_floor")
    values, holds = {}, True
    for module in (4, 5):
        init, peak, end = _spike(ctx, module)
        drop = peak - end
        f = float(floor.sel(module=module).mean())
        values[f"module {module} init/peak/end"] = [
            _r(init.mean()),
            _r(peak.mean()),
            _r(end.mean()),
        ]
        values[f"module {module} peak - end per seed"] = [_r(v) for v in drop.values]
        values[f"module {module} floor"] = _r(f)
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
    si, floor = _module_si(ctx), _module_si(ctx, "si_floor")
    later = [s for s in si["checkpoint"].values if s > 0]
    ratio = (si / floor).sel(checkpoint=later).min(["seed", "checkpoint"])
    values = {f"module {m} min SI/floor": _r(ratio.sel(module=m)) for m in ratio["module"].values}
    values.update(
        {f"module {m} floor": _r(floor.sel(module=m).mean()) for m in floor["module"].values}
    )
    return Result(values, holds=bool((ratio >= 3).all()))


def _auc(ctx):
    """(seed, checkpoint, ablated_module, order) AUC, the initialisation dropped."""
    import xarray as xr

    auc = xr.concat([metrics.ablation_auc(ds) for ds in ctx["baseline"]], dim="seed")
    return auc.sel(checkpoint=[s for s in auc["checkpoint"].values if s > 0])


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
    auc = _auc(ctx).sel(ablated_module=[4, 5, 6]).mean(["seed", "ablated_module"])
    bpe = _bpe(ctx)
    early = auc.sel(checkpoint=[s for s in auc["checkpoint"].values if s <= bpe]).mean("checkpoint")
    end = auc.isel(checkpoint=-1)
    rise = end - early
    scale = 100 * ctx["baseline"][0].sizes["fraction"]
    sel, rnd = float(rise.sel(order="selective")), float(rise.sel(order="random"))
    return Result(
        {
            "selective AUC early/end": [
                _r(early.sel(order="selective")),
                _r(end.sel(order="selective")),
            ],
            "random AUC early/end": [_r(early.sel(order="random")), _r(end.sel(order="random"))],
            "selective rise": _r(sel),
            "random rise": _r(rnd),
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
    auc = _auc(ctx).mean("seed")
    auc = auc.sel(checkpoint=[s for s in auc["checkpoint"].values if s >= _bpe(ctx)])
    share = {}
    for m in (4, 5, 6):
        a = auc.sel(ablated_module=m)
        share[f"module {m} share selective > random"] = _r(
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
    auc = _auc(ctx).sel(ablated_module=7)
    later = auc.sel(checkpoint=[s for s in auc["checkpoint"].values if s >= _bpe(ctx)])
    gap = later.sel(order="random") - later.sel(order="selective")
    mean_gap = gap.mean("seed")
    end = gap.isel(checkpoint=-1)
    return Result(
        {
            "random - selective AUC, min over checkpoints": _r(mean_gap.min()),
            "at the end per seed": [_r(v) for v in end.values],
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
    auc = _auc(ctx).isel(checkpoint=-1).mean("seed")
    diff = auc.sel(order="selective") - auc.sel(order="random")
    values = {
        f"module {int(m)} selective - random AUC": _r(diff.sel(ablated_module=m))
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
    import xarray as xr

    bpe = _bpe(ctx)
    values, holds = {}, True
    for name, target in (
        ("module 7 block 0", lambda ds: metrics.module_blocks(ds, 7)[0]),
        ("FC input", lambda ds: "fc"),
    ):
        c = xr.concat(
            [metrics.cka(ds, metrics.module_layer(ds, 4), target(ds)) for ds in ctx["baseline"]],
            dim="seed",
        ).mean("seed")
        early = float(_early(c, bpe).max())
        end = float(c.isel(checkpoint=-1))
        values[f"module 4 vs {name}: early max / end"] = [_r(early), _r(end)]
        holds &= early - end >= 0.1
    return Result(values, holds=holds)


def _reg_groups(ctx):
    opts = ctx["options"]
    seeds = set(opts["reg_seeds"])
    groups = {}
    for ds in ctx["baseline"] + ctx["regularised"]:
        lab = metrics.run_labels(ds)
        if lab["seed"] in seeds:
            key = "none" if lab["alpha"] == 0 else lab["onset"]
            groups.setdefault(key, {})[lab["seed"]] = ds
    return groups


def _final_accuracy(runs):
    return float(np.mean([metrics.final(ds["accuracy"]) for ds in runs.values()]))


@CLAIMS.claim(
    "regulariser_suppresses_selectivity",
    figure="fig6",
    statement="the regulariser (alpha < 0) suppresses selectivity in the regularised modules",
    threshold="at the end, the regularised modules' mean SI from the start is < 50 % of the "
    "unregularised run's",
)
def regulariser_suppresses_selectivity(ctx):
    g, opts = _reg_groups(ctx), ctx["options"]
    mods = opts["reg_modules"]

    def si(runs):
        return float(
            np.mean(
                [
                    metrics.module_si(ds).isel(checkpoint=-1).sel(module=mods).mean()
                    for ds in runs.values()
                ]
            )
        )

    free, reg = si(g["none"]), si(g[0.0])
    return Result(
        {
            "unregularised": _r(free),
            "regularised from the start": _r(reg),
            "alpha": opts["alpha"],
            "modules": mods,
        },
        holds=reg < 0.5 * free,
    )


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
    g, opts = _reg_groups(ctx), ctx["options"]
    free, start = _final_accuracy(g["none"]), _final_accuracy(g[0.0])
    later = _final_accuracy(g[float(opts["later_onset"])])
    return Result(
        {
            "unregularised": _r(free),
            "from the start": _r(start),
            f"from {opts['onset_unit']} {opts['later_onset']:g}": _r(later),
            "alpha": opts["alpha"],
            "modules": opts["reg_modules"],
        },
        holds=later - start >= 0.01 and abs(later - free) <= 0.01,
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
    g, opts = _reg_groups(ctx), ctx["options"]
    free = _final_accuracy(g["none"])
    acc = {o: _final_accuracy(g[float(o)]) for o in sorted(map(float, opts["onsets"]))}
    later = {o: a for o, a in acc.items() if o > 0}
    holds = (
        bool(later)
        and all(a - acc.get(0.0, np.inf) >= 0.01 for a in later.values())
        and all(abs(a - free) <= 0.015 for a in later.values())
    )
    values = {"unregularised": _r(free)}
    values.update({f"onset {o:g}": _r(a) for o, a in acc.items()})
    return Result(values, holds=holds)
