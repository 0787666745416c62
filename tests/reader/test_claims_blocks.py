"""The claims and status blocks of the docs and README are filled from the claims CSVs."""

import pytest

from workflow_scripts.claims.table import main, markdown, refresh, status_markdown, write_table

ROWS = [
    ("big", "fig1", "x is big", "reproduced"),
    ("even", "fig2", "x is even", "not reproduced"),
    ("odd", "fig2", "x is odd", "inconclusive"),
    ("more", "fig1", "x grows", "reproduced"),
]


def rows(study="demo", size="default", verdicts=None):
    out = []
    for (claim, fig, text, _verdict), v in zip(ROWS, verdicts or [r[3] for r in ROWS]):
        out.append(
            {
                "study": study,
                "size": size,
                "claim": claim,
                "figure": fig,
                "statement": text,
                "measured": "x 1|2",
                "threshold": "x > 0",
                "verdict": v,
                "note": "",
            }
        )
    return out


@pytest.fixture
def tree(tmp_path):
    """A working directory with a default build, a variant's build, a README and docs."""
    results = tmp_path / "results"
    write_table(rows(), results / "claims" / "demo.csv")
    write_table(rows("other", "smoke", ["reproduced"] * 4), results / "claims" / "other.csv")
    write_table(
        rows(verdicts=["reproduced"] * 4), results / "variants" / "hard" / "claims" / "demo.csv"
    )
    for fig in ("fig1", "fig2"):
        (results / "figs" / "demo").mkdir(parents=True, exist_ok=True)
        (results / "figs" / "demo" / f"{fig}.pdf").write_bytes(b"%PDF")
    docs = tmp_path / "docs"
    (docs / "studies").mkdir(parents=True)
    (docs / "studies" / "demo.md").write_text(
        '---\npaper: "Doe, *A paper*"\n---\n# demo\n'
        "<!-- claims:demo -->\nstale\n<!-- /claims:demo -->\n"
        "<!-- claims:demo:hard -->\nstale\n<!-- /claims:demo:hard -->\nend\n"
    )
    (docs / "studies" / "other.md").write_text("---\npaper: Roe 2020\n---\n# other\n")
    (docs / "index.md").write_text("# home\n<!-- status -->\n<!-- /status -->\n")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- status -->\ntyped by hand\n<!-- /status -->\nrest\n")
    return tmp_path


def test_study_pages_get_their_default_and_variant_tables(tree):
    done = refresh(tree / "results", tree / "README.md", tree / "docs")
    page = (tree / "docs" / "studies" / "demo.md").read_text()
    assert sorted(done[str(tree / "docs" / "studies" / "demo.md")]) == ["demo", "demo:hard"]
    assert "stale" not in page and page.endswith("end\n")
    default, hard = page.split("<!-- claims:demo:hard -->")
    assert "| even | fig2 | x is even | x 1\\|2 | x > 0 | **not reproduced** |" in default
    assert "`results/claims/demo.csv`" in default
    assert "**not reproduced**" not in hard and "`results/variants/hard/claims/demo.csv`" in hard


def test_status_rows_count_the_verdicts_and_link_the_pages(tree):
    refresh(tree / "results", tree / "README.md", tree / "docs")
    readme = (tree / "README.md").read_text()
    assert "typed by hand" not in readme and readme.endswith("rest\n")
    lines = readme.splitlines()
    head = next(line for line in lines if line.startswith("| study"))
    assert head.split(" | ")[4:7] == ["reproduced", "not reproduced", "inconclusive"]
    demo = next(line for line in lines if line.startswith("| `demo`"))
    cells = [c.strip() for c in demo.strip("|").split("|")]
    assert cells == [
        "`demo`",
        "Doe, *A paper*",
        "fig1, fig2",
        "default",
        "2",
        "1",
        "1",
        "[demo](docs/studies/demo.md)",
    ]
    other = next(line for line in lines if line.startswith("| `other`"))
    assert "| smoke | 4 | 0 | 0 |" in other and "| - | smoke |" in other  # no figures built
    index = (tree / "docs" / "index.md").read_text()
    assert "[demo](studies/demo.md)" in index  # links relative to the page that holds them


def test_a_study_without_a_table_is_listed_as_not_built(tree):
    (tree / "docs" / "studies" / "third.md").write_text("---\npaper: P\n---\n")
    table = status_markdown({}, tree / "results", tree / "docs", tree)
    row = next(line for line in table.splitlines() if "`third`" in line)
    assert "not built" in row and "| - | - | - |" in row


def test_new_csv_columns_are_shown_before_the_verdict_and_empty_ones_left_out():
    extra = [{**r, "spread": "[0.1, 0.2]", "n_seeds": "5", "unused": ""} for r in rows()]
    table = markdown(extra)
    assert "| threshold | spread | n_seeds | verdict |" in table and "unused" not in table
    assert "| x > 0 | [0.1, 0.2] | 5 | **inconclusive** |" in table


def test_one_variant_from_its_own_working_directory(tree, capsys):
    other = tree / "elsewhere" / "results"
    write_table(rows(verdicts=["not reproduced"] * 4), other / "claims" / "demo.csv")
    args = [
        "readme",
        "--results",
        str(other),
        "--readme",
        str(tree / "README.md"),
        "--docs",
        str(tree / "docs"),
        "--variant",
        "hard",
        "--built-with",
        "--configfile h.yaml",
    ]
    assert main(args) == 0
    page = (tree / "docs" / "studies" / "demo.md").read_text()
    hard = page.split("<!-- claims:demo:hard -->")[1]
    assert "of a build with `--configfile h.yaml`" in hard and "**not reproduced**" in hard
    assert "<!-- claims:demo -->\nstale" in page  # the default block is left alone
    assert "typed by hand" in (tree / "README.md").read_text()  # and the status too
    assert "demo:hard" in capsys.readouterr().out


def test_a_study_whose_table_holds_no_claims(tree):
    """A study that checks no claims (its table: the header only) and draws a folder per run."""
    write_table([], tree / "results" / "claims" / "none.csv")
    for run, fig in (("run_b", "cka"), ("run_a", "si"), ("run_a", "cka")):
        (tree / "results" / "figs" / "none" / run).mkdir(parents=True, exist_ok=True)
        (tree / "results" / "figs" / "none" / run / f"{fig}.pdf").write_bytes(b"%PDF")
    page = tree / "docs" / "studies" / "none.md"
    page.write_text("---\npaper: none\n---\n<!-- claims:none -->\nstale\n<!-- /claims:none -->\n")
    done = refresh(tree / "results", tree / "README.md", tree / "docs")
    assert done[str(page)] == ["none"]
    assert "stale" not in page.read_text()
    assert "(`results/claims/none.csv`): no claims to check." in page.read_text()
    row = next(line for line in (tree / "README.md").read_text().splitlines() if "`none`" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:7] == ["run_a/cka, run_a/si, run_b/cka", "built, no claims", "-", "-", "-"]
