"""The data file of the selectivity study: which images train and which are held out.

The data job (``make_splits``) reads the labels of both splits of the source, draws the
held-out sets and the training subset (balanced over classes, seeded; see
``specs.DataSpec``) and the normalisation, and writes them to a small ``.npz``: indices
only, never pixels. Training and extraction jobs then read batches of the source by
index (``images.py``).
"""

import hashlib

import numpy as np

from .. import datasets
from ..store.atomic import atomic_path

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision's ImageNet normalisation
IMAGENET_STD = (0.229, 0.224, 0.225)
SPLITS = ("train", "test")


def _labels_of(spec):
    """{split: labels}, class names, and (array sources) the training images."""
    if spec.source == datasets.IMAGE_FOLDER:
        from ..datasets.imagefolder import dataset

        folders = {s: dataset(spec.data_dir, spec.folder, s) for s in SPLITS}
        if folders["train"].classes != folders["test"].classes:
            raise ValueError(
                f"image folder {spec.folder}: train/ and val/ have different class "
                "folders; both need the same classes"
            )
        labels = {s: np.asarray(f.targets, dtype=np.int64) for s, f in folders.items()}
        return labels, list(folders["train"].classes), None
    train_x, train_y = datasets.load_arrays(spec.source, spec.data_dir, True, spec.download)
    _, test_y = datasets.load_arrays(spec.source, spec.data_dir, False, spec.download)
    return {"train": train_y, "test": test_y}, list(datasets.source(spec.source).classes), train_x


def balanced(labels, available, n, n_classes, rng, what):
    """``n`` indices with ``available`` True, as equal per class as possible (the first
    ``n % n_classes`` classes get one more), in random order; ``n = 0``: all available."""
    if n == 0:
        return rng.permutation(np.flatnonzero(available))
    picked = []
    for c in range(n_classes):
        need = n // n_classes + (1 if c < n % n_classes else 0)
        pool = np.flatnonzero(available & (labels == c))
        if need > len(pool):
            raise ValueError(
                f"{what}: {n} images need {need} of class {c} but only {len(pool)} "
                "are left in its split"
            )
        picked.append(rng.choice(pool, size=need, replace=False))
    return rng.permutation(np.concatenate(picked))


def make_splits(spec):
    """The data file's arrays (see module doc)."""
    labels, classes, train_images = _labels_of(spec)
    n_classes = len(classes)
    rng = np.random.default_rng(spec.seed)
    available = {s: np.ones(len(labels[s]), dtype=bool) for s in SPLITS}
    out = {}
    for name, split, n, key in (
        ("ablate", spec.ablate_split, spec.n_ablate, "ablate.n"),
        ("probe", spec.probe_split, spec.n_probe, "probe.n"),
        ("train", "train", spec.n_train, "n_train"),
    ):
        idx = balanced(
            labels[split], available[split], n, n_classes, rng, f"config key selectivity.data.{key}"
        )
        available[split][idx] = False
        out[f"{name}_idx"] = idx if name != "train" else np.sort(idx)
    if spec.n_bn > len(out["train_idx"]):
        raise ValueError(
            f"config key selectivity.data.n_bn: {spec.n_bn} BatchNorm images but "
            f"the training subset has {len(out['train_idx'])}"
        )
    out["bn_idx"] = rng.permutation(out["train_idx"])[: spec.n_bn]
    # drawn last (the sets above do not depend on it); the test split is never trained on,
    # so this set may overlap the probe and ablation sets
    out["test_idx"] = balanced(
        labels["test"],
        np.ones(len(labels["test"]), dtype=bool),
        spec.n_test,
        n_classes,
        rng,
        "config key selectivity.data.n_test",
    )
    if train_images is None:
        mean, std = np.asarray(IMAGENET_MEAN), np.asarray(IMAGENET_STD)
    else:  # per-channel statistics of the training subset, in [0, 1] units
        x = train_images[out["train_idx"]].astype(np.float64) / 255.0
        axes = tuple(range(x.ndim - 1)) if x.ndim == 4 else None
        mean, std = np.atleast_1d(x.mean(axis=axes)), np.atleast_1d(x.std(axis=axes))
    out.update(
        classes=np.asarray(classes, dtype=str),
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
        probe_split=np.asarray(spec.probe_split),
        ablate_split=np.asarray(spec.ablate_split),
        split_sizes=np.asarray([len(labels[s]) for s in SPLITS], dtype=np.int64),
        labels_digest=np.asarray(_digest(labels)),
    )
    return out


def _digest(labels):
    h = hashlib.sha1()
    for s in SPLITS:
        h.update(np.ascontiguousarray(labels[s], dtype=np.int64).tobytes())
    return h.hexdigest()


def save_splits(path, splits):
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **splits)


def load_splits(path):
    with np.load(path, allow_pickle=False) as f:
        out = {k: f[k] for k in f.files}
    for key in ("probe_split", "ablate_split", "labels_digest"):
        out[key] = str(out[key])
    out["classes"] = [str(c) for c in out["classes"]]
    return out
