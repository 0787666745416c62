"""The race artifact plan (ids, records, cross-field checks) and the stage library
functions chained as the rules chain them, on the smoke config and fake data."""

import copy
import json
from types import SimpleNamespace

import pytest
import torch

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.race import imp
from workflow_scripts.race import plan as rp
from workflow_scripts.race.data import write_binary_dataset
from workflow_scripts.race.dumps import load_run
from workflow_scripts.race.runs import RunSpec
from workflow_scripts.race.train import train_runs
from workflow_scripts.store.checkpoints import checkpoint_steps, load_checkpoint

from ..configs import PAPER, SMOKE, study_config


@pytest.fixture
def config():
    return study_config(SMOKE)


def test_default_config_is_valid_and_plans_the_grid():
    cfg = study_config()
    p = rp.build_plan(cfg)
    race = cfg["race"]
    n_grid = len(race["grid"]["sigma0"]) * len(race["grid"]["n_train"]) * len(race["grid"]["seeds"])
    assert len(p.grid_runs) == n_grid
    assert len(p.imp) == len(race["imp"]["sparsities"]) * len(race["grid"]["sigma0"]) * len(
        race["grid"]["n_train"]
    )
    assert len(p.stable_cells) == len(race["grid"]["n_train"])
    for s in p.stacks.values():  # one shape per stack
        assert len({p.runs[r["run_id"]]["N"] for r in s["runs"]}) == 1


def test_ids_are_stable_and_new_sparsity_adds_only_its_rounds(config):
    a = rp.build_plan(config)
    assert set(rp.build_plan(copy.deepcopy(config)).runs) == set(a.runs)
    more = copy.deepcopy(config)
    more["race"]["imp"]["sparsities"] = config["race"]["imp"]["sparsities"] + [0.7]
    b = rp.build_plan(more)
    assert set(a.imp) < set(b.imp)
    assert {b.imp[i]["spec"].sparsity for i in set(b.imp) - set(a.imp)} == {0.7}
    assert set(a.stacks) == set(b.stacks) and set(a.cubes) == set(b.cubes)
    lr = copy.deepcopy(config)
    lr["race"]["train"]["lr"] = 0.002
    assert not set(rp.build_plan(lr).runs) & set(a.runs)


def test_ids_hash_resolved_options_not_the_written_ones(config):
    """A default written out or left out is the same artifact; a changed value is not."""
    implicit = copy.deepcopy(config)
    implicit["race"]["extract"].pop("rel_threshold", None)
    implicit["race"]["stable_cells"].pop("augment_bias", None)
    explicit = copy.deepcopy(implicit)
    explicit["race"]["extract"].update(
        drop_fraction=0.1, weighting="simplified", rel_threshold=0.01
    )
    explicit["race"]["stable_cells"]["augment_bias"] = False
    a, b = rp.build_plan(implicit), rp.build_plan(explicit)
    assert set(a.cubes) == set(b.cubes) and set(a.stable_cells) == set(b.stable_cells)
    assert all(c["config"]["options"]["drop_fraction"] == 0.1 for c in a.cubes.values())
    assert all(s["config"]["options"]["augment_bias"] is False for s in a.stable_cells.values())
    other = copy.deepcopy(implicit)
    other["race"]["extract"]["drop_fraction"] = 0.2
    other["race"]["stable_cells"]["augment_bias"] = True
    c = rp.build_plan(other)
    assert not set(c.cubes) & set(a.cubes) and not set(c.stable_cells) & set(a.stable_cells)


def test_figure_inputs_follow_the_figures(config):
    p = rp.build_plan(config)

    def inputs(fig):
        return p.figure_inputs(SimpleNamespace(fig=fig))

    fig5 = inputs("fig5")
    assert len(fig5["dynamics"]) == len(fig5["similarity"]) == len(p.grid_runs)
    assert len(fig5["masks"]) == len(p.imp) and all(
        m.endswith(f"masks{p.rounds}.pt") for m in fig5["masks"]
    )
    assert "masks" not in inputs("fig4")
    assert len(inputs("fig3")["dynamics"]) == len(set(p.grid_runs) | set(p.sweep_runs))
    assert len(inputs("fig7")["stable_cells"]) == len(p.stable_cells)
    assert "masks" not in p.table_inputs() and len(p.table_inputs()["dynamics"]) == len(p.grid_runs)


@pytest.mark.parametrize(
    "change, keys",
    [
        (lambda r: r["data"].update(groups=[[0, 5], [5, 8]]), ["race.data.groups", "both"]),
        (
            lambda r: r["grid"].update(n_train=[20, 24004]),
            ["race.grid.n_train", "race.data.groups", "6001", "6000"],
        ),
        (lambda r: r["data"].update(n_test=4002), ["race.data.n_test", "1001", "1000"]),
        (lambda r: r["train"].update(batch_size=3), ["race.grid.n_train", "race.train.batch_size"]),
        (lambda r: r["imp"].update(seeds=[0, 7]), ["race.imp.seeds", "race.grid.seeds"]),
    ],
)
def test_contradicting_values_are_rejected_before_any_job(config, change, keys):
    change(config["race"])
    with pytest.raises(ConfigError) as err:
        validate_config(config)
    for key in keys:
        assert key in str(err.value)


