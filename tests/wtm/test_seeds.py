"""Named runs over seeds (``wtm.seeds``) and degenerate seeds of the ablations."""

import copy
import json

import pytest
import torch

from workflow_scripts.store.cube import open_cube, standard_attrs
from workflow_scripts.study import REPO, load_config
from workflow_scripts.wtm import claims, data, metrics
from workflow_scripts.wtm.extract import extract
from workflow_scripts.wtm.plan import build_plan
from workflow_scripts.wtm.specs import PatternSpec, TrainSpec
from workflow_scripts.wtm.train import train_run


@pytest.fixture
def config():
    return load_config()


def test_every_named_run_is_planned_once_per_seed(config):
    plan = build_plan(config)
    seeds = config["wtm"]["seeds"]
    assert len(seeds) >= 3
    for name in config["wtm"]["runs"]:
        ids = plan.seed_runs[name]
        assert [plan.runs[r]["train"].seed for r in ids] == seeds
        assert plan.named_runs[name] == ids[0] and plan.run_cube[name] == plan.seed_cubes[name][0]
    # the good run of each seed is the noise sweep's sigma_train 0.4 run of that seed
    sweep = {(e["sigma_train"], e["seed"]): e["run_id"] for e in plan.evals.values()}
    for seed in config["wtm"]["figures"]["noise_generalization"]["seeds"]:
        assert plan.seed_runs["good"][seeds.index(seed)] == sweep[(0.4, seed)]
    # the claims read every seed of the full model and the ablations
    inputs = plan.claims_inputs()
    assert len(inputs["full"]) == len(seeds)
    assert len(inputs["ablations"]) == len(seeds) * len(config["wtm"]["figures"]["fig3"]["runs"])


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


def test_smoke_overlay_trains_two_seeds():
    cfg = load_config(REPO / "configs" / "smoke.yaml")
    assert len(build_plan(cfg).seed_runs["one_neuron"]) == 2


def _one_neuron_cube(tmp_path, seed):
    """A one-hidden-neuron Layca run (seed's own initial output weight) and its cube."""
    pspec = PatternSpec(
        n_features=60,
        n_patterns=6,
        active_per_pattern=5,
        overlapping_masks=False,
        train_per_pattern=20,
        test_per_pattern=10,
        pattern_seed=1,
        sigma=0.3,
    )
    train, test = data.generate(pspec, "train"), data.generate(pspec, "test")
    spec = TrainSpec(
        hidden=1,
        activation="relu",
        optimizer="layca",
        lr=0.1,
        momentum=0.0,
        batch_size=0,
        max_epochs=40,
        target_train_accuracy=1.1,
        seed=seed,
        checkpoint_dense_until=2,
        checkpoint_every=10,
    )
    ckpt = tmp_path / f"seed{seed}"
    history = train_run(
        train["x"], train["y"], spec, ckpt, torch.device("cpu"), show_progress=False
    )
    out = tmp_path / f"seed{seed}.nc"
    config = {"run": {"train": {"seed": seed}}}
    with torch.no_grad():
        extract(
            ckpt,
            train,
            test,
            "relu",
            0,
            out,
            standard_attrs("test", "wtm", config, run_name="one_neuron"),
            show_progress=False,
        )
    return open_cube(out), history


def test_a_negative_frozen_output_weight_is_a_degenerate_seed(tmp_path):
    # torch.manual_seed(1) draws a negative 1x1 output weight for 60 inputs, seed 0 a
    # positive one (pattern_mlp's default init); Layca cannot rotate a 1x1 weight
    neg, history_neg = _one_neuron_cube(tmp_path, 1)
    pos, _ = _one_neuron_cube(tmp_path, 0)
    assert float(neg["output_weight"][0]) < 0 < float(pos["output_weight"][0])
    # the negative seed learns (its loss falls) but can never output a positive logit
    assert history_neg[-1][1] < history_neg[0][1]
    assert (neg["logit"].values <= 0).all()
    assert metrics.single_class_prediction(neg) and metrics.final_test_accuracy(neg) == 0.5
    assert not metrics.single_class_prediction(pos) and metrics.final_test_accuracy(pos) > 0.6
    rows = claims.accuracy_by_run([pos, neg])
    assert rows["one_neuron"]["acc"] == [metrics.final_test_accuracy(pos)]
    assert rows["one_neuron"]["degenerate"] == [1] and rows["one_neuron"]["w2_negative"]
    note = claims._degenerate_note(rows)
    assert "one_neuron 1 of 2 (seeds 1; frozen output weight < 0)" == note
    with pytest.raises(ValueError, match="every seed"):
        claims.accuracy_by_run([neg])


def test_run_seed_reads_the_cube_config(tmp_path):
    import xarray as xr

    ds = xr.Dataset(attrs={"config": json.dumps({"run": {"train": {"seed": 4}}})})
    assert metrics.run_seed(ds) == 4


def test_the_lr_overlay_plans_its_own_runs():
    """configs/wtm_lr2.yaml (README, "Learning rate") validates and names new runs and
    cubes, never the default's."""
    default = build_plan(load_config())
    lr2 = build_plan(load_config(REPO / "configs" / "wtm_lr2.yaml"))
    assert load_config(REPO / "configs" / "wtm_lr2.yaml")["wtm"]["train"]["lr"] == pytest.approx(
        1 / 9
    )
    for name in ("good", "linear", "one_neuron", "low_noise"):
        assert len(lr2.seed_cubes[name]) == len(default.seed_cubes[name]) == 5
        assert not set(lr2.seed_cubes[name]) & set(default.seed_cubes[name])
