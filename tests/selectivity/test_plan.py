"""The selectivity plan: ids from resolved parameters (device-dependent settings, neutral
values, run settings), runs, parts, figure options, cross-field checks."""

import subprocess
import sys
from types import SimpleNamespace as W

import pytest

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.selectivity.checks import config_problems
from workflow_scripts.selectivity.plan import build_plan
from workflow_scripts.study import REPO

from ..configs import PAPER, SMOKE, study_config

STAGES = ("data", "train", "extract", "ablate", "merge")


def config(*overlays, **selectivity):
    return study_config(*overlays, {"selectivity": selectivity}, validate=False)


def plan_of(*overlays, **selectivity):
    return build_plan(config(*overlays, **selectivity))


def ids(plan):
    return {
        "data": set(plan.datasets),
        "runs": set(plan.runs),
        "cubes": set(plan.cubes),
        "extracts": set(plan.extracts),
    }


def all_params(plan):
    """Every params dict the rules pass to the jobs, by stage and wildcard."""
    out = {("data", d): plan.data_params(W(data_id=d)) for d in plan.datasets}
    for run_id, run in plan.runs.items():
        out["train", run_id] = plan.train_params(W(run_id=run_id))
        cube_id = plan.cube_of[run_id]
        cube = plan.cubes[cube_id]
        for part in run.parts():
            wildcards = W(extract_id=cube.extract_id, cube_id=cube_id, part=part)
            out["extract", cube.extract_id, part] = plan.extract_params(wildcards)
            if cube.ablate:
                out["ablate", cube_id, part] = plan.ablate_params(wildcards)
        out["merge", cube_id] = plan.merge_params(W(cube_id=cube_id))
    return out


def test_default_plan_runs_cubes_and_targets():
    cfg = study_config()
    p, s = build_plan(cfg), cfg["selectivity"]
    r = s["regularizer"]
    assert len(p.baseline) == len(s["seeds"])
    onsets = {0.0, float(r["later_onset"]), *map(float, r["onsets"])}
    assert len(p.regularised) == len(onsets) * len(r["seeds"])
    assert len(p.cubes) == len(p.runs) and set(p.cube_of) == set(p.runs)
    # only the baseline runs are ablated
    assert {p.cubes[c].run_id for c in p.ablated_cubes} == set(p.baseline)
    assert p.targets() == [p.paths.figure(f"fig{n}") for n in range(2, 11)]
    assert p.targets()[0] == "results/figs/selectivity/fig2.pdf"
    assert p.parts == {"b0-e12", "b0-e4"}  # one extraction job per run (regularised: 4 epochs)
    run = p.runs[p.baseline[0]]
    w = W(run_id=p.baseline[0], cube_id=p.cube_of[p.baseline[0]])
    assert p.train_inputs(w)["data"] == p.paths.data(run.data_id, "npz")
    assert p.merge_inputs(w)["ablate"] == [
        f"results/selectivity/parts/{w.cube_id}/b0-e12.ablate.nc"
    ]


def test_ids_hash_every_resolved_parameter():
    a = build_plan(study_config())
    b = plan_of(train={"lr": 0.04})
    assert not set(a.runs) & set(b.runs)
    c = plan_of(extract={"floor_seed": 3})
    assert set(a.runs) == set(c.runs) and not set(a.cubes) & set(c.cubes)
    d = plan_of(ablation={"draws": 12})  # the extraction parts stay, the cubes change
    assert set(a.extracts) == set(d.extracts) and set(a.ablated_cubes) != set(d.ablated_cubes)
    reg = [r for r in a.regularised if "-a-" in r]
    assert reg and all("seed" in r for r in reg)


