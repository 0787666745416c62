"""Snakemake entry points of the race study: ``main(snakemake)`` dispatches on the rule.

Rules run ``workflow_scripts/run.py``, which calls ``main`` here for every race rule; every
hyperparameter arrives through ``snakemake.params`` (Snakemake does not track config
values read inside a script), inputs/outputs/log/threads are the only other things read.
"""

import json
import logging
from pathlib import Path
from types import SimpleNamespace

log = logging.getLogger("workflow_scripts.race.entry")


def _setup(smk):
    from workflow_scripts.runtime import configure_torch, setup_logging

    setup_logging(smk.log[0] if smk.log else None)
    # tiny models: one thread per job (two were ~5x slower), let Snakemake run jobs side by side
    configure_torch(getattr(smk, "threads", 1) or 1)


def main_data(smk):
    from workflow_scripts.race.data import write_binary_dataset

    spec = dict(smk.params.spec)
    out = write_binary_dataset(smk.output[0], **spec)
    log.info("wrote %s: %s", smk.output[0], out["meta"])


def main_install_idx(smk):
    from workflow_scripts.race.data import install_idx_from_debian

    raw = install_idx_from_debian(smk.params.data_dir, smk.params.source,
                                  getattr(smk.params, "debian_dir", None))
    log.info("idx files in %s", raw)


def _load_data(path, device="cpu"):
    from workflow_scripts.store.checkpoints import load_checkpoint

    data = load_checkpoint(path)
    return data, json.loads(data["meta"])


def main_train(smk):
    from workflow_scripts.race.train import RunSpec, train_runs
    from workflow_scripts.runtime import pick_device

    p = smk.params
    data, data_meta = _load_data(smk.input.data)
    t = dict(p.train)
    runs = [RunSpec(seed=r["seed"], sigma0=r["sigma0"], meta={"run_id": r["run_id"]})
            for r in p.runs]
    device = pick_device(p.device)
    log.info("training %d run(s) (d=%d, N=%d, %d steps) on %s into %s", len(runs), p.hidden,
             len(data["y_train"]), t["total_steps"], device, smk.output[0])
    train_runs(data, runs, hidden=p.hidden, total_steps=t["total_steps"],
               ckpt_steps=t["checkpoint_steps"], lr=t["lr"], momentum=t["momentum"],
               batch_size=t["batch_size"], window=t["window"], method=t["method"],
               resume_every=p.resume_every, out_dir=smk.output[0],
               names=[r["run_id"] for r in p.runs], device=device, progress=True,
               data_meta=data_meta)


def main_imp_round(smk):
    import torch

    from workflow_scripts.race import imp
    from workflow_scripts.race.train import RunSpec, train_runs
    from workflow_scripts.runtime import pick_device
    from workflow_scripts.store.checkpoints import load_checkpoint, save_checkpoint

    p = smk.params
    spec, t, r = p.spec, dict(p.train), int(p.round)
    data, data_meta = _load_data(smk.input.data)
    dense = load_checkpoint(Path(smk.input.stack) / f"{p.run_id}.pt")
    prev = dense if r == 1 else load_checkpoint(smk.input.prev)
    names = imp.prunable_names(spec["prune_output_layer"])
    n_prunable = sum(dense[k][0].numel() for k in names)
    if spec["rewind"] != "init":
        raise ValueError(f"rewind {spec['rewind']!r} is not implemented (only 'init')")
    masks, keep = imp.next_round_masks(imp.final_weights(prev), imp.run_masks(prev, names),
                                       n_prunable, spec["sparsity"], r, spec["rounds"])
    full = {"W1": masks["W1"],
            "W2": masks.get("W2", torch.ones_like(dense["W2"][0], dtype=torch.bool))}
    init = imp.rewind(imp.initial_weights(dense), full)
    run_meta = json.loads(dense["meta"])
    extra = {"run_id": p.run_id, "imp_id": p.imp_id}
    run = RunSpec(seed=run_meta["seed"], sigma0=run_meta["sigma0"], init=init,
                  mask_W1=full["W1"], mask_W2=full["W2"],
                  meta={**extra, "imp_round": r, "imp_sparsity": spec["sparsity"]})
    log.info("IMP %s round %d/%d: keep %d of %d prunable weights", p.imp_id, r,
             spec["rounds"], keep, n_prunable)
    train_runs(data, [run], hidden=init["W1"].shape[0], total_steps=t["total_steps"],
               ckpt_steps=t["checkpoint_steps"], lr=t["lr"], momentum=t["momentum"],
               batch_size=t["batch_size"], window=t["window"], method=t["method"],
               resume_every=p.resume_every, out_paths=[smk.output.run],
               device=pick_device(p.device), progress=True, data_meta=data_meta)
    record = imp.masks_record(masks, keep, n_prunable, spec["sparsity"], r, spec["rounds"],
                              spec["prune_output_layer"], init["W1"].shape[0], extra=extra)
    save_checkpoint(smk.output.masks, record)


def main_extract(smk):
    from workflow_scripts.race import run_extract

    weights = str(Path(smk.input.stack) / f"{smk.params.run_id}.pt")
    proxy = SimpleNamespace(input=SimpleNamespace(weights=weights, data=smk.input.data),
                            output=smk.output, params=smk.params, log=smk.log,
                            threads=getattr(smk, "threads", 1), rule=smk.rule)
    run_extract.main_dynamics(proxy)


def main_stable_cells(smk):
    from workflow_scripts.race import run_extract

    run_extract.main(smk)


def main_figure(smk):
    from workflow_scripts.race import run_figures

    run_figures.main(smk)


ENTRY_POINTS = {
    "race_data": main_data,
    "race_install_fashion_mnist": main_install_idx,
    "race_train": main_train,
    "race_imp_round": main_imp_round,
    "race_extract": main_extract,
    "race_stable_cells": main_stable_cells,
    "race_figure": main_figure,
    "race_table": main_figure,
}


def main(snakemake):
    try:
        func = ENTRY_POINTS[snakemake.rule]
    except KeyError:
        raise SystemExit(f"no race entry point for rule {snakemake.rule!r}") from None
    _setup(snakemake)
    try:
        func(snakemake)
    except Exception:  # the log file gets the reason, not only Snakemake's stderr
        log.exception("rule %s failed", snakemake.rule)
        raise
