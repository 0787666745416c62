"""profiles/slurm against a real single-node SLURM cluster (see conftest.py).

* a tiny workflow proves a `gpu` resource reaches SLURM as a GPU request, the job runs
  under it (CUDA_VISIBLE_DEVICES set by SLURM), a localrule runs on the submit host,
  and a rerun does nothing;
* the smoke wtm pipeline is built through the profile up to results/variants/smoke/figs/fig4.pdf,
  with the training job submitted with a GPU request;
* a request the cluster cannot satisfy fails at submission with SLURM's message, fast.

Each SLURM job costs ~10 s of status polling; the module takes ~1.5-2 minutes.
Install SLURM first: `sudo tests/slurm/install_slurm.sh`.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from .slurm_testlib import (
    PROFILE,
    REPO,
    SnakemakeRun,
    describe,
    jobs_of_rule,
    run_snakemake,
    slurm_jobs,
    snakemake_env,
    venv_bin,
)

pytestmark = pytest.mark.slurm

HERE = Path(__file__).resolve().parent

PROBE_SNAKEFILE = """\
# Throwaway workflow for tests/slurm: one GPU job on SLURM, one local job.
rule all:
    input: "summary.txt"

rule gpu_probe:
    output: "gpu.txt"
    resources: gpu=1, mem_mb=200, runtime=5
    shell:
        "echo CUDA_VISIBLE_DEVICES=${{CUDA_VISIBLE_DEVICES:-unset}} "
        "SLURM_JOB_ID=${{SLURM_JOB_ID:-none}} > {output}"

rule summary:
    input: "gpu.txt"
    output: "summary.txt"
    localrule: True
    shell: "cat {input} > {output}; echo local SLURM_JOB_ID=${{SLURM_JOB_ID:-none}} >> {output}"
"""

UNSATISFIABLE_SNAKEFILE = """\
rule impossible:
    output: "never.txt"
    resources: gpu={gpus}, mem_mb=200, runtime=5
    shell: "touch {{output}}"
