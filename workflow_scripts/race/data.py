"""Binary image data sets of the race study, built from a labelled image source.

Sources (``source`` names):
- ``cifar10``: the standard ``cifar-10-batches-py`` folder (python pickles
  ``data_batch_1..5`` and ``test_batch``, each with ``b"data"`` uint8 [n, 3072] in
  channel-major RGB order and ``b"labels"``) under a data directory.
- ``fashion_mnist`` / ``mnist``: MNIST-format idx files read through torchvision from
  ``<data_dir>/FashionMNIST/raw/`` (``<data_dir>/MNIST/raw/``), uncompressed.

Preprocessing (the same for every source, so every source yields 1024 features):
1. grayscale: RGB images are mapped to luma with the ITU-R BT.601 weights
   Y = 0.299 R + 0.587 G + 0.114 B (computed in float64); idx images are already gray.
2. size: 28x28 idx images are zero-padded by 2 pixels on every side to 32x32 (as
   LeCun et al. did for LeNet-5). Padding keeps every pixel value and adds only
   constant-zero features (their weights receive no gradient); bilinear resizing
   (``resize: bilinear``, torch.nn.functional.interpolate, align_corners=False) is
   available as an alternative.
3. scale: pixel values / 255, so features lie in [0, 1]. Nothing is standardised
   (no mean subtraction): the paper only says "grayscaled and flattened", and the
   cell/target-vector analysis of the paper is defined on the raw inputs.
4. flatten to 1024 (row-major).

A binary set takes the source classes of ``groups[0]`` as binary class 0 and those of
``groups[1]`` as binary class 1. The train subset has exactly N/2 samples per binary
class, split as evenly as possible over the group's source classes (the first classes
of a group take the remainder), drawn without replacement from the source's training
split by a generator seeded with ``seed``; the test subset is drawn the same way (with
its own seed stream) from the source's test split. Both are shuffled.
"""

import gzip
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import torch

from ..store.atomic import atomic_path
from ..store.checkpoints import save_checkpoint
from ..store.errors import MissingDatasetError

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR10_TEST_FILES = ["test_batch"]
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]

IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
# source name -> (torchvision class name = folder under data_dir, class names, Debian dir)
IDX_SOURCES = {
    "fashion_mnist": ("FashionMNIST",
                      ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
                      "/usr/share/datasets/fashion-mnist"),
    "mnist": ("MNIST", [str(i) for i in range(10)], "/usr/share/datasets/mnist"),
}
SOURCES = ["cifar10", *IDX_SOURCES]
LUMA_601 = (0.299, 0.587, 0.114)
N_FEATURES = 1024


# ---------------------------------------------------------------------------------
# sources


def cifar10_dir(data_dir):
    return Path(data_dir).absolute() / CIFAR10_FOLDER


