"""The notebooks: stored without outputs, one per study, and each runs top to bottom
against the smoke build (a cell that raises fails the test)."""

import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from workflow_scripts.study import REPO, study_names

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def execute(path, workdir, timeout=600):
    """Run every cell of the notebook at ``path`` in a fresh kernel whose working
    directory is ``workdir``; returns the executed notebook (raises on a failing cell)."""
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("TRAINSCOPE_WORKDIR")
    os.environ["TRAINSCOPE_WORKDIR"] = str(workdir)  # the kernel inherits the environment
    try:
        NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": workdir}}
        ).execute()
    finally:
        if env_before is None:
            os.environ.pop("TRAINSCOPE_WORKDIR", None)
        else:
            os.environ["TRAINSCOPE_WORKDIR"] = env_before
    return nb


def test_one_notebook_per_study():
    assert [p.stem for p in NOTEBOOKS] == study_names()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_a_cell_that_raises_fails_the_run(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("raise ValueError('the cube says no')"),
        ]
    )
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(CellExecutionError, match="the cube says no"):
        execute(path, tmp_path)


@pytest.mark.workflow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_against_the_smoke_build(path, smoke_build):
    nb = execute(path, smoke_build.workdir)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any(o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
               for o in outputs), "no figure drawn"  # fmt: skip
    # the last cell shows the workflow's own row of the claim recomputed above
    (shown,) = [o for o in nb.cells[-1].outputs if o.get("output_type") == "execute_result"]
    assert "verdict" in shown["data"]["text/plain"] and "size" in shown["data"]["text/plain"]
