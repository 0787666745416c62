import json

import numpy as np
import pytest
import torch

from workflow_scripts import datasets
from workflow_scripts.race import data as rd
from workflow_scripts.race.specs import DataSpec
from workflow_scripts.store.checkpoints import load_checkpoint

from ..fake_data import write_idx_images, write_idx_labels

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
    assert torch.equal(
        rd.to_features(images[:3]), torch.from_numpy(images[:3] / 255.0).float().reshape(3, 784)
    )  # resize none: the source's own pixels
    x = rd.to_features(images[:3], resize="pad")
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
    spec = DataSpec(
        source=source,
        groups=((0, 3), (1, 2)),
        n_train=20,
        n_test=8,
        seed=3,
        resize="pad",
        preprocess="none",
        inputs="all",
        data_dir=str(tmp_path),
        download=False,
    )
    a = rd.write_binary_dataset(tmp_path / "a.pt", spec)
    b = load_checkpoint(tmp_path / "a.pt")
    assert b["x_train"].shape == (20, 1024) and b["x_train"].dtype == torch.float32
    assert b["y_train"].dtype == torch.int64 and b["x_test"].shape == (8, 1024)
    assert b["y_train"].bincount().tolist() == [10, 10]
    assert b["y_test"].bincount().tolist() == [4, 4]
    images, _ = datasets.load_arrays(source, tmp_path, train=True)
    pixels = rd.to_features(images).unique()  # the features are pixel values / 255
    assert torch.isin(b["x_train"].unique(), pixels).all()
    again = rd.build_binary_dataset(source, tmp_path, PAPER_GROUPS, 20, 8, 3, "pad", inputs="all")
    for key in ["x_train", "y_train", "x_test", "y_test"]:
        assert torch.equal(again[key], a[key])
    other = rd.build_binary_dataset(source, tmp_path, PAPER_GROUPS, 20, 8, 4, "pad", inputs="all")
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


# ---------------------------------------------------------------------------------
# preprocessing (race.data.preprocess)


def test_preprocess_statistics_come_from_the_training_subset_only():
    gen = torch.Generator().manual_seed(0)
    x_train = torch.rand(50, 1024, generator=gen)
    x_train[:, :10] = 0.0  # constant pixels (the zero padding)
    x_train[:, 10] = 0.25
    x_test = 3.0 + torch.rand(20, 1024, generator=gen)  # a test set far from the train mean
    mean = x_train.double().mean(0)
    std = x_train.double().std(0, unbiased=False)
    tr, te, stats = rd.preprocess_features(x_train, x_test, "none")
    assert torch.equal(tr, x_train) and torch.equal(te, x_test)
    assert torch.allclose(stats["pixel_mean"], mean) and torch.allclose(stats["pixel_std"], std)
    tr, te, stats = rd.preprocess_features(x_train, x_test, "center")
    assert tr.dtype == torch.float32 and tr.double().mean(0).abs().max() < 1e-6
    assert torch.allclose(te.double(), x_test.double() - mean, atol=1e-6)
    assert te.double().mean() > 2.5  # the test subset's own mean was not subtracted
    tr, te, _ = rd.preprocess_features(x_train, x_test, "standardize")
    varying = std > 0
    assert torch.allclose(
        tr.double().std(0, unbiased=False)[varying],
        torch.ones(int(varying.sum()), dtype=torch.float64),
        atol=1e-5,
    )
    assert torch.equal(tr[:, :11], torch.zeros(50, 11))  # constant pixels: centred, not divided
    assert torch.allclose(
        te.double()[:, varying], ((x_test.double() - mean) / std)[:, varying], rtol=1e-5, atol=1e-5
    )
    with pytest.raises(ValueError, match="preprocess"):
        rd.preprocess_features(x_train, x_test, "whiten")


@pytest.mark.parametrize("how", ["center", "standardize"])
def test_preprocessed_data_file_keeps_its_statistics(tmp_path, fake_writers, how):
    fake_writers["idx"](tmp_path / "FashionMNIST" / "raw")
    raw = rd.build_binary_dataset("fashion_mnist", tmp_path, [[0, 5], [1, 8]], 20, 8, 0)
    spec = DataSpec(
        source="fashion_mnist",
        groups=((0, 5), (1, 8)),
        n_train=20,
        n_test=8,
        seed=0,
        resize="none",
        preprocess=how,
        inputs="varying",
        data_dir=str(tmp_path),
        download=False,
    )
    data = rd.write_binary_dataset(tmp_path / "d.pt", spec)
    # the same subsets, transformed with the statistics of the raw training subset
    assert torch.equal(data["y_train"], raw["y_train"]) and torch.equal(
        data["y_test"], raw["y_test"]
    )
    assert torch.allclose(data["pixel_mean"], raw["x_train"].double().mean(0))
    assert torch.allclose(
        data["x_test"].double(),
        rd.preprocess_features(raw["x_train"], raw["x_test"], how)[1].double(),
    )
    meta = json.loads(load_checkpoint(tmp_path / "d.pt")["meta"])
    assert meta["preprocess"] == how and "training subset" in meta["scale"]


