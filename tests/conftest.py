"""Fixtures shared by every study's tests.

- ``one_thread``: torch pinned to one thread for the test (as the jobs run).
- ``study_config``: ``tests.configs.study_config`` (config.yaml + overlays, validated).
- ``default_build``: the default-size build the claims tests read. ``default_build(study)``
  builds the study's targets and claims table once per session in one working directory
  shared by every study (``TRAINSCOPE_CLAIMS_WORKDIR`` names a directory to reuse and
  update between sessions; ``TRAINSCOPE_CLAIMS_OVERLAYS`` comma-separated extra overlays,
  e.g. a variant's). A study that reads Fashion-MNIST needs it in <repo>/data
  (``make data``) and skips, saying so, without it.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workflow_scripts.study import REPO, study_module

from .configs import study_config as _study_config
from .snakemake_runner import run_snakemake, write_overlay

DATA = REPO / "data"
FASHION = DATA / "FashionMNIST" / "raw" / "train-images-idx3-ubyte"


# Session and module fixtures that build or start something once (a smoke build, a SLURM
# cluster) are per process under pytest-xdist: `make test` runs `-n 2 --dist loadgroup`, and
# the tests of each session fixture below, and otherwise of each module, go to one worker as
# a group, so each is built once (and two SLURM clusters never fight over the same ports).
XDIST_GROUPS = {
    "smoke_build": "reader_smoke_build",
    "slurm_cluster": "slurm_cluster",
    "smoke_workdir": "wtm_smoke_build",
    "default_build": "default_build",
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        shared = [g for f, g in XDIST_GROUPS.items() if f in item.fixturenames]
        group = shared[0] if shared else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def study_config():
    return _study_config


@dataclass
class Build:
    """A study built at default size: where, with which config, and what it says."""

    study: str
    workdir: Path
    configfiles: tuple
    config: dict
    plan: object
    rows: dict = field(default_factory=dict)  # claim key -> claims table row

    def path(self, relative):
        return self.workdir / relative

    def claims_context(self):
        """What the study's claims read, loaded from the built files."""
        claims = study_module(self.study, "claims").CLAIMS

        def absolute(v):
            return (
                [str(self.workdir / p) for p in v] if isinstance(v, list) else str(self.workdir / v)
            )

        inputs = {k: absolute(v) for k, v in self.plan.claims_inputs().items()}
        return claims.load(inputs, self.plan.claims_options())


def _overlays():
    extra = os.environ.get("TRAINSCOPE_CLAIMS_OVERLAYS", "")
    return [Path(p) if Path(p).is_absolute() else REPO / p for p in extra.split(",") if p]


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    """``default_build(study) -> Build``: each study built once per session."""
    from workflow_scripts.claims.table import read_table

    built = {}

    def build(study):
        if study in built:
            return built[study]
        workdir = os.environ.get("TRAINSCOPE_CLAIMS_WORKDIR")
        workdir = Path(workdir) if workdir else tmp_path_factory.getbasetemp() / "default"
        workdir.mkdir(parents=True, exist_ok=True)
        data_dir = write_overlay(workdir / "data_dir.yaml", f"data_dir: {DATA}\n")
        configfiles = (data_dir, *_overlays())
        config = _study_config(*configfiles)
        plan = study_module(study, "plan").build_plan(config)
        targets = [*plan.targets(), plan.paths.claims()]
        try:
            run_snakemake(workdir, *targets, configfiles=configfiles, timeout=4 * 3600)
        except AssertionError as failed:
            if "MissingDatasetError" in str(failed) and not FASHION.is_file():
                pytest.skip(f"{study} reads Fashion-MNIST, not installed in {DATA} (`make data`)")
            raise
        rows = {r["claim"]: r for r in read_table(workdir / plan.paths.claims())}
        built[study] = Build(study, workdir, configfiles, config, plan, rows)
        return built[study]

    return build
