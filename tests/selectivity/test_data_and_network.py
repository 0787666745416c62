"""Data splits (balanced, disjoint, held out of training), batches (idx files and
ImageFolder PNGs), and the networks' modules, blocks and BatchNorm handling."""

import numpy as np
import pytest
import torch

from workflow_scripts.datasets.errors import MissingDatasetError
from workflow_scripts.models import build
from workflow_scripts.selectivity import network
from workflow_scripts.selectivity.data import load_splits, make_splits, save_splits
from workflow_scripts.selectivity.images import open_images
from workflow_scripts.selectivity.specs import ModelSpec

from .helpers import NARROW, data_spec, folder_spec


def test_splits_are_balanced_disjoint_and_held_out_of_training(fashion_dir, tmp_path):
    spec = data_spec(fashion_dir, n_train=0, ablate_split="train", n_ablate=50, n_probe=60)
    splits = make_splits(spec)
    save_splits(tmp_path / "d.npz", splits)
    s = load_splits(tmp_path / "d.npz")
    labels = {"train": np.repeat(np.arange(10), 40)}  # the writer's label counts
    from workflow_scripts.datasets import load_arrays

    _, train_y = load_arrays("fashion_mnist", fashion_dir, True)
    _, test_y = load_arrays("fashion_mnist", fashion_dir, False)
    assert np.bincount(train_y[s["ablate_idx"]]).tolist() == [5] * 10
    assert np.bincount(test_y[s["probe_idx"]]).tolist() == [6] * 10
    # n_train = 0: every train image not held out for ablation
    assert len(s["train_idx"]) == len(labels["train"]) - 50
    assert not set(s["train_idx"]) & set(s["ablate_idx"])
    assert set(s["bn_idx"]) <= set(s["train_idx"]) and len(s["bn_idx"]) == spec.n_bn
    assert s["classes"][0] == "T-shirt/top" and s["probe_split"] == "test"
    # normalisation from the training subset
    assert s["mean"].shape == (1,) and 0 < s["mean"][0] < 1 and s["std"][0] > 0
    assert make_splits(spec)["probe_idx"].tolist() == s["probe_idx"].tolist()  # seeded


def test_held_out_sets_of_one_split_are_disjoint(fashion_dir):
    s = make_splits(data_spec(fashion_dir, n_probe=100, n_ablate=100))
    assert not set(s["probe_idx"]) & set(s["ablate_idx"])
    with pytest.raises(ValueError, match=r"selectivity\.data\.probe\.n"):
        make_splits(data_spec(fashion_dir, n_probe=150, n_ablate=100))  # 20 per class exist


def test_missing_data_names_the_files(tmp_path):
    with pytest.raises(MissingDatasetError, match="FashionMNIST"):
        make_splits(data_spec(tmp_path))
    with pytest.raises(MissingDatasetError, match="tiny"):
        make_splits(folder_spec(tmp_path))


def test_array_batches_normalised_augmented_deterministically(fashion_dir):
    spec = data_spec(fashion_dir, augment=True)
    splits = make_splits(spec)
    train = open_images(splits, spec, "train")
    probe = open_images(splits, spec, "probe", channels=3)
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))
    a = list(train.batches(order, 32, seed=1, epoch=3))
    b = list(train.batches(order, 32, start=2, seed=1, epoch=3))  # resumed at batch 2
    assert len(a) == 7 and all(torch.equal(x, y) for (x, _), (y, _) in zip(a[2:], b))
    c = list(train.batches(order, 32, seed=1, epoch=4))
    assert not torch.equal(a[0][0], c[0][0])  # another epoch, other augmentation
    x, y = next(probe.batches(np.arange(len(probe)), 16))
    assert x.shape == (16, 3, 28, 28) and y.dtype == torch.int64  # gray repeated for torchvision
    plain = open_images(splits, data_spec(fashion_dir), "train")
    xs = torch.cat([x for x, _ in plain.batches(np.arange(len(plain)), 64)])
    assert abs(float(xs.mean())) < 0.05 and abs(float(xs.std()) - 1) < 0.05


