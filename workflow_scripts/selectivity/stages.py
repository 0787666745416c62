"""Adapters of the selectivity rules: read the job's files and params, rebuild the specs
(``specs.from_params``; the run settings ``data_dir`` and ``download`` from the config
the job runs under), call one library function.

Set-up (logging, threads, device from ``params.device``) happens in
``workflow_scripts/run.py``. Library modules are imported inside each adapter, so that
each stage's code digest covers its own code only (``workflow_scripts.entry``).
"""

import logging

from ..entry import stage
from ..specs import from_params

log = logging.getLogger(__name__)


def _workers(threads, device):
    """DataLoader processes of an image-folder job: every thread on a GPU job (the GPU
    computes), all but one on a CPU job (the main process computes)."""
    return int(threads) if device.type == "cuda" else max(0, int(threads) - 1)


def _data_spec(params, config):
    from .specs import DataSpec

    return from_params(
        DataSpec,
        params,
        data_dir=str(config["data_dir"]),
        download=bool(config["selectivity"]["data"]["download"]),
    )


def _sets(data_file, data_spec, model_spec, which):
    """The data file's splits, the network's input channels and the image sets ``which``."""
    from .data import load_splits
    from .images import open_images
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

    splits = make_splits(_data_spec(smk.params.spec, smk.config))
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
    from .specs import TrainSpec
    from .train import train_run

    p = smk.params.spec
    spec = from_params(TrainSpec, p["train"])
    data_spec = _data_spec(p["data"], smk.config)
    splits, channels, (images,) = _sets(smk.input.data, data_spec, spec.model, ["train"])
    train_run(
        images,
        len(splits["classes"]),
        channels,
        spec,
        smk.output.checkpoints,
        device,
        code=smk.params.code,
        identity=identity(data_spec),
        workers=_workers(smk.threads, device),
        every_s=every_seconds(smk.config),
    )


def _part(smk, which):
    """(train spec, extract options, splits, channels, image sets, checkpoint steps) of
    an extraction or ablation job."""
    from .specs import ExtractOptions, TrainSpec, batches_per_epoch

    p = smk.params.spec
    train = from_params(TrainSpec, p["train"])
    data_spec = _data_spec(p["data"], smk.config)
    splits, channels, sets = _sets(smk.input.data, data_spec, train.model, which)
    bpe = batches_per_epoch(len(splits["train_idx"]), train.batch_size)
    steps = train.checkpoint_steps(bpe)
    return (
        train,
        from_params(ExtractOptions, p["extract"]),
        splits,
        channels,
        sets,
        [steps[label] for label in p["labels"]],
    )


def _attrs(p, what):
    from ..store.cube import standard_attrs

    return standard_attrs(
        f"selectivity {what} of run {p['run_id']}",
        "selectivity",
        p["config"],
        run_id=p["run_id"],
        bn=p["extract"]["bn"],
        checkpoints=p["labels"],
    )


@stage
def extract(smk, device):
    from .extract import extract as extract_part

    p = smk.params.spec
    train, options, splits, channels, (probe, bn), steps = _part(smk, ["probe", "bn"])
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
        _attrs(p, "extraction"),
        device=device,
        workers=_workers(smk.threads, device),
    )


@stage
def ablate(smk, device):
    from ..store.cube import open_cube
    from .ablate import ablate as ablate_part
    from .specs import AblationOptions

    p = smk.params.spec
    train, options, splits, channels, (images, bn), steps = _part(smk, ["ablate", "bn"])
    with open_cube(smk.input.extract) as part:
        ablate_part(
            smk.input.checkpoints,
            steps,
            part,
            images,
            bn,
            train.model,
            len(splits["classes"]),
            channels,
            options,
            from_params(AblationOptions, p["ablation"]),
            smk.output[0],
            _attrs(p, "ablation"),
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
    from .specs import FIGURES

    fig = smk.wildcards.fig
    apply_style()
    cubes = {key: [open_cube(path) for path in _paths(smk.input[key])] for key in smk.input.keys()}
    options = from_params(FIGURES[fig], smk.params.options)
    getattr(figures, fig)(cubes, options, smk.output[0])
