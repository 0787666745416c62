"""The docs site builds strictly (a broken link, a missing page or anchor fails), every
study has its page with the generated blocks, and the README is the front door."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from workflow_scripts.claims.table import front_matter
from workflow_scripts.study import REPO, study_names

MKDOCS = Path(sys.executable).parent / "mkdocs"


def build_docs(root, site):
    """`mkdocs build --strict` of ``root``/mkdocs.yml; the CompletedProcess."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [str(MKDOCS), "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d", str(site)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def copy_docs(dest):
    """mkdocs.yml and docs/ copied to ``dest`` (to build or edit without touching docs/)."""
    shutil.copy(REPO / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copytree(REPO / "docs", dest / "docs")
    return dest


def test_the_docs_build_strictly(tmp_path):
    proc = build_docs(REPO, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr[-4000:]
    for page in ("index", "getting-started", "store", "cluster", "studies/wtm"):
        assert (tmp_path / "site" / page / "index.html").is_file() or page == "index"
    performance = (tmp_path / "site" / "performance" / "index.html").read_text()
    assert "bench_samplesets.py" in performance and "bench_selectivity.py" in performance


def test_a_broken_link_or_anchor_fails_the_build(tmp_path):
    root = copy_docs(tmp_path)
    page = root / "docs" / "index.md"
    page.write_text(page.read_text() + "\n[gone](store.md#no-such-section)\n")
    proc = build_docs(root, tmp_path / "site")
    assert proc.returncode != 0 and "no-such-section" in proc.stderr
    page.write_text(page.read_text() + "\n[gone](no-such-page.md)\n")
    assert build_docs(root, tmp_path / "site2").returncode != 0


def test_every_page_is_in_the_navigation():
    config = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=_IgnoreTags)

    def pages(nav):
        for item in nav:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            yield from pages(value) if isinstance(value, list) else [value]

    listed = set(pages(config["nav"]))
    found = {p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md")}
    assert listed == found


@pytest.mark.parametrize("study", study_names())
def test_each_study_has_its_page_with_generated_blocks(study):
    page = REPO / "docs" / "studies" / f"{study}.md"
    text = page.read_text()
    assert front_matter(page)["paper"], "the status rows read the paper from here"
    for block in (f"figures:{study}", f"claims:{study}"):
        assert f"<!-- {block} -->\n" in text and f"<!-- /{block} -->" in text, block
    for heading in ("## Targets", "## Sizes", "## Performance"):
        assert heading in text, heading
    assert (REPO / "notebooks" / f"{study}.ipynb").is_file()


def test_the_readme_is_a_front_door():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "<!-- status -->" in readme and "<!-- /status -->" in readme
    for command in ("make fig4", "make test", "--report", "--workflow-profile"):
        assert command in readme, command
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (REPO / link).is_file(), link
    status = readme.split("<!-- status -->")[1].split("<!-- /status -->")[0]
    for study in study_names():
        assert f"`{study}`" in status and f"docs/studies/{study}.md" in status, study


class _IgnoreTags(yaml.SafeLoader):
    """mkdocs.yml's `!relative` tags read as plain values."""


_IgnoreTags.add_multi_constructor("!", lambda loader, suffix, node: None)
