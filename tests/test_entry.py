"""Every rule runs one adapter; each stage's code digest covers that stage's code only."""

import re
import shutil

import pytest

from workflow_scripts import entry
from workflow_scripts.study import REPO

RULE = re.compile(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", re.M)


def rules_with_script():
    """(rule, body) of every rule in rules/*.smk that runs workflow_scripts/run.py."""
    found = []
    for smk in sorted((REPO / "rules").glob("*.smk")):
        for name, body in RULE.findall(smk.read_text()):
            if "RUN_SCRIPT" in body:
                found.append((name, body))
    return found


def test_every_rule_maps_to_a_stage_adapter():
    import subprocess
    import sys

    listed = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--list-rules"],
        capture_output=True, text=True, check=True, cwd=REPO,
    ).stdout.split()  # fmt: skip
    rules = rules_with_script()
    # cp and the lists of targets (all, <study>_all) run no adapter
    shell_rules = {"all", "default_study_figure"} | {r for r in listed if r.endswith("_all")}
    assert {name for name, _ in rules} == set(listed) - shell_rules
    for name, _ in rules:
        adapter = entry.entry_point(name)
        assert adapter.__name__ == name.partition("_")[2]


def test_every_rule_passes_its_own_stage_digest():
    for name, body in rules_with_script():
        code = re.search(r"code=(\w+)(?:\(\"(\w+)\"\))?", body)
        assert code, f"rule {name} has no code= param"
        if code.group(2):  # code=stage_code("<rule>")
            assert code.group(2) == name, f"rule {name} passes the digest of {code.group(2)}"


def test_unknown_rules_are_named():
    with pytest.raises(LookupError, match="wtm_nothing"):
        entry.entry_point("wtm_nothing")
    with pytest.raises(ValueError, match="<package>_<stage>"):
        entry.split_rule("all")


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the package that the digests read, to edit freely."""
    root = tmp_path / "workflow_scripts"
    shutil.copytree(entry.PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(entry, "PACKAGE_ROOT", root)
    for cached in (entry._parsed, entry._file_imports, entry.module_closure, entry.stage_code):
        cached.cache_clear()
    yield root
    for cached in (entry._parsed, entry._file_imports, entry.module_closure, entry.stage_code):
        cached.cache_clear()


def digests(*rules):
    for cached in (entry._parsed, entry._file_imports, entry.module_closure, entry.stage_code):
        cached.cache_clear()
    return {r: entry.stage_code(r) for r in rules}


RULES = (
    "wtm_data",
    "wtm_train",
    "wtm_extract",
    "wtm_figure",
    "race_train",
    "race_imp_round",
    "race_extract",
    "race_figure",
    "race_table",
)


def touch(file):
    file.write_text(file.read_text() + "\n# edited\n")


@pytest.mark.parametrize(
    "edited, changed",
    [
        ("wtm/figures.py", {"wtm_figure"}),
        ("wtm/figure_specs.py", {"wtm_figure"}),
        ("race/figures/__init__.py", {"race_figure"}),
        ("race/table1.py", {"race_table"}),
        ("wtm/layca.py", {"wtm_train"}),
        ("race/train.py", {"race_train", "race_imp_round"}),
        ("race/metrics/alignment.py", {"race_extract"}),
        ("race/records.py", {"race_figure", "race_table"}),
        (
            "store/cube.py",
            {"wtm_extract", "wtm_figure", "race_extract", "race_figure", "race_table"},
        ),
    ],
)
def test_an_edit_reruns_exactly_the_stages_that_run_the_edited_code(package_copy, edited, changed):
    before = digests(*RULES)
    touch(package_copy / edited)
    after = digests(*RULES)
    assert {r for r in RULES if before[r] != after[r]} == changed


def test_an_adapter_edit_changes_only_its_own_stage(package_copy):
    rules = (*RULES, "race_data", "race_stable_cells")
    before = digests(*rules)
    stages = package_copy / "race" / "stages.py"
    text = stages.read_text()
    assert '"wrote %s: %s"' in text  # in the race_data adapter
    stages.write_text(text.replace('"wrote %s: %s"', '"wrote %s (%s)"'))
    after = digests(*rules)
    assert {r for r in rules if before[r] != after[r]} == {"race_data"}
