"""The race chain through Snakemake at smoke size on a fake Fashion-MNIST (real idx files).

One module-scoped build of every race target (figures, Table 1) from a small learnable
fake Fashion-MNIST (``tests/fake_data.py``) that torchvision reads from
``<data_dir>/FashionMNIST/raw/``; then the artifacts, exact rebuilds, incremental IMP
rounds, error messages and the paper's claims on the smoke cubes. Figures, tables and
the claims table of the smoke build are its variant's (``results/variants/smoke/``).

Overlay on top of configs/smoke.yaml: ``data_dir`` = the fake data, and 300 SGD steps
(the small-init loss on the fake data falls near step 200, so the end of training is
past the drop). About 2-3 minutes on 2 cores.
"""

import csv
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from workflow_scripts.race.plan import build_plan

from ..configs import study_config
from ..fake_data import IDX_NAMES, write_learnable_fashion_mnist
from ..snakemake_runner import SMOKE, planned_jobs, run_snakemake, write_overlay

pytestmark = pytest.mark.workflow

OVERLAY = "data_dir: {data_dir}\nrace:\n  train:\n    steps: 300\n"
# the smoke plan's paths (the data_dir overlay changes no path)
PATHS = build_plan(study_config(SMOKE)).paths
FIGS = ["fig1", "fig3", "fig4", "fig5", "fig7"]
RACE_TARGETS = [PATHS.figure(f) for f in FIGS] + [
    PATHS.table("table1", "csv"),
    PATHS.table("table1", "tex"),
    PATHS.table("task", "csv"),
    PATHS.claims(),
]


@pytest.fixture(scope="module")
def race_build(tmp_path_factory):
    """(workdir, overlay path) with every race target built at smoke size."""
    root = tmp_path_factory.mktemp("race_smoke")
    data_dir = root / "data"
    write_learnable_fashion_mnist(data_dir)
    overlay = write_overlay(root / "overlay.yaml", OVERLAY.format(data_dir=data_dir))
    workdir = root / "work"
    workdir.mkdir()
    run_snakemake(workdir, *RACE_TARGETS, configfiles=(SMOKE, overlay))
    return workdir, overlay


@pytest.fixture(scope="module")
def workdir(race_build):
    return race_build[0]


def _results(workdir):
    return Path(workdir) / "results"


def _open(path):
    from workflow_scripts.store.cube import open_cube

    return open_cube(path)


def _smoke_config(overlay):
    """configs/smoke.yaml + overlay merged into config.yaml, validated, as the rules see it."""
    cfg = study_config(SMOKE, overlay)
    return cfg, build_plan(cfg)


@pytest.fixture(scope="module")
def plan(race_build):
    return _smoke_config(race_build[1])[1]


@pytest.fixture(scope="module")
def ctx(workdir, plan):
    """What the race claims read: the smoke cubes, opened, as the claims table does."""
    from workflow_scripts.race.claims import CLAIMS

    inputs = {k: [str(Path(workdir) / p) for p in v] for k, v in plan.claims_inputs().items()}
    return CLAIMS.load(inputs, plan.claims_options())


# ---------------------------------------------------------------------------------
# targets and artifacts


def test_every_target_is_built(workdir, plan):
    assert set(plan.targets()) | {plan.paths.claims()} == set(RACE_TARGETS)
    for fig in FIGS:
        pdf = Path(workdir) / plan.paths.figure(fig)
        data = pdf.read_bytes()
        assert data[:5] == b"%PDF-" and b"%%EOF" in data[-1024:] and len(data) > 5000, fig
    lines = (Path(workdir) / plan.paths.table("table1")).read_text().splitlines()
    assert lines[0].split(",") == [
        "sigma0",
        "N",
        "tau",
        "n_seeds",
        "k_mean",
        "k_std",
        "k_large_mean",
        "k_large_std",
        "delta_acc_mean",
        "delta_acc_std",
    ]
    # one row per sigma0 x N x tau of the grid, mean over its seeds
    grid, taus = plan.config["race"]["grid"], plan.tables["table1"].taus
    assert len(lines) == 1 + len(grid["sigma0"]) * len(grid["n_train"]) * len(taus)
    rows = [dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:]]
    assert {int(r["N"]) for r in rows} == set(grid["n_train"])
    assert {int(r["n_seeds"]) for r in rows} == {len(grid["seeds"])}
    assert all(np.isfinite(float(r["k_mean"])) for r in rows)
    # both cluster counts (all neurons; neurons with a >= 1 % of the largest)
    assert all(0 < float(r["k_large_mean"]) < 16 for r in rows)
    # k_large counts the clusters of k that hold a large neuron: never more than k
    assert all(float(r["k_large_mean"]) <= float(r["k_mean"]) for r in rows)
    tex = (Path(workdir) / plan.paths.table("table1", "tex")).read_text()
    assert tex.startswith(r"\begin{tabular}") and r"\end{tabular}" in tex
    assert r"$\tau=0.99$" in tex and "$10^{-5}$" in tex and "$10^{-3}$" in tex
    assert r"$k_{\mathrm{large}}$" in tex and "a >= 1 % of the largest" in tex


