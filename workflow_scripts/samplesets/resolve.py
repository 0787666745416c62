"""The samplesets config resolved into specs (every default filled in: ``specs``)."""

import math

from .. import datasets
from .figure_specs import Setup
from .specs import DataSpec, Net, TrainSpec, checkpoint_steps, steps_per_epoch

STUDY = "samplesets"


def planned_nets(config):
    """Every net of the ``nets`` products, in config order, without repeats."""
    nets = {}
    for entry in config[STUDY]["nets"]:
        for depth in entry["depths"]:
            for width in entry["widths"]:
                for loss in entry["losses"]:
                    net = Net(int(depth), int(width), loss)
                    nets.setdefault(net.name, net)
    return nets


def data_spec(config):
    d = config[STUDY]["data"]
    return DataSpec(
        source=d["source"],
        n_train=int(d["n_train"]),
        n_validation=int(d["n_validation"]),
        split_seed=int(d["split_seed"]),
        data_dir=str(config["data_dir"]),
        download=bool(d["download"]),
    )


def train_spec(config, data, net, seed):
    t, c = config[STUDY]["train"], config[STUDY]["checkpoints"]
    source = datasets.source(data.source)
    spe = steps_per_epoch(data.n_train, t["batch_size"])
    total = max(1, int(round(float(t["epochs"]) * spe)))
    return TrainSpec(
        depth=net.depth,
        width=net.width,
        loss=net.loss,
        n_in=math.prod(source.image_shape),
        n_classes=len(source.classes),
        bias=(True,) + (False,) * (net.depth - 1),
        init=t["init"],
        lr=float(t["lr"]),
        betas=tuple(float(b) for b in t["betas"]),
        eps=float(t["eps"]),
        adam_impl=t["adam_impl"],
        batch_size=int(t["batch_size"]),
        n_train=data.n_train,
        steps_per_epoch=spe,
        total_steps=total,
        checkpoint_steps=checkpoint_steps(total, c["n_log"], c["dense_until"]),
        seed=int(seed),
    )


def caption_setup(config, data):
    """What the captions state about the runs (``Setup``)."""
    t = config[STUDY]["train"]
    return Setup(
        source=data.source,
        n_validation=data.n_validation,
        split_seed=data.split_seed,
        lr=float(t["lr"]),
        batch_size=int(t["batch_size"]),
        epochs=float(t["epochs"]),
        init=t["init"],
        seeds=tuple(sorted(int(x) for x in config[STUDY]["seeds"])),
    )