def test_cpu_and_cuda_plans_differ_exactly_where_the_computation_does():
    """amp takes effect on CUDA only: a CPU run trains in float32 whatever the config
    says, so its id says so; channels_last takes effect on both devices."""
    for overlay in ((), (SMOKE,), (PAPER,)):
        cpu = build_plan(study_config(*overlay, {"device": "cpu"}))
        cuda = build_plan(study_config(*overlay, {"device": "cuda"}))
        assert cpu.datasets == cuda.datasets  # the data do not depend on the device
        assert not set(cpu.runs) & set(cuda.runs) and not set(cpu.cubes) & set(cuda.cubes)
        for run in cpu.runs.values():
            assert (run.train.amp, run.train.channels_last) == (False, True)
        for run in cuda.runs.values():
            assert (run.train.amp, run.train.channels_last) == (True, True)
        # the catalog records what ran
        (cpu_run,) = [a for a in cpu.artifacts() if a.kind == "run" and a.id == cpu.baseline[0]]
        assert cpu_run.params["train"]["amp"] is False
    # amp alone: both devices differ; without amp: one computation, one id
    amp_only = {"selectivity": {"train": {"amp": True, "channels_last": False}}}
    cpu, cuda = (build_plan(study_config(amp_only, {"device": d})) for d in ("cpu", "cuda"))
    assert not set(cpu.runs) & set(cuda.runs)
    for layout in (False, True):
        no_amp = {"selectivity": {"train": {"amp": False, "channels_last": layout}}}
        cpu, cuda = (build_plan(study_config(no_amp, {"device": d})) for d in ("cpu", "cuda"))
        assert ids(cpu) == ids(cuda) and all_params(cpu) == all_params(cuda)
    assert cpu.device == "cpu" and cuda.device == "cuda"


def test_the_cpu_ignores_amp_not_channels_last():
    base = build_plan(study_config({"device": "cpu"}))
    assert ids(base) == ids(plan_of({"device": "cpu"}, train={"amp": False}))
    assert (
        ids(base)["runs"] != ids(plan_of({"device": "cpu"}, train={"channels_last": False}))["runs"]
    )


@pytest.mark.parametrize(
    "overlay",
    [
        {"data_dir": "/elsewhere"},
        {"selectivity": {"data": {"download": True}}},
        {"resume_every_s": 5},
        {"selectivity": {"resources": {"train": {"threads": 4, "mem_mb": 9000}}}},
    ],
    ids=["data_dir", "download", "resume_every_s", "resources"],
)
def test_a_run_setting_changes_no_id_and_no_params(overlay):
    base = build_plan(study_config())
    other = build_plan(study_config(overlay, validate=False))
    assert ids(base) == ids(other)
    assert all_params(base) == all_params(other)


def test_checkpoints_per_job_changes_no_id_only_the_parts():
    base = build_plan(study_config())
    split = plan_of(extract={"checkpoints_per_job": 4})
    assert ids(base) == ids(split)
    # baseline runs: 16 checkpoints; regulariser runs (4 epochs): 13, the last part e4 alone
    assert split.parts == {"b0-b20", "b30-b200", "b300-e3", "e4-e12", "e4"}
    for run_id in base.runs:
        assert base.train_params(W(run_id=run_id)) == split.train_params(W(run_id=run_id))


@pytest.mark.parametrize(
    "overlay",
    [
        {"data": {"folder": "elsewhere"}},  # read for image folders only
        {"model": {"name": "resnet18", "width": 64}},  # torchvision's ResNets take no width
        {"model": {"name": "resnet18", "stem": "cifar"}},
    ],
    ids=["folder", "width", "stem"],
)
def test_parameters_that_cannot_change_a_result_change_no_id(overlay):
    reference = {k: v for k, v in overlay.items() if k == "model"}
    reference = {"model": {"name": "resnet18"}} if reference else {}
    base = plan_of(**reference)
    assert ids(base) == ids(plan_of(**overlay))


def test_parameters_that_change_a_result_change_the_ids():
    base = build_plan(study_config())
    assert not set(base.runs) & set(plan_of(model={"width": 8}).runs)  # narrow: built from it
    folders = [
        plan_of(data={"source": "imagefolder", "folder": f, "image_size": 16, "resize": 18})
        for f in ("a", "b")
    ]
    assert not set(folders[0].datasets) & set(folders[1].datasets)


def test_paper_overlay_extracts_each_checkpoint_in_its_own_job():
    p = build_plan(study_config(PAPER))
    labels = p.runs[p.baseline[0]].train.checkpoint_labels()
    assert p.parts == set(labels) and "b1000" in labels and "e90" in labels
    cube = p.cube_of[p.baseline[0]]
    inputs = p.merge_inputs(W(cube_id=cube))
    assert len(inputs["extract"]) == len(labels) == len(inputs["ablate"])
    # regulariser runs stop at epoch 20 and are merged from their own checkpoints only
    reg = p.runs[p.regularised[0]].train
    assert reg.epochs == 20 and max(reg.checkpoint_epochs) == 20
    assert len(p.merge_inputs(W(cube_id=p.cube_of[p.regularised[0]]))["extract"]) < len(labels)
    # an extraction job gets the labels of its checkpoint and the run's spec to place them
    params = p.extract_params(W(extract_id=p.cubes[cube].extract_id, part="e2"))
    assert params["labels"] == ["e2"] and params["train"]["batch_size"] == 256


