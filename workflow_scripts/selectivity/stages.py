"""Adapters of the selectivity rules: read the job's files and params, rebuild the specs
(``specs.from_params``; the run settings ``data_dir`` and ``download`` from the config
the job runs under: ``job_inputs``), call one library function.

Set-up (logging, threads, device from ``params.device``) happens in
``workflow_scripts/run.py``. Library modules are imported inside each adapter, so that
each stage's code digest covers its own code only (``workflow_scripts.entry``).
"""

import logging

from ..entry import stage
from ..specs import from_params

log = logging.getLogger(__name__)


def _paths(value):
    """A named input as a list of paths (Snakemake gives one path as a plain string)."""
    return [value] if isinstance(value, str) else list(value)


@stage
def data(smk):
    from .data import make_splits, save_splits
    from .job_inputs import data_spec

    splits = make_splits(data_spec(smk.params.spec, smk.config))
    save_splits(smk.output[0], splits)
    log.info(
        "wrote %s: %d training, %d probe, %d ablation images, %d classes",
        smk.output[0],
        len(splits["train_idx"]),
        len(splits["probe_idx"]),
        len(splits["ablate_idx"]),
        len(splits["classes"]),
    )


@stage
def train(smk, device):
    from ..specs import identity
    from ..store.resume import every_seconds
    from .job_inputs import data_spec, image_sets, workers
    from .specs import TrainSpec
    from .train import train_run

    p = smk.params.spec
    spec = from_params(TrainSpec, p["train"])
    data = data_spec(p["data"], smk.config)
    splits, channels, (images,) = image_sets(smk.input.data, data, spec.model, ["train"])
    train_run(
        images,
        len(splits["classes"]),
        channels,
        spec,
        smk.output.checkpoints,
        device,
        code=smk.params.code,
        identity=identity(data),
        workers=workers(smk.threads, device),
        every_s=every_seconds(smk.config),
    )


@stage
def extract(smk, device):
    from .extract import extract as extract_part
    from .job_inputs import label_steps, part, part_attrs, workers

    tested = smk.params.spec["test_labels"]
    train, options, splits, channels, sets, steps = part(
        smk, ["probe", "bn"] + (["test"] if tested else [])
    )
    probe, bn, test = (*sets, None)[:3]
    extract_part(
        smk.input.checkpoints,
        steps,
        probe,
        bn,
        train.model,
        len(splits["classes"]),
        channels,
        splits["classes"],
        options,
        smk.output[0],
        part_attrs(smk.params.spec, "extraction"),
        device=device,
        workers=workers(smk.threads, device),
        test_images=test,
        test_steps=set(label_steps(smk, tested)),
    )


@stage
def ablate(smk, device):
    from ..store.cube import open_cube
    from .ablate import ablate as ablate_part
    from .job_inputs import part, part_attrs, workers
    from .specs import AblationOptions

    p = smk.params.spec
    train, options, splits, channels, (images, bn), steps = part(smk, ["ablate", "bn"])
    spec = from_params(AblationOptions, p["ablation"])
    ablated = {s for s, label in zip(steps, p["labels"]) if spec.ablates(label)}
    with open_cube(smk.input.extract) as extracted:
        ablate_part(
            smk.input.checkpoints,
            steps,
            extracted,
            images,
            bn,
            train.model,
            len(splits["classes"]),
            channels,
            options,
            spec,
            smk.output[0],
            part_attrs(p, "ablation"),
            device=device,
            workers=workers(smk.threads, device),
            ablated=ablated,
        )


@stage(torch=False)
def merge(smk):
    from ..store.cube import standard_attrs
    from .merge import merge as merge_parts

    p = smk.params.spec
    attrs = standard_attrs(
        f"selectivity cube of run {p['run_id']}",
        "selectivity",
        p["config"],
        run_id=p["run_id"],
        bn=p["config"]["extract"]["bn"],
        cka_precision=p["config"]["extract"]["cka_precision"],
        **p["labels"],
    )
    ablate = _paths(smk.input.ablate) if "ablate" in smk.input.keys() else []
    merge_parts(_paths(smk.input.extract), ablate, smk.output[0], attrs)


@stage(torch=False)
def figure(smk):
    from ..plotting import apply_style
    from ..store.cube import open_cube
    from . import figures
    from .figure_specs import FIGURES

    fig = smk.wildcards.fig
    apply_style()
    cubes = {key: [open_cube(p) for p in _paths(smk.input[key])] for key in smk.input.keys()}
    options = from_params(FIGURES[fig], smk.params.options)
    getattr(figures, fig)(cubes, options, smk.output[0])
