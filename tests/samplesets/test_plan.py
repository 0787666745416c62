"""The samplesets plan: ids follow the resolved parameters, cross-field problems name keys."""

import copy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml

from workflow_scripts.config_check import load_schema, schema_id
from workflow_scripts.samplesets import checks
from workflow_scripts.samplesets import plan as sp
from workflow_scripts.study import merge

ROOT = Path(__file__).resolve().parents[2]


def config(*overlays):
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    for overlay in overlays:
        cfg = merge(cfg, yaml.safe_load((ROOT / overlay).read_text()))
    return cfg


def schema_errors(cfg):
    """Schema problems of the samplesets block alone (other studies' blocks aside)."""
    _, registry = load_schema()
    validator = jsonschema.Draft202012Validator(
        {"$ref": schema_id("samplesets")}, registry=registry
    )
    return [e.message for e in validator.iter_errors(cfg["samplesets"])]


@pytest.mark.parametrize(
    "overlays",
    [(), ("configs/smoke.yaml",), ("configs/paper.yaml",), ("configs/samplesets_grid.yaml",)],
)
def test_configs_are_valid_and_plan_every_figure_net(overlays):
    cfg = config(*overlays)
    assert schema_errors(cfg) == [] and checks.config_problems(cfg) == []
    plan = sp.build_plan(cfg)
    assert len(plan.runs) == len(plan.nets) * len(cfg["samplesets"]["seeds"])
    for fig in sp.FIGURES:
        inputs = plan.figure_inputs(SimpleNamespace(fig=fig))["cubes"]
        assert inputs and set(inputs) <= {sp.cube_file(c) for c in plan.cubes}


def test_default_plan_is_the_papers_three_nets():
    plan = sp.build_plan(config())
    assert set(plan.nets) == {"9x320_ce", "9x320_mse", "2x320_mse"}
    spec = plan.runs[plan.run_of[("9x320_ce", 0)]]["train"]
    assert spec.bias == (True,) + (False,) * 8 and spec.batch_size == 60
    assert (spec.lr, spec.betas, spec.eps) == (1e-3, (0.9, 0.999), 1e-8)
    assert spec.steps_per_epoch == 800 and spec.total_steps == 8000
    assert len(spec.checkpoint_steps) == 32
    grid = sp.build_plan(config("configs/samplesets_grid.yaml"))
    assert len(grid.nets) == 18


def test_ids_follow_parameters():
    cfg = config()
    base = sp.build_plan(cfg)
    assert set(sp.build_plan(copy.deepcopy(cfg)).runs) == set(base.runs)
    more = copy.deepcopy(cfg)
    more["samplesets"]["seeds"] = [0, 1, 2, 3]
    grown = sp.build_plan(more)
    assert set(base.runs) < set(grown.runs) and set(base.cubes) < set(grown.cubes)
    assert {grown.runs[r]["seed"] for r in set(grown.runs) - set(base.runs)} == {3}
    fig = copy.deepcopy(cfg)
    fig["samplesets"]["figures"]["fig5"]["net"] = "9x320_mse"
    assert set(sp.build_plan(fig).cubes) == set(base.cubes)
    for key, value in (("init", "he"), ("epochs", 5), ("lr", 2e-3), ("adam_impl", "foreach")):
        changed = copy.deepcopy(cfg)
        changed["samplesets"]["train"][key] = value
        assert not set(sp.build_plan(changed).runs) & set(base.runs), key
    split = copy.deepcopy(cfg)
    split["samplesets"]["data"]["split_seed"] = 1
    assert sp.build_plan(split).data_id != base.data_id
    moved = copy.deepcopy(cfg)
    moved["data_dir"] = "/elsewhere"  # where the data live is not what they are
    assert sp.build_plan(moved).data_id == base.data_id


def test_artifacts_carry_the_labels_a_reader_asks_by():
    plan = sp.build_plan(config())
    cubes = [a for a in plan.artifacts() if a.kind == "cube"]
    assert len(cubes) == 9
    assert {"depth", "width", "loss", "seed", "init"} <= set(cubes[0].labels)
    assert any(
        a.kind == "activations" and a.labels["net"] == "9x320_ce" and a.labels["seed"] == 0
        for a in plan.artifacts()
    )
    assert set(plan.targets()) >= {sp.figure_file(f) for f in sp.FIGURES} | {sp.GRID_TABLE}


@pytest.mark.parametrize(
    "mutate,message",
    [
        (
            lambda s: s["figures"]["fig5"].update(net="5x80_ce"),
            "samplesets.figures.fig5: net '5x80_ce' is not planned",
        ),
        (lambda s: s["figures"]["fig4"].update(seed=7), "samplesets.figures.fig4: seed 7"),
        (
            lambda s: s["activations"].append({"net": "9x320_ce", "seed": 9}),
            "samplesets.activations[1]",
        ),
        (
            lambda s: s["data"].update(n_validation=20000),
            "samplesets.data.n_train (48000) and samplesets.data.n_validation (20000)",
        ),
        (lambda s: s["train"].update(batch_size=50000), "samplesets.train.batch_size"),
    ],
)
def test_contradictions_name_the_keys(mutate, message):
    cfg = config()
    mutate(cfg["samplesets"])
    assert any(message in p for p in checks.config_problems(cfg)), checks.config_problems(cfg)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s["figures"]["fig3"].update(net="9x320"),
        lambda s: s["nets"].append({"depths": [1], "widths": [20], "losses": ["ce"]}),
        lambda s: s["train"].update(init="lecun"),
        lambda s: s["data"].update(source="cifar10"),
        lambda s: s["train"].update(colour="red"),
    ],
)
def test_schema_rejects_bad_values(mutate):
    cfg = config()
    mutate(cfg["samplesets"])
    assert schema_errors(cfg)


def test_parsing_the_plan_imports_neither_torch_nor_matplotlib():
    code = (
        "import sys, workflow_scripts.samplesets.plan as p; from workflow_scripts.study "
        "import load_config; p.build_plan(load_config(validate=False)); "
        "print(sorted(m for m in ('torch', 'matplotlib', 'seaborn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"
