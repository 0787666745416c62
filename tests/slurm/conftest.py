"""Fixtures for the SLURM tests: a real single-node SLURM cluster on localhost.

The session fixture ``slurm_cluster`` starts munged, slurmctld and slurmd (installed
beforehand by tests/slurm/install_slurm.sh; this file installs nothing) with all their
files in a scratch directory, waits until the node is idle, and stops the daemons it
started when the session ends, whatever happened. Where SLURM is missing or cannot
start, the tests that use it are skipped with the reason; set
TRAINSCOPE_REQUIRE_SLURM=1 (CI with SLURM installed) to make that an error instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster import LocalSlurm, SlurmUnavailable, missing_binaries  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "profiles" / "slurm"


def _unavailable(reason: str):
    if os.environ.get("TRAINSCOPE_REQUIRE_SLURM", "") not in ("", "0"):
        pytest.fail(f"SLURM required (TRAINSCOPE_REQUIRE_SLURM set) but: {reason}",
                    pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def slurm_cluster():
    missing = missing_binaries()
    if missing:
        _unavailable("SLURM not installed (missing: " + ", ".join(missing)
                     + "); run tests/slurm/install_slurm.sh as root")
    if os.geteuid() != 0:
        _unavailable("the local SLURM test cluster needs root to start its daemons")
    cluster = LocalSlurm()
    try:
        cluster.start()
    except SlurmUnavailable as e:
        _unavailable(f"could not start a local SLURM cluster: {e}")
    try:
        yield cluster
    finally:
        cluster.stop()


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


def run_snakemake(cluster: LocalSlurm, args: list, *, timeout: int, cwd=None,
                  ) -> SnakemakeRun:
    """Run snakemake with profiles/slurm under `timeout -k`; stdout+stderr merged."""
    snakemake = venv_bin() / "snakemake"
    argv = ["timeout", "-k", "10", str(timeout),
            str(snakemake) if snakemake.exists() else "snakemake",
            "--workflow-profile", str(PROFILE), *map(str, args)]
    t0 = time.monotonic()
    p = subprocess.run(argv, env=snakemake_env(cluster), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout + 30)
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
    return [j for j in slurm_jobs(cluster)
            if j.get("Comment", "") == f"rule_{rule}"
            or j.get("Comment", "").startswith(f"rule_{rule}_wildcards_")]


def describe(cluster: LocalSlurm, run: SnakemakeRun | None = None) -> str:
    """Diagnostics for assertion messages."""
    parts = []
    if run is not None:
        parts.append(f"snakemake exit {run.returncode} after {run.seconds:.0f}s:\n"
                     + run.tail())
    parts.append("squeue:\n" + cluster.run("squeue", "-t", "all").stdout)
    parts.append(cluster.log_tails())
    return "\n".join(parts)