def test_rules_inputs_chain_imp_rounds(config):
    p = rp.build_plan(config)
    imp_id = next(iter(p.imp))
    first = p.imp_round_inputs(SimpleNamespace(imp_id=imp_id, r="1"))
    third = p.imp_round_inputs(SimpleNamespace(imp_id=imp_id, r="3"))
    assert "prev" not in first and third["prev"] == p.imp_file(imp_id, 2)
    assert first["stack"] == p.stack_dir(p.runs[p.imp[imp_id]["run_id"]]["stack_id"])
    assert first["stack"].startswith("results/race/stacks/")


def test_data_train_and_imp_rounds_chain_as_the_rules_do(tmp_path, config, fake_writers):
    fake_writers["idx"](tmp_path / "src" / "FashionMNIST" / "raw", per_class_train=12)
    config["data_dir"] = str(tmp_path / "src")
    config["race"]["grid"]["n_train"] = [20]
    config["race"]["d_sweep"]["n_train"] = [20]
    config["race"]["data"]["n_test"] = 16
    config["race"]["train"]["steps"] = 40
    config["race"]["checkpoints"] = {"dense_until": 10, "dense_every": 5, "n_log": 3}
    p = rp.build_plan(config)
    for data_id, spec in p.datasets.items():
        write_binary_dataset(tmp_path / f"{data_id}.pt", spec)
    stack_id, stack = next(iter(p.stacks.items()))
    data = load_checkpoint(tmp_path / f"{stack['data_id']}.pt")
    stack_dir = tmp_path / p.stack_dir(stack_id)
    t = stack["train"]
    train_runs(
        data,
        [RunSpec(seed=r["seed"], sigma0=r["sigma0"]) for r in stack["runs"]],
        hidden=stack["hidden"],
        total_steps=t.total_steps,
        ckpt_steps=t.checkpoint_steps,
        lr=t.lr,
        momentum=t.momentum,
        batch_size=t.batch_size,
        window=t.window,
        method=t.method,
        out=stack_dir,
        names=[r["run_id"] for r in stack["runs"]],
    )
    # each run's checkpoints where the plan (and the catalog) says they are
    for r in stack["runs"]:
        folder = tmp_path / p.run_checkpoints(r["run_id"])
        assert checkpoint_steps(folder) == list(t.checkpoint_steps)

    imp_id, info = next(
        (i, v) for i, v in p.imp.items() if p.runs[v["run_id"]]["stack_id"] == stack_id
    )
    dense = load_run(tmp_path / p.run_checkpoints(info["run_id"]))
    spec = info["spec"]
    n = 16 * data["x_train"].shape[1] + 2 * 16
    prev = dense
    for r in range(1, p.rounds + 1):
        out_run, out_masks = (
            tmp_path / p.imp_file(imp_id, r),
            tmp_path / p.imp_file(imp_id, r, "masks"),
        )
        keep, n_prunable = imp.run_round(
            data,
            dense,
            prev,
            run_id=info["run_id"],
            imp_id=imp_id,
            round_index=r,
            spec=spec,
            train=info["train"],
            out_run=out_run,
            out_masks=out_masks,
            every_s=0,
            device="cpu",
        )
        assert n_prunable == n and keep == imp.keep_count(n, spec.sparsity, r, p.rounds)
        prev = load_checkpoint(out_run)
        assert prev["steps"].tolist() == [0, t.total_steps]
        assert json.loads(prev["meta"])["method"] == "direct"
    masks = load_checkpoint(tmp_path / p.imp_file(imp_id, p.rounds, "masks"))
    meta = json.loads(masks["meta"])
    assert meta["alive"] == meta["keep"] == round(n * (1 - spec.sparsity))
    assert masks["pruned_per_neuron"].sum() == n - meta["alive"]
    assert torch.all(prev["W1"][-1][~prev["mask_W1"]] == 0)


def test_preprocess_is_part_of_the_data_id(config):
    assert config["race"]["data"]["preprocess"] == "center"  # the default (README)
    base = rp.build_plan(config)
    for how in ("none", "standardize"):
        other = copy.deepcopy(config)
        other["race"]["data"]["preprocess"] = how
        changed = rp.build_plan(other)
        # new data ids, hence new runs, stacks, cubes and stable cells; nothing shared
        assert not set(changed.datasets) & set(base.datasets)
        assert {s.preprocess for s in changed.datasets.values()} == {how}
        for kind in ("runs", "stacks", "cubes", "stable_cells", "imp"):
            assert not set(getattr(changed, kind)) & set(getattr(base, kind)), kind


def test_overlays_validate_and_plan(config):
    """configs/race_hard.yaml (the hard grouping) and configs/paper.yaml plan every target;
    an overlay's figures, tables and claims table are its variant's."""
    default = rp.build_plan(study_config())
    hard = rp.build_plan(study_config("configs/race_hard.yaml"))
    assert {s.groups for s in hard.datasets.values()} == {((0, 4), (2, 6))}
    raw = rp.build_plan(study_config("configs/race_raw.yaml"))
    assert {s.preprocess for s in raw.datasets.values()} == {"none"}
    assert not set(raw.cubes) & set(default.cubes)
    for overlay, variant in ((hard, "race_hard"), (raw, "race_raw")):
        assert all(t.startswith(f"results/variants/{variant}/") for t in overlay.targets())
        assert not set(overlay.targets()) & set(default.targets())
    paper = rp.build_plan(study_config(PAPER))
    assert {s.source for s in paper.datasets.values()} == {"cifar10"}
