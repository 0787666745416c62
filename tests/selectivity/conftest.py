"""Fixtures of the selectivity tests: tiny data in the real formats (``one_thread`` and
the configs come from tests/conftest.py)."""

import pytest

from ..fake_data import write_image_folder, write_learnable_fashion_mnist


@pytest.fixture
def fashion_dir(tmp_path):
    """<tmp>/FashionMNIST/raw/: 40 train and 20 test images per class (real idx files)."""
    write_learnable_fashion_mnist(tmp_path, per_class_train=40, per_class_test=20)
    return tmp_path


@pytest.fixture
def folder_dir(tmp_path):
    """<tmp>/tiny/{train,val}/<class>/*.png: 3 classes, 10 + 8 PNG files each."""
    write_image_folder(
        tmp_path / "tiny", classes=("cat", "dog", "fish"), per_class=(10, 8), size=(20, 24)
    )
    return tmp_path
