"""Small data sets in the real on-disk formats, so that the real loaders run in tests.

- idx files (MNIST / Fashion-MNIST): ``write_idx_images``, ``write_idx_labels``,
  ``write_fake_idx`` (random images), ``write_learnable_fashion_mnist`` (see below);
- CIFAR-10 python pickles: ``write_fake_cifar`` (random images), ``write_learnable_cifar``
  (learnable, like the fake Fashion-MNIST below);
- torchvision ImageFolder trees of real PNG files: ``write_image_folder``.

The learnable fake Fashion-MNIST (workflow tests):

Every source class c has a fixed random 28x28 template T_c (bright pixels in the half
of the image that belongs to its binary class, see ``class_templates``); a sample of
class c is clip(T_c + Gaussian noise, 0, 255). Binary tasks built
from class groups are then linearly separable with a large margin, so at smoke size
the paper's dynamics (alignment to the target vector, clustering, loss drop) happen
within a few hundred SGD steps.

The files are the uncompressed idx files that torchvision's ``FashionMNIST(root,
download=False)`` reads from ``<root>/FashionMNIST/raw/`` (magic 0x0803 / 0x0801,
big-endian sizes, uint8 payload).
"""

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np

IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def _write(path, payload, compress=False):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(f"{path}.gz", "wb") as fh:
            fh.write(payload)
    else:
        path.write_bytes(payload)


def write_idx_images(path, images, compress=False):
    n, h, w = images.shape
    _write(
        path,
        struct.pack(">IIII", 0x00000803, n, h, w) + np.asarray(images, np.uint8).tobytes(),
        compress,
    )


def write_idx_labels(path, labels, compress=False):
    _write(
        path,
        struct.pack(">II", 0x00000801, len(labels)) + np.asarray(labels, np.uint8).tobytes(),
        compress,
    )


def class_templates(groups=((0, 5), (1, 8)), n_classes=10, density=0.9, level=255, seed=0):
    """Templates [n_classes, 28, 28] (pixel units): the 28x28 grid is split at random into
    two complementary regions, one per binary class; each source class lights a random
    ``density`` share of its group's region at ``level``. Classes in no group take the
    region of class % 2. The class-group difference is then large (norm of the target
    vector close to its maximum), so the small-init alignment and loss drop happen within
    a few hundred SGD steps at the paper's learning rate."""
    rng = np.random.default_rng(seed)
    region = rng.random((28, 28)) < 0.5
    group_of = {int(c): b for b, g in enumerate(groups) for c in g}
    templates = np.zeros((n_classes, 28, 28))
    for c in range(n_classes):
        own = region if group_of.get(c, c % 2) == 0 else ~region
        templates[c] = (own & (rng.random((28, 28)) < density)) * float(level)
    return templates


def learnable_images(labels, templates, noise=25.0, rng=None):
    rng = rng or np.random.default_rng(0)
    x = templates[labels] + rng.normal(0.0, noise, size=(len(labels), 28, 28))
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def write_learnable_fashion_mnist(
    data_dir,
    per_class_train=30,
    per_class_test=15,
    seed=0,
    noise=25.0,
    groups=((0, 5), (1, 8)),
    compress=False,
):
    """Write ``<data_dir>/FashionMNIST/raw/`` (4 idx files); return the raw folder."""
    raw = Path(data_dir) / "FashionMNIST" / "raw"
    rng = np.random.default_rng(seed + 1)
    templates = class_templates(groups, seed=seed)
    for prefix, per_class in (("train", per_class_train), ("t10k", per_class_test)):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        write_idx_images(
            raw / f"{prefix}-images-idx3-ubyte",
            learnable_images(labels, templates, noise, rng),
            compress,
        )
        write_idx_labels(raw / f"{prefix}-labels-idx1-ubyte", labels, compress)
    return raw


