"""Iterative magnitude pruning (lottery tickets, Frankle & Carbin) for the race network.

Round 0 is the dense run. Round r = 1..R (R = 3 in the paper) prunes the end-of-training
weights of round r-1: among the weights still alive it keeps the
``keep_count(n, s, r, R) = round(n * (1 - s)^(r/R))`` largest magnitudes, where n is the
number of prunable weights, so round R reaches the target sparsity s exactly (each
round prunes the fraction p = 1 - (1 - s)^(1/R) of the survivors, up to rounding).
Ranking is global over the prunable tensors (W1, and W2 unless
``prune_output_layer=False``); biases are never pruned. Ties in magnitude are broken
deterministically: the weight that comes first in the flat order (W1 row-major, then
W2 row-major) is kept. Survivors are rewound to round 0's initial weights (step 0,
"rewind to initialisation") and retrained with the mask re-applied after every step.
"""

import json

import torch

from ..store.checkpoints import save_checkpoint

PRUNABLE = ("W1", "W2")
REWIND = "init"  # survivors are reset to the round-0 weights at step 0


def prunable_names(prune_output_layer=True):
    return PRUNABLE if prune_output_layer else ("W1",)


def keep_count(n_prunable, sparsity, round_index, rounds):
    """Weights kept after round ``round_index`` (0 = dense) of ``rounds``."""
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    if not 0 <= round_index <= rounds:
        raise ValueError(f"round {round_index} outside 0..{rounds}")
    return int(round(n_prunable * (1.0 - sparsity) ** (round_index / rounds)))


def per_round_fraction(sparsity, rounds):
    return 1.0 - (1.0 - sparsity) ** (1.0 / rounds)


def full_masks(weights, names=PRUNABLE):
    return {k: torch.ones_like(weights[k], dtype=torch.bool) for k in names}


def prune(weights, masks, keep):
    """New masks keeping the ``keep`` largest |w| among the alive weights (global).

    weights, masks: dicts over the prunable names (same order as given). The result is
    nested in ``masks`` (a pruned weight never comes back).
    """
    names = list(masks)
    mags = torch.cat([weights[k].detach().abs().flatten().to(torch.float64) for k in names])
    alive = torch.cat([masks[k].flatten() for k in names])
    if keep > int(alive.sum()):
        raise ValueError(f"cannot keep {keep} of {int(alive.sum())} alive weights")
    score = torch.where(alive, mags, torch.full_like(mags, -1.0))  # pruned ones rank last
    order = torch.sort(score, descending=True, stable=True).indices  # ties: lower index first
    kept = torch.zeros_like(alive)
    kept[order[:keep]] = True
    out, start = {}, 0
    for k in names:
        n = masks[k].numel()
        out[k] = kept[start : start + n].view_as(masks[k])
        start += n
    return out


def rewind(init_weights, masks):
    """Round-0 initial weights with the pruned entries set to zero (biases untouched)."""
    out = {k: v.clone() for k, v in init_weights.items()}
    for k, m in masks.items():
        out[k] = out[k] * m.to(out[k].dtype)
    return out


def pruned_per_neuron(mask_W1, mask_W2=None):
    """Pruned weights per hidden neuron a: zeros in W1 row a plus zeros in W2 column a."""
    count = (~mask_W1).sum(1)
    if mask_W2 is not None:
        count = count + (~mask_W2).sum(0)
    return count.to(torch.int64)


def next_round_masks(prev_final_weights, prev_masks, n_prunable, sparsity, round_index, rounds):
    """Masks of round ``round_index`` from round r-1's final weights and masks."""
    keep = keep_count(n_prunable, sparsity, round_index, rounds)
    return prune(prev_final_weights, prev_masks, keep), keep