"""


def _assert_gpu_job(cluster, rule: str, run, gpus: int = 1) -> dict:
    jobs = jobs_of_rule(cluster, rule)
    assert jobs, f"no SLURM job was submitted for rule {rule}\n" + describe(cluster, run)
    job = jobs[-1]
    tres = job.get("TresPerJob", "") + " " + job.get("TresPerNode", "")
    assert re.search(rf"gpu(:[\w-]+)?:{gpus}\b", tres), (
        f"{rule} was submitted without a GPU request: {job}"
    )
    assert job.get("JobState") == "COMPLETED", (
        f"{rule} job {job.get('JobId')} did not complete: {job.get('JobState')}\n"
        + describe(cluster, run)
    )
    return job


def test_gpu_resource_reaches_slurm(slurm_cluster, tmp_path):
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(PROBE_SNAKEFILE)
    workdir = tmp_path / "work"
    args = ["-s", snakefile, "-d", workdir, "--slurm-keep-successful-logs"]

    run = run_snakemake(slurm_cluster, args, timeout=150)
    assert run.returncode == 0, describe(slurm_cluster, run)

    job = _assert_gpu_job(slurm_cluster, "gpu_probe", run)
    lines = (workdir / "summary.txt").read_text().splitlines()
    # SLURM gave the job the (fake) GPU and ran it inside the allocation ...
    assert lines[0] == f"CUDA_VISIBLE_DEVICES=0 SLURM_JOB_ID={job['JobId']}", lines
    # ... while the localrule ran on the submit host, outside SLURM.
    assert lines[1] == "local SLURM_JOB_ID=none", lines
    assert (
        workdir / ".snakemake" / "slurm_logs" / "rule_gpu_probe" / f"{job['JobId']}.log"
    ).exists()

    n_jobs = len(slurm_jobs(slurm_cluster))
    again = run_snakemake(slurm_cluster, args, timeout=60)
    assert again.returncode == 0, describe(slurm_cluster, again)
    assert "Nothing to be done" in again.output, again.tail()
    assert len(slurm_jobs(slurm_cluster)) == n_jobs, "the rerun submitted jobs"


@pytest.mark.parametrize("case", ["too_many_gpus", "no_such_partition"])
def test_unsatisfiable_request_fails_at_submission(slurm_cluster, tmp_path, case):
    snakefile = tmp_path / "Snakefile"
    args = ["-s", snakefile, "-d", tmp_path / "work"]
    if case == "too_many_gpus":
        # the node has one GPU
        snakefile.write_text(UNSATISFIABLE_SNAKEFILE.format(gpus=4))
        expected = "Requested node configuration is not available"
    else:
        snakefile.write_text(UNSATISFIABLE_SNAKEFILE.format(gpus=0))
        args += ["--set-resources", "impossible:slurm_partition=no_such_partition"]
        expected = "Invalid partition name specified"

    run = run_snakemake(slurm_cluster, args, timeout=120)
    assert not run.timed_out, "snakemake hung on an impossible request\n" + run.tail()
    assert run.returncode != 0, run.tail()
    # fails at submission (all retries included), not after waiting on a queue
    assert run.seconds < 60, f"took {run.seconds:.0f}s\n" + run.tail()
    assert "SLURM sbatch failed" in run.output, run.tail()
    assert expected in run.output, run.tail()
    assert not (tmp_path / "work" / "never.txt").exists()


def test_smoke_fig4_through_slurm(slurm_cluster, tmp_path):
    """The smoke wtm chain to results/variants/smoke/figs/fig4.pdf with training on SLURM, on a GPU."""
    for needed in ("Snakefile", "rules/wtm.smk", "configs/smoke.yaml"):
        assert (REPO / needed).exists(), f"the wtm pipeline lacks {needed}"
    target = "results/variants/smoke/figs/fig4.pdf"
    workdir = tmp_path / "work"
    args = [
        target,
        "-s",
        REPO / "Snakefile",
        "-d",
        workdir,
        "--configfile",
        REPO / "configs" / "smoke.yaml",
        HERE / "gpu_overlay.yaml",
        "--slurm-keep-successful-logs",
    ]

    run = run_snakemake(slurm_cluster, args, timeout=240)
    assert run.returncode == 0, describe(slurm_cluster, run)
    assert (workdir / target).stat().st_size > 0

    job = _assert_gpu_job(slurm_cluster, "wtm_train", run)
    # Snakemake's own record of the submission, and the job's log on SLURM
    assert re.search(rf"submitted with SLURM jobid {job['JobId']}\b", run.output)
    logs = list(
        (workdir / ".snakemake" / "slurm_logs" / "rule_wtm_train").rglob(f"{job['JobId']}.log")
    )
    assert logs, "no SLURM log for the training job"
    assert "rule wtm_train" in logs[0].read_text(errors="replace")
    # the heavy extraction ran on SLURM too (without a GPU)
    assert any(j.get("JobState") == "COMPLETED" for j in jobs_of_rule(slurm_cluster, "wtm_extract"))

    n_jobs = len(slurm_jobs(slurm_cluster))
    again = run_snakemake(slurm_cluster, args, timeout=90)
    assert again.returncode == 0, describe(slurm_cluster, again)
    assert "Nothing to be done" in again.output, again.tail()
    assert len(slurm_jobs(slurm_cluster)) == n_jobs, "the rerun submitted jobs"


def _cube_and_weights(workdir: Path):
    """The run's cube (data and coordinates) and its final checkpoint tensors."""
    import torch
    import xarray as xr

    cubes = sorted((workdir / "results" / "wtm" / "cubes").glob("*.nc"))
    assert len(cubes) == 1, cubes
    with xr.open_dataset(cubes[0]) as ds:
        cube = ds.load()
    ckpts = sorted((workdir / "results" / "wtm" / "runs").glob("*/checkpoints/step_*.pt"))
    assert ckpts, "no checkpoints"
    last = torch.load(ckpts[-1], map_location="cpu", weights_only=True)
    return cube, [c.name for c in ckpts], last


def _tensors_equal(a, b) -> bool:
    import torch

    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_tensors_equal(a[k], b[k]) for k in a)
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_tensors_equal(x, y) for x, y in zip(a, b))
    return a == b


