"""CIFAR-10 as the python pickles of ``cifar-10-batches-py/``.

The pickles are read directly rather than through torchvision.datasets.CIFAR10, which
verifies md5 sums of every batch file: the small batches that the tests write in the
real format could never pass that check, and torchvision checks the real files once
when it downloads them (``download: true``).
"""

import logging
import pickle
from pathlib import Path

import numpy as np

from .errors import MissingDatasetError

log = logging.getLogger(__name__)
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def folder(source, data_dir):
    return Path(data_dir).absolute() / source.folder


def load(source, data_dir, train, download=False):
    """Images uint8 [n, 32, 32, 3] (HWC, RGB) and labels int64 [n]."""
    where = folder(source, data_dir)
    files = TRAIN_FILES if train else TEST_FILES
    if download and not all((where / f).is_file() for f in files):
        import torchvision

        try:
            torchvision.datasets.CIFAR10(root=str(data_dir), train=train, download=True)
        except Exception as exc:  # no network, proxy, checksum: say so, then fail below
            log.warning(
                "CIFAR-10 download into %s failed: %s: %s", data_dir, type(exc).__name__, exc
            )
    missing = [f for f in files if not (where / f).is_file()]
    if missing:
        parent = Path(data_dir).absolute()
        raise MissingDatasetError(
            "CIFAR-10",
            where,
            files,
            f"download {URL} and unpack it in {parent} (`tar xzf cifar-10-python.tar.gz -C "
            f"{parent}` creates {source.folder}/), or set `download: true` on a machine "
            "with network access",
        )
    images, labels = [], []
    for name in files:
        with open(where / name, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)
