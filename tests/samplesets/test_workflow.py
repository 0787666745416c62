"""The samplesets chain through Snakemake at smoke size on a learnable fake Fashion-MNIST.

One module-scoped build of every samplesets target (figures, grid table, activation
cube, claims table) from real idx files that the tests write; then the artifacts, the
agreement of two cubes built by different jobs, exact rebuilds, and the error messages.
About 1.5-2 minutes on 2 cores (mostly job start-up: each job imports torch).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from workflow_scripts.samplesets import plan as sp
from workflow_scripts.samplesets.activations import read_activations
from workflow_scripts.samplesets.claims import CLAIMS
from workflow_scripts.store import catalog
from workflow_scripts.store.cube import open_cube
from workflow_scripts.study import load_config

from ..fake_data import write_learnable_fashion_mnist
from ..snakemake_runner import SMOKE, planned_jobs, run_snakemake, write_overlay

pytestmark = pytest.mark.workflow
CLAIMS_CSV = "results/claims/samplesets.csv"


def smoke_plan(*overlays):
    return sp.build_plan(load_config(SMOKE, *overlays, validate=False))


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """(workdir, overlay, plan) with every samplesets target built at smoke size."""
    root = tmp_path_factory.mktemp("samplesets_smoke")
    write_learnable_fashion_mnist(root / "data")  # 300 train images: 200 + 100 held out
    overlay = write_overlay(root / "overlay.yaml", f"data_dir: {root / 'data'}\n")
    workdir = root / "work"
    workdir.mkdir()
    plan = smoke_plan(overlay)
    run_snakemake(workdir, *plan.targets(), CLAIMS_CSV, configfiles=(SMOKE, overlay))
    return workdir, overlay, plan


def test_every_target_is_built(build):
    workdir, _, plan = build
    for target in plan.targets():
        assert (workdir / target).stat().st_size > 0, target
    for fig in sp.FIGURES:
        pdf = workdir / sp.figure_file(fig)
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000, fig
    grid = (workdir / sp.GRID_TABLE).read_text().splitlines()
    assert len(grid) == 1 + len(plan.nets) and grid[0].startswith("net,depth,width,loss")
    claims = (workdir / CLAIMS_CSV).read_text()
    assert all(f",{c.key}," in claims for c in CLAIMS) and ",smoke," in claims
    assert "not measured" not in claims  # every claim could be measured on the cubes


def test_cubes_are_self_describing(build):
    workdir, _, plan = build
    for cube_id, cube in plan.cubes.items():
        ds = open_cube(workdir / sp.cube_file(cube_id))
        spec = plan.runs[cube["run_id"]]["train"]
        assert list(ds["time"].values) == list(spec.checkpoint_steps)
        assert ds["count"].dims == ("time", "node", "class")
        assert ds.sizes["node"] == (spec.depth - 1) * spec.width
        assert (ds["count"] <= ds["class_size"]).all() and (ds["count"] >= 0).all()
        assert int(ds["class_size"].sum()) == 100  # the held-out validation images
        assert (
            float(ds["activation_fraction"].min()) >= 0
            and float(ds["activation_fraction"].max()) <= 1
        )
        assert ds["dead"].dtype == bool and "layer" in ds["predictability"].coords
        assert ds["val_error"].attrs["units"] == "1" and ds["time"].attrs["units"] == "steps"
        config = json.loads(ds.attrs["config"])
        assert config["run"]["train"]["init"] == "default" and ds.attrs["code_version"]
        assert ds.attrs["seed"] == plan.runs[cube["run_id"]]["seed"]


def test_activation_cube_agrees_with_the_count_cube(build):
    """Two jobs, one forward pass each: summing the bits per class gives the counts."""
    workdir, _, plan = build
    ((act_id, act),) = plan.activations.items()
    active = read_activations(workdir / sp.activations_file(act_id))
    counts = open_cube(workdir / sp.cube_file(plan.cube_of[act["run_id"]]))["count"]
    summed = active.groupby("class").sum("sample").transpose("time", "node", "class")
    assert np.array_equal(summed.values, counts.values)
    assert active.sizes["sample"] == 100 and active.dtype == bool


def test_catalog_finds_cubes_by_label(build):
    workdir, _, _ = build
    found = catalog.find(study="samplesets", kind="cube", root=workdir, net="3x16_ce")
    assert sorted(found["seed"]) == [0, 1]
    both = catalog.open_many(
        study="samplesets", kind="cube", root=workdir, concat_dim="seed", net="3x16_ce"
    )
    assert list(both["seed"].values) == [0, 1] and both["count"].dims[0] == "seed"


def test_second_invocation_runs_nothing(build):
    workdir, overlay, plan = build
    assert planned_jobs(workdir, *plan.targets(), CLAIMS_CSV, configfiles=(SMOKE, overlay)) == []


def test_figure_option_reruns_only_that_figure(build, tmp_path):
    workdir, overlay, plan = build
    option = write_overlay(
        tmp_path / "grid.yaml", "samplesets:\n  figures:\n    grid: {quantity: informativeness}\n"
    )
    jobs = planned_jobs(workdir, *plan.targets(), configfiles=(SMOKE, overlay, option))
    assert jobs == [("samplesets_figure", sp.figure_file("grid"))]


def test_a_new_seed_trains_only_its_own_runs(build, tmp_path):
    workdir, overlay, plan = build
    seeds = write_overlay(tmp_path / "seeds.yaml", "samplesets:\n  seeds: [0, 1, 2]\n")
    jobs = planned_jobs(workdir, *plan.targets(), configfiles=(SMOKE, overlay, seeds))
    trained = sorted(out for rule, out in jobs if rule == "samplesets_train")
    assert len(trained) == len(plan.nets) and all("-seed2-" in out for out in trained)
    assert not [j for j in jobs if j[0] in ("samplesets_data", "samplesets_activations")]


def test_contradicting_config_is_rejected_before_any_job(tmp_path):
    bad = write_overlay(
        tmp_path / "bad.yaml", "samplesets:\n  figures:\n    fig5: {net: 9x320_ce}\n"
    )
    proc = run_snakemake(tmp_path, sp.figure_file("fig5"), configfiles=(SMOKE, bad), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "samplesets.figures.fig5" in text and "not planned" in text
    assert not (tmp_path / "results").exists()


def test_missing_data_names_folder_files_and_command(tmp_path):
    empty = tmp_path / "nodata"
    empty.mkdir()
    overlay = write_overlay(tmp_path / "overlay.yaml", f"data_dir: {empty}\n")
    target = sp.data_file(smoke_plan(overlay).data_id)
    proc = run_snakemake(tmp_path, target, configfiles=(SMOKE, overlay), check=False)
    assert proc.returncode != 0
    log = Path(tmp_path, "results/logs/samplesets/data").glob("*.log")
    text = "".join(p.read_text() for p in log)
    assert str(empty / "FashionMNIST" / "raw") in text and "t10k-labels-idx1-ubyte" in text
    assert "datasets_install_fashion_mnist" in text
    assert not (tmp_path / target).exists()


def test_moving_the_data_reruns_nothing(build, tmp_path):
    """data_dir is where the idx files are: pointing it at a copy plans no job."""
    import shutil

    workdir, overlay, plan = build
    moved = tmp_path / "elsewhere"
    shutil.copytree(workdir.parent / "data", moved)
    other = write_overlay(tmp_path / "moved.yaml", f"data_dir: {moved}\n")
    assert planned_jobs(workdir, *plan.targets(), CLAIMS_CSV, configfiles=(SMOKE, other)) == []
