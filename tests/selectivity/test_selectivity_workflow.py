"""The selectivity chain through Snakemake at smoke size.

One module-scoped build of every selectivity target and the claims table on a tiny
ImageFolder tree of real PNG files (3 classes), trained with torchvision's unmodified
``resnet18`` at 16x16 pixels: data -> 4 runs (2 seeds, 2 regulariser onsets) ->
extraction in two parts per run -> ablation of the baseline runs -> merged cubes -> 9
figures. Then the cubes, exact rebuilds, incremental reruns, errors and the report; and
a second small build on idx files with the narrow ResNet. ~3-4 minutes on 2 cores.
"""

import json
import re
import zipfile

import numpy as np
import pytest

from workflow_scripts.selectivity.figure_specs import FIGURES
from workflow_scripts.selectivity.plan import build_plan
from workflow_scripts.store.checkpoints import checkpoint_steps
from workflow_scripts.store.cube import open_cube

from ..configs import study_config
from ..fake_data import write_image_folder, write_learnable_fashion_mnist
from ..snakemake_runner import SMOKE, planned_jobs, run_snakemake, write_overlay

pytestmark = pytest.mark.workflow

PATHS = build_plan(study_config(SMOKE)).paths  # figures and claims: results/variants/smoke/
FIGS = list(FIGURES)
TARGETS = [PATHS.figure(f) for f in FIGS] + [PATHS.claims()]
OVERLAY = """\
data_dir: {data_dir}
selectivity:
  data:
    source: imagefolder
    folder: tiny
    n_train: 0
    probe: {{split: test, n: 24}}
    ablate: {{split: test, n: 24}}
    n_bn: 16
    n_test: 0                # the whole tiny test split (48 images)
    image_size: 16
    resize: 18
    augment: true
  model: {{name: resnet18}}
  train: {{epochs: 2, batch_size: 16}}
  checkpoints: {{batches: [0, 1, 2], epochs: [1, 2]}}
  regularizer: {{onsets: [0, 2], later_onset: 2}}
  extract: {{batch_size: 8, checkpoints_per_job: 3}}
  ablation: {{fractions: [0, 0.5]}}
"""


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """(workdir, overlay) with every selectivity target built."""
    root = tmp_path_factory.mktemp("selectivity_smoke")
    write_image_folder(
        root / "data" / "tiny", classes=("cat", "dog", "fish"), per_class=(16, 16), size=(20, 24)
    )
    overlay = write_overlay(root / "overlay.yaml", OVERLAY.format(data_dir=root / "data"))
    workdir = root / "work"
    workdir.mkdir()
    run_snakemake(workdir, *TARGETS, configfiles=(SMOKE, overlay))
    return workdir, overlay


def cubes(workdir):
    out = {}
    for path in sorted((workdir / "results/selectivity/cubes").glob("*.nc")):
        ds = open_cube(path)
        out[(ds.attrs["role"], float(ds.attrs["onset"]), int(ds.attrs["seed"]))] = ds
    return out


def test_every_target_is_built(build):
    workdir, _ = build
    for fig in FIGS:
        pdf = workdir / PATHS.figure(fig)
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000, fig
    import csv

    rows = list(csv.DictReader((workdir / PATHS.claims()).open()))
    from workflow_scripts.selectivity.claims import CLAIMS

    assert [r["claim"] for r in rows] == [c.key for c in CLAIMS]
    assert {r["size"] for r in rows} == {"smoke"}
    # every claim measured (three verdicts: at smoke size most intervals are inconclusive)
    assert all(r["verdict"] in ("reproduced", "not reproduced", "inconclusive") for r in rows), [
        (r["claim"], r["reason"]) for r in rows if r["verdict"] == "not measured"
    ]
    assert all(r["interval"] and r["reason"] for r in rows)


