"""Named runs over seeds (``wtm.seeds``) and degenerate seeds of the ablations."""

import copy
import json

import pytest

from workflow_scripts.claims import NotMeasured
from workflow_scripts.wtm import claim_measures, claims, metrics
from workflow_scripts.wtm.plan import build_plan

from ..configs import SMOKE
from .runs import cube


@pytest.fixture
def config(study_config):
    return study_config()


def test_every_named_run_is_planned_once_per_seed(config):
    plan = build_plan(config)
    seeds = config["wtm"]["seeds"]
    assert len(seeds) >= 3
    for name in config["wtm"]["runs"]:
        ids = plan.seed_runs[name]
        assert [plan.runs[r]["train"].seed for r in ids] == seeds
        cubes = plan.seed_cubes[name]
        assert [plan.cube_of[r] for r in ids] == cubes
        assert [plan.cubes[c]["run_id"] for c in cubes] == ids
        assert plan.first_seed_cube(name) == plan.paths.cube(cubes[0])
    # the good run of each seed is the noise sweep's sigma_train 0.4 run of that seed
    sweep = {(e["sigma_train"], e["seed"]): e["run_id"] for e in plan.evals.values()}
    for seed in plan.figures["noise_generalization"].seeds:
        assert plan.seed_runs["good"][seeds.index(seed)] == sweep[(0.4, seed)]
    # the claims read every seed of the full model and the ablations
    inputs = plan.claims_inputs()
    assert len(inputs["full"]) == len(seeds)
    assert len(inputs["ablations"]) == len(seeds) * len(plan.figures["fig3"].runs)


def test_adding_a_seed_adds_only_its_runs_and_a_run_may_pin_one(config):
    base = build_plan(config)
    more = copy.deepcopy(config)
    more["wtm"]["seeds"] = config["wtm"]["seeds"] + [7]
    grown = build_plan(more)
    assert set(base.runs) < set(grown.runs)
    assert {grown.runs[r]["train"].seed for r in set(grown.runs) - set(base.runs)} == {7}
    pinned = copy.deepcopy(config)
    pinned["wtm"]["runs"]["bad"]["seed"] = 3
    plan = build_plan(pinned)
    assert [plan.runs[r]["train"].seed for r in plan.seed_runs["bad"]] == [3]


def test_smoke_overlay_trains_two_seeds(study_config):
    assert len(build_plan(study_config(SMOKE)).seed_runs["one_neuron"]) == 2


def one_neuron_cube(tmp_path, seed):
    """A one-hidden-neuron Layca run (seed's own initial output weight) and its cube."""
    return cube(
        tmp_path, "one_neuron", hidden=1, lr=0.1, max_epochs=40, checkpoint_dense_until=2, seed=seed
    )


def test_a_negative_frozen_output_weight_is_a_degenerate_seed(tmp_path, one_thread):
    # torch.manual_seed(1) draws a negative 1x1 output weight for 60 inputs, seed 0 a
    # positive one (pattern_mlp's default init); Layca cannot rotate a 1x1 weight
    neg = one_neuron_cube(tmp_path, 1)
    pos = one_neuron_cube(tmp_path, 0)
    assert float(neg["output_weight"][0]) < 0 < float(pos["output_weight"][0])
    # the negative seed learns (its loss falls) but can never output a positive logit
    assert float(neg["train_loss"][-1]) < float(neg["train_loss"][0])
    assert (neg["logit"].values <= 0).all()
    assert metrics.single_class_prediction(neg) and metrics.final_test_accuracy(neg) == 0.5
    assert not metrics.single_class_prediction(pos) and metrics.final_test_accuracy(pos) > 0.6
    rows = claim_measures.runs_by_name([pos, neg])
    one = rows["one_neuron"]
    assert one["accuracy by seed"] == [metrics.final_test_accuracy(pos)]
    assert one["degenerate"] == [1] and one["w2_negative"] and one["trained"] == 1
    # with every seed: the 0.50 of the degenerate seed pulls the mean down
    every = (metrics.final_test_accuracy(pos) + 0.5) / 2
    assert one["accuracy with every seed"].value == pytest.approx(every)
    note = claim_measures.degenerate_note(rows)
    assert "one_neuron 1 of 2 (seeds 1; frozen output weight < 0)" == note
    # no seed left to average: the ablation claims cannot be measured (declared), and say why
    ctx = {"full": [pos], "ablations": [neg]}
    for key in ("ablations_generalise_worse", "ablations_about_80"):
        with pytest.raises(NotMeasured, match="every seed of run 'one_neuron'"):
            claims.CLAIMS[key].measure(ctx)


def test_run_seed_reads_the_cube_config(tmp_path):
    import xarray as xr

    ds = xr.Dataset(attrs={"config": json.dumps({"run": {"train": {"seed": 4}}})})
    assert metrics.run_seed(ds) == 4


def test_the_lr_overlay_plans_its_own_runs(study_config):
    """configs/wtm_lr2.yaml (README, "Learning rate") validates and names new runs and
    cubes, never the default's, and its figures and claims table their own paths."""
    default = build_plan(study_config())
    lr2 = build_plan(study_config("configs/wtm_lr2.yaml"))
    assert all(run["train"].lr == pytest.approx(1 / 9) for run in lr2.runs.values())
    assert not set(lr2.targets()) & set(default.targets())
    assert lr2.paths.claims() != default.paths.claims()
    for name in ("good", "linear", "one_neuron", "low_noise"):
        assert len(lr2.seed_cubes[name]) == len(default.seed_cubes[name]) == 5
        assert not set(lr2.seed_cubes[name]) & set(default.seed_cubes[name])
