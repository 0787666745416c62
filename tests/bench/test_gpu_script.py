"""bench/gpu.sh, the one script for a GPU machine, in its CPU dry mode (this machine has no
GPU): every step runs at smoke size, GPU-only numbers are recorded as skipped, and the
summary says what was measured and built. (a) builds samplesets only, the smallest study
(~20 jobs), to keep the test near 1-2 minutes; a GPU run builds all four."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workflow_scripts.samplesets.claims import CLAIMS

REPO = Path(__file__).resolve().parents[2]
GPU_SH = REPO / "bench" / "gpu.sh"


def gpu_sh(*args, python=sys.executable, wheels, timeout=900):
    env = dict(os.environ, PYTHON=str(python), WHEELS=str(wheels))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.pop("OUT", None)
    return subprocess.run(
        ["bash", str(GPU_SH), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


@pytest.mark.workflow
def test_dry_mode_runs_every_step_and_writes_the_summary(tmp_path):
    out = tmp_path / "out"
    proc = gpu_sh(out, "--dry", "--studies", "samplesets", wheels=tmp_path / "no_wheels")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "gpu_summary.json").read_text())
    assert summary["mode"].startswith("dry")
    steps = summary["steps"]
    assert list(steps) == ["b_resnet50_hooks", "c_race_direct", "a_smoke_build"]

    resnet = steps["b_resnet50_hooks"]
    assert resnet["device"] == "cpu" and resnet["target"].startswith("skipped: no GPU")
    rates = resnet["images_per_s_plain"] + resnet["images_per_s_hooks"]
    assert len(rates) == 4 and all(r > 0 for r in rates)
    assert resnet["ratio_range"][0] <= resnet["ratio_hooks_vs_plain"] <= resnet["ratio_range"][1]

    race = steps["c_race_direct"]
    assert race["cpu_lowrank_s"] > 0 and race["cpu_direct_s"] > 0
    assert race["gpu"] == "skipped: no GPU" and "gpu_direct_s" not in race

    build = steps["a_smoke_build"]
    assert build["device"] == "cpu" and build["returncode"] == 0 and build["failed_rules"] == []
    assert build["cubes"] >= 5  # one count cube per smoke run + the activation cube
    n_claims = len(list(CLAIMS))
    assert build["claims"]["samplesets"]["rows"] == n_claims
    assert sum(build["claims"]["samplesets"]["verdicts"].values()) == n_claims
    assert "20 of 20 steps (100%) done" in build["progress"]

    text = (out / "gpu_summary.txt").read_text()
    for step in steps:
        assert f"[{step}]" in text
    assert "steps (100%) done" in (out / "smoke_build.log").read_text()


def test_missing_packages_without_wheels_are_named(tmp_path):
    """A Python without Snakemake (here: -S, no site-packages) and no wheels: the script
    stops before any step and says how to get the wheels."""
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    python.chmod(0o755)
    empty = tmp_path / "wheels"
    empty.mkdir()
    proc = gpu_sh(tmp_path / "out", "--dry", python=python, wheels=empty, timeout=60)
    assert proc.returncode == 2
    assert "bench/gpu_wheels.sh" in proc.stderr and str(empty) in proc.stderr
    assert not (tmp_path / "out").exists()
