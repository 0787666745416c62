"""MNIST-format idx files (MNIST, Fashion-MNIST), read from ``<data_dir>/<folder>/raw/``.

The files are read with numpy (``read_idx``); torchvision's ``MNIST``/``FashionMNIST`` are
used only to download them where ``download: true``. Debian ships Fashion-MNIST as gzipped files in
``/usr/share/datasets/fashion-mnist`` (package ``dataset-fashion-mnist``);
``install_debian`` gunzips them into place (``snakemake --cores 1
datasets_install_fashion_mnist``, or ``python -m workflow_scripts.datasets.idx
install-debian fashion_mnist data``). MNIST has no Debian package.
"""

import gzip
import logging
import shutil
from pathlib import Path

import numpy as np

from ..store.atomic import atomic_path
from . import SOURCES
from .errors import MissingDatasetError

log = logging.getLogger(__name__)
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
DEBIAN = {"fashion_mnist": ("dataset-fashion-mnist", "/usr/share/datasets/fashion-mnist")}
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # torchvision's mirror


def raw_dir(source, data_dir):
    return Path(data_dir).absolute() / source.folder / "raw"


def how_to_get(source, data_dir):
    raw = raw_dir(source, data_dir)
    if source.name in DEBIAN:
        package, debian_dir = DEBIAN[source.name]
        return (
            f"on Debian/Ubuntu `apt-get install {package}` (gzipped idx files in "
            f"{debian_dir}), then `snakemake --cores 1 datasets_install_{source.name}` or "
            f"`python -m workflow_scripts.datasets.idx install-debian {source.name} "
            f"{Path(data_dir).absolute()}` (gunzips them into {raw}); or set "
            "`download: true` on a machine with network access"
        )
    return (
        f"download the four .gz files from {MNIST_URL} and gunzip them into {raw} "
        f"(`mkdir -p {raw} && cd {raw} && gunzip *.gz`), or set `download: true` on a "
        "machine with network access"
    )


def load(source, data_dir, train, download=False):
    raw = raw_dir(source, data_dir)
    needed = [f for f in FILES if f.startswith("train" if train else "t10k")]
    if download and not all((raw / f).is_file() for f in needed):
        import torchvision

        dataset_class = getattr(torchvision.datasets, source.folder)
        try:
            dataset_class(root=str(data_dir), train=train, download=True)
        except Exception as exc:  # no network, proxy: say so, then name what is missing
            log.warning(
                "%s download into %s failed: %s: %s",
                source.folder,
                data_dir,
                type(exc).__name__,
                exc,
            )
    if not all((raw / f).is_file() for f in needed):
        # name every missing file of the source (both splits): a job reading both would
        # otherwise fail again on the other split after the user fixed this one
        missing = [f for f in FILES if not (raw / f).is_file()]
        raise MissingDatasetError(
            source.folder,
            raw,
            [f"{f} (uncompressed)" for f in missing],
            how_to_get(source, data_dir),
        )
    images, labels = (read_idx(raw / f) for f in needed)
    return images.astype(np.uint8), labels.astype(np.int64)


# Why by hand: the idx format is a 4-byte magic (zero, zero, dtype code, rank), one
# big-endian uint32 per dimension, then the raw array; torchvision reads it too, but
# importing torch and torchvision costs a job seconds, more than reading the file.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in an (uncompressed) idx file."""
    data = Path(path).read_bytes()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise MissingDatasetError(
            path.parent.parent.name,
            path.parent,
            [path.name],
            f"{path} is not an idx file: delete it and install it again",
        )
    rank = data[3]
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=rank, offset=4))
    dtype = np.dtype(IDX_TYPES[data[2]])
    count = int(np.prod(shape)) if shape else 1
    if len(data) != 4 + 4 * rank + count * dtype.itemsize:
        raise MissingDatasetError(
            path.parent.parent.name,
            path.parent,
            [path.name],
            f"{path} is truncated: delete it and install it again",
        )
    return np.frombuffer(data, dtype, count=count, offset=4 + 4 * rank).reshape(shape)


def install_debian(name, data_dir, debian_dir=None):
    """Gunzip the idx files a Debian package installed into ``<data_dir>/<folder>/raw``.

    Each file appears atomically; files already there are kept. Returns the raw folder.
    """
    source = SOURCES[name]
    if name not in DEBIAN:
        raise MissingDatasetError(
            source.folder, raw_dir(source, data_dir), FILES, how_to_get(source, data_dir)
        )
    package, default_dir = DEBIAN[name]
    debian_dir = Path(debian_dir or default_dir)
    raw = raw_dir(source, data_dir)
    for file in FILES:
        target = raw / file
        if target.is_file():
            continue
        gz, plain = debian_dir / f"{file}.gz", debian_dir / file
        if not gz.is_file() and not plain.is_file():
            raise MissingDatasetError(
                source.folder,
                debian_dir,
                [f"{f}.gz" for f in FILES],
                f"`apt-get install {package}` installs them there",
            )
        with atomic_path(target) as tmp:
            opener, src = (gzip.open, gz) if gz.is_file() else (open, plain)
            with opener(src, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout)
    return raw


def main(argv=None):
    """``python -m workflow_scripts.datasets.idx install-debian fashion_mnist <data_dir>``."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    inst = sub.add_parser("install-debian", help="gunzip Debian's idx files into data_dir")
    inst.add_argument("source", choices=sorted(DEBIAN))
    inst.add_argument("data_dir")
    inst.add_argument("--debian-dir", default=None)
    args = parser.parse_args(argv)
    print(f"idx files ready in {install_debian(args.source, args.data_dir, args.debian_dir)}")


if __name__ == "__main__":
    main()
