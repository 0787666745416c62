"""The claims machinery: verdicts with intervals (three verdicts), the rows, the CSV and
its copy into Markdown blocks."""

import math

import pytest
from scipy import stats as sps

from workflow_scripts.claims import Check, Claims, NotMeasured, Result, stats
from workflow_scripts.claims.table import read_table, update_readme, write_table


def make_claims():
    claims = Claims("demo", load=lambda inputs, options: {"x": inputs["x"] * options["scale"]})

    @claims.claim("big", figure="fig1", statement="x is big", threshold="x > 10")
    def big(ctx):
        seeds = [ctx["x"] - 0.5, ctx["x"], ctx["x"] + 0.5]
        est = stats.mean_over_seeds(seeds)
        return Result({"x": ctx["x"]}, checks=[Check("x", est, 10, "above", per_seed=seeds)])

    @claims.claim("small", figure="fig2", statement="x is small", threshold="x < 5")
    def small(ctx):
        est = stats.mean_over_seeds([ctx["x"] - 0.5, ctx["x"], ctx["x"] + 0.5])
        return Result({"x": ctx["x"]}, checks=[Check("x", est, 5, "below")])

    @claims.claim("seeds", figure="fig3", statement="needs two seeds", threshold="-")
    def seeds(ctx):
        raise NotMeasured("one seed at this size")

    return claims


def test_a_check_is_reproduced_not_reproduced_or_inconclusive_by_its_interval():
    def check(values, threshold, side):
        return Check("m", stats.mean_over_seeds(values), threshold, side, per_seed=values)

    assert check([0.85, 0.86, 0.87], 0.80, "above").verdict == "reproduced"
    assert check([0.85, 0.86, 0.87], 0.80, "below").verdict == "not reproduced"
    straddle = check([0.78, 0.82, 0.80, 0.81], 0.80, "above")
    assert straddle.verdict == "inconclusive"
    assert "straddles 0.8" in straddle.reason and "seeds at the measured spread" in straddle.reason
    one_seed = check([0.9], 0.8, "above")  # one seed: no interval, never decided
    assert one_seed.verdict == "inconclusive" and math.isinf(one_seed.estimate.high)
    with pytest.raises(ValueError, match="side"):
        Check("m", stats.mean_over_seeds([1, 2]), 0, "left")


def test_a_claim_is_reproduced_when_every_check_is_and_not_when_any_is_not():
    yes = Check("a", stats.mean_over_seeds([2, 2.1, 2.2]), 1, "above")
    no = Check("b", stats.mean_over_seeds([0.1, 0.2, 0.15]), 1, "above")
    maybe = Check("c", stats.mean_over_seeds([0.5, 1.5, 1.0]), 1, "above")
    assert Result({}, checks=[yes, yes]).verdict == "reproduced"
    assert Result({}, checks=[yes, no, maybe]).verdict == "not reproduced"
    assert Result({}, checks=[yes, maybe]).verdict == "inconclusive"
    assert Result({}, checks=[yes, maybe]).reason.startswith("c ")  # the deciding check
    with pytest.raises(ValueError, match="Check"):
        Result({"x": 1})


def test_intervals_are_scipys():
    v = [0.2, 0.25, 0.31, 0.22]
    est = stats.mean_over_seeds(v)
    low, high = sps.t.interval(0.95, 3, loc=sum(v) / 4, scale=sps.sem(v))
    assert (est.low, est.high, est.n) == pytest.approx((low, high, 4))
    wilson = stats.proportion(80, 100)  # the Wilson score interval of 80 / 100
    assert (wilson.low, wilson.high) == pytest.approx((0.7112, 0.8666), abs=1e-4)
    acc = stats.accuracy_over_seeds([0.90, 0.90, 0.90], 100)  # no seed spread: binomial
    assert acc.low == pytest.approx(stats.proportion(270, 300).low)
    diff = stats.paired_difference([3, 4, 5], [1, 2, 3.5])
    assert diff.value == pytest.approx(11 / 6) and diff.low < 11 / 6 < diff.high


def test_seeds_needed_follows_the_spread():
    tight = stats.seeds_needed([0.81, 0.82, 0.83], 0.80)
    loose = stats.seeds_needed([0.70, 0.82, 0.94], 0.80)
    assert tight is not None and loose is not None and tight < loose
    n = loose
    sd = 0.12
    assert (
        sps.t.ppf(0.975, n - 1) * sd / n**0.5
        < 0.02
        <= sps.t.ppf(0.975, n - 2) * sd / (n - 1) ** 0.5
    )


def test_rows_hold_the_estimate_interval_n_verdict_and_reason(tmp_path):
    rows = make_claims().evaluate({"x": 6}, {"scale": 2.0}, size="smoke")
    assert [r["claim"] for r in rows] == ["big", "small", "seeds"]
    assert [r["verdict"] for r in rows] == ["reproduced", "not reproduced", "not measured"]
    big = rows[0]
    assert big["measured"] == "x 12" and big["threshold"] == "x > 10" and big["n"] == "3 seeds"
    assert big["estimate"] == "12" and big["interval"].startswith("[10.")
    assert "lies above 10" in big["reason"]
    assert rows[2]["reason"] == "one seed at this size"
    assert {r["size"] for r in rows} == {"smoke"}
    write_table(rows, tmp_path / "demo.csv")
    assert [{k: v for k, v in r.items() if v} for r in read_table(tmp_path / "demo.csv")] == [
        {k: v for k, v in r.items() if v} for r in rows
    ]


def test_a_claim_that_raises_fails_the_build():
    claims = make_claims()

    @claims.claim("broken", figure="fig4", statement="-", threshold="-")
    def broken(ctx):
        raise KeyError("a variable the cube does not have")

    with pytest.raises(KeyError):
        claims.evaluate({"x": 6}, {"scale": 1}, size="smoke")


def test_readme_blocks_are_replaced_from_the_tables(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- claims:demo -->\nold table\n<!-- /claims:demo -->\nrest\n")
    rows = make_claims().evaluate({"x": 6}, {"scale": 2}, size="default")
    assert update_readme(readme, {"demo": rows, "other": rows}) == ["demo"]
    text = readme.read_text()
    assert "old table" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    line = next(x for x in text.splitlines() if x.startswith("| big |"))
    assert "| x 12 | 12 | [10." in line and "| 3 seeds | x > 10 | **reproduced** (x 12 [" in line
    assert "size **default**" in text


def test_a_variant_fills_only_its_own_blocks(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- claims:demo -->\ndefault\n<!-- /claims:demo -->\n"
        "<!-- claims:demo:hard -->\nstale rows\n<!-- /claims:demo:hard -->\n"
    )
    rows = make_claims().evaluate({"x": 6}, {"scale": 2}, size="default")
    done = update_readme(
        readme, {"demo": rows}, variant="hard", built_with="--configfile configs/hard.yaml"
    )
    assert done == ["demo:hard"]
    text = readme.read_text()
    assert "\ndefault\n" in text and "stale rows" not in text  # the default block is left alone
    assert "of a build with `--configfile configs/hard.yaml`" in text
    assert "| big | fig1 | x is big | x 12 |" in text