@pytest.mark.parametrize(
    "overlay",
    ["smoke.yaml", "paper.yaml", "selectivity_cifar10.yaml", "selectivity_alpha20.yaml"],
)
def test_overlays_are_valid(overlay):
    cfg = study_config(REPO / "configs" / overlay)
    assert build_plan(cfg).targets()


def test_figure_and_claims_options_are_resolved_once():
    p = build_plan(study_config())
    s = study_config()["selectivity"]
    fig = {f: p.figure_options(W(fig=f)) for f in p.figures}
    assert fig["fig2"] == {"model": "narrow_resnet18", "source": "fashion_mnist"}
    assert fig["fig3"] == {"modules": [4, 5, 6], "draws": s["ablation"]["draws"]}
    assert fig["fig4"]["modules"] == [7] and fig["fig8"]["modules"] == [4, 5, 6, 7]
    assert fig["fig5"] == {"module": 4, "later_module": 7}
    assert fig["fig7"]["onsets"] == [float(o) for o in s["regularizer"]["onsets"]]
    assert p.claims_options()["later_onset"] == float(s["regularizer"]["later_onset"])
    chosen = plan_of(figures={"fig3": {"modules": [5]}}, ablation={"draws": 12})
    assert chosen.figure_options(W(fig="fig3")) == {"modules": [5], "draws": 12}
    assert ids(chosen) != ids(p) and set(chosen.runs) == set(p.runs)  # figures: no run id
    figures = {a.id: a for a in p.artifacts() if a.kind == "figure"}
    assert figures["fig3"].params == fig["fig3"] and figures["fig3"].labels["variant"] == "default"
    smoke = build_plan(study_config(SMOKE))
    assert smoke.targets()[0] == "results/variants/smoke/figs/selectivity/fig2.pdf"


def test_artifacts_carry_labels():
    p = build_plan(study_config())
    kinds = {a.kind for a in p.artifacts()}
    assert {"data", "run", "cube", "part_extract", "part_ablate", "figure"} <= kinds
    cubes = [a for a in p.artifacts() if a.kind == "cube"]
    assert {a.labels["role"] for a in cubes} == {"baseline", "regularised"}
    assert all({"seed", "alpha", "onset", "onset_unit"} <= set(a.labels) for a in cubes)
    runs = [a for a in p.artifacts() if a.kind == "run"]
    assert all(a.path == p.paths.checkpoints(a.id) for a in runs)


@pytest.mark.parametrize(
    "overlay, key",
    [
        (
            {
                "data": {
                    "probe": {"split": "test", "n": 6000},
                    "ablate": {"split": "test", "n": 6000},
                }
            },
            "selectivity.data.probe.n",
        ),
        ({"data": {"n_train": 70000}}, "selectivity.data.n_train"),
        ({"regularizer": {"onsets": [0, 5000]}}, "selectivity.regularizer.onsets"),
        (
            {"regularizer": {"onset_unit": "epochs", "onsets": [0, 1], "later_onset": 12}},
            "selectivity.regularizer.later_onset",
        ),
        ({"regularizer": {"modules": [4, 8]}}, "selectivity.regularizer.modules"),
        ({"ablation": {"modules": [3]}}, "selectivity.ablation.modules"),
        ({"ablation": {"fractions": [0.25, 0.5]}}, "selectivity.ablation.fractions"),
        ({"model": {"name": "mlp"}}, "selectivity.model.name"),
        ({"checkpoints": {"epochs": [1, 13]}}, "selectivity.checkpoints.epochs"),
        ({"checkpoints": {"batches": [0, 5000]}}, "selectivity.checkpoints.batches"),
        ({"data": {"source": "imagefolder", "image_size": 0}}, "selectivity.data.image_size"),
        ({"data": {"n_bn": 30000}}, "selectivity.data.n_bn"),
        ({"regularizer": {"epochs": 20}}, "selectivity.regularizer.epochs"),
        ({"ablation": {"modules": [4, 5]}}, "selectivity.figures.fig4.modules"),
        ({"figures": {"fig3": {"modules": [7]}}, "ablation": {"modules": [4]}}, "fig3.modules"),
        ({"figures": {"fig5": {"module": 7, "later_module": 4}}}, "selectivity.figures.fig5"),
        ({"figures": {"fig10": {"modules": [7]}}}, "selectivity.figures.fig10.modules"),
        (
            {"ablation": {"checkpoints": {"batches": [10, 15], "epochs": [1]}}},
            "selectivity.ablation.checkpoints",
        ),
        ({"ablation": {"checkpoints": {"batches": [0], "epochs": []}}}, "ablation.checkpoints"),
        ({"regularizer": {"epochs": 5}}, "selectivity.regularizer.epochs"),  # no checkpoint e5
        ({"data": {"n_test": 20000}}, "selectivity.data.n_test"),
    ],
)
def test_contradictions_name_their_keys(overlay, key):
    problems = config_problems(config(**overlay))
    assert problems and any(key in p for p in problems), problems
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config(**overlay))