def test_task_table_has_one_row_per_grid_cell(workdir, plan):
    """The race_table job also writes task.csv (how hard the task is) from the same cubes."""
    from workflow_scripts.race.task import FIELDS

    with open(Path(workdir) / plan.paths.table("task")) as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == FIELDS
        rows = [{k: float(v) for k, v in r.items()} for r in reader]
    grid = plan.config["race"]["grid"]
    cells = {(s, n) for s in grid["sigma0"] for n in grid["n_train"]}
    assert len(rows) == len(cells) and {(r["sigma0"], int(r["N"])) for r in rows} == cells
    steps = plan.runs[plan.grid_runs[0]]["train"].checkpoint_steps
    for r in rows:
        assert r["n_seeds"] == len(grid["seeds"]) == 2, r
        # trained on the learnable fake data: well above chance, interval around the mean
        assert 0.7 < r["test_accuracy_mean"] <= 1, r
        assert r["test_accuracy_low"] <= r["test_accuracy_mean"] <= r["test_accuracy_high"], r
        # two logits near zero at init: a loss near ln 2, falling by the end
        assert r["train_loss_start_mean"] == pytest.approx(np.log(2), abs=0.05), r
        assert r["train_loss_end_mean"] < r["train_loss_start_mean"], r
        # the drop step is a dump step, min <= median <= max over the runs that dropped
        if r["n_loss_dropped"]:
            assert r["loss_drop_step_min"] in steps and r["loss_drop_step_max"] in steps, r
            assert 0 < r["loss_drop_step_min"] <= r["loss_drop_step_median"]
            assert r["loss_drop_step_median"] <= r["loss_drop_step_max"] <= steps[-1]
        else:
            assert np.isnan(r["loss_drop_step_median"]), r
    # medium init: every run's loss halves within the 300 steps, and no later than at small
    # init (there the loss falls between steps 210 and 300: at 300 one seed is at half of
    # ln 2, the other still above it, both already at test accuracy 1)
    for N in grid["n_train"]:
        small, medium = (
            next(r for r in rows if (r["sigma0"], r["N"]) == (s, N)) for s in (1e-5, 1e-3)
        )
        assert medium["n_loss_dropped"] == 2, medium
        assert small["n_loss_dropped"] == 0 or (
            medium["loss_drop_step_max"] <= small["loss_drop_step_min"]
        ), (small, medium)


