import json

import numpy as np
import pytest
import torch

from workflow_scripts.race import data as rd
from workflow_scripts.store.checkpoints import load_checkpoint
from workflow_scripts.store.errors import MissingDatasetError

PAPER_GROUPS = [[0, 3], [1, 2]]


def test_cifar_loader_reads_real_pickle_format(fake_cifar):
    images, labels = rd.load_cifar10(fake_cifar, train=True)
    assert images.shape == (300, 32, 32, 3) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [30] * 10
    images, labels = rd.load_cifar10(fake_cifar, train=False)
    assert images.shape == (40, 32, 32, 3)


def test_cifar_channel_order_and_luma():
    # one image: R plane all 255, G and B zero -> luma 0.299 everywhere
    raw = np.zeros((1, 3072), np.uint8)
    raw[0, :1024] = 255
    img = raw.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    x = rd.to_features(img)
    assert x.shape == (1, 1024)
    assert torch.allclose(x, torch.full((1, 1024), 0.299))


def test_missing_cifar_message_names_dir_files_and_url(tmp_path):
    with pytest.raises(MissingDatasetError) as err:
        rd.load_cifar10(tmp_path, train=True)
    msg = str(err.value)
    assert str(tmp_path / "cifar-10-batches-py") in msg
    for name in ["data_batch_1", "data_batch_5"]:
        assert name in msg
    assert rd.CIFAR10_URL in msg


def test_missing_fashion_message_names_dir_files_and_apt(tmp_path):
    with pytest.raises(MissingDatasetError) as err:
        rd.load_idx(tmp_path, "fashion_mnist", train=True)
    msg = str(err.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in msg
    assert "train-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg
    assert "apt-get install dataset-fashion-mnist" in msg and "gunzip" in msg


def test_idx_loader_and_padding(fake_fashion):
    images, labels = rd.load_idx(fake_fashion, "fashion_mnist", train=True)
    assert images.shape == (80, 28, 28)
    x = rd.to_features(images[:3])
    assert x.shape == (3, 1024)
    grid = x.reshape(3, 32, 32)
    assert torch.all(grid[:, :2] == 0) and torch.all(grid[:, :, -2:] == 0)
    assert torch.allclose(grid[:, 2:30, 2:30], torch.from_numpy(images[:3] / 255.0).float())
    xb = rd.to_features(images[:3], resize="bilinear")
    assert xb.shape == (3, 1024) and 0 <= xb.min() and xb.max() <= 1


def test_install_from_debian_layout_gunzips(tmp_path, fake_writers):
    debian = fake_writers["idx"](tmp_path / "debian", compress=True)
    assert sorted(p.name for p in debian.iterdir())[0].endswith(".gz")
    raw = rd.install_idx_from_debian(tmp_path / "data", "fashion_mnist", debian_dir=debian)
    assert sorted(p.name for p in raw.iterdir()) == sorted(rd.IDX_FILES)
    images, labels = rd.load_idx(tmp_path / "data", "fashion_mnist", train=False)
    assert images.shape == (40, 28, 28)
    with pytest.raises(MissingDatasetError):
        rd.install_idx_from_debian(tmp_path / "other", "fashion_mnist",
                                   debian_dir=tmp_path / "nothing")


@pytest.mark.parametrize("source", ["cifar10", "fashion_mnist"])
def test_binary_set_balanced_shapes_and_deterministic(tmp_path, source, fake_writers):
    if source == "cifar10":
        fake_writers["cifar"](tmp_path)
    else:
        fake_writers["idx"](tmp_path / "FashionMNIST" / "raw")
    kw = dict(source=source, data_dir=tmp_path, groups=PAPER_GROUPS, n_train=20, n_test=8, seed=3)
    a = rd.write_binary_dataset(tmp_path / "a.pt", **kw)
    b = load_checkpoint(tmp_path / "a.pt")
    assert b["x_train"].shape == (20, 1024) and b["x_train"].dtype == torch.float32
    assert b["y_train"].dtype == torch.int64 and b["x_test"].shape == (8, 1024)
    assert b["y_train"].bincount().tolist() == [10, 10]
    assert b["y_test"].bincount().tolist() == [4, 4]
    assert 0 <= float(b["x_train"].min()) and float(b["x_train"].max()) <= 1
    again = rd.build_binary_dataset(**kw)
    for key in ["x_train", "y_train", "x_test", "y_test"]:
        assert torch.equal(again[key], a[key])
    other = rd.build_binary_dataset(**{**kw, "seed": 4})
    assert not torch.equal(other["x_train"], a["x_train"])
    meta = json.loads(b["meta"])
    assert meta["groups"] == PAPER_GROUPS and meta["n_train"] == 20


def test_binary_set_spreads_over_source_classes(fake_cifar):
    images, labels = rd.load_cifar10(fake_cifar, train=True)
    gen = torch.Generator().manual_seed(0)
    idx, y = rd.balanced_indices(labels, PAPER_GROUPS, 20, gen)
    src = torch.as_tensor(labels)[idx]
    assert sorted(torch.bincount(src, minlength=10)[[0, 3, 1, 2]].tolist()) == [5, 5, 5, 5]
    assert torch.all((y == 0) == ((src == 0) | (src == 3)))
    assert len(set(idx.tolist())) == 20


def test_bad_requests_fail_clearly(fake_cifar):
    with pytest.raises(ValueError, match="even"):
        rd.build_binary_dataset("cifar10", fake_cifar, PAPER_GROUPS, 21, 4, 0)
    with pytest.raises(ValueError, match="samples"):
        rd.build_binary_dataset("cifar10", fake_cifar, PAPER_GROUPS, 400, 4, 0)
    with pytest.raises(ValueError, match="both groups"):
        rd.build_binary_dataset("cifar10", fake_cifar, [[0, 1], [1, 2]], 8, 4, 0)
    with pytest.raises(ValueError, match="unknown"):
        rd.load_source("svhn", fake_cifar, True)
