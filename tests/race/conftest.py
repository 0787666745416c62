"""Fixtures that write tiny data sets in the real CIFAR-10 and idx formats."""

import pickle

import numpy as np
import pytest

from .fake_idx_data import write_idx_images, write_idx_labels  # the idx writers, shared


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

    data, labels = batch(per_class_train * 5)
    for i, part in enumerate(np.array_split(np.arange(len(labels)), 5), start=1):
        with open(folder / f"data_batch_{i}", "wb") as fh:
            pickle.dump({b"data": data[part], b"labels": labels[part].tolist(),
                         b"batch_label": f"training batch {i} of 5".encode()}, fh)
    data, labels = batch(per_class_test)
    with open(folder / "test_batch", "wb") as fh:
        pickle.dump({b"data": data, b"labels": labels.tolist()}, fh)
    return folder


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


@pytest.fixture
def fake_cifar(tmp_path):
    write_fake_cifar(tmp_path)
    return tmp_path


@pytest.fixture
def fake_fashion(tmp_path):
    write_fake_idx(tmp_path / "FashionMNIST" / "raw")
    return tmp_path


@pytest.fixture
def torch_one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def fake_writers():
    """The writers themselves, for tests that need other sizes or layouts."""
    return {"cifar": write_fake_cifar, "idx": write_fake_idx}