def test_image_folder_batches(folder_dir, tmp_path):
    spec = folder_spec(folder_dir)
    splits = make_splits(spec)
    assert splits["classes"].tolist() == ["cat", "dog", "fish"]
    assert len(splits["train_idx"]) == 30 and len(splits["probe_idx"]) == 12
    train = open_images(splits, spec, "train")
    order = np.arange(len(train))
    first = [x for x, _ in train.batches(order, 8, seed=0, epoch=0, workers=0)]
    again = [x for x, _ in train.batches(order, 8, seed=0, epoch=0, workers=2)]
    assert first[0].shape == (8, 3, 16, 16)
    assert all(torch.equal(x, y) for x, y in zip(first, again))  # same draws with workers
    probe = open_images(splits, spec, "probe")
    x1 = next(probe.batches(np.arange(12), 12))[0]
    x2 = next(probe.batches(np.arange(12), 12))[0]
    assert torch.equal(x1, x2)  # evaluation transform: no randomness


def test_blocks_units_and_layers_of_narrow_and_torchvision_resnets():
    narrow = network.build(NARROW, 10, 1)
    assert [(m, i, c) for m, i, _, c in network.blocks(narrow)] == [
        (4, 0, 4),
        (4, 1, 4),
        (5, 0, 8),
        (5, 1, 8),
        (6, 0, 16),
        (6, 1, 16),
        (7, 0, 32),
        (7, 1, 32),
    ]
    assert network.layer_names(narrow)[-2:] == ["7.1", "fc"]
    r50 = network.build(ModelSpec("resnet50", None, None), 5, 3)
    widths = {m: c for m, _, _, c in network.blocks(r50)}
    assert widths == {4: 256, 5: 512, 6: 1024, 7: 2048}
    module, block, channel = network.unit_coords(r50)
    assert len(module) == 3 * 256 + 4 * 512 + 6 * 1024 + 3 * 2048 and channel[-1] == 2047


def test_block_hooks_fire_once_per_block_not_per_relu_call():
    model = network.build(NARROW, 10, 1).eval()
    seen = []
    with network.BlockOutputs(model, lambda k, out: seen.append((k, out.min().item()))):
        model(torch.randn(2, 1, 28, 28))
    assert [k for k, _ in seen] == list(range(8))
    assert all(v >= 0 for _, v in seen)  # block outputs are after the final ReLU


def test_recompute_bn_gives_the_statistics_of_the_images():
    torch.manual_seed(0)
    model = build("narrow_resnet18", width=4, num_classes=3, in_channels=1)
    xs = [torch.randn(16, 1, 28, 28) * 2 + 1 for _ in range(3)]
    network.recompute_bn(model, [(x, None) for x in xs])
    assert not model.training
    x = torch.cat(xs)
    mean = x.mean(dim=(0, 2, 3))
    # bn1 sees the first convolution's output: its running mean is that output's mean
    with torch.no_grad():
        conv = model.conv1(x)
    assert torch.allclose(model.bn1.running_mean, conv.mean(dim=(0, 2, 3)), atol=1e-5)
    assert mean.shape == (1,)
    network.set_bn_mode(model, "batch")
    assert model.bn1.training and model.bn1.running_mean is None


def test_cifar_pickles_three_channels(tmp_path):
    from ..fake_data import write_fake_cifar

    write_fake_cifar(tmp_path, per_class_train=6, per_class_test=6)
    spec = data_spec(
        tmp_path, source="cifar10", n_train=40, n_probe=20, n_ablate=20, n_bn=10, augment=True
    )
    splits = make_splits(spec)
    assert splits["mean"].shape == (3,) and splits["std"].shape == (3,)
    x, _ = next(open_images(splits, spec, "train").batches(np.arange(40), 8, seed=0))
    assert x.shape == (8, 3, 32, 32)
    assert network.input_channels(NARROW, len(splits["mean"])) == 3
