"""The wtm paper's claims on cubes built at the default size (config.yaml).

Builds every wtm target and results/claims/wtm.csv once (a few minutes on 2 cores).
Set TRAINSCOPE_CLAIMS_WORKDIR to a directory to reuse (and incrementally update) a
build between test sessions. The claims are the functions the claims table runs.
"""

import os
from pathlib import Path

import pytest

from workflow_scripts.claims.table import read_table
from workflow_scripts.study import load_config
from workflow_scripts.wtm.claims import CLAIMS
from workflow_scripts.wtm.plan import build_plan

from ..snakemake_runner import run_snakemake
from .conftest import TARGETS

pytestmark = pytest.mark.claims


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    workdir = os.environ.get("TRAINSCOPE_CLAIMS_WORKDIR")
    workdir = Path(workdir) if workdir else tmp_path_factory.mktemp("default")
    workdir.mkdir(parents=True, exist_ok=True)
    run_snakemake(workdir, *TARGETS, configfiles=(), timeout=3600)
    return workdir


@pytest.fixture(scope="module")
def ctx(default_build):
    plan = build_plan(load_config())
    inputs = {
        k: ([str(default_build / p) for p in v] if isinstance(v, list) else str(default_build / v))
        for k, v in plan.claims_inputs().items()
    }
    return CLAIMS.load(inputs, plan.claims_options())


def test_the_table_was_built_from_these_functions(default_build, ctx):
    rows = {r["claim"]: r for r in read_table(default_build / "results/claims/wtm.csv")}
    assert list(rows) == [c.key for c in CLAIMS] and {r["size"] for r in rows.values()} == {
        "default"
    }
    for claim in CLAIMS:
        assert rows[claim.key]["verdict"] == claim.measure(ctx).verdict


def test_claims_read_every_seed(ctx):
    seeds = load_config()["wtm"]["seeds"]
    assert len(ctx["full"]) == len(ctx["difficulty"]) == len(seeds) >= 3
    assert len(ctx["ablations"]) == 3 * len(seeds)


def test_wtm_spread_grows_in_the_negative_derivative_class(ctx):
    result = CLAIMS["wtm_spread"].measure(ctx)
    assert result.holds, result.values
    assert result.values["growth"] > 5  # 9x measured at default size


def test_ablations_reach_clearly_lower_test_accuracy(ctx):
    result = CLAIMS["ablations_generalise_worse"].measure(ctx)
    assert result.holds, result.values
    assert result.values["full"] > 0.85


def test_ablations_land_near_80_percent_over_their_non_degenerate_seeds(ctx):
    result = CLAIMS["ablations_about_80"].measure(ctx)
    assert result.holds, result.values


def test_only_one_neuron_seeds_with_a_negative_output_weight_are_degenerate(ctx):
    from workflow_scripts.wtm.claims import accuracy_by_run

    rows = accuracy_by_run(ctx["full"] + ctx["ablations"])
    for name, row in rows.items():
        if name != "one_neuron":
            assert row["degenerate"] == [], name
    one = rows["one_neuron"]
    # seeds 0 and 1 draw a negative 1x1 output weight (pattern_mlp's default init)
    assert one["degenerate"] and one["w2_negative"] and len(one["acc"]) >= 2


def test_difficult_group_share_of_the_loss_rises_and_dominates(ctx):
    result = CLAIMS["difficult_share_dominates"].measure(ctx)
    assert result.holds, result.values


def test_moderate_training_noise_generalises_best(ctx):
    result = CLAIMS["moderate_noise_generalises_best"].measure(ctx)
    assert result.holds, result.values
