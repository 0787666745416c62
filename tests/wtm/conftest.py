"""The wtm smoke build shared by the workflow tests."""

import pytest

from ..snakemake_runner import run_snakemake

FIGURES = ["fig1", "fig2", "fig3", "fig4", "noise_generalization"]
TARGETS = [f"results/figs/wtm/{fig}.pdf" for fig in FIGURES] + ["results/claims/wtm.csv"]


@pytest.fixture(scope="session")
def smoke_workdir(tmp_path_factory):
    """Every wtm target and the claims table built once at smoke size."""
    workdir = tmp_path_factory.mktemp("smoke")
    run_snakemake(workdir, *TARGETS)
    return workdir
