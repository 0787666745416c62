"""The wtm chain through Snakemake at smoke size: targets, cubes, exact rebuilds, errors."""

import h5py
import pytest
import xarray as xr

from workflow_scripts.store.checkpoints import list_checkpoints, load_checkpoint
from workflow_scripts.store.paths import default_figure
from workflow_scripts.wtm.figure_specs import FIGURES

from ..snakemake_runner import SMOKE, planned_jobs, run_snakemake, write_overlay
from .conftest import SMOKE_PLAN as PLAN
from .conftest import TARGETS

pytestmark = pytest.mark.workflow


def test_every_target_is_built_under_the_smoke_variant(smoke_workdir):
    for target in TARGETS:
        assert target.startswith("results/variants/smoke/")
        assert (smoke_workdir / target).stat().st_size > 0
    for fig in FIGURES:
        pdf = smoke_workdir / PLAN.paths.figure(fig)
        assert pdf.read_bytes()[:5] == b"%PDF-"


def test_default_study_alias(smoke_workdir):
    run_snakemake(smoke_workdir, default_figure(4, "smoke"))
    alias = smoke_workdir / default_figure(4, "smoke")
    assert alias.read_bytes() == (smoke_workdir / PLAN.paths.figure("fig4")).read_bytes()


def test_checkpoints_are_steps_with_their_epoch(smoke_workdir):
    run_id = PLAN.seed_runs["good"][0]
    train = PLAN.runs[run_id]["train"]
    found = list_checkpoints(smoke_workdir / PLAN.paths.checkpoints(run_id))
    # full-batch Layca: one step per epoch, saved at the schedule's epochs
    assert [step for step, _ in found] == train.checkpoint_epochs()
    last = load_checkpoint(found[-1][1])
    assert last["step"] == last["epoch"] == train.max_epochs and "train_loss" in last
    ds = xr.open_dataset(smoke_workdir / PLAN.paths.cube(PLAN.cube_of[run_id]), engine="h5netcdf")
    assert ds["epoch"].values.tolist() == train.checkpoint_epochs()


def test_cubes_are_self_describing(smoke_workdir):
    cubes = [smoke_workdir / PLAN.paths.cube(c) for c in PLAN.seed_cubes["good"]]
    assert len(cubes) == len(PLAN.config["wtm"]["seeds"])  # one cube per seed
    ds = xr.open_dataset(cubes[0], engine="h5netcdf")
    assert ds["preactivation"].dims == ("epoch", "neuron", "sample")
    assert ds["dloss_dactivation"].dims == ("epoch", "neuron", "sample")
    for coord in ("split", "class", "pattern", "difficulty"):
        assert ds[coord].dims == ("sample",) and coord in ds["preactivation"].coords
    for coord in ("output_weight", "influence_rank"):
        assert ds[coord].dims == ("neuron",)
    assert set(ds["split"].values) == {"train", "test"}
    assert ds.sizes["neuron"] == PLAN.config["wtm"]["extract"]["neurons"]  # most influential
    assert ds["preactivation"].attrs["units"] and ds["loss"].attrs["long_name"]
    assert '"sigma": 0.4' in ds.attrs["config"] and ds.attrs["code_version"]
    # |w2| decreasing with influence rank
    w = abs(ds["output_weight"].values)
    assert (w[:-1] >= w[1:]).all()
    with h5py.File(cubes[0]) as f:
        assert f["preactivation"].shape == tuple(ds["preactivation"].shape)


def test_second_invocation_runs_nothing(smoke_workdir):
    assert planned_jobs(smoke_workdir, *TARGETS) == []


def test_resume_every_s_reruns_nothing(smoke_workdir, tmp_path):
    overlay = write_overlay(tmp_path / "often.yaml", "resume_every_s: 0.5\n")
    assert planned_jobs(smoke_workdir, *TARGETS, configfiles=(SMOKE, overlay)) == []


def test_figure_option_reruns_only_that_figure(smoke_workdir, tmp_path):
    overlay = write_overlay(
        tmp_path / "fig2.yaml",
        "wtm:\n  figures:\n    fig2: {run: good, neurons: 1, split: train}\n",
    )
    jobs = planned_jobs(smoke_workdir, *TARGETS, configfiles=(SMOKE, overlay))
    assert jobs == [("wtm_figure", PLAN.paths.figure("fig2"))]


