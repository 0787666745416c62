"""The paper overlay's data path end to end: every race target built at smoke size from
generated files in the real ``cifar-10-batches-py`` format (the source
``configs/paper.yaml`` uses), through Snakemake.

Config: configs/smoke.yaml (sizes), then an overlay holding configs/paper.yaml's own
``race.data`` block (cifar10, airplane + cat vs automobile + bird; its test size
replaced by the smoke size), the fake data's folder, and one seed and one IMP round so
that the build stays near a minute on 2 cores. (paper.yaml itself is not stacked under
smoke.yaml: the other studies' paper and smoke settings contradict each other.)
"""

import json
from pathlib import Path

import pytest
import yaml

from workflow_scripts.race.plan import build_plan

from ..configs import PAPER, study_config
from ..fake_data import write_learnable_cifar
from ..snakemake_runner import SMOKE, run_snakemake, write_overlay

pytestmark = pytest.mark.workflow

PATHS = build_plan(study_config(SMOKE)).paths  # figures, tables, claims: the smoke variant's
FIGS = ["fig1", "fig3", "fig4", "fig5", "fig7"]
TARGETS = [PATHS.figure(f) for f in FIGS] + [
    PATHS.table("table1", "csv"),
    PATHS.table("table1", "tex"),
    PATHS.claims(),
]
OVERLAY = """data_dir: {data_dir}
race:
  data: {data}
  train:
    steps: 300
  grid:
    seeds: [0]
  d_sweep:
    hidden: [16]
    seeds: [0]
  imp:
    rounds: 1
  stable_cells:
    seeds: [0]
"""


def paper_data_block():
    data = dict(yaml.safe_load(PAPER.read_text())["race"]["data"])
    data["n_test"] = yaml.safe_load(SMOKE.read_text())["race"]["data"]["n_test"]
    return data


@pytest.fixture(scope="module")
def cifar_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("race_cifar")
    write_learnable_cifar(root / "data")
    overlay = write_overlay(
        root / "overlay.yaml",
        OVERLAY.format(data_dir=root / "data", data=json.dumps(paper_data_block())),
    )
    workdir = root / "work"
    workdir.mkdir()
    run_snakemake(workdir, *TARGETS, configfiles=(SMOKE, overlay))
    return workdir


def test_every_race_target_is_built_from_cifar_pickles(cifar_build):
    workdir = cifar_build
    for fig in FIGS:
        pdf = workdir / PATHS.figure(fig)
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000, fig
    lines = (workdir / PATHS.table("table1")).read_text().splitlines()
    assert len(lines) == 1 + 2 * 2 * 3  # 2 sigma0 x 2 N x 3 taus
    rows = (workdir / PATHS.claims()).read_text()
    assert ",smoke," in rows and "not measured" not in rows


def test_the_data_are_the_paper_grouping_of_the_cifar_source(cifar_build):
    assert paper_data_block()["source"] == "cifar10"
    from workflow_scripts.store.checkpoints import load_checkpoint

    workdir = cifar_build
    files = sorted((workdir / "results" / "race" / "data").glob("*.pt"))
    assert [f.name.split("-")[0] for f in files] == ["cifar10", "cifar10"]
    for f in files:
        meta = json.loads(load_checkpoint(f)["meta"])
        assert meta["source"] == "cifar10" and meta["groups"] == [[0, 3], [1, 2]]
        assert meta["group_names"] == [["airplane", "cat"], ["automobile", "bird"]]
        assert meta["grayscale"] == "ITU-R BT.601 luma" and meta["n_features"] == 1024


def test_the_runs_learn_the_fake_cifar_task(cifar_build):
    from workflow_scripts.store.cube import open_cube

    workdir = cifar_build
    cubes = sorted(Path(workdir, "results", "race", "cubes").glob("*s1e-05*.dynamics.nc"))
    assert len(cubes) == 2  # small init, N = 20 and 40
    for path in cubes:
        ds = open_cube(path)
        loss = ds["train_loss"].values
        assert loss[-1] < 0.5 * loss[0] and ds["test_accuracy"].values[-1] > 0.8, path.name
