"""kill -9 in the middle of training, rerun: the run resumes and the cube is identical."""

import os
import signal
import subprocess
import time

import numpy as np
import pytest
import xarray as xr

from workflow_scripts.store.checkpoints import checkpoint_name
from workflow_scripts.wtm.plan import build_plan

from ..configs import study_config
from ..snakemake_runner import REPO, SMOKE, VENV_BIN, run_snakemake, snakemake_env, write_overlay

pytestmark = pytest.mark.workflow

LONG_TRAINING = """\
# a resume state after every epoch, so that the kill always lands after one
resume_every_s: 0
wtm:
  # a slow rotation rate so that 100 % train accuracy (which stops training) comes late
  train: {hidden: 4000, max_epochs: 3000, lr: 0.0003}
  checkpoints: {dense_until: 0, every: 100}
"""
KILL_AT_EPOCH = 500  # full batch: step 500


def test_killed_training_resumes_to_the_same_cube(tmp_path):
    overlay = write_overlay(tmp_path / "long.yaml", LONG_TRAINING)
    configs = (SMOKE, overlay)
    plan = build_plan(study_config(*configs))
    target = plan.paths.figure("fig4")  # needs only the 'good' run's cube
    good = plan.seed_runs["good"][0]
    cube = plan.paths.cube(plan.cube_of[good])
    reference = tmp_path / "uninterrupted"
    run_snakemake(reference, target, configfiles=configs)

    killed = tmp_path / "killed"
    killed.mkdir()
    cmd = [
        str(VENV_BIN / "snakemake"),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(killed),
        "--cores",
        "2",
        target,
        "--configfile",
        *map(str, configs),
    ]
    proc = subprocess.Popen(
        cmd,
        env=snakemake_env(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoints = killed / plan.paths.checkpoints(good)
    partial = checkpoints.with_name(checkpoints.name + ".partial")
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if (partial / checkpoint_name(KILL_AT_EPOCH)).exists():
                break
            assert proc.poll() is None, "snakemake ended before it could be killed"
            time.sleep(0.2)
        else:
            pytest.fail(f"training never reached epoch {KILL_AT_EPOCH}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # snakemake and its job, no clean-up
        proc.wait()
    assert not checkpoints.exists(), "a final output exists after the kill"
    assert list(partial.glob("state-*.pt"))

    run_snakemake(killed, "--unlock", configfiles=configs)
    run_snakemake(killed, target, configfiles=configs)
    assert "resuming from epoch" in (killed / plan.paths.log("train", good)).read_text()
    a = xr.open_dataset(reference / cube, engine="h5netcdf")
    b = xr.open_dataset(killed / cube, engine="h5netcdf")
    assert a["epoch"].values.tolist() == b["epoch"].values.tolist()
    for var in ("preactivation", "dloss_dactivation", "logit"):
        np.testing.assert_array_equal(a[var].values, b[var].values)
