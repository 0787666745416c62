"""Adapters of the samplesets rules: read the job's files and params, call one library function.

Set-up (logging, threads, device) happens in ``workflow_scripts/run.py``. Library
modules are imported inside each adapter, so that each stage's code digest covers its
own code only (``workflow_scripts.entry``). Specs are rebuilt from params with
``specs.from_params``; run settings (where the data live, resume interval) come from
the config the job runs under.
"""

import logging

from ..entry import stage
from ..specs import from_params

log = logging.getLogger(__name__)


@stage(torch=False)
def data(smk):
    from .data import write_split
    from .specs import DataSpec

    location = {
        "data_dir": str(smk.config["data_dir"]),
        "download": bool(smk.config["samplesets"]["data"]["download"]),
    }
    spec = from_params(DataSpec, smk.params.spec, **location)
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
    from ..store import resume
    from .data import load_split
    from .specs import TrainSpec
    from .train import train_run

    p = smk.params.spec
    arrays, _ = load_split(smk.input.data)
    log.info("training %s on %s with %d thread(s)", p["run_id"], device, smk.threads)
    train_run(
        arrays["x_train"],
        arrays["y_train"],
        from_params(TrainSpec, p["train"]),
        smk.output[0],
        device=device,
        code=smk.params.code,
        identity=p["data"],
        every_s=resume.every_seconds(smk.config),
    )


def _attrs(smk, title):
    """The cube's standard attributes; ``title`` names the run as ``{run}``."""
    from ..store.cube import standard_attrs

    p = smk.params.spec
    title = title.format(run=p["run_id"])
    return standard_attrs(title, "samplesets", p["config"], run_id=p["run_id"], **p["labels"])


@stage
def extract(smk, device):
    from .data import load_split
    from .extract import extract_cube
    from .specs import TrainSpec

    arrays, meta = load_split(smk.input.data)
    extract_cube(
        smk.input.checkpoints,
        arrays,
        from_params(TrainSpec, smk.params.spec["train"]),
        smk.output[0],
        _attrs(smk, "sample-set counts and metrics of run {run}"),
        class_names=meta["classes"],
        device=device,
    )


@stage
def activations(smk, device):
    from .activations import extract_activations
    from .data import load_split
    from .specs import ActivationOptions, TrainSpec

    p = smk.params.spec
    arrays, _ = load_split(smk.input.data)
    extract_activations(
        smk.input.checkpoints,
        arrays,
        from_params(TrainSpec, p["train"]),
        smk.output[0],
        _attrs(smk, "binary activations of run {run} on the validation set"),
        node_chunk=from_params(ActivationOptions, p["options"]).node_chunk,
        device=device,
    )


@stage(torch=False)
def table(smk):
    from ..store.cube import open_cube
    from .figure_specs import TABLES
    from .table import write_grid_table

    options = from_params(TABLES[smk.wildcards.table], smk.params.options)
    write_grid_table([open_cube(path) for path in smk.input.cubes], options, smk.output[0])


@stage(torch=False)
def figure(smk):
    from ..plotting import apply_style
    from ..store.cube import open_cube
    from . import figures
    from .figure_specs import FIGURES

    apply_style()
    fig = smk.wildcards.fig
    inputs = {"cubes": [open_cube(path) for path in smk.input.cubes]}
    getattr(figures, fig)(inputs, from_params(FIGURES[fig], smk.params.options), smk.output[0])
