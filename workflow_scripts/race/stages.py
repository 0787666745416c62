"""Adapters of the race rules: read the job's files and params, call one library function.

Set-up (logging, threads, device) happens in ``workflow_scripts/run.py``. Library
modules are imported inside each adapter, so that each stage's code digest covers its
own code only (``workflow_scripts.entry``).
"""

import logging
from pathlib import Path

from .. import datasets
from ..entry import stage

log = logging.getLogger(__name__)


def _data(path):
    import json

    from ..store.checkpoints import load_checkpoint

    data = load_checkpoint(path)
    return data, json.loads(data["meta"])


@stage
def data(smk):
    from .data import write_binary_dataset
    from .specs import DataSpec, resolved

    spec = resolved(DataSpec, datasets.with_location(smk.params.spec, smk.config))
    out = write_binary_dataset(smk.output[0], spec)
    log.info("wrote %s: %s", smk.output[0], out["meta"])


@stage
def train(smk, device):
    from .stacked import RunSpec
    from .train import train_runs

    p = smk.params.spec
    data, data_meta = _data(smk.input.data)
    t = p["train"]
    runs = [
        RunSpec(seed=r["seed"], sigma0=r["sigma0"], meta={"run_id": r["run_id"]}) for r in p["runs"]
    ]
    log.info(
        "training %d run(s) (d=%d, N=%d, %d steps) on %s into %s",
        len(runs),
        p["hidden"],
        len(data["y_train"]),
        t["total_steps"],
        device,
        smk.output[0],
    )
    train_runs(
        data,
        runs,
        hidden=p["hidden"],
        total_steps=t["total_steps"],
        ckpt_steps=t["checkpoint_steps"],
        lr=t["lr"],
        momentum=t["momentum"],
        batch_size=t["batch_size"],
        window=t["window"],
        method=t["method"],
        resume_every=p["resume_every"],
        out=Path(smk.output[0]),
        names=[r["run_id"] for r in p["runs"]],
        code=smk.params.code,
        device=device,
        progress=True,
        data_meta=data_meta,
    )


@stage
def imp_round(smk, device):
    from ..store.checkpoints import load_checkpoint
    from .imp import run_round
    from .specs import ImpSpec

    p = smk.params.spec
    data, data_meta = _data(smk.input.data)
    dense = load_checkpoint(Path(smk.input.stack) / f"{p['run_id']}.pt")
    prev = dense if p["round"] == 1 else load_checkpoint(smk.input.prev)
    keep, n = run_round(
        data,
        dense,
        prev,
        run_id=p["run_id"],
        imp_id=p["imp_id"],
        round_index=p["round"],
        spec=ImpSpec(**p["imp"]),
        train=p["train"],
        out_run=smk.output.run,
        out_masks=smk.output.masks,
        resume_every=p["resume_every"],
        device=device,
        code=smk.params.code,
        data_meta=data_meta,
    )
    log.info("IMP %s round %d: kept %d of %d prunable weights", p["imp_id"], p["round"], keep, n)


@stage
def extract(smk):
    import json

    import torch

    from ..store.checkpoints import load_checkpoint
    from ..store.cube import standard_attrs
    from .extract import extract_run
    from .specs import ExtractOptions, resolved

    p = smk.params.spec
    run_id = p["labels"]["run_id"]
    weights = load_checkpoint(Path(smk.input.stack) / f"{run_id}.pt")
    data, data_meta = _data(smk.input.data)
    attrs = standard_attrs(
        f"run {run_id}",
        "race",
        p["config"],
        run_id=run_id,
        labels=p["labels"],
        weights_meta=json.loads(weights["meta"]),
        data_meta=data_meta,
    )
    with torch.no_grad():
        extract_run(
            weights,
            data,
            smk.output.dynamics,
            smk.output.similarity,
            attrs=attrs,
            options=resolved(ExtractOptions, p["options"]),
        )


@stage
def stable_cells(smk, device):
    import torch

    from ..store.cube import standard_attrs
    from .extract import extract_stable_cells
    from .specs import StableCellOptions, resolved

    p = smk.params.spec
    data, data_meta = _data(smk.input.data)
    attrs = standard_attrs(
        f"data set {p['labels']['data_id']}",
        "race",
        p["config"],
        labels=p["labels"],
        data_meta=data_meta,
    )
    with torch.no_grad():
        extract_stable_cells(
            data,
            smk.output.stable_cells,
            attrs=attrs,
            options=resolved(StableCellOptions, p["options"]),
            device=str(device),
        )


@stage
def figure(smk):
    from ..plotting import apply_style
    from . import figures
    from .records import close, load_records

    records = load_records(**{k: list(v) for k, v in smk.input.items()})
    apply_style()
    try:
        figures.FIGURES[smk.wildcards.fig](records, smk.params.options, smk.output[0])
    finally:
        close(records)


@stage
def table(smk):
    from .records import close, load_records
    from .table1 import table1

    records = load_records(**{k: list(v) for k, v in smk.input.items()})
    try:
        table1(records, smk.output.csv, smk.output.tex)
    finally:
        close(records)
