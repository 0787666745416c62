"""The shared data set registry: real on-disk formats, missing-data messages, the Debian
install, ImageFolder trees of real image files."""

import numpy as np
import pytest

from workflow_scripts import datasets
from workflow_scripts.datasets import cifar, idx, imagefolder
from workflow_scripts.datasets.errors import MissingDatasetError

from .fake_data import write_fake_cifar, write_fake_idx, write_image_folder


def test_cifar_reads_the_real_pickle_format(tmp_path):
    write_fake_cifar(tmp_path)
    images, labels = datasets.load_arrays("cifar10", tmp_path, train=True)
    assert images.shape == (300, 32, 32, 3) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [30] * 10
    images, _ = datasets.load_arrays("cifar10", tmp_path, train=False)
    assert images.shape == (40, 32, 32, 3)


def test_missing_cifar_names_folder_files_and_url(tmp_path):
    with pytest.raises(MissingDatasetError) as err:
        datasets.load_arrays("cifar10", tmp_path, train=True)
    msg = str(err.value)
    assert str(tmp_path / "cifar-10-batches-py") in msg
    assert "data_batch_1" in msg and "data_batch_5" in msg and cifar.URL in msg


def test_missing_fashion_names_folder_files_and_apt(tmp_path):
    with pytest.raises(MissingDatasetError) as err:
        datasets.load_arrays("fashion_mnist", tmp_path, train=True)
    msg = str(err.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in msg
    for name in idx.FILES:  # both splits: the job reads both
        assert name in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert "datasets_install_fashion_mnist" in msg


def test_missing_mnist_has_no_debian_advice(tmp_path):
    with pytest.raises(MissingDatasetError) as err:
        datasets.load_arrays("mnist", tmp_path, train=False)
    msg = str(err.value)
    assert "apt-get" not in msg and idx.MNIST_URL in msg and str(tmp_path / "MNIST" / "raw") in msg


def test_idx_files_read_as_torchvision_reads_them(tmp_path):
    import torchvision

    write_fake_idx(tmp_path / "FashionMNIST" / "raw")
    images, labels = datasets.load_arrays("fashion_mnist", tmp_path, train=True)
    assert images.shape == (80, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [8] * 10
    reference = torchvision.datasets.FashionMNIST(root=str(tmp_path), train=True)
    assert np.array_equal(images, reference.data.numpy())
    assert np.array_equal(labels, reference.targets.numpy())


def test_a_truncated_idx_file_is_named(tmp_path):
    raw = write_fake_idx(tmp_path / "FashionMNIST" / "raw")
    target = raw / "train-images-idx3-ubyte"
    target.write_bytes(target.read_bytes()[:-7])
    with pytest.raises(MissingDatasetError, match="train-images-idx3-ubyte is truncated"):
        datasets.load_arrays("fashion_mnist", tmp_path, train=True)


def test_install_from_the_debian_layout_gunzips(tmp_path):
    debian = write_fake_idx(tmp_path / "debian", compress=True)
    assert all(p.name.endswith(".gz") for p in debian.iterdir())
    raw = idx.install_debian("fashion_mnist", tmp_path / "data", debian_dir=debian)
    assert sorted(p.name for p in raw.iterdir()) == sorted(idx.FILES)
    images, _ = datasets.load_arrays("fashion_mnist", tmp_path / "data", train=False)
    assert images.shape == (40, 28, 28)
    with pytest.raises(MissingDatasetError, match="apt-get install dataset-fashion-mnist"):
        idx.install_debian("fashion_mnist", tmp_path / "other", debian_dir=tmp_path / "nothing")


def test_unknown_source_is_named():
    with pytest.raises(ValueError, match="svhn.*known: mnist, fashion_mnist, cifar10"):
        datasets.source("svhn")


def test_metadata_matches_the_sources():
    assert sum(datasets.SOURCES["mnist"].train_per_class) == 60000
    assert sum(datasets.SOURCES["mnist"].test_per_class) == 10000
    assert datasets.SOURCES["fashion_mnist"].classes[5] == "Sandal"
    assert datasets.SOURCES["cifar10"].classes[3] == "cat"


def test_image_folder_reads_real_png_files(tmp_path):
    write_image_folder(tmp_path / "tiny", classes=("a", "b"), per_class=(3, 2))
    train = imagefolder.dataset(tmp_path, "tiny", "train")
    assert train.classes == ["a", "b"] and len(train) == 6
    image, label = train[4]
    assert image.size == (48, 40) and label == 1
    assert len(imagefolder.dataset(tmp_path, "tiny", "test")) == 4  # test = val/


def test_missing_image_folder_names_the_layout(tmp_path):
    with pytest.raises(MissingDatasetError) as err:
        imagefolder.dataset(tmp_path, "imagenet", "train")
    assert str(tmp_path / "imagenet" / "train") in str(err.value)
    assert "<class name>" in str(err.value)


def test_data_specs_travel_without_their_location():
    from workflow_scripts import datasets

    spec = {"source": "fashion_mnist", "n_train": 10, "data_dir": "/data/a", "download": False}
    params = datasets.without_location(spec)
    assert "data_dir" not in params and params["n_train"] == 10
    assert datasets.with_location(params, {"data_dir": "/scratch/b"})["data_dir"] == "/scratch/b"
    assert datasets.with_location(params, {})["data_dir"] == "data"
