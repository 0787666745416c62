"""The wtm plan: ids follow the resolved parameters (and nothing else), figure options are
resolved once, and contradicting values are rejected before any job runs."""

import copy
from dataclasses import fields
from types import SimpleNamespace

import jinja2
import pytest

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.specs import from_params
from workflow_scripts.study import REPO
from workflow_scripts.wtm.figure_specs import FIGURES
from workflow_scripts.wtm.plan import build_plan
from workflow_scripts.wtm.specs import DataSpec, ExtractOptions, TrainSpec

from ..configs import SMOKE, study_config


def load(*overlays):
    return study_config(*overlays, validate=False)


def ids(plan):
    return {
        "data": sorted(plan.datasets),
        "runs": sorted(plan.runs),
        "cubes": sorted(plan.cubes),
        "evals": sorted(plan.evals),
    }


def rule_params(plan):
    """What every job of the plan gets: its input files and params, by rule and id."""
    W = SimpleNamespace
    return {
        "data": {d: plan.data_params(W(data_id=d)) for d in plan.datasets},
        "train": {
            r: (plan.train_inputs(W(run_id=r)), plan.train_params(W(run_id=r))) for r in plan.runs
        },
        "extract": {
            c: (plan.extract_inputs(W(cube_id=c)), plan.extract_params(W(cube_id=c)))
            for c in plan.cubes
        },
        "noise_eval": {
            e: (plan.noise_eval_inputs(W(eval_id=e)), plan.noise_eval_params(W(eval_id=e)))
            for e in plan.evals
        },
        "figure": {
            f: (plan.figure_inputs(W(fig=f)), plan.figure_options(W(fig=f))) for f in FIGURES
        },
        "claims": (plan.claims_inputs(), plan.claims_options()),
    }


@pytest.mark.parametrize("overlays", [(), (SMOKE,)], ids=["default", "smoke"])
def test_cpu_and_cuda_plans_are_the_same_computation(overlays):
    """No wtm setting takes effect on one device only: same ids, same params; only the
    device the jobs are sent to differs."""
    cpu = build_plan(load(*overlays, {"device": "cpu"}))
    cuda = build_plan(load(*overlays, {"device": "cuda"}))
    assert (cpu.device, cuda.device) == ("cpu", "cuda")
    assert ids(cpu) == ids(cuda)
    assert rule_params(cpu) == rule_params(cuda)


def test_resume_every_s_changes_no_id_and_no_params():
    """wtm's one run setting (how often a trainer saves a resume state) cannot change a
    result: it is in neither ids nor params."""
    often = build_plan(load(SMOKE, {"resume_every_s": 0}))
    rarely = build_plan(load(SMOKE, {"resume_every_s": 3600}))
    assert ids(often) == ids(rarely)
    assert rule_params(often) == rule_params(rarely)


def test_params_rebuild_the_planned_specs():
    plan = build_plan(load(SMOKE))
    W = SimpleNamespace
    for data_id, spec in plan.datasets.items():
        assert from_params(DataSpec, plan.data_params(W(data_id=data_id))) == spec
    for run_id, run in plan.runs.items():
        assert from_params(TrainSpec, plan.train_params(W(run_id=run_id))) == run["train"]
    for cube_id, cube in plan.cubes.items():
        p = plan.extract_params(W(cube_id=cube_id))
        assert from_params(ExtractOptions, p["options"]) == cube["extract"]
        assert p["spec"]["run"] == plan.runs[p["run_id"]]["spec"]
    for fig, options in plan.figures.items():
        assert from_params(FIGURES[fig], plan.figure_options(W(fig=fig))) == options


def test_plan_ids_follow_parameters():
    base = build_plan(load())
    # the 'good' run and the sigma_train 0.4 run of the noise sweep are one run
    good = base.seed_runs["good"][0]
    assert any(e["run_id"] == good for e in base.evals.values())
    changed_config = load()
    changed_config["wtm"]["runs"]["bad"]["sigma_train"] = 1.1
    changed = build_plan(changed_config)
    assert not set(changed.seed_runs["bad"]) & set(base.seed_runs["bad"])
    for name in ("good", "linear", "one_neuron", "low_noise"):
        assert changed.seed_runs[name] == base.seed_runs[name]
        assert changed.seed_cubes[name] == base.seed_cubes[name]
    # different parameters never share an id
    specs = {}
    for plan in (base, changed, build_plan(load(SMOKE))):
        for run_id, run in plan.runs.items():
            assert specs.setdefault(run_id, run["spec"]) == run["spec"]


def test_a_default_written_out_is_the_same_run():
    implicit = load()
    explicit = copy.deepcopy(implicit)
    explicit["wtm"]["runs"]["linear"]["hidden"] = implicit["wtm"]["train"]["hidden"]
    explicit["wtm"]["train"]["lr"] = 1  # an integer where a float is meant: the same run
    implicit["wtm"]["train"]["lr"] = 1.0
    assert ids(build_plan(implicit)) == ids(build_plan(explicit))


