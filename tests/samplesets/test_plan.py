"""The samplesets plan: ids follow the resolved parameters (and nothing else), cross-field
problems name keys, figure options are resolved once."""

import copy
import subprocess
import sys
from types import SimpleNamespace

import pytest

from workflow_scripts import specs
from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.samplesets import checks
from workflow_scripts.samplesets import plan as sp
from workflow_scripts.samplesets.figure_specs import FIGURES
from workflow_scripts.samplesets.specs import ActivationOptions
from workflow_scripts.study import REPO

from ..configs import study_config

OVERLAYS = [(), ("configs/smoke.yaml",), ("configs/paper.yaml",), ("configs/samplesets_grid.yaml",)]


def ids(plan):
    return {
        "data": set(plan.datasets),
        "runs": set(plan.runs),
        "cubes": set(plan.cubes),
        "activations": set(plan.activations),
    }


def every_params(plan):
    """What every job of the plan gets through ``params:`` (and the figure/table options)."""
    out = {}
    for data_id in plan.datasets:
        out[("data", data_id)] = plan.data_params(SimpleNamespace(data_id=data_id))
    for run_id in plan.runs:
        out[("train", run_id)] = plan.train_params(SimpleNamespace(run_id=run_id))
    for cube_id in plan.cubes:
        out[("extract", cube_id)] = plan.extract_params(SimpleNamespace(cube_id=cube_id))
    for act_id in plan.activations:
        out[("activations", act_id)] = plan.activations_params(SimpleNamespace(act_id=act_id))
    for fig in FIGURES:
        out[("figure", fig)] = plan.figure_options(SimpleNamespace(fig=fig))
    for table in plan.tables:
        out[("table", table)] = plan.table_options(SimpleNamespace(table=table))
    out["claims"] = plan.claims_options()
    return out


@pytest.mark.parametrize("overlays", OVERLAYS, ids=lambda o: o[0] if o else "default")
def test_configs_are_valid_and_plan_every_figure_net(overlays):
    cfg = study_config(*overlays)  # validated: schema and cross-field checks
    plan = sp.build_plan(cfg)
    assert len(plan.runs) == len(plan.nets) * len(cfg["samplesets"]["seeds"])
    cube_files = {plan.paths.cube(c) for c in plan.cubes}
    for fig in FIGURES:
        inputs = plan.figure_inputs(SimpleNamespace(fig=fig))["cubes"]
        assert inputs and set(inputs) <= cube_files
    assert set(plan.figure_inputs(SimpleNamespace(fig="grid"))["cubes"]) == cube_files


def test_default_plan_is_the_papers_three_nets():
    plan = sp.build_plan(study_config())
    assert set(plan.nets) == {"9x320_ce", "9x320_mse", "2x320_mse"}
    spec = plan.runs[plan.run_of[("9x320_ce", 0)]]["train"]
    assert spec.bias == (True,) + (False,) * 8 and spec.batch_size == 60
    assert (spec.lr, spec.betas, spec.eps) == (1e-3, (0.9, 0.999), 1e-8)
    assert spec.steps_per_epoch == 800 and spec.total_steps == 8000
    assert len(spec.checkpoint_steps) == 32
    grid = sp.build_plan(study_config("configs/samplesets_grid.yaml"))
    assert len(grid.nets) == 3 * 3 * 2


def test_ids_follow_parameters():
    cfg = study_config()
    base = sp.build_plan(cfg)
    assert ids(sp.build_plan(copy.deepcopy(cfg))) == ids(base)
    more = copy.deepcopy(cfg)
    more["samplesets"]["seeds"] = [0, 1, 2, 3]
    grown = sp.build_plan(more)
    assert set(base.runs) < set(grown.runs) and set(base.cubes) < set(grown.cubes)
    assert {grown.runs[r]["seed"] for r in set(grown.runs) - set(base.runs)} == {3}
    fig = copy.deepcopy(cfg)
    fig["samplesets"]["figures"]["fig5"]["net"] = "9x320_mse"
    assert ids(sp.build_plan(fig)) == ids(base)
    for key, value in (("init", "he"), ("epochs", 5), ("lr", 2e-3), ("adam_impl", "foreach")):
        changed = copy.deepcopy(cfg)
        changed["samplesets"]["train"][key] = value
        assert not set(sp.build_plan(changed).runs) & set(base.runs), key
    split = copy.deepcopy(cfg)
    split["samplesets"]["data"]["split_seed"] = 1
    assert set(sp.build_plan(split).datasets).isdisjoint(base.datasets)


@pytest.mark.parametrize(
    "overlay",
    [
        {"data_dir": "/elsewhere"},  # where the data live is not what they are
        {"samplesets": {"data": {"download": True}}},
        {"resume_every_s": 5},
        {"samplesets": {"resources": {"train": {"threads": 2, "mem_mb": 9000}}}},
    ],
    ids=["data_dir", "download", "resume_every_s", "resources"],
)
def test_a_run_setting_changes_no_id_and_no_params(overlay):
    base = sp.build_plan(study_config())
    other = sp.build_plan(study_config(overlay))
    assert ids(other) == ids(base)
    assert every_params(other) == every_params(base)


def test_the_activation_cubes_chunk_shape_changes_no_id_and_no_params(monkeypatch):
    """``node_chunk`` is how the file is laid out for reading, not what it holds."""
    base = sp.build_plan(study_config())
    assert specs.identity(ActivationOptions(node_chunk=8)) == specs.identity(ActivationOptions())
    monkeypatch.setattr(sp, "ACTIVATIONS", ActivationOptions(node_chunk=8))
    other = sp.build_plan(study_config())
    assert ids(other) == ids(base)
    assert every_params(other) == every_params(base)


