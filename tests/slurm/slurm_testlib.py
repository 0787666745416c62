"""Helpers for the SLURM tests: run Snakemake through profiles/slurm on a LocalSlurm
cluster and inspect the jobs it submitted. (Kept out of conftest.py: test modules
import from here, never from a module called `conftest`.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .cluster import LocalSlurm

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "profiles" / "slurm"


def venv_bin() -> Path:
    """The bin directory of the Python running the tests (the project's venv)."""
    return Path(sys.executable).parent


def snakemake_env(cluster: LocalSlurm) -> dict:
    """Environment for Snakemake: talks to the test cluster, venv first on PATH.

    SLURM jobs run `python -m snakemake` from the submitting environment
    (--export=ALL), so the venv must come first on PATH.
    """
    env = cluster.env()
    env["PATH"] = str(venv_bin()) + os.pathsep + env["PATH"]
    env["VIRTUAL_ENV"] = str(venv_bin().parent)
    env.pop("PYTHONPATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class SnakemakeRun:
    argv: list
    returncode: int
    output: str
    seconds: float
    timeout: float

    @property
    def timed_out(self) -> bool:
        return self.returncode in (124, 137)

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-n:])


def run_snakemake(
    cluster: LocalSlurm,
    args: list,
    *,
    timeout: int,
    cwd=None,
) -> SnakemakeRun:
    """Run snakemake with profiles/slurm under `timeout -k`; stdout+stderr merged."""
    snakemake = venv_bin() / "snakemake"
    argv = [
        "timeout",
        "-k",
        "10",
        str(timeout),
        str(snakemake) if snakemake.exists() else "snakemake",
        "--workflow-profile",
        str(PROFILE),
        *map(str, args),
    ]
    t0 = time.monotonic()
    p = subprocess.run(
        argv,
        env=snakemake_env(cluster),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout + 30,
    )
    return SnakemakeRun(argv, p.returncode, p.stdout, time.monotonic() - t0, timeout)


def slurm_jobs(cluster: LocalSlurm) -> list[dict]:
    """All jobs slurmctld still knows (finished ones stay MinJobAge = 300 s)."""
    p = cluster.run("scontrol", "-o", "show", "job")
    jobs = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("No jobs"):
            continue
        fields = dict(re.findall(r"(\S+?)=(\S*)", line))
        jobs.append(fields)
    return jobs


def jobs_of_rule(cluster: LocalSlurm, rule: str) -> list[dict]:
    """Jobs the Snakemake SLURM executor submitted for `rule` (it sets --comment)."""
    return [
        j
        for j in slurm_jobs(cluster)
        if j.get("Comment", "") == f"rule_{rule}"
        or j.get("Comment", "").startswith(f"rule_{rule}_wildcards_")
    ]


def describe(cluster: LocalSlurm, run: SnakemakeRun | None = None) -> str:
    """Diagnostics for assertion messages."""
    parts = []
    if run is not None:
        parts.append(f"snakemake exit {run.returncode} after {run.seconds:.0f}s:\n" + run.tail())
    parts.append("squeue:\n" + cluster.run("squeue", "-t", "all").stdout)
    parts.append(cluster.log_tails())
    return "\n".join(parts)
