"""The train / validation split of a source's train images (the paper: MNIST 48000 / 12000).

A seeded permutation of the source's train split (``split_seed``): its first
``n_validation`` images are the validation set, the next ``n_train`` the train set.
Random, not stratified, as a plain hold-out: the validation classes are then only
roughly balanced, which the informativeness bound accounts for (``metrics``).
Stored as one ``.npz`` (uint8 pixels, labels, the source indices of every image).
"""

import json

import numpy as np

from .. import datasets
from ..specs import identity
from ..store.atomic import atomic_path


class SplitTooLargeError(ValueError):
    pass


def make_split(spec, images, labels):
    """The split of ``images`` [n, H, W] / ``labels`` [n] (the source's train split)."""
    n = len(labels)
    need = spec.n_train + spec.n_validation
    if need > n:
        raise SplitTooLargeError(
            f"samplesets.data.n_train ({spec.n_train}) + samplesets.data.n_validation "
            f"({spec.n_validation}) = {need} images, but the {spec.source} train split under "
            f"{spec.data_dir} has {n}"
        )
    order = np.random.default_rng(spec.split_seed).permutation(n)
    val, train = order[: spec.n_validation], order[spec.n_validation : need]
    flat = images.reshape(n, -1)
    return {
        "x_train": flat[train],
        "y_train": labels[train].astype(np.int64),
        "x_val": flat[val],
        "y_val": labels[val].astype(np.int64),
        "train_index": train.astype(np.int64),
        "val_index": val.astype(np.int64),
    }


def write_split(spec, out):
    images, labels = datasets.load_arrays(
        spec.source, spec.data_dir, train=True, download=spec.download
    )
    arrays = make_split(spec, images, labels)
    meta = {
        **identity(spec),
        "classes": list(datasets.source(spec.source).classes),
        "image_shape": list(images.shape[1:]),
    }
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:  # np.savez would append .npz to a path without it
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)
    return arrays, meta


def load_split(path):
    """(arrays, meta) of a split file."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files if k != "meta"}
        meta = json.loads(str(f["meta"]))
    return arrays, meta


def scaled(x):
    """uint8 pixels -> float32 in [0, 1] (``DataSpec.scale == 'unit'``)."""
    return x.astype(np.float32) / 255.0
