"""Ids hash what a job computes: the effective training method, never a run setting."""

from types import SimpleNamespace

import pytest

from workflow_scripts.race import method
from workflow_scripts.race.plan import build_plan

from ..configs import SMOKE, study_config


def plan_of(*overlays):
    return build_plan(study_config(SMOKE, *overlays))


def ids_of(plan):
    return {
        kind: set(getattr(plan, kind))
        for kind in ("datasets", "runs", "stacks", "imp", "cubes", "stable_cells")
    }


def test_auto_is_lowrank_on_the_cpu_and_direct_on_a_gpu_or_with_masks():
    assert method.effective_method("auto", "cpu") == "lowrank"
    assert method.effective_method("auto", "cpu", n_train=800) == "dual"  # small N
    assert method.effective_method("auto", "cpu", n_train=4000) == "lowrank"
    assert method.effective_method("auto", "cuda") == "direct"
    assert method.effective_method("auto", "cpu", masked=True) == "direct"
    assert method.effective_method("lowrank", "cuda") == "lowrank"  # explicit: kept
    assert method.effective_method("direct", "cpu") == "direct"
    for explicit in ("lowrank", "dual"):
        with pytest.raises(ValueError, match="direct"):
            method.effective_method(explicit, "cpu", masked=True)
    with pytest.raises(ValueError, match="unknown method"):
        method.effective_method("fast", "cpu")


def test_a_cpu_and_a_cuda_plan_differ_exactly_where_the_method_differs():
    """method: auto trains dual (N <= 1024) or low-rank on the CPU and direct on a GPU: the
    stacks, their runs, the cubes and IMP rounds downstream of them differ; data and
    stable cells do not."""
    cpu, cuda = plan_of({"device": "cpu"}), plan_of({"device": "cuda"})
    assert (cpu.device, cuda.device) == ("cpu", "cuda")
    a, b = ids_of(cpu), ids_of(cuda)
    assert a["datasets"] == b["datasets"] and a["stable_cells"] == b["stable_cells"]
    for kind in ("runs", "stacks", "imp", "cubes"):
        assert a[kind] and not a[kind] & b[kind], kind
    assert all(
        r["train"].method == ("dual" if r["N"] <= method.DUAL_MAX_N else "lowrank")
        for r in cpu.runs.values()
    )
    assert {r["train"].method for r in cuda.runs.values()} == {"direct"}
    # what the jobs get is what the ids hash
    stack = next(iter(cuda.stacks))
    assert cuda.train_params(SimpleNamespace(stack_id=stack))["train"]["method"] == "direct"
    assert cuda.train_params(SimpleNamespace(stack_id=stack))["train"]["window"] == 1
    # IMP rounds are direct on both devices; they differ only through their dense run
    for plan in (cpu, cuda):
        assert {(i["train"].method, i["train"].window) for i in plan.imp.values()} == {
            ("direct", method.DIRECT_WINDOW)
        }


@pytest.mark.parametrize("explicit", ["direct", "lowrank", "dual"])
def test_an_explicit_method_gives_the_same_ids_on_both_devices(explicit):
    overlay = {"race": {"train": {"method": explicit}}}
    cpu = plan_of(overlay, {"device": "cpu"})
    cuda = plan_of(overlay, {"device": "cuda"})
    assert ids_of(cpu) == ids_of(cuda)


def test_the_window_is_in_no_id_under_the_direct_method():
    def with_window(w, how):
        return plan_of({"device": "cpu", "race": {"train": {"window": w, "method": how}}})

    assert ids_of(with_window(32, "direct")) == ids_of(with_window(8, "direct"))
    low, other = ids_of(with_window(32, "auto")), ids_of(with_window(8, "auto"))
    assert not low["runs"] & other["runs"] and low["datasets"] == other["datasets"]


def rule_params(plan):
    """Everything the race rules pass to jobs through ``params:``."""
    ns = SimpleNamespace
    out = {
        "data": [plan.data_params(ns(data_id=i)) for i in sorted(plan.datasets)],
        "train": [plan.train_params(ns(stack_id=i)) for i in sorted(plan.stacks)],
        "imp": [plan.imp_round_params(ns(imp_id=i, r="2")) for i in sorted(plan.imp)],
        "extract": [plan.extract_params(ns(cube_id=i)) for i in sorted(plan.cubes)],
        "stable": [plan.stable_cells_params(ns(stable_id=i)) for i in sorted(plan.stable_cells)],
        "figures": [plan.figure_options(ns(fig=f)) for f in sorted(plan.figures)],
        "table": plan.table_options(),
        "claims": plan.claims_options(),
    }
    return out


@pytest.mark.parametrize(
    "knob",
    [
        {"race": {"extract": {"sample_chunk": 7}}},
        {"race": {"stable_cells": {"chunk": 9}}},
        {"data_dir": "/elsewhere/data"},
        {"race": {"data": {"download": True}}},
        {"resume_every_s": 5},
    ],
    ids=["sample_chunk", "stable_cells.chunk", "data_dir", "download", "resume_every_s"],
)
def test_a_run_setting_changes_no_id_and_no_params(knob):
    base, changed = plan_of(), plan_of(knob)
    assert ids_of(base) == ids_of(changed)
    assert rule_params(base) == rule_params(changed)


def test_params_carry_no_run_setting():
    params = rule_params(plan_of())
    assert all("data_dir" not in p and "download" not in p for p in params["data"])
    assert all("sample_chunk" not in p["options"] for p in params["extract"])
    assert all("chunk" not in p["options"] for p in params["stable"])
