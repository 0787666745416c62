"""The shipped overlays of the study (configs/external_*.yaml) are valid once the files
they name exist (before, their checkpoint globs rightly fail: see test_checks), and the
study checks no paper claim (its claims table is the header alone)."""

import csv

import pytest

from workflow_scripts.external.claims import CLAIMS
from workflow_scripts.external.plan import build_plan

from ..configs import study_config
from ..fake_data import write_image_folder


def test_the_worked_example_plans_once_its_run_exists(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example's paths are relative to the working directory
    (tmp_path / "runs" / "fashion_cnn").mkdir(parents=True)
    for step in (0, 5, 468):
        (tmp_path / "runs" / "fashion_cnn" / f"ckpt_step{step:06d}.pt").write_bytes(b"")
    plan = build_plan(study_config("configs/external_example.yaml"))
    run = plan.runs["fashion_cnn"]
    assert [c.step for c in run.checkpoints] == [0, 5, 468]
    assert run.model.name == "examples.train_plain:SmallCNN"  # found in the repository
    assert plan.paths.variant == "external_example" and len(plan.targets()) == 4


def test_the_imagenet_config_plans_on_an_image_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_image_folder(
        tmp_path / "data" / "imagenet", classes=("n1", "n2"), per_class=(1, 2), size=(8, 8)
    )
    (tmp_path / "runs" / "resnet50").mkdir(parents=True)
    (tmp_path / "runs" / "resnet50" / "model_3.pth").write_bytes(b"")
    plan = build_plan(study_config("configs/external_resnet50_imagenet.yaml", {"data_dir": "data"}))
    run = plan.runs["resnet50_imagenet"]
    assert run.time_unit == "epoch" and run.data.crop == 224 and len(run.extract.layers) == 16
    assert [g for g, _ in run.ablation.groups] == ["layer1", "layer2", "layer3", "layer4"]


def test_the_claims_table_has_no_rows(tmp_path):
    from workflow_scripts.claims.table import FIELDS, write_table

    rows = CLAIMS.evaluate({}, {}, size="smoke")
    assert rows == []
    write_table(rows, tmp_path / "external.csv")
    with open(tmp_path / "external.csv") as fh:
        assert list(csv.reader(fh)) == [list(FIELDS)]


@pytest.mark.parametrize("name", ["external_example", "external_resnet50_imagenet"])
def test_without_its_files_the_overlay_says_what_is_missing(tmp_path, monkeypatch, name):
    from workflow_scripts.config_check import ConfigError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"checkpoints: the pattern 'runs/.*' matches no file"):
        study_config(f"configs/{name}.yaml")
