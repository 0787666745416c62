"""Adapters of the selectivity rules: read the job's files and params, call one library
function.

Set-up (logging, threads, device) happens in ``workflow_scripts/run.py``. Library
modules are imported inside each adapter, so that each stage's code digest covers its
own code only (``workflow_scripts.entry``).
"""

import logging

from .. import datasets
from ..entry import stage

log = logging.getLogger(__name__)


def _workers(threads, device):
    """DataLoader processes of an image-folder job: every thread on a GPU job (the GPU
    computes), all but one on a CPU job (the main process computes)."""
    return int(threads) if device.type == "cuda" else max(0, int(threads) - 1)


def _sets(data_file, data_spec, model_spec, which):
    """The data file's splits, the network's input channels and the image sets ``which``."""
    from .data import load_splits, open_images
    from .network import input_channels

    splits = load_splits(data_file)
    channels = input_channels(model_spec, len(splits["mean"]))
    return splits, channels, [open_images(splits, data_spec, w, channels) for w in which]


def _paths(value):
    """A named input as a list of paths (Snakemake gives one path as a plain string)."""
    return [value] if isinstance(value, str) else list(value)


@stage
def data(smk):
    from .data import make_splits, save_splits
    from .specs import DataSpec

    splits = make_splits(DataSpec(**datasets.with_location(smk.params.spec, smk.config)))
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
    from .specs import DataSpec, TrainSpec
    from .train import train_run

    p = smk.params.spec
    spec = TrainSpec.from_params(p["train"])
    data_spec = DataSpec(**datasets.with_location(p["data"], smk.config))
    splits, channels, (images,) = _sets(smk.input.data, data_spec, spec.model, ["train"])
    train_run(
        images,
        len(splits["classes"]),
        channels,
        spec,
        smk.output.checkpoints,
        device,
        code=smk.params.code,
        identity=data_spec.identity(),
        workers=_workers(smk.threads, device),
    )


def _attrs(p, what, **extra):
    from ..store.cube import standard_attrs

    return standard_attrs(
        f"selectivity {what} of run {p['run_id']}",
        "selectivity",
        p["config"],
        run_id=p["run_id"],
        bn=p["extract"]["bn"],
        **extra,
    )


@stage
def extract(smk, device):
    from .extract import extract as extract_part
    from .specs import DataSpec, ExtractSpec, ModelSpec

    p = smk.params.spec
    model = ModelSpec(**p["model"])
    data_spec = DataSpec(**datasets.with_location(p["data"], smk.config))
    splits, channels, (probe, bn) = _sets(smk.input.data, data_spec, model, ["probe", "bn"])
    extract_part(
        smk.input.checkpoints,
        p["labels"],
        probe,
        bn,
        model,
        len(splits["classes"]),
        channels,
        splits["classes"],
        ExtractSpec(**p["extract"]),
        smk.output[0],
        _attrs(p, "extraction", checkpoints=p["labels"]),
        device=device,
        workers=_workers(smk.threads, device),
    )


@stage
def ablate(smk, device):
    from ..store.cube import open_cube
    from .ablate import ablate as ablate_part
    from .specs import AblationSpec, DataSpec, ExtractSpec, ModelSpec

    p = smk.params.spec
    model = ModelSpec(**p["model"])
    data_spec = DataSpec(**datasets.with_location(p["data"], smk.config))
    splits, channels, (images, bn) = _sets(smk.input.data, data_spec, model, ["ablate", "bn"])
    with open_cube(smk.input.extract) as part:
        ablate_part(
            smk.input.checkpoints,
            p["labels"],
            part,
            images,
            bn,
            model,
            len(splits["classes"]),
            channels,
            ExtractSpec(**p["extract"]),
            AblationSpec.from_params(p["ablation"]),
            smk.output[0],
            _attrs(p, "ablation", checkpoints=p["labels"]),
            device=device,
            workers=_workers(smk.threads, device),
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
        **p["labels"],
    )
    ablate = _paths(smk.input.ablate) if "ablate" in smk.input.keys() else []
    merge_parts(_paths(smk.input.extract), ablate, smk.output[0], attrs)


@stage(torch=False)
def figure(smk):
    from ..plotting import apply_style
    from ..store.cube import open_cube
    from . import figures

    apply_style()
    cubes = {key: [open_cube(path) for path in _paths(smk.input[key])] for key in smk.input.keys()}
    figures.FIGURES[smk.wildcards.fig](cubes, smk.params.options, smk.output[0])