def test_cubes_open_with_xarray_and_h5py(workdir, plan):
    cubes = _results(workdir) / "race" / "cubes"
    assert len(list(cubes.glob("*.dynamics.nc"))) == len(plan.cubes)
    assert len(list(cubes.glob("*.stable_cells.nc"))) == len(plan.stable_cells)
    cube_id = plan.cube_of[plan.grid_runs[0]]
    dyn = xr.open_dataset(cubes / f"{cube_id}.dynamics.nc", engine="h5netcdf")
    sim = xr.open_dataset(cubes / f"{cube_id}.similarity.nc", engine="h5netcdf")
    assert dyn["norm_product"].dims == ("time", "neuron")
    assert dyn["cos_delta"].dims == ("time", "neuron")
    assert dyn["n_clusters"].dims == ("time", "tau")
    assert dyn["final_norm_product"].dims == ("neuron",)
    assert dyn.sizes["neuron"] == 16 and dyn["time"].values[0] == 0
    assert dyn["time"].values[-1] == 300
    assert sim["cos_sim"].dims == ("snapshot", "neuron", "neuron_b")
    assert sim["cos_sim"].dtype == np.float64
    assert sim["merge_relative_change"].dims == ("tau",)
    assert list(np.round(sim["tau"].values, 2)) == [0.70, 0.95, 0.99]
    for ds in (dyn, sim):
        for name, var in ds.data_vars.items():
            assert "units" in var.attrs and var.attrs.get("long_name"), name
        config = json.loads(ds.attrs["config"])
        assert config["run"]["sigma0"] == plan.runs[plan.grid_runs[0]]["sigma0"]
        assert ds.attrs["study"] == "race" and ds.attrs["code_version"]
    stable = sorted(cubes.glob("*.stable_cells.nc"))[0]
    sc = xr.open_dataset(stable, engine="h5netcdf")
    assert "alignment" in sc["stable_cells"].dims and set(sc["alignment"].values) == {-1, 1}
    assert json.loads(sc.attrs["options"])["n_probes"] == 200
    for path, ds in ((cubes / f"{cube_id}.dynamics.nc", dyn), (stable, sc)):
        with h5py.File(path) as f:
            var = "norm_product" if "norm_product" in ds else "stable_cells"
            assert f[var].shape == tuple(ds[var].shape)


# ---------------------------------------------------------------------------------
# rebuilds


def test_second_invocation_plans_no_jobs(race_build):
    workdir, overlay = race_build
    assert planned_jobs(workdir, *RACE_TARGETS, configfiles=(SMOKE, overlay)) == []


def test_new_sparsity_adds_only_its_imp_rounds(race_build, tmp_path):
    workdir, overlay = race_build
    extra = write_overlay(tmp_path / "sparsity.yaml", "race:\n  imp:\n    sparsities: [0.5, 0.2]\n")
    configfiles = (SMOKE, overlay, extra)
    jobs = planned_jobs(workdir, *RACE_TARGETS, configfiles=configfiles)
    rules = sorted({rule for rule, _ in jobs})
    # no data, training, extraction or stable-cell job: only the new rounds + the
    # figures that read IMP masks
    assert rules == ["claims_table", "race_figure", "race_imp_round"], jobs
    rounds = [out for rule, out in jobs if rule == "race_imp_round"]
    cfg = _smoke_config(overlay)[0]
    cfg["race"]["imp"]["sparsities"] = [0.5, 0.2]
    new_plan = build_plan(cfg)
    new_ids = [i for i, v in new_plan.imp.items() if v["spec"].sparsity == 0.2]
    assert len(new_ids) == 4  # 2 sigma0 x 2 N, seed 0
    assert len(rounds) == 3 * len(new_ids)
    assert all("-p0.2-" in out for out in rounds)
    # the figures whose inputs are the IMP masks (fig1, fig5) and the claims table;
    # not fig3/fig4/fig7/table1
    assert sorted(out for rule, out in jobs if rule == "race_figure") == [
        PATHS.figure("fig1"),
        PATHS.figure("fig5"),
    ]
    assert [out for rule, out in jobs if rule == "claims_table"] == [PATHS.claims()]
    # the existing 50 % rounds stay where they are
    assert len(list((_results(workdir) / "race" / "imp").glob("*-p0.5-*/masks3.pt"))) == 4


# ---------------------------------------------------------------------------------
# errors


def test_missing_dataset_names_directory_and_files(tmp_path):
    empty = tmp_path / "empty_data"
    empty.mkdir()
    overlay = write_overlay(tmp_path / "empty.yaml", f"data_dir: {empty}\n")
    proc = run_snakemake(
        tmp_path / "work",
        PATHS.figure("fig7"),
        configfiles=(SMOKE, overlay),
        check=False,
        cores=1,
    )
    assert proc.returncode != 0
    logs = list((tmp_path / "work" / "results" / "logs" / "race" / "data").glob("*.log"))
    text = proc.stdout + proc.stderr + "".join(p.read_text() for p in logs)
    raw = empty.absolute() / "FashionMNIST" / "raw"
    assert str(raw) in text
    for name in IDX_NAMES:  # every file of the source, test split included
        assert name in text, name
    assert "dataset-fashion-mnist" in text  # how to get it
    assert not list((tmp_path / "work" / "results").glob("race/data/*.pt"))