def test_run_cubes_are_self_describing(build):
    workdir, _ = build
    found = cubes(workdir)
    assert set(found) == {
        ("baseline", 0.0, 0),
        ("baseline", 0.0, 1),
        ("regularised", 0.0, 0),
        ("regularised", 2.0, 0),
    }
    ds = found[("baseline", 0.0, 0)]
    assert ds["checkpoint"].values.tolist() == [0, 1, 2, 3, 6]  # 3 batches per epoch
    assert ds["epoch"].values.tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1, 2])
    assert ds["class_mean"].dims == ("checkpoint", "unit", "class")
    assert ds["class"].values.tolist() == ["cat", "dog", "fish"]
    # torchvision resnet18: 2 blocks per module, 64/128/256/512 channels
    assert ds.sizes["unit"] == 2 * (64 + 128 + 256 + 512)
    assert np.bincount(ds["module"].values)[4:].tolist() == [128, 256, 512, 1024]
    assert ds["layer"].values.tolist()[-1] == "fc" and ds.sizes["layer"] == 9
    assert ds["ablation_accuracy"].dims == (
        "checkpoint",
        "ablated_module",
        "order",
        "fraction",
        "draw",
    )
    assert int(ds["ablation_k"].sel(ablated_module=7, fraction=0.5)) == 256
    assert ds.sizes["draw"] == 10
    config = json.loads(ds.attrs["config"])
    train = config["run"]["train"]
    assert train["model"] == {"name": "resnet18", "width": None, "stem": None}
    assert (train["amp"], train["channels_last"]) == (False, True)  # the CPU: channels-last too
    assert ds.attrs["bn"] == "recompute"
    # the run's checkpoints, one file per step
    run_dir = workdir / PATHS.checkpoints(ds.attrs["run_id"])
    assert checkpoint_steps(run_dir) == [0, 1, 2, 3, 6]
    # numbers: SI is the index of the stored class means, CKA 1 on the diagonal, the
    # trained net above its noise floor
    mu = ds["class_mean"].values.astype(np.float64)
    top = mu.max(axis=2)
    rest = (mu.sum(axis=2) - top) / (mu.shape[2] - 1)
    np.testing.assert_allclose(ds["si"].values, (top - rest) / (top + rest + 1e-6), atol=1e-5)
    assert np.allclose(np.diagonal(ds["cka"].values, axis1=1, axis2=2), 1, atol=1e-6)
    last = ds.isel(checkpoint=-1)
    assert float(last["si"].mean()) > float(last["si_floor"].mean())
    assert np.isnan(ds["ablation_accuracy"].sel(checkpoint=0)).all()
    assert not np.isnan(ds["ablation_accuracy"].sel(checkpoint=6, order="random")).any()
    # regularised runs: no ablation, the regulariser's batch SI recorded after the onset
    reg = found[("regularised", 2.0, 0)]
    assert "ablation_accuracy" not in reg
    assert np.isnan(reg["reg_si"].sel(checkpoint=2)) and reg["reg_si"].sel(checkpoint=6) >= 0


def test_extraction_ran_in_parts_merged_into_one_cube(build):
    workdir, _ = build
    parts = sorted(p.name for p in (workdir / "results/selectivity/parts").rglob("*.nc"))
    assert parts.count("b0-b2.extract.nc") == 4 and parts.count("e1-e2.extract.nc") == 4
    assert parts.count("b0-b2.ablate.nc") == 2  # only the baseline runs are ablated


def test_second_invocation_runs_nothing(build):
    workdir, overlay = build
    assert planned_jobs(workdir, *TARGETS, configfiles=(SMOKE, overlay)) == []


def test_ablation_change_reruns_ablation_not_training_or_extraction(build, tmp_path):
    workdir, overlay = build
    more = write_overlay(tmp_path / "draws.yaml", "selectivity:\n  ablation:\n    draws: 12\n")
    jobs = planned_jobs(workdir, *TARGETS, configfiles=(SMOKE, overlay, more))
    rules = {rule for rule, _ in jobs}
    assert {"selectivity_ablate", "selectivity_merge", "selectivity_figure"} <= rules
    assert not rules & {"selectivity_train", "selectivity_extract", "selectivity_data"}


