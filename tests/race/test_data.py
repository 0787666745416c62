import json

import numpy as np
import pytest
import torch

from workflow_scripts import datasets
from workflow_scripts.race import data as rd
from workflow_scripts.race.specs import DataSpec
from workflow_scripts.store.checkpoints import load_checkpoint

PAPER_GROUPS = [[0, 3], [1, 2]]


def test_cifar_channel_order_and_luma():
    # one image: R plane all 255, G and B zero -> luma 0.299 everywhere
    raw = np.zeros((1, 3072), np.uint8)
    raw[0, :1024] = 255
    img = raw.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    x = rd.to_features(img)
    assert x.shape == (1, 1024)
    assert torch.allclose(x, torch.full((1, 1024), 0.299))


def test_idx_padding_and_bilinear(fake_fashion):
    images, _ = datasets.load_arrays("fashion_mnist", fake_fashion, train=True)
    x = rd.to_features(images[:3])
    assert x.shape == (3, 1024)
    grid = x.reshape(3, 32, 32)
    assert torch.all(grid[:, :2] == 0) and torch.all(grid[:, :, -2:] == 0)
    assert torch.allclose(grid[:, 2:30, 2:30], torch.from_numpy(images[:3] / 255.0).float())
    # bilinear: a constant image stays that constant, an image's mean is preserved roughly
    flat = np.full((1, 28, 28), 51, np.uint8)
    assert torch.allclose(rd.to_features(flat, resize="bilinear"), torch.full((1, 1024), 0.2))


@pytest.mark.parametrize("source", ["cifar10", "fashion_mnist"])
def test_binary_set_balanced_shapes_and_deterministic(tmp_path, source, fake_writers):
    if source == "cifar10":
        fake_writers["cifar"](tmp_path)
    else:
        fake_writers["idx"](tmp_path / "FashionMNIST" / "raw")
    spec = DataSpec(source=source, groups=((0, 3), (1, 2)), n_train=20, n_test=8, seed=3,
                    resize="pad", data_dir=str(tmp_path), download=False)
    a = rd.write_binary_dataset(tmp_path / "a.pt", spec)
    b = load_checkpoint(tmp_path / "a.pt")
    assert b["x_train"].shape == (20, 1024) and b["x_train"].dtype == torch.float32
    assert b["y_train"].dtype == torch.int64 and b["x_test"].shape == (8, 1024)
    assert b["y_train"].bincount().tolist() == [10, 10]
    assert b["y_test"].bincount().tolist() == [4, 4]
    images, _ = datasets.load_arrays(source, tmp_path, train=True)
    pixels = rd.to_features(images).unique()  # the features are pixel values / 255
    assert torch.isin(b["x_train"].unique(), pixels).all()
    again = rd.build_binary_dataset(source, tmp_path, PAPER_GROUPS, 20, 8, 3)
    for key in ["x_train", "y_train", "x_test", "y_test"]:
        assert torch.equal(again[key], a[key])
    other = rd.build_binary_dataset(source, tmp_path, PAPER_GROUPS, 20, 8, 4)
    assert not torch.equal(other["x_train"], a["x_train"])
    meta = json.loads(b["meta"])
    assert meta["groups"] == PAPER_GROUPS and meta["n_train"] == 20


def test_binary_set_spreads_over_source_classes(fake_cifar):
    _, labels = datasets.load_arrays("cifar10", fake_cifar, train=True)
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
