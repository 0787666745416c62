"""Adapters of the samplesets rules: read the job's files and params, call one library function.

Set-up (logging, threads, device) happens in ``workflow_scripts/run.py``. Library
modules are imported inside each adapter, so that each stage's code digest covers its
own code only (``workflow_scripts.entry``).
"""

import logging

from .. import datasets
from ..entry import stage

log = logging.getLogger(__name__)


@stage(torch=False)
def data(smk):
    from .data import write_split
    from .specs import DataSpec

    spec = DataSpec(**datasets.with_location(smk.params.spec, smk.config))
    arrays, meta = write_split(spec, smk.output[0])
    log.info(
        "wrote %s: %d train, %d validation images of %s",
        smk.output[0],
        len(arrays["y_train"]),
        len(arrays["y_val"]),
        meta["source"],
    )


@stage
def train(smk, device):
    from .data import load_split
    from .specs import TrainSpec, resolved
    from .train import train_run

    p = smk.params.spec
    arrays, _ = load_split(smk.input.data)
    log.info("training %s on %s with %d thread(s)", p["run_id"], device, smk.threads)
    train_run(
        arrays["x_train"],
        arrays["y_train"],
        resolved(TrainSpec, p["train"]),
        smk.output[0],
        device=device,
        code=smk.params.code,
        identity=p["data"],
        resume_every=p["resume_every"],
    )


@stage
def extract(smk, device):
    from ..store.cube import standard_attrs
    from .data import load_split
    from .extract import extract_cube
    from .specs import TrainSpec, resolved

    p = smk.params.spec
    arrays, meta = load_split(smk.input.data)
    attrs = standard_attrs(
        f"sample-set counts and metrics of run {p['run_id']}",
        "samplesets",
        p["config"],
        run_id=p["run_id"],
        **p["labels"],
    )
    extract_cube(
        smk.input.run,
        arrays,
        resolved(TrainSpec, p["train"]),
        smk.output[0],
        attrs,
        class_names=meta["classes"],
        device=device,
    )


@stage
def activations(smk, device):
    from ..store.cube import standard_attrs
    from .activations import extract_activations
    from .data import load_split
    from .specs import TrainSpec, resolved

    p = smk.params.spec
    arrays, _ = load_split(smk.input.data)
    attrs = standard_attrs(
        f"binary activations of run {p['run_id']} on the validation set",
        "samplesets",
        p["config"],
        run_id=p["run_id"],
        **p["labels"],
    )
    extract_activations(
        smk.input.run,
        arrays,
        resolved(TrainSpec, p["train"]),
        smk.output[0],
        attrs,
        node_chunk=p["node_chunk"],
        device=device,
    )


@stage(torch=False)
def table(smk):
    from ..store.cube import open_cube
    from .table import write_grid_table

    write_grid_table([open_cube(path) for path in smk.input.cubes], smk.output[0])


@stage(torch=False)
def figure(smk):
    from ..plotting import apply_style
    from ..store.cube import open_cube
    from . import figures

    apply_style()
    cubes = [open_cube(path) for path in smk.input.cubes]
    figures.FIGURES[smk.wildcards.fig](cubes, smk.params.options, smk.output[0])
