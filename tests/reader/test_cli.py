"""The `trainscope` command on a small store written here: listings, exit statuses,
machine-readable output, `show` (cube content, parameters, Snakemake's record)."""

import csv
import io
import json
import subprocess
import sys
from base64 import urlsafe_b64encode

import numpy as np
import pytest
import xarray as xr

from workflow_scripts.claims.table import write_table
from workflow_scripts.cli import main
from workflow_scripts.store import catalog
from workflow_scripts.store.catalog import Artifact

CUBE = "results/demo/cubes/run-seed0-abc.nc"
CUBE1 = "results/demo/cubes/run-seed1-def.nc"


def record(root, output, **fields):
    """A Snakemake metadata record as Snakemake writes it (one JSON file per output)."""
    path = root / ".snakemake" / "metadata" / urlsafe_b64encode(output.encode()).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fields))


@pytest.fixture
def store(tmp_path):
    cube = xr.Dataset(
        {"loss": (("epoch", "neuron"), np.arange(6.0).reshape(3, 2), {"long_name": "loss"})},
        coords={"epoch": [0, 5, 10], "neuron": [0, 1]},
        attrs={"code_version": "0.1.0+abc", "config": json.dumps({"lr": 0.1})},
    )
    (tmp_path / CUBE).parent.mkdir(parents=True)
    cube.to_netcdf(tmp_path / CUBE, engine="h5netcdf")
    cube.to_netcdf(tmp_path / CUBE1, engine="h5netcdf")
    rows = [
        Artifact(
            "demo", "cube", "run-seed0-abc", CUBE, "netcdf", {"seed": 0}, {"train": {"lr": 0.1}}
        ),
        Artifact(
            "demo", "cube", "run-seed1-def", CUBE1, "netcdf", {"seed": 1}, {"train": {"lr": 0.2}}
        ),
    ]
    catalog.refresh(rows, root=tmp_path)
    record(
        tmp_path,
        CUBE,
        rule="demo_extract",
        input=["results/demo/runs/run-seed0-abc"],
        log=["results/logs/demo/extract.log"],
        params=["'0123456789ab'", "{'seed': 0}"],
        starttime=1_700_000_000.0,
        endtime=1_700_000_060.0,
    )
    claims = [
        {"study": "demo", "size": "smoke", "claim": c, "figure": "fig1", "statement": "s",
         "measured": "m", "threshold": "t", "verdict": v, "note": ""}
        for c, v in (("a", "reproduced"), ("b", "inconclusive"))
    ]  # fmt: skip
    write_table(claims, tmp_path / "results" / "claims" / "demo.csv")
    return tmp_path


def run(store, *argv):
    return main(["-d", str(store), *argv])


def test_ls_filters_by_label_and_parameter(store, capsys):
    assert run(store, "ls", "demo", "cube", "seed=1") == 0
    out = capsys.readouterr().out
    assert "run-seed1-def" in out and "run-seed0-abc" not in out
    assert run(store, "ls", "demo", "lr=0.1", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["run-seed0-abc"] and rows[0]["params"]["train"]["lr"] == 0.1
    assert run(store, "ls", "demo", "--csv") == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["seed"] for r in table] == ["0", "1"]


def test_exit_statuses(store, tmp_path_factory, capsys):
    assert run(store, "ls", "demo", "cube", "seed=7") == 1  # nothing found
    assert "no artifact matches" in capsys.readouterr().err
    empty = tmp_path_factory.mktemp("empty")
    assert run(empty, "ls") == 1 and "no index" in capsys.readouterr().err
    assert run(store, "ls", "demo", "cube", "extra") == 2  # three positional words
    with pytest.raises(SystemExit) as exc:
        run(store, "nonsense")
    assert exc.value.code == 2
    assert run(store, "show", "no-such-id") == 1
    assert run(store, "claims", "other") == 1


def test_show_prints_content_parameters_and_provenance(store, capsys):
    assert run(store, "show", "run-seed0-abc") == 0
    out = capsys.readouterr().out
    assert "dims: epoch=3, neuron=2" in out
    assert "loss (epoch, neuron) float64: loss" in out and "code_version: 0.1.0+abc" in out
    assert '"lr": 0.1' in out  # resolved parameters
    assert "built by rule demo_extract with code digest 0123456789ab" in out
    assert "results/demo/runs/run-seed0-abc" in out and "2023-11-14T22:13:20+00:00" in out


def test_show_by_path_as_json(store, capsys, monkeypatch):
    assert run(store, "show", str(store / CUBE), "--json") == 0  # an absolute path
    view = json.loads(capsys.readouterr().out)
    assert view["artifact"]["id"] == "run-seed0-abc"
    monkeypatch.chdir(store / "results")
    assert run(store, "show", "demo/cubes/run-seed0-abc.nc", "--json") == 0  # relative to cwd
    assert json.loads(capsys.readouterr().out) == view
    assert view["content"]["coords"]["epoch"]["values"] == [0, 5, 10]
    assert view["built"]["code_digest"] == "0123456789ab"
    assert view["built"]["inputs"] == ["results/demo/runs/run-seed0-abc"]


def test_show_says_when_snakemake_kept_no_record(store, capsys):
    next((store / ".snakemake" / "metadata").iterdir()).unlink()
    assert run(store, "show", "run-seed1-def") == 0
    assert "no Snakemake record" in capsys.readouterr().out


def test_claims_prints_every_column_it_has(store, capsys):
    assert run(store, "claims") == 0
    out = capsys.readouterr().out
    assert "demo (size smoke;" in out and "1 reproduced, 0 not reproduced, 1 inconclusive" in out
    assert run(store, "claims", "demo", "-v") == 0
    assert "statement: s" in capsys.readouterr().out
    assert run(store, "claims", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["verdict"] for r in rows] == ["reproduced", "inconclusive"]
    assert {r["variant"] for r in rows} == {"default"}


def test_claims_of_a_variant(store, capsys):
    assert run(store, "claims", "--variant", "hard") == 1
    path = store / "results/variants/hard/claims/demo.csv"
    path.parent.mkdir(parents=True)
    path.write_text("study,size,claim,verdict\ndemo,smoke,a,not reproduced\n")
    assert run(store, "claims", "--variant", "hard") == 0
    assert "0 reproduced, 1 not reproduced" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["ls", "show", "claims", "index", "docs-figures"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0 and "usage: trainscope " + command in capsys.readouterr().out


def test_console_script_and_the_store_alias(store):
    script = subprocess.run(
        [sys.executable, "-m", "workflow_scripts.store", "ls", "demo", "cube", "seed=0"],
        cwd=store,
        capture_output=True,
        text=True,
    )
    assert script.returncode == 0 and "run-seed0-abc" in script.stdout
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="console_scripts") if e.name == "trainscope"]
    assert entry.value == "workflow_scripts.cli:main"
