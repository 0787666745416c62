"""The samplesets paper's claims on the default-size build (config.yaml; ``default_build``).

Pins every claim's verdict at default size (9 runs on Fashion-MNIST, 3 seeds; the
inconclusive one included), so that a change in either direction is seen; skipped without
Fashion-MNIST in <repo>/data (``make data``).
"""

import pytest

from workflow_scripts.claims import NotMeasured, format_values
from workflow_scripts.samplesets.claims import CLAIMS

pytestmark = [pytest.mark.claims]
VERDICTS = {
    "f_rises_then_falls": "reproduced",
    "first_layers_fall_faster": "reproduced",
    "most_nodes_see_most_samples_early": "reproduced",
    "other_nodes_stay_silent": "not reproduced",
    "fall_starts_with_loss_drop": "inconclusive",
    "mse_deep_layers_peak_near_one": "reproduced",
    "shallow_mse_falls_from_start": "reproduced",
    "predictability_rises_deeper_higher": "not reproduced",
    "informativeness_rises_dips_stays_low": "not reproduced",
    "networks_learn": "not reproduced",
}


@pytest.fixture(scope="module")
def build(default_build):
    return default_build("samplesets")


@pytest.fixture(scope="module")
def ctx(build):
    return build.claims_context()


def test_the_table_is_built_from_these_functions(build, ctx):
    assert list(build.rows) == [c.key for c in CLAIMS] and set(VERDICTS) == set(build.rows)
    for claim in CLAIMS:
        row = build.rows[claim.key]
        assert row["size"] == build.config["size"] and row["figure"] == claim.figure
        try:
            result = claim.measure(ctx)
        except NotMeasured as reason:
            assert (row["verdict"], row["reason"]) == ("not measured", str(reason)), claim.key
            continue
        assert row["verdict"] == result.verdict, claim.key
        assert row["measured"] == format_values(result.values), claim.key


@pytest.mark.parametrize("claim", list(VERDICTS))
def test_verdict_at_default_size(build, claim):
    assert build.rows[claim]["verdict"] == VERDICTS[claim], build.rows[claim]["measured"]


def test_the_claims_read_every_seed_of_the_papers_nets(build, ctx):
    plan = build.plan
    for role, fig in (("ce", "fig5"), ("mse", "fig9"), ("shallow_mse", "fig10")):
        net = plan.figures[fig].net
        assert [ds.attrs["net"] for ds in ctx[role]] == [net] * len(plan.seeds), role
        assert [int(ds.attrs["seed"]) for ds in ctx[role]] == plan.seeds, role
    assert {ds.attrs["net"] for ds in ctx["all"]} == set(plan.nets)
    train = plan.runs[plan.run_of[(plan.figures["fig5"].net, plan.seeds[0])]]["train"]
    assert list(ctx["ce"][0]["time"].values) == list(train.checkpoint_steps)
    assert int(ctx["ce"][0]["class_size"].sum()) == plan.data.n_validation
    assert ctx["source"] == plan.data.source
