"""Fixtures shared by the wtm workflow tests."""

import pytest

from .snakemake_runner import WTM_FIGURES, run_snakemake


@pytest.fixture(scope="session")
def smoke_workdir(tmp_path_factory):
    """Every wtm target built once at smoke size (shared by the workflow tests)."""
    workdir = tmp_path_factory.mktemp("smoke")
    run_snakemake(workdir, *WTM_FIGURES)
    return workdir
