"""The wtm smoke build shared by the workflow tests, and small trained runs and cubes
shared by the figure and claims tests."""

import pytest

from workflow_scripts.wtm.plan import build_plan

from ..configs import SMOKE, study_config
from ..snakemake_runner import run_snakemake

SMOKE_PLAN = build_plan(study_config(SMOKE))
# every wtm figure and the claims table, at smoke size
TARGETS = [*SMOKE_PLAN.targets(), SMOKE_PLAN.paths.claims()]


@pytest.fixture(scope="session")
def smoke_workdir(tmp_path_factory):
    """Every wtm target and the claims table built once at smoke size."""
    workdir = tmp_path_factory.mktemp("smoke")
    run_snakemake(workdir, *TARGETS)
    return workdir
