"""The race artifact plan and the entry points, on the smoke config and fake data."""

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml

from workflow_scripts.config_check import validate_config
from workflow_scripts.race import entry, plan as rp
from workflow_scripts.store.checkpoints import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def merged(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@pytest.fixture
def config():
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    smoke = yaml.safe_load((ROOT / "configs" / "smoke.yaml").read_text())
    cfg = merged(base, smoke)
    validate_config(cfg, ROOT / "schemas")
    return cfg


def test_default_config_is_valid_and_plans_the_grid():
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    validate_config(cfg, ROOT / "schemas")
    p = rp.build_plan(cfg)
    race = cfg["race"]
    n_grid = len(race["grid"]["sigma0"]) * len(race["grid"]["n_train"]) * len(race["grid"]["seeds"])
    assert len(p.grid_runs) == n_grid
    assert len(p.imp) == len(race["imp"]["sparsities"]) * len(race["grid"]["sigma0"]) * len(race["grid"]["n_train"])
    assert len(p.stable) == len(race["grid"]["n_train"])
    for s in p.stacks.values():  # one shape per stack
        assert len({p.runs[r["run_id"]]["N"] for r in s["runs"]}) == 1


def test_ids_are_stable_and_new_sparsity_adds_only_its_rounds(config):
    a = rp.build_plan(config)
    assert set(rp.build_plan(copy.deepcopy(config)).runs) == set(a.runs)
    more = copy.deepcopy(config)
    more["race"]["imp"]["sparsities"] = config["race"]["imp"]["sparsities"] + [0.7]
    b = rp.build_plan(more)
    assert set(a.imp) < set(b.imp)
    assert {b.imp[i]["sparsity"] for i in set(b.imp) - set(a.imp)} == {0.7}
    assert set(a.stacks) == set(b.stacks) and set(a.cubes) == set(b.cubes)
    lr = copy.deepcopy(config)
    lr["race"]["train"]["lr"] = 0.002
    assert not set(rp.build_plan(lr).runs) & set(a.runs)


def test_figure_records_follow_the_figures_contract(config):
    p = rp.build_plan(config)
    recs = rp.figure_records(p, "fig5")
    assert {"sigma0", "N", "d", "seed", "dynamics", "similarity"} <= set(recs[0])
    assert any("pruned" in r for r in recs)
    assert all(r["d"] == config["race"]["train"]["hidden"] for r in recs)
    assert len(rp.figure_records(p, "fig3")) == len(set(p.grid_runs) | set(p.sweep_runs))
    assert all("stable_cells" in r for r in rp.figure_records(p, "fig7"))


def smk(rule, input, output, params, tmp_path):
    ns = SimpleNamespace
    out = ns(**output) if isinstance(output, dict) else output
    if isinstance(output, dict):
        out.keys = lambda: output.keys()
    return ns(rule=rule, input=ns(**input), output=out, params=ns(**params),
              log=[str(tmp_path / f"{rule}.log")], threads=1)


class Outputs(list):
    """Stands in for Snakemake's output list (indexable)."""


def test_entry_points_data_train_imp(tmp_path, config, fake_writers):
    fake_writers["idx"](tmp_path / "src" / "FashionMNIST" / "raw", per_class_train=12)
    config["data_dir"] = str(tmp_path / "src")
    config["race"]["grid"]["n_train"] = [20]
    config["race"]["d_sweep"]["n_train"] = [20]
    config["race"]["data"]["n_test"] = 16
    config["race"]["train"]["steps"] = 40
    config["race"]["checkpoints"] = {"dense_until": 10, "dense_every": 5, "n_log": 3}
    p = rp.build_plan(config)
    for data_id, spec in p.datasets.items():
        entry.main(smk("race_data", {}, Outputs([str(tmp_path / f"{data_id}.pt")]),
                       {"spec": spec}, tmp_path))
    stack_id, stack = next(iter(p.stacks.items()))
    stack_dir = tmp_path / "stacks" / stack_id
    entry.main(smk("race_train", {"data": str(tmp_path / f"{stack['data_id']}.pt")},
                   Outputs([str(stack_dir)]),
                   {"runs": stack["runs"], "hidden": stack["hidden"], "train": stack["train"],
                    "resume_every": 20, "device": "cpu"}, tmp_path))
    files = sorted(f.name for f in stack_dir.iterdir())
    assert files == sorted(f"{r['run_id']}.pt" for r in stack["runs"])
    run = load_checkpoint(stack_dir / files[0])
    assert run["steps"].tolist() == stack["train"]["checkpoint_steps"]

    imp_id, info = next((i, v) for i, v in p.imp.items()
                        if p.runs[v["run_id"]]["stack_id"] == stack_id)
    prev = None
    for r in range(1, p.rounds + 1):
        out = {"run": str(tmp_path / "imp" / f"round{r}.pt"),
               "masks": str(tmp_path / "imp" / f"masks{r}.pt")}
        inputs = {"data": str(tmp_path / f"{stack['data_id']}.pt"), "stack": str(stack_dir)}
        if prev:
            inputs["prev"] = prev
        entry.main(smk("race_imp_round", inputs, out,
                       {"imp_id": imp_id, "run_id": info["run_id"], "round": r,
                        "spec": {k: v for k, v in info["spec"].items() if k != "run"},
                        "train": info["train"], "resume_every": 20, "device": "cpu"}, tmp_path))
        prev = out["run"]
    masks = load_checkpoint(tmp_path / "imp" / f"masks{p.rounds}.pt")
    meta = json.loads(masks["meta"])
    assert meta["alive"] == meta["keep"] == round(meta["n_prunable"] * (1 - info["sparsity"]))
    assert masks["pruned_per_neuron"].sum() == meta["n_prunable"] - meta["alive"]
    final = load_checkpoint(prev)
    assert torch.all(final["W1"][-1][~final["mask_W1"]] == 0)
