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

import pytest

from .cluster import LocalSlurm, SlurmUnavailable, missing_binaries


def _unavailable(reason: str):
    if os.environ.get("TRAINSCOPE_REQUIRE_SLURM", "") not in ("", "0"):
        pytest.fail(f"SLURM required (TRAINSCOPE_REQUIRE_SLURM set) but: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def slurm_cluster():
    missing = missing_binaries()
    if missing:
        _unavailable(
            "SLURM not installed (missing: "
            + ", ".join(missing)
            + "); run tests/slurm/install_slurm.sh as root"
        )
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
