"""The wtm paper's claims on cubes built at the default size (config.yaml).

``default_build`` (tests/conftest.py) builds every wtm target and the claims table once
(about 9 min on 2 idle cores; TRAINSCOPE_CLAIMS_WORKDIR reuses a build). The claims are
the functions the claims table runs.
"""

import pytest

from workflow_scripts.wtm.claims import CLAIMS, accuracy_by_run

pytestmark = [pytest.mark.claims]

# at default size, over the 5 seeds of wtm.seeds (README, "Results at default size (wtm)")
VERDICTS = {
    "wtm_spread": "reproduced",
    "ablations_generalise_worse": "reproduced",
    "ablations_about_80": "reproduced",
    "difficult_share_dominates": "reproduced",
    "moderate_noise_generalises_best": "reproduced",
}


@pytest.fixture(scope="module")
def build(default_build):
    return default_build("wtm")


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


def test_claims_read_every_seed(build, ctx):
    seeds = build.config["wtm"]["seeds"]
    assert len(ctx["full"]) == len(ctx["difficulty"]) == len(seeds) >= 3
    assert len(ctx["ablations"]) == len(build.plan.figures["fig3"].runs) * len(seeds)
    assert len(ctx["evals"]) == len(build.plan.evals)


def test_the_full_model_spreads_and_generalises_clearly(ctx):
    assert CLAIMS["wtm_spread"].measure(ctx).values["growth"] > 5  # 9.75 measured
    assert CLAIMS["ablations_generalise_worse"].measure(ctx).values["full"] > 0.85


def test_only_one_neuron_seeds_with_a_negative_output_weight_are_degenerate(ctx):
    rows = accuracy_by_run(ctx["full"] + ctx["ablations"])
    for name, row in rows.items():
        if name != "one_neuron":
            assert row["degenerate"] == [], name
    one = rows["one_neuron"]
    # seeds 0 and 1 draw a negative 1x1 output weight (pattern_mlp's default init)
    assert one["degenerate"] and one["w2_negative"] and len(one["acc"]) >= 2
