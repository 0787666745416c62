"""kill -9 in the middle of training, rerun: the run resumes and the cube is identical."""

import os
import signal
import subprocess
import time

import numpy as np
import pytest
import xarray as xr

from ..snakemake_runner import REPO, SMOKE, VENV_BIN, run_snakemake, snakemake_env, write_overlay

pytestmark = pytest.mark.workflow

LONG_TRAINING = """\
wtm:
  # a slow rotation rate so that 100 % train accuracy (which stops training) comes late
  train: {hidden: 4000, max_epochs: 3000, lr: 0.0003}
  checkpoints: {dense_until: 0, every: 100}
"""


def cube_of_good(workdir):
    (path,) = (workdir / "results/wtm/cubes").glob("good-*.nc")
    return xr.open_dataset(path, engine="h5netcdf")


def test_killed_training_resumes_to_the_same_cube(tmp_path):
    overlay = write_overlay(tmp_path / "long.yaml", LONG_TRAINING)
    configs = (SMOKE, overlay)
    target = "results/figs/wtm/fig4.pdf"  # needs only the 'good' run's cube
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
    runs = killed / "results/wtm/runs"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if list(runs.glob("*/checkpoints.partial/epoch_00500.pt")):
                break
            assert proc.poll() is None, "snakemake ended before it could be killed"
            time.sleep(0.2)
        else:
            pytest.fail("training never reached epoch 500")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # snakemake and its job, no clean-up
        proc.wait()
    assert not list(runs.glob("*/checkpoints")), "a final output exists after the kill"
    assert list(runs.glob("*/checkpoints.partial/state-*.pt"))

    run_snakemake(killed, "--unlock", configfiles=configs)
    run_snakemake(killed, target, configfiles=configs)
    (log,) = (killed / "results/logs/wtm/train").glob("*.log")
    assert "resuming from epoch" in log.read_text()
    a, b = cube_of_good(reference), cube_of_good(killed)
    assert a["epoch"].values.tolist() == b["epoch"].values.tolist()
    for var in ("preactivation", "dloss_dactivation", "logit"):
        np.testing.assert_array_equal(a[var].values, b[var].values)