# ---------------------------------------------------------------------------------
# inputs: only the features that vary over the training subset (race.data.inputs)


def _blank_bordered_fashion(root):
    """Fake Fashion-MNIST whose images are blank outside their central 20x20 pixels and
    whose pixel (14, 14) is 128 in every image: 28 * 28 - 20 * 20 + 1 = 385 constant
    pixels, 399 that vary."""
    rng = np.random.default_rng(0)
    raw = root / "FashionMNIST" / "raw"
    for prefix, per_class in (("train", 8), ("t10k", 4)):
        labels = np.repeat(np.arange(10), per_class)
        images = np.zeros((len(labels), 28, 28), np.uint8)
        images[:, 4:24, 4:24] = rng.integers(1, 256, size=(len(labels), 20, 20))
        images[:, 14, 14] = 128
        write_idx_images(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx_labels(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def test_constant_inputs_are_dropped_and_padding_with_them(tmp_path):
    root = _blank_bordered_fashion(tmp_path)
    groups = [[0, 5], [1, 8]]
    native = rd.build_binary_dataset("fashion_mnist", root, groups, 20, 8, 0, "none", False)
    padded = rd.build_binary_dataset("fashion_mnist", root, groups, 20, 8, 0, "pad", False)
    everything = rd.build_binary_dataset(
        "fashion_mnist", root, groups, 20, 8, 0, "pad", False, inputs="all"
    )
    assert everything["x_train"].shape == (20, 1024)
    constant = everything["x_train"].std(0) == 0
    assert int(constant.sum()) == 1024 - 399  # 240 padded + 385 blank or fixed pixels
    for data, side in ((native, 28), (padded, 32)):
        assert data["x_train"].shape == (20, 399) and data["x_test"].shape == (8, 399)
        assert data["x_train"].std(0).min() > 0  # no constant input reaches the network
        meta = json.loads(data["meta"])
        assert meta["n_features"] == 399 and meta["n_inputs_dropped"] == side * side - 399
        rows, cols = data["input_index"] // side, data["input_index"] % side
        pad = (side - 28) // 2  # the kept inputs are the varying source pixels
        assert set(zip((rows - pad).tolist(), (cols - pad).tolist())) == {
            (r, c) for r in range(4, 24) for c in range(4, 24) if (r, c) != (14, 14)
        }
    # padding then dropping equals dropping from the native pixels, train and test alike
    for key in ("x_train", "x_test"):
        assert torch.equal(native[key], padded[key])
        assert torch.equal(padded[key], everything[key][:, padded["input_index"]])
    with pytest.raises(ValueError, match="inputs"):
        rd.varying_inputs(native["x_train"], "some")


def test_cifar_pixels_all_vary_so_nothing_is_dropped(fake_cifar):
    data = rd.build_binary_dataset("cifar10", fake_cifar, PAPER_GROUPS, 20, 8, 0)
    assert data["x_train"].shape == (20, 1024)
    assert torch.equal(data["input_index"], torch.arange(1024))


def test_no_always_zero_input_reaches_imp_at_default(tmp_path, one_thread):
    """The default config's data (inputs: varying) give IMP's first round only inputs that
    carry data: its W1 masks have one column per varying input, none constant."""
    from workflow_scripts.race import ids, imp
    from workflow_scripts.race import train as T
    from workflow_scripts.race.runs import RunSpec
    from workflow_scripts.race.specs import ImpSpec, TrainSpec

    from ..configs import study_config

    root = _blank_bordered_fashion(tmp_path)
    config = study_config({"data_dir": str(root)})
    config["race"]["data"]["n_test"] = 8
    _, spec = ids.data_spec(config, 20)
    assert (spec.inputs, spec.resize) == ("varying", "none")
    data = rd.write_binary_dataset(tmp_path / "data.pt", spec)
    X = data["x_train"]
    assert X.shape[1] == 399 and X.std(0).min() > 0
    train = TrainSpec(1e-3, 0.9, 4, 1, "direct", 20, (0, 20))
    dense = T.train_runs(
        data, [RunSpec(seed=0, sigma0=1e-5)], hidden=8, total_steps=20, ckpt_steps=(0, 20)
    )[0]
    imp.run_round(
        data, dense, dense, run_id="r", imp_id="i", round_index=1,
        spec=ImpSpec(0.2, 3, True, "init"), train=train, out_run=tmp_path / "round1.pt",
        out_masks=tmp_path / "masks1.pt", every_s=60, device="cpu",
    )  # fmt: skip
    masks = load_checkpoint(tmp_path / "masks1.pt")
    assert masks["mask_W1"].shape == (8, 399)
    assert json.loads(masks["meta"])["n_prunable"] == 8 * 399 + 2 * 8
