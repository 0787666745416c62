"""The samplesets chain through Snakemake at smoke size on a learnable fake Fashion-MNIST.

One module-scoped build of every samplesets target (figures, grid table, activation
cube, claims table) from real idx files that the tests write; then the artifacts, the
agreement of two cubes built by different jobs, exact rebuilds, and the error messages.
About 1.5-2 minutes on 2 cores (mostly job start-up: each job imports torch).
"""

import json

import numpy as np
import pytest

from workflow_scripts.claims.table import read_table
from workflow_scripts.samplesets import plan as sp
from workflow_scripts.samplesets.activations import read_activations
from workflow_scripts.samplesets.claims import CLAIMS
from workflow_scripts.samplesets.figure_specs import FIGURES
from workflow_scripts.store import catalog
from workflow_scripts.store.checkpoints import load_steps
from workflow_scripts.store.cube import open_cube

from ..configs import study_config
from ..fake_data import write_learnable_fashion_mnist
from ..snakemake_runner import SMOKE, planned_jobs, run_snakemake, write_overlay

pytestmark = pytest.mark.workflow


def smoke_plan(*overlays):
    return sp.build_plan(study_config(SMOKE, *overlays))


def every_target(plan):
    return [*plan.targets(), plan.paths.claims()]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """(workdir, overlay, plan) with every samplesets target built at smoke size."""
    root = tmp_path_factory.mktemp("samplesets_smoke")
    write_learnable_fashion_mnist(root / "data")  # 300 train images: 200 + 100 held out
    overlay = write_overlay(root / "overlay.yaml", f"data_dir: {root / 'data'}\n")
    workdir = root / "work"
    workdir.mkdir()
    plan = smoke_plan(overlay)
    run_snakemake(workdir, *every_target(plan), configfiles=(SMOKE, overlay))
    return workdir, overlay, plan


def test_every_target_is_built(build):
    workdir, _, plan = build
    for target in every_target(plan):
        assert (workdir / target).stat().st_size > 0, target
    for fig in FIGURES:  # (what they draw: test_figures)
        pdf = workdir / plan.paths.figure(fig)
        assert pdf.read_bytes()[:5] == b"%PDF-", fig
        assert plan.paths.figure(fig).startswith("results/variants/smoke/figs/samplesets/")
    grid = (workdir / plan.paths.table("grid")).read_text().splitlines()
    names = [row.split(",")[0] for row in grid]
    assert names[0] == "net" and sorted(names[1:]) == sorted(plan.nets)
    rows = {r["claim"]: r for r in read_table(workdir / plan.paths.claims())}
    assert list(rows) == [c.key for c in CLAIMS]
    assert {r["size"] for r in rows.values()} == {"smoke"}
    # every claim is measured at smoke size (2 seeds: intervals, mostly inconclusive ones)
    unmeasured = {k: r["reason"] for k, r in rows.items() if r["verdict"] == "not measured"}
    assert unmeasured == {}
    assert all(r["interval"].startswith("[") and "seeds" in r["n"] for r in rows.values())


def test_cubes_are_self_describing(build):
    workdir, _, plan = build
    for cube_id, cube in plan.cubes.items():
        ds = open_cube(workdir / plan.paths.cube(cube_id))
        spec = plan.runs[cube["run_id"]]["train"]
        assert list(ds["time"].values) == list(spec.checkpoint_steps)
        assert ds["count"].dims == ("time", "node", "class")
        assert ds.sizes["node"] == (spec.depth - 1) * spec.width
        assert (ds["count"] <= ds["class_size"]).all() and (ds["count"] >= 0).all()
        assert int(ds["class_size"].sum()) == plan.data.n_validation
        f = (ds["count"] / ds["class_size"]).mean("class")  # eq. 9 from the counts
        np.testing.assert_allclose(ds["activation_fraction"], f, rtol=1e-6)
        np.testing.assert_array_equal(ds["dead"], ds["count"].sum("class") == 0)
        assert ds["dead"].dtype == bool and "layer" in ds["predictability"].coords
        assert ds["val_error"].attrs["units"] == "1" and ds["time"].attrs["units"] == "steps"
        config = json.loads(ds.attrs["config"])
        assert config["run"]["train"]["init"] == "default" and ds.attrs["code_version"]
        assert ds.attrs["seed"] == plan.runs[cube["run_id"]]["seed"]


