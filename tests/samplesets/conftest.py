"""Small specs and data shared by the samplesets unit tests."""

import numpy as np

from workflow_scripts.samplesets.specs import TrainSpec, checkpoint_steps, steps_per_epoch


def small_spec(
    depth=3,
    width=8,
    loss="ce",
    init="default",
    n_train=90,
    batch=20,
    epochs=3,
    seed=0,
    adam_impl="fused",
    n_log=5,
    dense_until=3,
):
    spe = steps_per_epoch(n_train, batch)
    total = epochs * spe
    return TrainSpec(
        depth=depth,
        width=width,
        loss=loss,
        n_in=784,
        n_classes=10,
        bias=(True,) + (False,) * (depth - 1),
        init=init,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        adam_impl=adam_impl,
        batch_size=batch,
        n_train=n_train,
        steps_per_epoch=spe,
        total_steps=total,
        checkpoint_steps=checkpoint_steps(total, n_log, dense_until),
        seed=seed,
    )


def fake_split(n_train=90, n_val=64, seed=0):
    """Class-dependent images (learnable) in the split file's layout."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, size=(10, 784))

    def images(n):
        y = rng.integers(0, 10, size=n)
        x = np.clip(templates[y] + rng.normal(0, 40, size=(n, 784)), 0, 255).astype(np.uint8)
        return x, y.astype(np.int64)

    x_train, y_train = images(n_train)
    x_val, y_val = images(n_val)
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "train_index": np.arange(n_train),
        "val_index": np.arange(n_train, n_train + n_val),
    }
