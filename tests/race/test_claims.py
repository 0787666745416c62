"""The race paper's claims on cubes built at the default size (config.yaml).

``default_build("race")`` (tests/conftest.py) builds every race target and the claims
table once (about 20 minutes alone on 2 cores; needs Fashion-MNIST in <repo>/data). The
tests check what the claims table says against the claim functions, and pin every
verdict README's race section states for the default build (centred inputs: 6 of 9
reproduce), so that a change in either direction is seen.
"""

import pytest

from workflow_scripts.claims.table import read_table
from workflow_scripts.race.claims import CLAIMS

pytestmark = [pytest.mark.claims]

# README, race section, "Default: Fashion-MNIST 'easy' grouping, centred inputs, d = 300"
VERDICTS = {
    "few_clusters": "reproduced",
    "clusters_grow_with_N": "not reproduced",
    "large_clusters_grow_with_N": "not reproduced",
    "medium_init_more_clusters": "reproduced",
    "early_alignment_predicts_norm": "reproduced",
    "early_alignment_predicts_pruning": "reproduced",
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
        assert build.rows[claim.key]["verdict"] == claim.measure(ctx).verdict, claim.key


@pytest.mark.parametrize("claim", list(VERDICTS))
def test_verdict_at_default_size(build, claim):
    assert build.rows[claim]["verdict"] == VERDICTS[claim], build.rows[claim]["measured"]


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


def test_table1_shows_both_cluster_counts(build):
    rows = read_table(build.path(build.plan.paths.table("table1")))
    assert rows and all(float(r["k_large_mean"]) > 0 and float(r["k_mean"]) > 0 for r in rows)


def test_centred_inputs_give_several_stable_cells_that_do_not_grow(ctx):
    """README: Algorithm 1 finds 4-8 cells per sign with centred inputs (raw: 1 and 0),
    but their number does not grow with N on the easy grouping."""
    result = CLAIMS["stable_cells"].measure(ctx)
    plus, minus = result.values["alignment +1 by N"], result.values["alignment -1 by N"]
    assert min(plus) >= 3 and min(minus) >= 3, result.values