def load_cifar10(data_dir, train, download=False):
    """Images uint8 [n, 32, 32, 3] (HWC, RGB) and labels int64 [n].

    The pickles are read directly rather than through torchvision.datasets.CIFAR10,
    which verifies md5 sums of every batch file: the small fake batches that the tests
    write in the real format could never pass that check, and the real files are
    checked once when downloaded anyway.
    """
    folder = cifar10_dir(data_dir)
    files = CIFAR10_TRAIN_FILES if train else CIFAR10_TEST_FILES
    missing = [f for f in files if not (folder / f).is_file()]
    if missing and download:
        _download_cifar10(data_dir)
        missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise MissingDatasetError(
            "CIFAR-10", folder, files,
            f"download {CIFAR10_URL} and unpack it in {Path(data_dir).absolute()} "
            f"(`tar xzf cifar-10-python.tar.gz -C {Path(data_dir).absolute()}` creates "
            f"{CIFAR10_FOLDER}/), or set `download: true` for the race data source on a "
            "machine with network access",
        )
    images, labels = [], []
    for name in files:
        with open(folder / name, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def _download_cifar10(data_dir):
    import torchvision

    try:
        torchvision.datasets.CIFAR10(root=str(data_dir), train=True, download=True)
    except Exception as exc:  # no network, proxy, checksum: say so and fail below
        print(f"CIFAR-10 download into {data_dir} failed: {type(exc).__name__}: {exc}")


def idx_raw_dir(data_dir, source):
    folder, _, _ = IDX_SOURCES[source]
    return Path(data_dir).absolute() / folder / "raw"


def load_idx(data_dir, source, train, download=False):
    """Images uint8 [n, 28, 28] and labels int64 [n] of an MNIST-format source."""
    import torchvision

    folder, _, debian_dir = IDX_SOURCES[source]
    raw = idx_raw_dir(data_dir, source)
    prefix = "train" if train else "t10k"
    needed = [f for f in IDX_FILES if f.startswith(prefix)]
    cls = getattr(torchvision.datasets, folder)
    if download and not all((raw / f).is_file() for f in needed):
        try:
            cls(root=str(data_dir), train=train, download=True)
        except Exception as exc:
            print(f"{folder} download into {data_dir} failed: {type(exc).__name__}: {exc}")
    if not all((raw / f).is_file() for f in needed):
        package = "dataset-fashion-mnist" if source == "fashion_mnist" else "dataset-mnist"
        # name every missing file of the source (both splits), not only this split's:
        # the data rule reads both, and a user fixing one split would fail again on the other
        missing = [f for f in IDX_FILES if not (raw / f).is_file()]
        gunzip = " && ".join(
            f"gunzip -c {debian_dir}/{f}.gz > {raw}/{f}" for f in missing
        )
        raise MissingDatasetError(
            folder, raw, [f"{f} (uncompressed)" for f in missing],
            f"on Debian/Ubuntu `apt-get install {package}` (it installs the gzipped idx "
            f"files in {debian_dir}), then `mkdir -p {raw} && {gunzip}` or `python -m "
            f"workflow_scripts.race.data install-debian {source} {Path(data_dir).absolute()}`; "
            f"or set `download: true` on a machine with network access",
        )
    ds = cls(root=str(data_dir), train=train, download=False)
    return ds.data.numpy().astype(np.uint8), ds.targets.numpy().astype(np.int64)


def install_idx_from_debian(data_dir, source="fashion_mnist", debian_dir=None):
    """Copy + gunzip the idx files that a Debian package installed into ``<data_dir>``.

    Returns the raw folder. Each file appears atomically; files already there are kept.
    Raises MissingDatasetError when the Debian files are absent.
    """
    folder, _, default_dir = IDX_SOURCES[source]
    debian_dir = Path(debian_dir or default_dir)
    raw = idx_raw_dir(data_dir, source)
    for name in IDX_FILES:
        target = raw / name
        if target.is_file():
            continue
        src = debian_dir / f"{name}.gz"
        plain = debian_dir / name
        if not src.is_file() and not plain.is_file():
            package = "dataset-fashion-mnist" if source == "fashion_mnist" else "dataset-mnist"
            raise MissingDatasetError(
                folder, debian_dir, [f"{n}.gz" for n in IDX_FILES],
                f"`apt-get install {package}` installs them there",
            )
        with atomic_path(target) as tmp:
            opener = gzip.open if src.is_file() else open
            with opener(src if src.is_file() else plain, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout)
    return raw


def load_source(source, data_dir, train, download=False):
    """Images (uint8, [n, H, W] gray or [n, H, W, 3] RGB) and labels of one split."""
    if source == "cifar10":
        return load_cifar10(data_dir, train, download)
    if source in IDX_SOURCES:
        return load_idx(data_dir, source, train, download)
    raise ValueError(f"unknown race data source {source!r}; known: {SOURCES}")


def class_names(source):
    return CIFAR10_CLASSES if source == "cifar10" else IDX_SOURCES[source][1]


# ---------------------------------------------------------------------------------
# preprocessing


def to_features(images, resize="pad"):
    """uint8 images -> float32 [n, 1024] in [0, 1] (grayscale, 32x32, flattened)."""
    x = np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 3:
        x = np.tensordot(x.astype(np.float64), np.asarray(LUMA_601), axes=([-1], [0]))
    elif x.ndim != 3:
        raise ValueError(f"images must be [n, H, W] or [n, H, W, 3], got {x.shape}")
    x = torch.from_numpy(np.asarray(x, dtype=np.float64) / 255.0)
    h, w = x.shape[1:]
    if (h, w) != (32, 32):
        if resize == "pad":
            if h > 32 or w > 32:
                raise ValueError(f"cannot pad {h}x{w} images to 32x32")
            top, left = (32 - h) // 2, (32 - w) // 2
            x = torch.nn.functional.pad(x, (left, 32 - w - left, top, 32 - h - top))
        elif resize == "bilinear":
            x = torch.nn.functional.interpolate(
                x[:, None], size=(32, 32), mode="bilinear", align_corners=False
            )[:, 0].clamp(0.0, 1.0)
        else:
            raise ValueError(f"resize must be 'pad' or 'bilinear', got {resize!r}")
    return x.reshape(len(x), N_FEATURES).to(torch.float32)


def balanced_indices(labels, groups, total, generator):
    """Indices of ``total`` samples, total/2 per binary class, spread evenly over sources.

    Returns (indices, binary labels), shuffled with ``generator``.
    """
    if total % 2:
        raise ValueError(f"a balanced binary set needs an even size, got {total}")
    labels = torch.as_tensor(labels)
    chosen, binary = [], []
    for b, group in enumerate(groups):
        per_class = _split_evenly(total // 2, len(group))
        for source_class, count in zip(group, per_class):
            pool = torch.nonzero(labels == source_class).flatten()
            if count > len(pool):
                raise ValueError(
                    f"source class {source_class} has {len(pool)} samples, {count} needed"
                )
            pick = pool[torch.randperm(len(pool), generator=generator)[:count]]
            chosen.append(pick)
            binary.append(torch.full((count,), b, dtype=torch.int64))
    idx, y = torch.cat(chosen), torch.cat(binary)
    perm = torch.randperm(len(idx), generator=generator)
    return idx[perm], y[perm]


def _split_evenly(total, parts):
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def build_binary_dataset(source, data_dir, groups, n_train, n_test, seed,
                         resize="pad", download=False):
    """The binary data set as a dict (see module doc); nothing is written."""
    groups = [[int(c) for c in g] for g in groups]
    if len(groups) != 2 or not all(groups):
        raise ValueError(f"groups must be two non-empty lists of source classes, got {groups}")
    if set(groups[0]) & set(groups[1]):
        raise ValueError(f"a source class is in both groups: {groups}")
    out = {}
    for split, n, stream, train in (("train", n_train, 0, True), ("test", n_test, 1, False)):
        images, labels = load_source(source, data_dir, train, download)
        gen = torch.Generator().manual_seed(_derive_seed(seed, stream))
        idx, y = balanced_indices(labels, groups, n, gen)
        out[f"x_{split}"] = to_features(images[idx.numpy()], resize)
        out[f"y_{split}"] = y
    names = class_names(source)
    out["meta"] = json.dumps({
        "source": source, "groups": groups,
        "group_names": [[names[c] for c in g] for g in groups],
        "n_train": n_train, "n_test": n_test, "seed": seed, "resize": resize,
        "grayscale": "ITU-R BT.601 luma" if source == "cifar10" else "source is gray",
        "scale": "x / 255 in [0, 1], not standardised", "n_features": N_FEATURES,
    }, sort_keys=True)
    return out


def write_binary_dataset(path, **kwargs):
    data = build_binary_dataset(**kwargs)
    save_checkpoint(path, data)
    return data


def _derive_seed(seed, stream):
    return int(np.random.SeedSequence([int(seed), int(stream)]).generate_state(1)[0])


def main(argv=None):
    """``python -m workflow_scripts.race.data install-debian fashion_mnist <data_dir>``."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    inst = sub.add_parser("install-debian", help="gunzip Debian's idx files into data_dir")
    inst.add_argument("source", choices=sorted(IDX_SOURCES))
    inst.add_argument("data_dir")
    inst.add_argument("--debian-dir", default=None)
    args = parser.parse_args(argv)
    raw = install_idx_from_debian(args.data_dir, args.source, args.debian_dir)
    print(f"idx files ready in {raw}")


if __name__ == "__main__":
    main()
