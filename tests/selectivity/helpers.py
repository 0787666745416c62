"""Specs of tiny runs for the unit tests (every field set, as the plan resolves them for
the CPU)."""

from dataclasses import replace

from workflow_scripts.selectivity.specs import (
    NO_REGULARIZER,
    DataSpec,
    ExtractOptions,
    ModelSpec,
    TrainSpec,
)


def data_spec(data_dir, **kw):
    base = DataSpec(
        source="fashion_mnist",
        folder="",
        n_train=200,
        probe_split="test",
        n_probe=60,
        ablate_split="test",
        n_ablate=60,
        n_bn=50,
        n_test=0,
        seed=0,
        image_size=0,
        resize=0,
        augment=False,
        data_dir=str(data_dir),
    )
    return replace(base, **kw)


def folder_spec(data_dir, **kw):
    return data_spec(
        data_dir,
        **{
            "source": "imagefolder",
            "folder": "tiny",
            "n_train": 0,
            "n_probe": 12,
            "n_ablate": 12,
            "n_bn": 12,
            "image_size": 16,
            "resize": 18,
            "augment": True,
            **kw,
        },
    )


NARROW = ModelSpec(name="narrow_resnet18", width=4, stem="imagenet")


def train_spec(**kw):
    base = TrainSpec(
        model=NARROW,
        regularizer=NO_REGULARIZER,
        seed=0,
        epochs=2,
        batch_size=32,
        lr=0.05,
        momentum=0.9,
        weight_decay=1e-4,
        lr_milestones=(),
        lr_gamma=0.1,
        amp=False,
        channels_last=False,
        checkpoint_batches=(0, 2, 5),
        checkpoint_epochs=(1, 2),
    )
    return replace(base, **kw)


EXTRACT = ExtractOptions(batch_size=20, bn="recompute", floor_seed=0, cka_precision="float32")
