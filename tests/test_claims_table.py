"""The claims table machinery: rows, verdicts, the CSV and its copy into README."""

from workflow_scripts.claims import Claims, Result
from workflow_scripts.claims.table import read_table, update_readme, write_table


def make_claims():
    claims = Claims("demo", load=lambda inputs, options: {"x": inputs["x"] * options["scale"]})

    @claims.claim("big", figure="fig1", statement="x is big", threshold="x > 10")
    def big(ctx):
        return Result({"x": ctx["x"]}, holds=ctx["x"] > 10)

    @claims.claim("even", figure="fig2", statement="x is even", threshold="x % 2 == 0")
    def even(ctx):
        return Result({"x": ctx["x"]}, holds=ctx["x"] % 2 == 0)

    @claims.claim("broken", figure="fig3", statement="needs more seeds", threshold="-")
    def broken(ctx):
        raise ValueError("one seed only")

    return claims


def test_rows_hold_statement_measurement_threshold_verdict_and_size(tmp_path):
    rows = make_claims().evaluate({"x": 6}, {"scale": 2.0}, size="smoke")
    assert [r["claim"] for r in rows] == ["big", "even", "broken"]
    assert [r["verdict"] for r in rows] == ["reproduced", "reproduced", "not measured"]
    assert rows[0]["measured"] == "x 12" and rows[0]["threshold"] == "x > 10"
    assert rows[2]["note"] == "ValueError: one seed only"
    assert {r["size"] for r in rows} == {"smoke"}
    rows = make_claims().evaluate({"x": 3}, {"scale": 1}, size="default")
    assert [r["verdict"] for r in rows[:2]] == ["not reproduced", "not reproduced"]
    write_table(rows, tmp_path / "demo.csv")
    assert read_table(tmp_path / "demo.csv") == rows


def test_readme_blocks_are_replaced_from_the_tables(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- claims:demo -->\nold table\n<!-- /claims:demo -->\nrest\n")
    rows = make_claims().evaluate({"x": 6}, {"scale": 2}, size="default")
    assert update_readme(readme, {"demo": rows, "other": rows}) == ["demo"]
    text = readme.read_text()
    assert "old table" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    assert "| big | fig1 | x is big | x 12 | x > 10 | **reproduced** |" in text
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
    assert "| big | fig1 | x is big | x 12 | x > 10 | **reproduced** |" in text