def test_sigma_change_reruns_only_that_run_and_its_figures(smoke_workdir, tmp_path):
    overlay = write_overlay(tmp_path / "bad.yaml", "wtm:\n  runs:\n    bad: {sigma_train: 1.1}\n")
    jobs = planned_jobs(smoke_workdir, *TARGETS, configfiles=(SMOKE, overlay))
    rules = sorted(rule for rule, _ in jobs)
    # of the figures, only fig1 shows the bad run
    assert rules == ["wtm_data", "wtm_extract", "wtm_figure", "wtm_train"]
    outputs = dict((rule, out) for rule, out in jobs)
    assert "sigma1.1" in outputs["wtm_data"] and "sigma1.1" in outputs["wtm_train"]
    assert outputs["wtm_figure"] == PLAN.paths.figure("fig1")
    # the new run gets new paths; the sigma 1.2 run's artifacts stay where they are
    assert list((smoke_workdir / "results/wtm/runs").glob("*sigma1.2*"))


def test_invalid_config_rejected_before_any_job(tmp_path):
    overlay = write_overlay(
        tmp_path / "bad.yaml", "wtm:\n  train:\n    lr: -0.1\n    colour: red\n"
    )
    proc = run_snakemake(
        tmp_path, default_figure(4, "smoke"), configfiles=(SMOKE, overlay), check=False
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "wtm.train.lr" in text and "unknown config key wtm.train.colour" in text
    assert not (tmp_path / "results").exists()


def test_unknown_target_gives_snakemakes_error(tmp_path):
    proc = run_snakemake(tmp_path, PLAN.paths.figure("fig9"), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "MissingRuleException" in text or "No rule to produce" in text
    assert "Traceback" not in text


def test_report_has_every_built_figure_with_caption(smoke_workdir):
    run_snakemake(smoke_workdir, "--report", "report.zip")
    import zipfile

    with zipfile.ZipFile(smoke_workdir / "report.zip") as z:
        names = z.namelist()
        blob = " ".join(
            z.read(n).decode("utf-8", "ignore") for n in names if n.endswith((".js", ".html"))
        )
    for fig in FIGURES:
        assert any(n.endswith(f"{fig}.pdf") for n in names), fig
    assert "winner-take-most" in blob and "difficulty coefficient" in blob
    assert "hidden 1 instead of 40" in blob  # fig3's caption, from its resolved options
    assert any(n.endswith("wtm.csv") for n in names) and "Claims of the wtm study" in blob


def test_claims_table_records_every_claim_at_smoke_size(smoke_workdir):
    from workflow_scripts.claims import VERDICTS
    from workflow_scripts.claims.table import read_table
    from workflow_scripts.wtm.claims import CLAIMS

    rows = read_table(smoke_workdir / PLAN.paths.claims())
    assert [r["claim"] for r in rows] == [c.key for c in CLAIMS]
    assert {r["size"] for r in rows} == {"smoke"}
    assert all(r["verdict"] in VERDICTS and r["reason"] for r in rows)
    # a measured claim states its headline figure with an interval and what it rests on
    measured = [r for r in rows if r["verdict"] != "not measured"]
    assert measured and all(r["measured"] and r["interval"] and r["n"] for r in measured)


def test_catalog_finds_and_opens_every_kind(smoke_workdir, monkeypatch):
    from workflow_scripts.store import catalog

    monkeypatch.chdir(smoke_workdir)
    kinds = set(catalog.find("wtm")["kind"])
    assert kinds == {"data", "run", "cube", "eval", "figure", "claims"}
    with pytest.raises(catalog.CatalogError, match="2 artifacts match"):
        catalog.open("wtm", "cube", name="good")  # one per seed
    good = catalog.open("wtm", "cube", name="good", seed=1)
    assert good["preactivation"].dims == ("epoch", "neuron", "sample")
    assert good.attrs["run_name"] == "good" and '"seed": 1' in good.attrs["config"]
    seeds = catalog.open_many("wtm", "cube", name="good", concat_dim="seed")
    assert seeds["seed"].values.tolist() == [0, 1]
    assert seeds["preactivation"].dims[0] == "seed"
    run = catalog.open("wtm", "run", name="linear", seed=0)
    assert run["spec"]["activation"] == "linear"
    assert run["checkpoints"]["step_000000000"]["epoch"] == 0
    data = catalog.open("wtm", "data", sigma=0.4, split="test")
    assert data["x"].shape[1] == 100
    with pytest.raises(catalog.CatalogError, match="values repeat"):
        catalog.open_many("wtm", "eval", concat_dim="sigma_train")  # one per seed
    evals = catalog.open_many("wtm", "eval", concat_dim="sigma_train", seed=0)
    assert evals["test_accuracy"].dims == ("sigma_train", "sigma_test")
    assert evals["sigma_train"].values.tolist() == list(
        PLAN.figures["noise_generalization"].sigma_train
    )
    linear = catalog.find("wtm", "cube", activation="linear")["name"].tolist()
    assert linear == ["linear"] * len(PLAN.seed_cubes["linear"])
    figures = catalog.find("wtm", "figure", variant="smoke")
    assert sorted(figures["id"]) == sorted(FIGURES)
