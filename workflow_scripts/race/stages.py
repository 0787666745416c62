"""Adapters of the race rules: read the job's files and params, call one library function.

Set-up (logging, threads, device) happens in ``workflow_scripts/run.py``. Specs are
rebuilt from ``params`` with ``specs.from_params``; run settings (where the data live,
memory knobs, how often to save a resume state) come from the config the job runs
under. Library modules are imported inside each adapter, so that each stage's code
digest covers its own code only (``workflow_scripts.entry``).
"""

import logging
from pathlib import Path

from ..entry import stage

log = logging.getLogger(__name__)


def _meta(record):
    """The ``meta`` JSON of a data set or run dict. (Helpers import nothing of the
    package: a stage's code digest covers the imports of its adapter only.)"""
    import json

    return json.loads(record["meta"])


def _checkpoints(smk, run_id):
    """The run's checkpoints directory inside its stack (``RacePlan.run_checkpoints``)."""
    return Path(smk.input.stack) / run_id / "checkpoints"


@stage
def data(smk):
    from ..specs import from_params
    from .data import write_binary_dataset
    from .specs import DataSpec

    spec = from_params(
        DataSpec,
        smk.params.spec,
        data_dir=str(smk.config.get("data_dir", "data")),
        download=bool(smk.config["race"]["data"]["download"]),
    )
    out = write_binary_dataset(smk.output[0], spec)
    log.info("wrote %s: %s", smk.output[0], out["meta"])


@stage
def train(smk, device):
    from ..specs import from_params
    from ..store.checkpoints import load_checkpoint
    from ..store.resume import every_seconds
    from .runs import RunSpec
    from .specs import TrainSpec
    from .train import train_runs

    p = smk.params.spec
    t = from_params(TrainSpec, p["train"])
    data = load_checkpoint(smk.input.data)
    runs = [
        RunSpec(seed=r["seed"], sigma0=r["sigma0"], meta={"run_id": r["run_id"]}) for r in p["runs"]
    ]
    log.info(
        "training %d run(s) (d=%d, N=%d, %d steps, %s) on %s into %s",
        len(runs),
        p["hidden"],
        len(data["y_train"]),
        t.total_steps,
        t.method,
        device,
        smk.output[0],
    )
    train_runs(
        data,
        runs,
        hidden=p["hidden"],
        total_steps=t.total_steps,
        ckpt_steps=t.checkpoint_steps,
        lr=t.lr,
        momentum=t.momentum,
        batch_size=t.batch_size,
        window=t.window,
        method=t.method,
        every_s=every_seconds(smk.config),
        out=Path(smk.output[0]),
        names=[r["run_id"] for r in p["runs"]],
        code=smk.params.code,
        device=device,
        progress=True,
        data_meta=_meta(data),
    )


@stage
def imp_round(smk, device):
    from ..specs import from_params
    from ..store.checkpoints import load_checkpoint
    from ..store.resume import every_seconds
    from .dumps import load_run
    from .imp import run_round
    from .specs import ImpSpec, TrainSpec

    p = smk.params.spec
    data = load_checkpoint(smk.input.data)
    dense = load_run(_checkpoints(smk, p["run_id"]), ends_only=True)  # init and final
    prev = dense if p["round"] == 1 else load_checkpoint(smk.input.prev)
    keep, n = run_round(
        data,
        dense,
        prev,
        run_id=p["run_id"],
        imp_id=p["imp_id"],
        round_index=p["round"],
        spec=from_params(ImpSpec, p["imp"]),
        train=from_params(TrainSpec, p["train"]),
        out_run=smk.output.run,
        out_masks=smk.output.masks,
        every_s=every_seconds(smk.config),
        device=device,
        code=smk.params.code,
        data_meta=_meta(data),
    )
    log.info("IMP %s round %d: kept %d of %d prunable weights", p["imp_id"], p["round"], keep, n)


@stage
def extract(smk):
    import torch

    from ..specs import from_params, run_settings
    from ..store.checkpoints import load_checkpoint
    from ..store.cube import standard_attrs
    from .dumps import load_run
    from .extract import extract_run
    from .specs import ExtractOptions

    p = smk.params.spec
    run_id = p["labels"]["run_id"]
    weights = load_run(_checkpoints(smk, run_id))
    data = load_checkpoint(smk.input.data)
    attrs = standard_attrs(
        f"run {run_id}",
        "race",
        p["config"],
        run_id=run_id,
        labels=p["labels"],
        weights_meta=_meta(weights),
        data_meta=_meta(data),
    )
    chunks = run_settings(ExtractOptions, smk.config["race"]["extract"])
    with torch.no_grad():
        extract_run(
            weights,
            data,
            smk.output.dynamics,
            smk.output.similarity,
            attrs=attrs,
            options=from_params(ExtractOptions, p["options"], **chunks),
        )


@stage
def stable_cells(smk, device):
    import torch

    from ..specs import from_params, run_settings
    from ..store.checkpoints import load_checkpoint
    from ..store.cube import standard_attrs
    from .extract_cells import extract_stable_cells
    from .specs import StableCellOptions

    p = smk.params.spec
    data = load_checkpoint(smk.input.data)
    attrs = standard_attrs(
        f"data set {p['labels']['data_id']}",
        "race",
        p["config"],
        labels=p["labels"],
        data_meta=_meta(data),
    )
    chunks = run_settings(StableCellOptions, smk.config["race"]["stable_cells"])
    with torch.no_grad():
        extract_stable_cells(
            data,
            smk.output.stable_cells,
            attrs=attrs,
            options=from_params(StableCellOptions, p["options"], **chunks),
            device=str(device),
        )


@stage
def figure(smk):
    from ..plotting import apply_style
    from ..specs import from_params
    from . import figures
    from .figure_specs import FIGURES
    from .records import close, load_records

    fig = smk.wildcards.fig
    options = from_params(FIGURES[fig], smk.params.options)
    records = load_records(**{k: list(v) for k, v in smk.input.items()})
    apply_style()
    try:
        figures.FIGURES[fig](records, options, smk.output[0])
    finally:
        close(records)


@stage
def table(smk):
    from ..specs import from_params
    from .figure_specs import TABLES
    from .records import close, load_records
    from .table1 import table1
    from .task import task_table

    options = from_params(TABLES["table1"], smk.params.options)
    records = load_records(**{k: list(v) for k, v in smk.input.items()})
    try:
        table1(records, options, smk.output.csv, smk.output.tex)
        task_table(records, smk.output.task)
    finally:
        close(records)