def test_killed_training_job_resumes_bit_identical(slurm_cluster, tmp_path):
    """Kill the training job on SLURM mid-way; the rerun resumes and ends identical.

    `scancel` (SIGTERM, then SIGKILL, as on preemption with PreemptMode=CANCEL or at a
    time limit): the job ends CANCELLED and Snakemake resubmits it (retries, attempt 2).
    The trainer resumes from its `.partial` state; the cube and the final weights must
    equal those of an uninterrupted local run (CPU, same seed).

    (`scontrol requeue`, i.e. preemption with PreemptMode=REQUEUE, works as well: the
    profile submits with --requeue, SLURM restarts the same job and Snakemake waits;
    but SLURM holds a requeued job ~2 minutes before restarting it, too slow for CI.)
    """
    target = "results/variants/smoke/figs/fig4.pdf"
    configs = ["--configfile", REPO / "configs" / "smoke.yaml", HERE / "resume_overlay.yaml"]
    env = snakemake_env(slurm_cluster)
    # the uninterrupted reference, run locally beside the SLURM run (output to files:
    # nobody reads a pipe while we wait)
    ref_dir = tmp_path / "reference"
    ref_log = (tmp_path / "reference.out").open("w+")
    ref = subprocess.Popen(
        [
            "timeout",
            "-k",
            "10",
            "300",
            str(venv_bin() / "snakemake"),
            target,
            "--cores",
            "1",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(ref_dir),
            *map(str, configs),
        ],
        env=env,
        stdout=ref_log,
        stderr=subprocess.STDOUT,
        text=True,
    )

    workdir = tmp_path / "work"
    argv = [
        "timeout",
        "-k",
        "10",
        "300",
        str(venv_bin() / "snakemake"),
        "--workflow-profile",
        str(PROFILE),
        target,
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        *map(str, configs),
        "--slurm-keep-successful-logs",
    ]
    run_log = (tmp_path / "slurm_run.out").open("w+")
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=run_log, stderr=subprocess.STDOUT, text=True)
    killed = None
    try:
        # once training has dumped a few checkpoints (and resume states) into its
        # .partial dir, kill its SLURM job
        while time.monotonic() - t0 < 240 and proc.poll() is None:
            partial = list(
                (workdir / "results" / "wtm" / "runs").glob("*/checkpoints.partial/step_*.pt")
            )
            running = [
                j
                for j in jobs_of_rule(slurm_cluster, "wtm_train")
                if j.get("JobState") == "RUNNING"
            ]
            if len(partial) >= 3 and running:
                killed = running[-1]["JobId"]
                slurm_cluster.run("scancel", killed, check=True)
                break
            time.sleep(0.2)
        proc.wait(timeout=320)
        ref.wait(timeout=320)
    finally:
        for p in (proc, ref):
            if p.poll() is None:
                p.kill()
                p.wait()
    run_log.seek(0)
    ref_log.seek(0)
    run = SnakemakeRun(argv, proc.returncode, run_log.read(), time.monotonic() - t0, 300)
    assert killed, "training finished before it could be killed\n" + describe(slurm_cluster, run)
    assert ref.returncode == 0, ref_log.read()[-3000:]
    assert run.returncode == 0, describe(slurm_cluster, run)

    train_jobs = jobs_of_rule(slurm_cluster, "wtm_train")
    assert any(j["JobId"] == killed and j["JobState"] == "CANCELLED" for j in train_jobs)
    assert "Trying to restart job" in run.output, run.tail()
    resumed = [j for j in train_jobs if int(j["JobId"]) > int(killed)]
    assert resumed and resumed[-1]["JobState"] == "COMPLETED", train_jobs
    # logs live under the variant's folder (results/variants/<variant>/logs/...)
    train_logs = sorted(workdir.glob("results/**/logs/wtm/train/*.log"))
    assert train_logs, "no wtm training log"
    texts = [log.read_text() for log in train_logs]
    assert any("resuming from epoch" in text for text in texts), texts

    cube, names, last = _cube_and_weights(workdir)
    ref_cube, ref_names, ref_last = _cube_and_weights(ref_dir)
    assert names == ref_names
    assert _tensors_equal(last, ref_last), "final weights differ from the uninterrupted run"
    assert cube.equals(ref_cube), "cube differs from the uninterrupted run"
    assert not list(workdir.rglob("*.partial")), "a .partial directory was left behind"


def test_profile_cannot_wait_forever():
    """Static checks of profiles/slurm (no cluster needed).

    Without slurmdbd `sacct` fails and the plugin waits forever, silently: the profile
    must query `squeue`, and check soon enough that squeue still knows finished jobs
    (SLURM's default MinJobAge is 300 s; the test cluster uses the same).
    """
    import yaml

    from .cluster import MIN_JOB_AGE

    profile = yaml.safe_load((PROFILE / "config.v8+.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert profile["slurm-status-command"] == "squeue"
    assert 3 * profile["slurm-init-seconds-before-status-checks"] <= MIN_JOB_AGE == 300
    assert profile["retries"] >= 1 and profile["rerun-incomplete"] is True
    assert profile["slurm-requeue"] is True
    # memory and time of rules without their own grow with the attempt
    assert all("attempt" in str(profile["default-resources"][k]) for k in ("mem_mb", "runtime"))
