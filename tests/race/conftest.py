"""Fixtures that write tiny data sets in the real CIFAR-10 and idx formats."""

import pytest

from ..fake_data import write_fake_cifar, write_fake_idx


@pytest.fixture
def fake_cifar(tmp_path):
    write_fake_cifar(tmp_path)
    return tmp_path


@pytest.fixture
def fake_fashion(tmp_path):
    write_fake_idx(tmp_path / "FashionMNIST" / "raw")
    return tmp_path


@pytest.fixture
def fake_writers():
    """The writers themselves, for tests that need other sizes or layouts."""
    return {"cifar": write_fake_cifar, "idx": write_fake_idx}
