"""What a reader gets from the smoke build: the docs' figures rendered beside their claims
(`trainscope docs-figures`), and the `trainscope` command on real Snakemake records."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workflow_scripts.claims.table import read_table

from .test_docs import build_docs, copy_docs

pytestmark = pytest.mark.workflow
TRAINSCOPE = Path(sys.executable).parent / "trainscope"


def trainscope(build, *args):
    return subprocess.run(
        [str(TRAINSCOPE), "-d", str(build.workdir), *args], capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def rendered(smoke_build, tmp_path_factory):
    """A copy of the docs with the smoke build's figures rendered into it."""
    root = copy_docs(tmp_path_factory.mktemp("docs_figures"))
    proc = trainscope(
        smoke_build,
        "docs-figures",
        "--results",
        str(smoke_build.workdir / "results"),
        "--variant",
        smoke_build.variant,
        "--out",
        str(root / "docs" / "figures"),
    )
    assert proc.returncode == 0, proc.stderr
    return root


def figure_name(figure):
    """A figure artifact's name below its study's figures folder, without the suffix:
    ``fig4``, or ``<run>/<figure>`` for a study that draws one folder per run."""
    parts = Path(figure.path).parts  # .../figs/<study>/<name>.pdf
    return Path(*parts[parts.index("figs") + 2 :]).with_suffix("").as_posix()


def test_every_figure_is_rendered_small(smoke_build, rendered):
    figures = smoke_build.artifacts("figure")
    manifest = json.loads((rendered / "docs/figures/manifest.json").read_text())
    listed = {(f["study"], f["figure"]): f for f in manifest["figures"]}
    assert {(a.study, figure_name(a)) for a in figures} <= set(listed)
    assert any("/" in figure_name(a) for a in figures), "no study drew a folder per run"
    total = 0
    for a in figures:
        png = rendered / "docs/figures" / a.study / f"{figure_name(a)}.png"
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        assert 300 < width < 2500, (png, width)
        total += len(data)
        assert listed[(a.study, figure_name(a))]["size"] == "smoke"
    assert total < 5e6
    assert manifest["code_version"] and manifest["variant"] == smoke_build.variant


def test_each_figure_sits_beside_the_claims_it_supports(smoke_build, rendered):
    for claims in smoke_build.artifacts("claims"):
        page = (rendered / "docs/studies" / f"{claims.study}.md").read_text()
        block = page.split(f"<!-- figures:{claims.study} -->")[1].split("<!-- /figures:")[0]
        assert "No figures rendered" not in block, f"{claims.study}: no figure rendered"
        for row in read_table(smoke_build.workdir / claims.path):
            section = re.search(
                rf"#### {re.escape(row['figure'])}\n(.*?)(?=\n#### |\Z)", block, re.S
            )
            if section is None:  # a table's claim (race Table 1), listed at the end
                section = re.search(r"#### Claims shown by tables\n(.*)", block, re.S)
            assert f"**{row['claim']}** ({row['verdict']})" in section.group(1), row["claim"]
        for fig in smoke_build.artifacts("figure", claims.study):
            assert f"../figures/{claims.study}/{figure_name(fig)}.png" in block


def test_the_docs_build_with_the_figures_and_fail_without_one(rendered, tmp_path):
    proc = build_docs(rendered, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (tmp_path / "site/figures/wtm/fig4.png").is_file()
    next((rendered / "docs/figures/wtm").glob("*.png")).unlink()  # a figure gone missing
    assert build_docs(rendered, tmp_path / "site2").returncode != 0


def test_show_reads_snakemakes_record_of_a_cube(smoke_build):
    for study in smoke_build.studies():
        cube = smoke_build.artifacts("cube", study)[0]
        proc = trainscope(smoke_build, "show", cube.id, "--json")
        assert proc.returncode == 0, proc.stderr
        view = json.loads(proc.stdout)
        view = view[0] if isinstance(view, list) else view
        built = view["built"]
        assert built["rule"].startswith(f"{study}_"), built
        assert re.fullmatch(r"[0-9a-f]{12}", built["code_digest"]), built
        assert built["inputs"] and all((smoke_build.workdir / p).exists() for p in built["inputs"])
        assert built["started"] <= built["finished"]
        assert view["content"]["dims"] and view["content"]["attrs"]["code_version"]


def test_ls_and_claims_on_the_build(smoke_build):
    for study in smoke_build.studies():
        proc = trainscope(smoke_build, "ls", study, "cube", "--json")
        assert proc.returncode == 0 and {r["kind"] for r in json.loads(proc.stdout)} == {"cube"}
    variant = smoke_build.variant
    proc = trainscope(smoke_build, "claims", "--variant", variant, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    tables = {
        a.study: read_table(smoke_build.workdir / a.path) for a in smoke_build.artifacts("claims")
    }
    assert {r["study"] for r in rows} == {s for s, table in tables.items() if table}
    proc = trainscope(smoke_build, "claims", "--variant", variant)
    assert proc.returncode == 0, proc.stderr
    for study in (s for s, table in tables.items() if not table):  # external: the header only
        assert f"{study} (" in proc.stdout and "no claims to check" in proc.stdout, study
    assert [] in tables.values(), "no study without claims in the build"
    assert {r["size"] for r in rows} == {"smoke"} and {r["variant"] for r in rows} == {variant}
    assert trainscope(smoke_build, "ls", "wtm", "cube", "seed=99").returncode == 1


def test_index_rebuilds_the_catalog(smoke_build):
    index = smoke_build.workdir / "results" / "index.csv"
    built = {a.path for a in smoke_build.artifacts()}
    index.write_text(index.read_text().splitlines()[0] + "\n")  # the header only
    proc = trainscope(smoke_build, "index", "--configfile", *map(str, smoke_build.configfiles))
    assert proc.returncode == 0, proc.stderr
    assert {a.path for a in smoke_build.artifacts()} == built