def test_schema_names_unknown_and_out_of_range_keys():
    with pytest.raises(ConfigError) as err:
        validate_config(
            config(
                extract={"batch_size": 3, "colour": "red"},
                ablation={"draws": 5},
                figures={"fig2": {"modules": [4]}},
            )
        )
    text = str(err.value)
    assert "selectivity.extract.batch_size" in text and "selectivity.ablation.draws" in text
    assert "unknown config key selectivity.extract.colour" in text
    assert "unknown config key selectivity.figures.fig2.modules" in text


def test_plan_imports_neither_torch_nor_matplotlib():
    code = (
        "import sys; from tests.configs import study_config; "
        "from workflow_scripts.selectivity.plan import build_plan; "
        "build_plan(study_config()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'matplotlib', 'seaborn', 'torchvision')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"


def test_the_test_accuracy_is_measured_where_figs_6_7_read_it():
    """The regulariser seeds' runs (the unregularised reference included) are measured on
    the test images at the regulariser runs' last checkpoint only; other runs never."""
    p = plan_of(regularizer={"seeds": [1, 3], "epochs": 4})
    params = all_params(p)
    tested = {k[1]: v["test_labels"] for k, v in params.items() if k[0] == "extract"}
    for run_id, run in p.runs.items():
        labels = tested[p.cubes[p.cube_of[run_id]].extract_id]
        assert labels == (["e4"] if run.train.seed in (1, 3) else []), run_id
        if run.role == "regularised":
            assert run.train.epochs == 4 and run.train.checkpoint_epochs[-1] == 4
    assert len([r for r in p.regularised if p.runs[r].train.regularizer.alpha == 0]) == 1  # seed 3
    # the ids say which checkpoints are tested: other regulariser epochs, other cubes
    q = plan_of(regularizer={"seeds": [1, 3], "epochs": 8})
    base = [r for r in p.baseline if p.runs[r].train.seed == 1]
    assert set(base) <= set(q.baseline) and p.cube_of[base[0]] != q.cube_of[base[0]]


def test_ablation_checkpoints_are_hashed_and_passed_to_the_jobs():
    every = plan_of(ablation={"checkpoints": "all"})
    some = build_plan(study_config())
    assert every.ablation.checkpoints is None
    assert some.ablation.checkpoints and set(some.ablation.checkpoints) < set(
        some.runs[some.baseline[0]].train.checkpoint_labels()
    )
    assert set(every.extracts) == set(some.extracts)  # the extraction does not change
    assert not set(every.ablated_cubes) & set(some.ablated_cubes)
    (ablate,) = [v for k, v in all_params(some).items() if k[0] == "ablate"][:1]
    assert ablate["ablation"]["checkpoints"] == list(some.ablation.checkpoints)


def test_long_jobs_get_the_higher_priorities():
    """The ablation (longest) and what it waits on (the baseline runs and their
    extraction) go before the regulariser runs whenever both are ready; priorities are
    estimated seconds (``workflow_scripts.scheduling``), an extraction shorter than its
    training."""
    p = build_plan(study_config())
    base, reg = p.baseline[0], p.regularised[-1]
    assert p.runs[reg].role == "regularised"
    extract = {run: p.cubes[p.cube_of[run]].extract_id for run in (base, reg)}
    ablate = p.ablate_priority(W(cube_id=p.cube_of[base], part="b0-e12"))
    train = {run: p.train_priority(W(run_id=run)) for run in (base, reg)}
    assert ablate > train[base] > train[reg]
    assert p.extract_priority(W(extract_id=extract[base])) > train[reg]
    assert 0 < p.extract_priority(W(extract_id=extract[reg])) < train[reg]
