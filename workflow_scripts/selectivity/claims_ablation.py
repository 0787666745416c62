"""The ablation claims (figs 3, 4 and 8): what each measures, per seed, with its checks.
Declared (statement, threshold) in ``claims.py``; AUC: ``metrics.ablation_auc`` at the
ablated checkpoints (``claim_data.ablation_auc``)."""

import numpy as np

from ..claims import Result
from .claim_data import ablation_auc, epoch_batches, epoch_one_on, first_epoch, mean_check, r

RISE_SHARE = 0.05  # a rise counts from 5 % of the largest AUC (100 x the fraction count)


def matters_more_early(ctx):
    auc = ablation_auc(ctx, needs=(4, 5, 6)).sel(ablated_module=[4, 5, 6])
    auc = auc.mean("ablated_module")  # (seed, checkpoint, order)
    bpe = epoch_batches(ctx)
    early = first_epoch(auc, bpe).mean("checkpoint")
    end = auc.isel(checkpoint=-1)
    rise = end - early  # (seed, order)
    sel, rnd = rise.sel(order="selective"), rise.sel(order="random")
    scale = RISE_SHARE * 100 * ctx["baseline"][0].sizes["fraction"]
    return Result(
        {
            **{
                f"{o} AUC early/end": [r(early.sel(order=o).mean()), r(end.sel(order=o).mean())]
                for o in ("selective", "random")
            },
            "selective rise per seed": [r(v) for v in sel],
            "random rise per seed": [r(v) for v in rnd],
        },
        checks=[
            mean_check("selective rise", sel, scale),
            mean_check("selective rise - random rise", sel - rnd, 0.0),
            mean_check("random rise", rnd, scale, "below"),
        ],
    )


def _throughout(auc, module, sign, name, values, checks):
    """sign x (selective - random) AUC of a module from epoch 1 on: averaged over the
    checkpoints, and at the checkpoint where its seed-mean is smallest, both > 0."""
    a = auc.sel(ablated_module=module)
    gap = sign * (a.sel(order="selective") - a.sel(order="random"))  # (seed, checkpoint)
    worst = int(gap["checkpoint"].values[int(np.argmin(gap.mean("seed").values))])
    values[f"module {module} {name}: mean / at batch {worst}"] = [
        r(gap.mean()),
        r(gap.sel(checkpoint=worst).mean()),
    ]
    checks.append(
        mean_check(f"module {module} {name}, mean from epoch 1", gap.mean("checkpoint"), 0)
    )
    checks.append(
        mean_check(f"module {module} {name} at batch {worst}", gap.sel(checkpoint=worst), 0)
    )


def random_more_damaging_4_6(ctx):
    auc = epoch_one_on(ablation_auc(ctx, needs=(4, 5, 6)), epoch_batches(ctx))
    values, checks = {}, []
    for m in (4, 5, 6):
        _throughout(auc, m, 1, "selective - random AUC", values, checks)
    return Result(values, checks=checks)


def module7_selective_more_damaging(ctx):
    auc = epoch_one_on(ablation_auc(ctx, needs=(7,)), epoch_batches(ctx))
    values, checks = {}, []
    _throughout(auc, 7, -1, "random - selective AUC", values, checks)
    return Result(values, checks=checks)


def fully_trained(ctx):
    auc = ablation_auc(ctx, needs=(4, 5, 6, 7)).isel(checkpoint=-1)
    diff = auc.sel(order="selective") - auc.sel(order="random")  # (seed, ablated_module)
    values = {
        f"module {int(m)} selective - random AUC": [r(v) for v in diff.sel(ablated_module=m)]
        for m in diff["ablated_module"].values
    }
    checks = [
        mean_check(
            f"module {m} selective - random AUC",
            diff.sel(ablated_module=m),
            0.0,
            "below" if m == 7 else "above",
        )
        for m in (4, 5, 6, 7)
    ]
    return Result(values, checks=checks)
