"""What the selectivity jobs read: specs rebuilt from params, the run settings from the
config the job runs under, the data file's image sets, the steps of a part's checkpoints.

The adapters (``stages.py``) import this module inside their bodies, so that every
stage's code digest covers it (``workflow_scripts.entry``).
"""

from ..specs import from_params
from ..store.cube import standard_attrs
from .data import load_splits
from .images import open_images
from .network import input_channels
from .specs import DataSpec, ExtractOptions, TrainSpec, batches_per_epoch


def workers(threads, device):
    """DataLoader processes of an image-folder job: every thread on a GPU job (the GPU
    computes), all but one on a CPU job (the main process computes)."""
    return int(threads) if device.type == "cuda" else max(0, int(threads) - 1)


def data_spec(params, config):
    """The data spec of ``params``, with ``data_dir`` and ``download`` (run settings) from
    the config the job runs under."""
    return from_params(
        DataSpec,
        params,
        data_dir=str(config["data_dir"]),
        download=bool(config["selectivity"]["data"]["download"]),
    )


def image_sets(data_file, spec, model_spec, which):
    """The data file's splits, the network's input channels and the image sets ``which``."""
    splits = load_splits(data_file)
    channels = input_channels(model_spec, len(splits["mean"]))
    return splits, channels, [open_images(splits, spec, w, channels) for w in which]


def part(smk, which):
    """(train spec, extract options, splits, channels, image sets ``which``, checkpoint
    steps) of an extraction or ablation job: the part's labels placed by the run's
    batches per epoch (its training subset and batch size)."""
    p = smk.params.spec
    train = from_params(TrainSpec, p["train"])
    splits, channels, sets = image_sets(
        smk.input.data, data_spec(p["data"], smk.config), train.model, which
    )
    steps = train.checkpoint_steps(batches_per_epoch(len(splits["train_idx"]), train.batch_size))
    options = from_params(ExtractOptions, p["extract"])
    return train, options, splits, channels, sets, [steps[label] for label in p["labels"]]


def label_steps(smk, labels):
    """The steps of the run's checkpoint ``labels`` (by its batches per epoch)."""
    p = smk.params.spec
    train = from_params(TrainSpec, p["train"])
    splits = load_splits(smk.input.data)
    steps = train.checkpoint_steps(batches_per_epoch(len(splits["train_idx"]), train.batch_size))
    return [steps[label] for label in labels]


def part_attrs(p, what):
    """Global attributes of a part cube (``what``: extraction or ablation)."""
    return standard_attrs(
        f"selectivity {what} of run {p['run_id']}",
        "selectivity",
        p["config"],
        run_id=p["run_id"],
        bn=p["extract"]["bn"],
        cka_precision=p["extract"]["cka_precision"],
        checkpoints=p["labels"],
    )