def write_fake_cifar(data_dir, per_class_train=6, per_class_test=4, seed=0):
    """cifar-10-batches-py/ with 5 train batches and a test batch (python pickles)."""
    rng = np.random.default_rng(seed)
    folder = data_dir / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)

    def batch(per_class):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        data = rng.integers(0, 256, size=(len(labels), 3072), dtype=np.uint8)
        return data, labels

    _write_cifar_batches(folder, batch(per_class_train * 5), batch(per_class_test))
    return folder


def _write_cifar_batches(folder, train, test):
    """The real pickle files: ``train`` (data, labels) split over data_batch_1..5, ``test``
    in test_batch."""
    data, labels = train
    for i, part in enumerate(np.array_split(np.arange(len(labels)), 5), start=1):
        with open(folder / f"data_batch_{i}", "wb") as fh:
            pickle.dump(
                {
                    b"data": data[part],
                    b"labels": labels[part].tolist(),
                    b"batch_label": f"training batch {i} of 5".encode(),
                },
                fh,
            )
    data, labels = test
    with open(folder / "test_batch", "wb") as fh:
        pickle.dump(
            {b"data": data, b"labels": labels.tolist(), b"batch_label": b"testing batch 1 of 1"}, fh
        )


def write_learnable_cifar(
    data_dir, per_class_train=30, per_class_test=15, seed=0, noise=25.0, groups=((0, 3), (1, 2))
):
    """``<data_dir>/cifar-10-batches-py/`` (5 train batches + test batch, the real pickle
    layout: uint8 rows of 3072 = R, G, B planes of 32x32, row-major) whose images follow
    the learnable templates of ``write_learnable_fashion_mnist`` (32x32, the same gray
    template in every channel, so the luma is the template): binary tasks of ``groups``
    (default: the paper's airplane + cat vs automobile + bird) are separable."""
    rng = np.random.default_rng(seed + 1)
    templates = _templates_32(groups, seed)
    folder = Path(data_dir) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)

    def batch(per_class):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        gray = np.clip(
            np.rint(templates[labels] + rng.normal(0.0, noise, (len(labels), 32, 32))), 0, 255
        ).astype(np.uint8)
        return np.repeat(gray.reshape(len(labels), 1, 1024), 3, axis=1).reshape(-1, 3072), labels

    _write_cifar_batches(folder, batch(per_class_train), batch(per_class_test))
    return folder


def _templates_32(groups, seed, density=0.9, level=255):
    """``class_templates`` on a 32x32 grid."""
    rng = np.random.default_rng(seed)
    region = rng.random((32, 32)) < 0.5
    group_of = {int(c): b for b, g in enumerate(groups) for c in g}
    templates = np.zeros((10, 32, 32))
    for c in range(10):
        own = region if group_of.get(c, c % 2) == 0 else ~region
        templates[c] = (own & (rng.random((32, 32)) < density)) * float(level)
    return templates


def write_fake_idx(folder, per_class_train=8, per_class_test=4, compress=False, seed=0):
    """The four idx files (28x28 images) in ``folder`` (gzipped when compress)."""
    rng = np.random.default_rng(seed)
    for prefix, per_class in (("train", per_class_train), ("t10k", per_class_test)):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        images = rng.integers(0, 256, size=(len(labels), 28, 28), dtype=np.uint8)
        write_idx_images(folder / f"{prefix}-images-idx3-ubyte", images, compress)
        write_idx_labels(folder / f"{prefix}-labels-idx1-ubyte", labels, compress)
    return folder


def write_image_folder(
    root, classes=("cat", "dog", "fish"), per_class=(6, 4), size=(40, 48), seed=0
):
    """``<root>/train/<class>/*.png`` and ``<root>/val/<class>/*.png``: RGB images whose
    mean colour depends on the class (learnable), written as real PNG files."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    root = Path(root)
    for split, n in zip(("train", "val"), per_class):
        for c, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            base = np.zeros(3)
            base[c % 3] = 180
            for i in range(n):
                img = np.clip(base + rng.normal(0, 40, size=(*size, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(img).save(folder / f"{name}_{i:03d}.png")
    return root
