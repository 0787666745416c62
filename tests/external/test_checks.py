"""Bad input gets a clear message before any job (config validation), or, for what only a
built model can tell, from the job by name; nothing is written under a final name."""

import pytest
import torch

from workflow_scripts.config_check import ConfigError
from workflow_scripts.external import extract
from workflow_scripts.external.plan import build_plan
from workflow_scripts.metrics.layers import UnknownLayerError
from workflow_scripts.models import build

from ..configs import study_config
from ..fake_data import write_image_folder
from .helpers import MLP, MLP_LAYERS, MLP_PROBE


def run_config(tmp_path, **run):
    base = {"model": MLP, "checkpoints": str(tmp_path / "ckpt" / "*.pt"), "layers": MLP_LAYERS,
            "probe": MLP_PROBE}  # fmt: skip
    return {"data_dir": str(tmp_path / "data"), "external": {"runs": {"r": {**base, **run}}}}


def problems(tmp_path, **run):
    with pytest.raises(ConfigError) as err:
        study_config("configs/smoke.yaml", run_config(tmp_path, **run))
    return str(err.value)


@pytest.fixture
def ckpt(tmp_path):
    (tmp_path / "ckpt").mkdir()
    torch.save(build(MLP["name"], **MLP["args"]).state_dict(), tmp_path / "ckpt" / "step_10.pt")
    return tmp_path / "ckpt" / "step_10.pt"


def test_a_valid_run_plans(tmp_path, ckpt):
    config = study_config("configs/smoke.yaml", run_config(tmp_path))
    run = build_plan(config).runs["r"]
    assert [c.step for c in run.checkpoints] == [10] and run.time_unit == "step"


def test_a_glob_matching_nothing(tmp_path, ckpt):
    text = problems(tmp_path, checkpoints=str(tmp_path / "ckpt" / "stpe_*.pt"))
    assert "config key external.runs.r.checkpoints: the pattern" in text
    assert "stpe_*.pt" in text and "nearest: step_10.pt" in text


def test_steps_that_cannot_be_parsed(tmp_path, ckpt):
    ckpt.rename(tmp_path / "ckpt" / "final.pt")
    text = problems(tmp_path)
    assert "cannot tell the training step of" in text and "external.runs.r.time.pattern" in text


def test_a_model_factory_that_cannot_be_imported(tmp_path, ckpt):
    text = problems(tmp_path, model={"name": "my_lab.nets:ResNetish"})
    assert "config key external.runs.r.model.name" in text and "cannot be imported" in text
    text = problems(tmp_path, model={"name": "tests.external.helpers:no_such_factory"})
    assert "defines no top-level 'no_such_factory'" in text
    assert "neither a models registry name" in problems(tmp_path, model={"name": "resnet9000"})


def test_a_probe_split_without_labels_where_a_metric_needs_them(tmp_path, ckpt):
    write_image_folder(
        tmp_path / "data" / "pics", classes=("a", "b"), per_class=(2, 2), size=(8, 8)
    )
    flat = tmp_path / "data" / "pics" / "val"
    for png in list(flat.rglob("*.png")):
        png.rename(flat / png.name)
    for folder in ("a", "b"):
        (flat / folder).rmdir()
    probe = {"source": "imagefolder", "folder": "pics", "n": 0}
    text = problems(tmp_path, probe=probe)
    assert "selectivity, samplesets, ablation need class labels" in text and str(flat) in text
    config = study_config("configs/smoke.yaml", run_config(tmp_path, probe=probe, metrics=["cka"]))
    assert build_plan(config).runs["r"].metrics == ("cka",)  # CKA needs no labels


def test_contradicting_settings(tmp_path, ckpt):
    text = problems(tmp_path, metrics=["cka", "ablation"], probe={"n": 20}, extract={"bn": "batch"})
    assert "ablation ranks units by their selectivity" in text
    assert "probe.n: 20 probe images make no full batch of 50 (extract.batch_size)" in text
    assert "ablation needs bn: running" in text
    text = problems(tmp_path, ablation={"groups": {"g": ["1", "9"]}})
    assert "external.runs.r.ablation.groups.g: ['9'] not among the run's layers" in text
    assert "unknown config key external.runs.r.layer" in problems(tmp_path, layer=["1"])


def test_a_layer_the_model_lacks_is_named_by_the_job(tmp_path, ckpt):
    from .helpers import fashion

    fashion(tmp_path / "data")
    config = study_config("configs/smoke.yaml", run_config(tmp_path, layers=["1", "33"]))
    plan = build_plan(config)
    label = plan.runs["r"].checkpoints[0].label
    wildcards = type("W", (), {"measure_id": plan.ids["r"]["measure"], "ckpt": label})
    out = tmp_path / "part.nc"
    with pytest.raises(UnknownLayerError, match=r"no layer '33' \(nearest: 3\b"):
        extract.measure_checkpoint(plan.measure_params(wildcards), out, str(tmp_path / "data"))
    assert not out.exists()


def test_a_checkpoint_that_does_not_fit_is_named_by_the_job(tmp_path, ckpt):
    from workflow_scripts.external.loading import CheckpointError

    torch.save(build("mlp", widths=[784, 5, 10]).state_dict(), ckpt)
    config = study_config("configs/smoke.yaml", run_config(tmp_path))
    plan = build_plan(config)
    wildcards = type("W", (), {"measure_id": plan.ids["r"]["measure"], "ckpt": plan.labels[0]})
    with pytest.raises(
        CheckpointError, match=r"step_10.pt does not fit the model \(MLP\): 2 missing"
    ):
        extract.load_model(plan.measure_params(wildcards), "cpu")
