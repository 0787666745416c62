"""Helpers for tests that run Snakemake on this repository in a scratch directory."""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "configs" / "smoke.yaml"
VENV_BIN = Path(sys.executable).parent


def snakemake_env():
    env = dict(os.environ)
    # jobs run `python -m snakemake` / scripts with the interpreter that runs the tests
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("TRAINSCOPE_LOGLEVEL", "INFO")
    return env


def run_snakemake(workdir, *args, configfiles=(SMOKE,), cores=2, check=True, timeout=1800):
    """Run snakemake on the repo's Snakefile in ``workdir``; return the CompletedProcess."""
    cmd = [
        str(VENV_BIN / "snakemake"),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--cores",
        str(cores),
    ]
    cmd += list(args)
    if configfiles:  # last: --configfile takes every following word as a file
        cmd += ["--configfile", *map(str, configfiles)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=snakemake_env(), timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
        )
    return proc


def planned_jobs(workdir, *args, configfiles=(SMOKE,)):
    """Dry-run and return [(rule, output)] of the jobs Snakemake would run."""
    proc = run_snakemake(workdir, "-n", *args, configfiles=configfiles)
    text = proc.stdout + proc.stderr
    jobs = []
    for match in re.finditer(r"^(?:local)?rule (\w+):\n((?:    .*\n)*)", text, re.M):
        out = re.search(r"^    output: (.*)$", match.group(2), re.M)
        jobs.append((match.group(1), out.group(1) if out else ""))
    return [j for j in jobs if j[0] != "all"]


def write_overlay(path, text):
    path = Path(path)
    path.write_text(text)
    return path
