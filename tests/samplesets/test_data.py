"""The seeded train / validation split, read through the datasets registry."""

import numpy as np
import pytest

from workflow_scripts.datasets.errors import MissingDatasetError
from workflow_scripts.samplesets.data import SplitTooLargeError, load_split, make_split, write_split
from workflow_scripts.samplesets.specs import DataSpec

from ..fake_data import write_learnable_fashion_mnist


def spec(**kw):
    return DataSpec(
        **{"source": "fashion_mnist", "n_train": 200, "n_validation": 100, "split_seed": 0, **kw}
    )


def test_split_is_seeded_disjoint_and_sized():
    images = np.arange(300 * 4, dtype=np.uint8).reshape(300, 2, 2)
    labels = np.arange(300) % 10
    a = make_split(spec(), images, labels)
    assert a["x_train"].shape == (200, 4) and a["x_val"].shape == (100, 4)
    assert not set(a["train_index"]) & set(a["val_index"])
    assert np.array_equal(a["y_val"], labels[a["val_index"]])
    assert np.array_equal(a["x_val"], images.reshape(300, -1)[a["val_index"]])
    b = make_split(spec(), images, labels)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    c = make_split(spec(split_seed=1), images, labels)
    assert not np.array_equal(a["val_index"], c["val_index"])
    with pytest.raises(SplitTooLargeError, match="n_validation"):
        make_split(spec(n_validation=101), images, labels)


def test_split_file_from_real_idx_files(tmp_path):
    write_learnable_fashion_mnist(tmp_path / "data")
    out = tmp_path / "split.npz"
    write_split(spec(data_dir=str(tmp_path / "data")), out)
    arrays, meta = load_split(out)
    assert arrays["x_train"].dtype == np.uint8 and arrays["x_train"].shape == (200, 784)
    assert meta["split_seed"] == 0 and meta["classes"][0] == "T-shirt/top"
    assert "data_dir" not in meta and "download" not in meta  # run settings: not what it is


def test_missing_data_names_folder_files_and_command(tmp_path):
    with pytest.raises(MissingDatasetError) as err:
        write_split(spec(data_dir=str(tmp_path)), tmp_path / "split.npz")
    text = str(err.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in text
    assert "train-images-idx3-ubyte" in text and "datasets_install_fashion_mnist" in text
    assert not (tmp_path / "split.npz").exists()