@pytest.mark.parametrize(
    "bad, key",
    [
        ("race:\n  train:\n    lr: -0.1\n", "race.train.lr"),
        ("race:\n  imp:\n    sparsities: [1.5]\n", "race.imp.sparsities"),
        ("race:\n  grid:\n    n_train: [21]\n", "race.grid.n_train"),
        ("race:\n  data:\n    source: imagenet\n", "race.data.source"),
    ],
)
def test_bad_race_config_rejected_naming_the_key(tmp_path, bad, key):
    overlay = write_overlay(tmp_path / "bad.yaml", bad)
    proc = run_snakemake(tmp_path, *RACE_TARGETS, configfiles=(SMOKE, overlay), check=False)
    assert proc.returncode != 0
    assert key in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


def test_figure_option_outside_the_grid_rejected_before_any_job(tmp_path):
    overlay = write_overlay(
        tmp_path / "fig.yaml",
        (
            "race:\n  figures:\n"
            "    fig1: {sigma0: 1.0e-5, N: 30, seed: 0, tau: 0.99, sparsity: 0.5}\n"
            "    fig5: {seed: 0, early_step: 20, sparsities: [0.2]}\n"
        ),
    )
    proc = run_snakemake(tmp_path, *RACE_TARGETS, configfiles=(SMOKE, overlay), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "race.figures.fig1" in text and "N=30" in text
    assert "race.figures.fig5" in text and "race.imp.sparsities" in text
    assert not (tmp_path / "results").exists()


# ---------------------------------------------------------------------------------
# claims on the smoke cubes (the functions the claims table runs)


def test_claims_table_rows_come_from_the_claim_functions(workdir, ctx):
    from workflow_scripts.claims.table import read_table
    from workflow_scripts.race.claims import CLAIMS

    rows = {r["claim"]: r for r in read_table(Path(workdir) / PATHS.claims())}
    assert list(rows) == [c.key for c in CLAIMS]
    for claim in CLAIMS:
        assert rows[claim.key]["verdict"] == claim.measure(ctx).verdict, claim.key
        assert rows[claim.key]["size"] == "smoke"


def test_small_init_neurons_align_into_fewer_clusters(ctx):
    from workflow_scripts.race import records as rec

    small = rec.select(ctx["grid"], sigma0=1e-5)
    assert len(small) == 4
    for r in small:
        n_all = rec.final_clusters(r["dynamics"], 0.95)
        n_large = rec.final_clusters(r["dynamics"], 0.95, large=True)
        assert n_large <= n_all < r["dynamics"].sizes["neuron"], (r["run_id"], n_all, n_large)


def test_final_norm_grows_with_early_alignment(ctx):
    from workflow_scripts.race.claims import CLAIMS

    result = CLAIMS["early_alignment_predicts_norm"].measure(ctx)
    # 2 seeds per cell at smoke size: the cells' intervals are wide, but every run's
    # early rho is positive and above its value at t = 0 on average
    rise = result.checks[-1]
    assert rise.name.startswith("rho at t=20 minus") and rise.estimate.value > 0, result.values
    assert all(c.estimate.value > 0.5 for c in result.checks[:-1]), result.values


def test_imp_reaches_the_exact_target_sparsity(workdir, plan):
    from workflow_scripts.race.imp import keep_count
    from workflow_scripts.store.checkpoints import load_checkpoint

    assert len(plan.imp) == 4 and plan.rounds == 3  # 2 sigma0 x 2 N, seed 0, 50 %
    for imp_id, info in plan.imp.items():
        data_id = plan.runs[info["run_id"]]["data_id"]
        data = load_checkpoint(Path(workdir) / plan.data_file(data_id))
        n_in = data["x_train"].shape[1]  # the inputs that vary over the training subset
        assert data["x_train"].std(0).min() > 0 and n_in <= 28 * 28
        total = 16 * n_in + 2 * 16  # W1 and W2 are pruned (prune_output_layer: true)
        sparsity = info["spec"].sparsity
        previous = None
        for r in range(1, plan.rounds + 1):
            masks = load_checkpoint(Path(workdir) / plan.imp_file(imp_id, r, "masks"))
            kept = [masks[k].bool() for k in ("mask_W1", "mask_W2")]
            assert sum(m.numel() for m in kept) == total
            alive = sum(int(m.sum()) for m in kept)
            assert alive == keep_count(total, sparsity, r, plan.rounds), (imp_id, r)
            if previous is not None:  # a pruned weight never comes back
                assert all(bool((p | ~m).all()) for p, m in zip(previous, kept))
            previous = kept
            # the retrained weights respect the mask at the end of the round
            run = load_checkpoint(Path(workdir) / plan.imp_file(imp_id, r))
            assert bool((run["W1"][-1][~kept[0]] == 0).all())
            assert bool((run["W2"][-1][~kept[1]] == 0).all())
        zeros = sum(int((~m).sum()) for m in previous)
        assert zeros == total - keep_count(total, sparsity, plan.rounds, plan.rounds)
        assert masks["pruned_per_neuron"].sum() == zeros


def test_merging_at_tau_099_keeps_accuracy(ctx):
    from workflow_scripts.race.claims import CLAIMS

    result = CLAIMS["merge_099_costs_nothing"].measure(ctx)
    assert result.estimate.value > -1.0, result.values  # the worst cell's mean change
    # and merging did something: at small init the clusters at 0.99 replace many neurons
    for r in ctx["grid"]:
        if r["sigma0"] == 1e-5:
            sim = r["similarity"]
            assert int(sim["merge_k"].sel(tau=0.99, method="nearest")) < sim.sizes["neuron"]
            assert sim.attrs["merge_accuracy_original"] > 0.9  # a trained network to merge


def test_catalog_opens_race_artifacts_by_label(workdir, plan, monkeypatch):
    from workflow_scripts.store import catalog

    monkeypatch.chdir(workdir)
    assert {
        "data",
        "run",
        "cube",
        "similarity",
        "imp",
        "imp_masks",
        "stable_cells",
        "figure",
        "table",
    } <= set(catalog.find("race")["kind"])
    ds = catalog.open_many("race", "cube", concat_dim="seed", N=40, sigma0=1e-5, d=16)
    assert ds["norm_product"].dims == ("seed", "time", "neuron") and ds.sizes["seed"] == 2
    masks = catalog.open("race", "imp_masks", N=20, sigma0=1e-3, round=3)
    assert int(masks["pruned_per_neuron"].sum()) > 0
    assert list(catalog.open("race", "table", table="table1")["tau"].unique()) == [0.7, 0.95, 0.99]
    assert "loss_drop_step_median" in catalog.open("race", "table", table="task").columns
    # a run: its checkpoints, one per dump step, each with step, epoch, weights, scores
    run = catalog.open("race", "run", N=20, sigma0=1e-5, d=16, seed=1)["checkpoints"]
    steps = plan.runs[plan.grid_runs[0]]["train"].checkpoint_steps
    assert [c["step"] for c in run.values()] == list(steps)
    assert run["step_000000300"]["epoch"] == 300 / (20 / 4)
    assert run["step_000000300"]["model"]["W1"].shape[0] == 16
    figure = catalog.one("race", "figure", figure="fig4")
    assert figure.labels["variant"] == "smoke" and figure.params["early_step"] == 20


def test_report_captions_render_from_the_resolved_options(race_build):
    import zipfile

    workdir, overlay = race_build
    run_snakemake(workdir, "--report", "report.zip", configfiles=(SMOKE, overlay))
    with zipfile.ZipFile(workdir / "report.zip") as z:
        # captions wrap lines; the report embeds them as JS strings ("\\n")
        html = " ".join(z.read("report/report.html").decode().replace("\\n", " ").split())
    # smoke: d = 16 (not the default 300), 200 probes, 2 seeds in Table 1
    assert "Race Fig. 1.</strong> One run (N = 20, d = 16" in html
    assert "at t = 20 of the dense run" in html  # fig5's early step, as the figure used
    assert "Algorithm 1: 200 probes" in html and "mean +- std over 2 seeds" in html
    assert "Race task table.</strong>" in html and "(d = 16), over 2 seeds" in html


def test_moving_the_data_reruns_nothing(race_build, tmp_path):
    """data_dir is where the source lives: pointing it at a copy plans no job."""
    import shutil

    workdir, overlay = race_build
    moved = tmp_path / "elsewhere"
    shutil.copytree(workdir.parent / "data", moved)
    other = write_overlay(tmp_path / "moved.yaml", OVERLAY.format(data_dir=moved))
    assert planned_jobs(workdir, *RACE_TARGETS, configfiles=(SMOKE, other)) == []
