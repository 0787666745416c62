"""The race paper's claims on cubes built at the default size (config.yaml).

``default_build("race")`` (tests/conftest.py) builds every race target and the claims
table once (needs Fashion-MNIST in <repo>/data). The tests check what the claims table
says against the claim functions, pin every verdict docs/studies/race.md states for the
default build (inconclusive ones included), so that a change in either direction is seen,
and check the two measurement defects fixed here on the built artifacts: no input that is
constant over the training subset reaches the network (IMP, alignment), and Table 1's
large-neuron cluster count never exceeds the count over all neurons.
"""

import json

import pytest

from workflow_scripts.claims.table import read_table
from workflow_scripts.race.claims import CLAIMS
from workflow_scripts.store.checkpoints import load_checkpoint

pytestmark = [pytest.mark.claims]

# docs/studies/race.md, "Which claims reproduce at default size"
VERDICTS = {
    "few_clusters": "reproduced",
    "clusters_grow_with_N": "inconclusive",
    "large_clusters_grow_with_N": "inconclusive",
    "medium_init_more_clusters": "reproduced",
    "early_alignment_predicts_norm": "reproduced",
    "early_alignment_predicts_pruning": "reproduced",
    "merge_095_costs_nothing": "reproduced",
    "merge_099_costs_nothing": "reproduced",
    "merge_070_hurts": "reproduced",
    "stable_cells": "not reproduced",
}


@pytest.fixture(scope="module")
def build(default_build):
    return default_build("race")


@pytest.fixture(scope="module")
def ctx(build):
    return build.claims_context()


def test_the_table_is_built_from_these_functions(build, ctx):
    assert list(build.rows) == [c.key for c in CLAIMS] == list(VERDICTS)
    assert {r["size"] for r in build.rows.values()} == {"default"}
    for claim in CLAIMS:
        result = claim.measure(ctx)
        row = build.rows[claim.key]
        assert row["verdict"] == result.verdict, claim.key
        assert row["reason"] == result.reason and row["interval"].startswith("["), claim.key


@pytest.mark.parametrize("claim", list(VERDICTS))
def test_verdict_at_default_size(build, claim):
    row = build.rows[claim]
    assert row["verdict"] == VERDICTS[claim], (row["measured"], row["reason"])


def test_the_claims_read_the_whole_default_grid_and_sweep(build, ctx):
    race = build.config["race"]
    grid, sweep = race["grid"], race["d_sweep"]
    assert len(ctx["grid"]) == len(grid["sigma0"]) * len(grid["n_train"]) * len(grid["seeds"])
    assert len(ctx["sweep_runs"]) == len(sweep["hidden"]) * len(sweep["n_train"]) * len(
        sweep["seeds"]
    )
    assert len(ctx["cells"]) == len(grid["n_train"])
    # the early steps are the figures' (Figs 4 and 5), as the plan resolved them
    assert ctx["early_step"] == build.plan.figures["fig4"].early_step
    assert ctx["pruning_step"] == build.plan.figures["fig5"].early_step


def test_table1_large_cluster_count_never_exceeds_the_count_over_all_neurons(build):
    rows = read_table(build.path(build.plan.paths.table("table1")))
    assert rows and all(float(r["k_large_mean"]) > 0 and float(r["k_mean"]) > 0 for r in rows)
    assert all(float(r["k_large_mean"]) <= float(r["k_mean"]) for r in rows)


def test_no_constant_input_reaches_the_network_or_imp(build):
    """The default data keep only the pixels that vary over the training subset, and the
    IMP masks have one W1 column per kept pixel: padding and blank borders never reach
    the network, IMP or the alignment (Fashion-MNIST: at most 784 inputs)."""
    plan = build.plan
    for data_id in plan.datasets:
        data = load_checkpoint(build.path(plan.data_file(data_id)))
        assert data["x_train"].std(0).min() > 0
        meta = json.loads(data["meta"])
        assert meta["inputs"] == "varying" and meta["n_features"] == data["x_train"].shape[1]
        assert meta["n_features"] + meta["n_inputs_dropped"] == 28 * 28
    for imp_id, info in plan.imp.items():
        data_id = plan.runs[info["run_id"]]["data_id"]
        n_in = load_checkpoint(build.path(plan.data_file(data_id)))["x_train"].shape[1]
        masks = load_checkpoint(build.path(plan.imp_file(imp_id, plan.rounds, "masks")))
        assert masks["mask_W1"].shape[1] == n_in, imp_id