def test_activation_cube_agrees_with_the_count_cube(build):
    """Two jobs, one forward pass each: summing the bits per class gives the counts."""
    workdir, _, plan = build
    ((act_id, act),) = plan.activations.items()
    active = read_activations(workdir / plan.activations_file(act_id))
    counts = open_cube(workdir / plan.paths.cube(plan.cube_of[act["run_id"]]))["count"]
    summed = active.groupby("class").sum("sample").transpose("time", "node", "class")
    assert np.array_equal(summed.values, counts.values)
    assert active.sizes["sample"] == plan.data.n_validation and active.dtype == bool


def test_runs_are_checkpoint_directories_that_place_each_checkpoint_in_time(build):
    workdir, _, plan = build
    for run_id, run in plan.runs.items():
        spec = run["train"]
        saved = list(load_steps(workdir / plan.paths.checkpoints(run_id)))
        assert [step for step, _ in saved] == list(spec.checkpoint_steps)
        assert [c["epoch"] for _, c in saved] == [s / spec.steps_per_epoch for s, _ in saved]


def test_catalog_finds_cubes_by_label(build):
    workdir, _, plan = build
    found = catalog.find(study="samplesets", kind="cube", root=workdir, net="3x16_ce")
    assert sorted(found["seed"]) == plan.seeds
    figs = catalog.find(study="samplesets", kind="figure", root=workdir, variant="smoke")
    assert sorted(figs["figure"]) == sorted(FIGURES)
    both = catalog.open_many(
        study="samplesets", kind="cube", root=workdir, concat_dim="seed", net="3x16_ce"
    )
    assert list(both["seed"].values) == [0, 1] and both["count"].dims[0] == "seed"


def test_second_invocation_runs_nothing(build):
    workdir, overlay, plan = build
    assert planned_jobs(workdir, *every_target(plan), configfiles=(SMOKE, overlay)) == []


def test_figure_option_reruns_only_that_figure(build, tmp_path):
    workdir, overlay, plan = build
    option = write_overlay(
        tmp_path / "grid.yaml", "samplesets:\n  figures:\n    grid: {quantity: informativeness}\n"
    )
    jobs = planned_jobs(workdir, *plan.targets(), configfiles=(SMOKE, overlay, option))
    assert jobs == [("samplesets_figure", plan.paths.figure("grid"))]


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
    target = smoke_plan().paths.figure("fig5")
    proc = run_snakemake(tmp_path, target, configfiles=(SMOKE, bad), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "samplesets.figures.fig5" in text and "not planned" in text
    assert not (tmp_path / "results").exists()


def test_missing_data_names_folder_files_and_command(tmp_path):
    empty = tmp_path / "nodata"
    empty.mkdir()
    overlay = write_overlay(tmp_path / "overlay.yaml", f"data_dir: {empty}\n")
    plan = smoke_plan(overlay)
    target = plan.data_file()
    proc = run_snakemake(tmp_path, target, configfiles=(SMOKE, overlay), check=False)
    assert proc.returncode != 0
    text = (tmp_path / plan.paths.log("data", plan.data_id)).read_text()
    assert str(empty / "FashionMNIST" / "raw") in text and "t10k-labels-idx1-ubyte" in text
    assert "datasets_install_fashion_mnist" in text
    assert not (tmp_path / target).exists()


@pytest.mark.parametrize("setting", ["download", "resume_every_s"])
def test_moving_the_data_and_other_run_settings_rerun_nothing(build, tmp_path, setting):
    """Where the data live (a copy elsewhere), whether they may be downloaded, how often a
    resume state is written: none changes a result, so none reruns a job."""
    import shutil

    workdir, overlay, plan = build
    moved = tmp_path / "elsewhere"
    shutil.copytree(workdir.parent / "data", moved)
    text = {
        "download": "samplesets:\n  data: {download: true}\n",
        "resume_every_s": "resume_every_s: 0\n",
    }[setting]
    other = write_overlay(tmp_path / "other.yaml", f"data_dir: {moved}\n{text}")
    assert planned_jobs(workdir, *every_target(plan), configfiles=(SMOKE, other)) == []
