#!/usr/bin/env bash
# Install what the SLURM tests (tests/slurm/) need: munge, slurmctld, slurmd and the
# client tools, from Debian's packages. Idempotent: exits 0 at once when they are
# already there. Needs root and apt (Debian/Ubuntu); elsewhere it says so and exits 0,
# and the tests skip themselves with a clear reason.
set -u

have_all() {
    command -v munged >/dev/null 2>&1 &&
        command -v slurmctld >/dev/null 2>&1 &&
        command -v slurmd >/dev/null 2>&1 &&
        command -v sbatch >/dev/null 2>&1 &&
        command -v squeue >/dev/null 2>&1 &&
        command -v sinfo >/dev/null 2>&1
}

if have_all; then
    echo "install_slurm: SLURM and munge already installed"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "install_slurm: not root, cannot install SLURM; the SLURM tests will skip" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_slurm: no apt-get, cannot install SLURM; the SLURM tests will skip" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if apt-get update -qq >"$log" 2>&1 &&
    apt-get install -y -qq --no-install-recommends \
        munge slurmctld slurmd slurm-client >>"$log" 2>&1; then
    :
else
    echo "install_slurm: minimal install failed, trying slurm-wlm" >&2
    apt-get install -y -qq slurm-wlm munge >>"$log" 2>&1 || true
fi

if have_all; then
    echo "install_slurm: installed $(slurmctld -V 2>/dev/null) and munge"
    rm -f "$log"
    exit 0
fi
echo "install_slurm: could not install SLURM; the SLURM tests will skip. apt output:" >&2
tail -n 30 "$log" >&2
rm -f "$log"
exit 0