def test_a_cpu_and_a_cuda_plan_share_every_id():
    """No samplesets setting takes effect on one device only: torch runs the Adam kernels
    asked for (fused / foreach / for-loop) on the CPU and on CUDA alike, and the nets
    are float32 on both; the jobs get the device, the ids do not change with it."""
    cpu = sp.build_plan(study_config({"device": "cpu"}))
    cuda = sp.build_plan(study_config({"device": "cuda"}))
    assert (cpu.device, cuda.device) == ("cpu", "cuda")
    assert ids(cpu) == ids(cuda)
    assert every_params(cpu) == every_params(cuda)
    run = next(iter(cpu.runs.values()))["train"]
    assert (run.dtype, run.adam_impl) == ("float32", "fused")


def test_figure_options_are_resolved_once_in_the_plan():
    cfg = study_config("configs/smoke.yaml")
    plan = sp.build_plan(cfg)
    fig3 = plan.figure_options(SimpleNamespace(fig="fig3"))
    assert fig3["net"] == "3x16_ce" and fig3["onset_fraction"] == 0.05
    assert fig3["setup"] == {
        "source": "fashion_mnist",
        "n_validation": 100,
        "split_seed": 0,
        "lr": 1e-3,
        "batch_size": 60,
        "epochs": 5.0,
        "init": "default",
        "seeds": [0, 1],
    }
    grid = plan.figure_options(SimpleNamespace(fig="grid"))
    assert grid["quantity"] == "activation_fraction" and grid["nets"] == list(plan.nets)
    for fig, cls in FIGURES.items():  # the figure job rebuilds exactly the plan's options
        options = plan.figure_options(SimpleNamespace(fig=fig))
        assert specs.from_params(cls, options) == plan.figures[fig]
    catalog = {a.id: a for a in plan.artifacts() if a.kind == "figure"}
    assert catalog["fig3"].params == fig3 and catalog["fig3"].labels["variant"] == "smoke"
    assert catalog["grid"].path == plan.paths.figure("grid")
    assert plan.paths.figure("grid").startswith("results/variants/smoke/")


def test_artifacts_carry_the_labels_a_reader_asks_by():
    plan = sp.build_plan(study_config())
    cubes = [a for a in plan.artifacts() if a.kind == "cube"]
    assert len(cubes) == len(plan.runs)
    assert {"depth", "width", "loss", "seed", "init"} <= set(cubes[0].labels)
    runs = [a for a in plan.artifacts() if a.kind == "run"]
    assert {a.path for a in runs} == {plan.paths.checkpoints(r) for r in plan.runs}
    assert any(
        a.kind == "activations" and a.labels["net"] == "9x320_ce" and a.labels["seed"] == 0
        for a in plan.artifacts()
    )
    expected = {plan.paths.figure(f) for f in FIGURES} | {plan.paths.table("grid")}
    assert set(plan.targets()) >= expected


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
    cfg = study_config()
    mutate(cfg["samplesets"])
    assert any(message in p for p in checks.config_problems(cfg)), checks.config_problems(cfg)


@pytest.mark.parametrize(
    "mutate,key",
    [
        (lambda s: s["figures"]["fig3"].update(net="9x320"), "samplesets.figures.fig3.net"),
        (
            lambda s: s["nets"].append({"depths": [1], "widths": [20], "losses": ["ce"]}),
            "samplesets.nets.2.depths.0",
        ),
        (lambda s: s["train"].update(init="lecun"), "samplesets.train.init"),
        (lambda s: s["data"].update(source="cifar10"), "samplesets.data.source"),
        (lambda s: s["train"].update(colour="red"), "samplesets.train.colour"),
        (lambda s: s["train"].update(resume_every=10), "samplesets.train.resume_every"),
    ],
)
def test_schema_rejects_bad_values_naming_the_key(mutate, key):
    cfg = study_config()
    mutate(cfg["samplesets"])
    with pytest.raises(ConfigError) as err:
        validate_config(cfg)
    assert key in str(err.value)


def test_parsing_the_plan_imports_neither_torch_nor_matplotlib():
    code = (
        "import sys, workflow_scripts.samplesets.plan as p; from workflow_scripts.config_check "
        "import load_config; p.build_plan(load_config(validate=False)); "
        "print(sorted(m for m in ('torch', 'matplotlib', 'seaborn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == "[]"


def test_priorities_start_the_longest_jobs_first():
    """Snakemake priorities are the jobs' estimated seconds: longer runs (deeper, more
    steps) before shorter ones, a run's training before any extraction."""
    plan = sp.build_plan(study_config())
    train = {
        plan.runs[r]["net"].name: plan.train_priority(SimpleNamespace(run_id=r)) for r in plan.runs
    }
    extract = {
        plan.runs[c["run_id"]]["net"].name: plan.extract_priority(SimpleNamespace(cube_id=c_id))
        for c_id, c in plan.cubes.items()
    }
    assert train["9x320_ce"] == train["9x320_mse"] > train["2x320_mse"] > extract["9x320_ce"]
    assert extract["9x320_ce"] > extract["2x320_mse"] > 0
    (act_id,) = plan.activations
    assert plan.activations_priority(SimpleNamespace(act_id=act_id)) == extract["9x320_ce"]
    # the estimate follows the work: the paper's 200 epochs weigh 20x the default's 10
    paper = sp.build_plan(study_config("configs/paper.yaml"))
    run = paper.run_of[("9x320_ce", 0)]
    assert paper.train_priority(SimpleNamespace(run_id=run)) > 15 * train["9x320_ce"]
