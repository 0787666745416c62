"""An edit reruns exactly the race stages that run the edited module (``entry.stage_code``):
a figure default reruns figures and the table only, extraction code no training."""

import shutil

import pytest

from workflow_scripts import entry

RULES = (
    "race_data",
    "race_train",
    "race_imp_round",
    "race_extract",
    "race_stable_cells",
    "race_figure",
    "race_table",
)
CACHES = (entry._parsed, entry._file_imports, entry.module_closure, entry.stage_code)


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    root = tmp_path / "workflow_scripts"
    shutil.copytree(entry.PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(entry, "PACKAGE_ROOT", root)
    for cached in CACHES:
        cached.cache_clear()
    yield root
    for cached in CACHES:
        cached.cache_clear()


def digests():
    for cached in CACHES:
        cached.cache_clear()
    return {r: entry.stage_code(r) for r in RULES}


@pytest.mark.parametrize(
    "edited, changed",
    [
        ("race/figures/fig1.py", {"race_figure"}),
        ("race/figure_specs.py", {"race_figure", "race_table"}),
        ("race/resolve.py", set()),  # the plan's: reaches jobs through params only
        ("race/lowrank.py", {"race_train", "race_imp_round"}),
        ("race/dumps.py", {"race_train", "race_imp_round", "race_extract"}),
        ("race/run_cube_vars.py", {"race_extract"}),
        ("race/extract_cells.py", {"race_stable_cells"}),
        ("race/task.py", {"race_table"}),  # the task table, written by the table job
    ],
)
def test_an_edit_reruns_exactly_the_stages_that_run_it(package_copy, edited, changed):
    before = digests()
    path = package_copy / edited
    path.write_text(path.read_text() + "\n# edited\n")
    after = digests()
    assert {r for r in RULES if before[r] != after[r]} == changed