def masks_record(
    masks, keep, n_prunable, sparsity, round_index, rounds, prune_output_layer, hidden, extra=None
):
    """The per-round mask artifact: masks, pruned count per neuron, and the choices."""
    mask_W1 = masks["W1"]
    mask_W2 = masks.get("W2", torch.ones(2, hidden, dtype=torch.bool))
    alive = int(mask_W1.sum()) + (int(mask_W2.sum()) if "W2" in masks else 0)
    meta = {
        "sparsity_target": sparsity,
        "round": round_index,
        "rounds": rounds,
        "keep": keep,
        "n_prunable": n_prunable,
        "alive": alive,
        "sparsity_reached": 1.0 - alive / n_prunable,
        "per_round_fraction": per_round_fraction(sparsity, rounds),
        "global": True,
        "prune_output_layer": prune_output_layer,
        "biases_pruned": False,
        "rewind": REWIND,
        "ranking": "|w| of round r-1's final weights, alive weights only",
        "ties": "first in flat order (W1 row-major, then W2) kept",
        **(extra or {}),
    }
    return {
        "mask_W1": mask_W1,
        "mask_W2": mask_W2,
        "pruned_per_neuron": pruned_per_neuron(mask_W1, mask_W2),
        "meta": json.dumps(meta, sort_keys=True),
    }


def final_weights(run):
    """The last dumped weights of a training output dict."""
    return {k: run[k][-1] for k in ("W1", "b1", "W2", "b2")}


def initial_weights(run):
    steps = run["steps"].tolist()
    if steps[0] != 0:
        raise ValueError("the dense run has no step-0 dump to rewind to")
    return {k: run[k][0] for k in ("W1", "b1", "W2", "b2")}


def run_masks(run, names):
    """Masks of a training output (all True for a dense run)."""
    if "mask_W1" not in run:
        return full_masks(final_weights(run), names)
    return {k: {"W1": run["mask_W1"], "W2": run["mask_W2"]}[k] for k in names}


def run_round(
    data,
    dense,
    prev,
    *,
    run_id,
    imp_id,
    round_index,
    spec,
    train,
    out_run,
    out_masks,
    every_s,
    device,
    code="",
    data_meta=None,
):
    """IMP round ``round_index`` of the dense run ``dense``: prune round r-1's final weights
    (``prev``; the dense run itself for round 1), rewind the survivors, retrain with the
    masks, and write the retrained run and the masks record (``spec``: ``specs.ImpSpec``;
    ``train``: ``specs.TrainSpec``)."""
    from .runs import RunSpec
    from .train import train_runs

    if spec.rewind != REWIND:
        raise ValueError(f"rewind {spec.rewind!r} is not implemented (only {REWIND!r})")
    names = prunable_names(spec.prune_output_layer)
    n_prunable = sum(dense[k][0].numel() for k in names)
    masks, keep = next_round_masks(
        final_weights(prev),
        run_masks(prev, names),
        n_prunable,
        spec.sparsity,
        round_index,
        spec.rounds,
    )
    full = {
        "W1": masks["W1"],
        "W2": masks.get("W2", torch.ones_like(dense["W2"][0], dtype=torch.bool)),
    }
    init = rewind(initial_weights(dense), full)
    run_meta = json.loads(dense["meta"])
    extra = {"run_id": run_id, "imp_id": imp_id}
    run = RunSpec(
        seed=run_meta["seed"],
        sigma0=run_meta["sigma0"],
        init=init,
        mask_W1=full["W1"],
        mask_W2=full["W2"],
        meta={**extra, "imp_round": round_index, "imp_sparsity": spec.sparsity},
    )
    hidden = init["W1"].shape[0]
    train_runs(
        data,
        [run],
        hidden=hidden,
        total_steps=train.total_steps,
        ckpt_steps=train.checkpoint_steps,
        lr=train.lr,
        momentum=train.momentum,
        batch_size=train.batch_size,
        window=train.window,
        method=train.method,
        every_s=every_s,
        out=out_run,
        code=code,
        device=device,
        progress=True,
        data_meta=data_meta,
    )
    save_checkpoint(
        out_masks,
        masks_record(
            masks,
            keep,
            n_prunable,
            spec.sparsity,
            round_index,
            spec.rounds,
            spec.prune_output_layer,
            hidden,
            extra=extra,
        ),
    )
    return keep, n_prunable