def test_report_has_the_figures_with_captions(build):
    """The zip stores each file as report/data/raw/<hash>/<basename> (no study in the
    path); report/report.html maps each workflow path to that file and its caption."""
    workdir, overlay = build
    run_snakemake(workdir, "--report", "report.zip", configfiles=(SMOKE, overlay))
    with zipfile.ZipFile(workdir / "report.zip") as z:
        names = set(z.namelist())
        html = z.read("report/report.html").decode()
        for fig in FIGS:
            entry = re.search(
                rf'"{re.escape(PATHS.figure(fig))}": '
                r'(\{.*?"data_uri": "([^"]+)"\})',
                html,
            )
            assert entry, fig
            assert entry.group(2).endswith(f"/{fig}.pdf") and f"report/{entry.group(2)}" in names, (
                fig
            )
            assert z.read(f"report/{entry.group(2)}")[:5] == b"%PDF-", fig
            assert f"Selectivity Fig. {fig[3:]}.</strong>" in entry.group(1), fig
    text = " ".join(html.split())
    assert "shuffled" in text and "resnet18" in text


def test_invalid_config_rejected_before_any_job(tmp_path):
    bad = write_overlay(
        tmp_path / "bad.yaml",
        "selectivity:\n  regularizer:\n    modules: [4, 9]\n  extract:\n    bn: sometimes\n",
    )
    proc = run_snakemake(tmp_path, PATHS.figure("fig2"), configfiles=(SMOKE, bad), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "selectivity.extract.bn" in text
    assert not (tmp_path / "results").exists()
    bad = write_overlay(
        tmp_path / "bad2.yaml", "selectivity:\n  regularizer:\n    modules: [4, 9]\n"
    )
    proc = run_snakemake(tmp_path, PATHS.figure("fig2"), configfiles=(SMOKE, bad), check=False)
    assert proc.returncode != 0 and "selectivity.regularizer.modules" in proc.stdout + proc.stderr


def test_missing_data_is_named(tmp_path):
    overlay = write_overlay(tmp_path / "o.yaml", f"data_dir: {tmp_path / 'nothing'}\n")
    proc = run_snakemake(
        tmp_path,
        PATHS.figure("fig2"),
        "--keep-going",
        configfiles=(SMOKE, overlay),
        check=False,
    )
    assert proc.returncode != 0
    logs = (tmp_path / PATHS.log("data", "any")).parent  # the variant's log folder
    log = next(logs.glob("*.log")).read_text()
    assert "MissingDatasetError" in log and "FashionMNIST" in log and "How to get it" in log


def test_idx_files_and_the_narrow_resnet(tmp_path):
    """configs/smoke.yaml's own setting: the narrow ResNet on (fake) Fashion-MNIST idx files."""
    write_learnable_fashion_mnist(tmp_path / "data", per_class_train=40, per_class_test=25)
    overlay = write_overlay(
        tmp_path / "o.yaml", f"data_dir: {tmp_path / 'data'}\nselectivity:\n  seeds: [0]\n"
    )
    run_snakemake(tmp_path, PATHS.figure("fig9"), configfiles=(SMOKE, overlay))
    (path,) = (tmp_path / "results/selectivity/cubes").glob("narrow_resnet18-seed0-*.nc")
    ds = open_cube(path)
    assert ds.sizes["unit"] == 2 * (4 + 8 + 16 + 32) and ds.sizes["class"] == 10
    assert ds["checkpoint"].values.tolist() == [0, 2, 5, 6, 12]  # 300 images, batches of 50
    last = ds.isel(checkpoint=-1)
    assert float(last["accuracy"]) > 0.3  # learnable fake data: well above chance (0.1)
    assert float(last["si"].mean()) > 2 * float(last["si_floor"].mean())


def test_moving_the_data_reruns_nothing(build, tmp_path):
    """data_dir is where the images are, not what they are: training reads the images,
    yet pointing data_dir at a copy plans no job."""
    import shutil

    workdir, overlay = build
    moved = tmp_path / "elsewhere"
    shutil.copytree(workdir.parent / "data", moved)
    text = overlay.read_text().replace(str(workdir.parent / "data"), str(moved))
    assert str(moved) in text
    other = write_overlay(tmp_path / "moved.yaml", text)
    assert planned_jobs(workdir, *TARGETS, configfiles=(SMOKE, other)) == []