def test_config_yaml_states_the_figure_defaults_and_leaving_them_out_changes_nothing():
    config = load()
    stated = config["wtm"]["figures"]
    for fig, cls in FIGURES.items():
        defaults = {f.name: f.default for f in fields(cls) if f.name in stated[fig]}
        assert from_params(cls, stated[fig]) == from_params(cls, defaults), fig
    bare = copy.deepcopy(config)
    del bare["wtm"]["figures"]
    validate_config(bare)
    a, b = build_plan(config), build_plan(bare)
    assert a.figures == b.figures and ids(a) == ids(b)


def test_figure_options_state_what_the_config_decides():
    config = load()
    config["wtm"]["runs"]["bad"]["sigma_train"] = 1.1
    config["wtm"]["runs"]["one_neuron"]["hidden"] = 2
    config["wtm"]["figures"]["fig3"]["reference"] = "bad"
    figures = build_plan(config).figures
    assert figures["fig1"].sigma_train == (0.4, 1.1)
    assert figures["fig3"].changes == (
        "activation linear instead of relu, sigma_train 0.4 instead of 1.1",
        "hidden 2 instead of 1000, sigma_train 0.4 instead of 1.1",
        "early_stop false instead of true, sigma_train 0.1 instead of 1.1",
    )


def render(fig, options):
    template = jinja2.Template((REPO / "report" / "wtm" / "figure.rst").read_text())
    smk = SimpleNamespace(
        wildcards=SimpleNamespace(fig=fig), params=SimpleNamespace(options=options)
    )
    return " ".join(template.render(snakemake=smk).split())


def test_captions_state_the_resolved_options():
    config = load(SMOKE)
    config["wtm"]["runs"]["one_neuron"]["hidden"] = 3
    config["wtm"]["figures"]["fig4"]["difficult_fraction"] = 0.1
    plan = build_plan(config)
    options = {f: plan.figure_options(SimpleNamespace(fig=f)) for f in FIGURES}
    assert "``good`` (sigma_train = 0.4), ``bad`` (sigma_train = 1.2)." in render(
        "fig1", options["fig1"]
    )
    fig3 = render("fig3", options["fig3"])
    assert "``one_neuron`` (hidden 3 instead of 40)" in fig3
    assert "``linear`` (activation linear instead of relu)" in fig3
    assert "the top 10 % of d" in render("fig4", options["fig4"])
    assert "sigma_train (0.4, 1.2)" in render(
        "noise_generalization", options["noise_generalization"]
    )


def test_catalog_lists_every_planned_artifact_and_figures_by_variant():
    plan = build_plan(load(SMOKE))
    rows = plan.artifacts()
    by_kind = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    assert len(by_kind["data"]) == 2 * len(plan.datasets)
    assert {r.id for r in by_kind["run"]} == set(plan.runs)
    assert {r.id for r in by_kind["cube"]} == set(plan.cubes)
    assert {r.id for r in by_kind["eval"]} == set(plan.evals)
    for row in by_kind["figure"]:
        assert row.labels["variant"] == "smoke" and row.path == plan.paths.figure(row.id)
        assert row.params == plan.figure_options(SimpleNamespace(fig=row.id))
    (good,) = [r for r in by_kind["cube"] if (r.labels["name"], r.labels["seed"]) == ("good", 0)]
    assert good.labels["sigma_train"] == 0.4 and good.params == plan.cubes[good.id]["spec"]


def test_a_base_train_seed_is_rejected_naming_the_key():
    config = load()
    config["wtm"]["train"]["seed"] = 3
    with pytest.raises(ConfigError, match=r"wtm\.train\.seed.*wtm\.seeds"):
        validate_config(config)


@pytest.mark.parametrize(
    "mutate, keys",
    [
        (
            lambda w: w["data"].update(n_patterns=40, active_per_pattern=20),
            ["wtm.data.n_patterns", "wtm.data.n_features", "overlapping_masks"],
        ),
        (
            lambda w: w["data"].update(active_per_pattern=600, overlapping_masks=True),
            ["wtm.data.active_per_pattern", "wtm.data.n_features"],
        ),
        (
            lambda w: w["extract"].update(train_per_pattern=400),
            ["wtm.extract.train_per_pattern", "wtm.data.train_per_pattern"],
        ),
        (
            lambda w: w["figures"]["fig3"].pop("reference") and w["runs"].pop("good"),
            ["wtm.figures.fig2", "wtm.figures.fig3", "run 'good'"],
        ),
    ],
)
def test_contradicting_wtm_values_are_rejected_naming_both_keys(mutate, keys):
    config = load()
    mutate(config["wtm"])
    with pytest.raises(ConfigError) as err:
        validate_config(config)
    for key in keys:
        assert key in str(err.value)
