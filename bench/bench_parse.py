"""Benchmark: how long `snakemake -n` takes over every target of every study.

    python bench/bench_parse.py [--directory DIR] [--configfile FILE ...] [--repeat 5]

Run it in (or point --directory at) a working directory where the targets are built,
so the dry run checks a complete store (it says whether anything was left to do). It
times, median of --repeat runs, three commands in the same environment:

- `snakemake --version`: starting Python and Snakemake (the floor no workflow change
  can lower);
- `snakemake --list-rules`: parsing the workflow (config validation, the studies'
  plans, per-stage code digests);
- `snakemake -n`: parsing plus building the DAG of every target (rule all) and
  checking every output, parameter and code digest.

Target: the dry run in <= 3 s on the 2-core machine.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from targets import judge  # bench/targets.py (bench/ is on sys.path as a script)

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def timed(args, directory, repeat):
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(SNAKEMAKE), *args], cwd=directory, capture_output=True, text=True
        )
        times.append(time.perf_counter() - t0)
        out = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise SystemExit(f"snakemake {' '.join(args)} failed:\n{out[-3000:]}")
    return statistics.median(times), min(times), max(times), out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--directory", default=".", help="the workflow's working directory")
    p.add_argument("--configfile", nargs="*", default=[])
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    common = ["-s", str(REPO / "Snakefile"), "-d", str(Path(args.directory).absolute())]
    files = [str(Path(f).absolute()) for f in args.configfile]
    config = ["--configfile", *files] if files else []
    rows = [
        ("snakemake --version (floor)", ["--version"]),
        ("snakemake --list-rules (parse)", [*common, "--list-rules", *config]),
        ("snakemake -n, every target", [*common, "-n", *config]),
    ]
    print(f"{args.repeat} runs each, median [min-max], in {Path(args.directory).absolute()}")
    results = {}
    for label, cmd in rows:
        med, lo, hi, out = timed(cmd, args.directory, args.repeat)
        results[label] = (med, out)
        print(f"  {label:34s} {med:5.2f} s  [{lo:.2f}-{hi:.2f}]", flush=True)
    dry_out = results["snakemake -n, every target"][1]
    built = "Nothing to be done" in dry_out
    jobs = [line for line in dry_out.splitlines() if line.strip().startswith("total")]
    print(
        f"  store complete: {'yes' if built else 'no, the dry run plans ' + (jobs[0].split()[-1] if jobs else '?') + ' jobs'}"
    )
    med = results["snakemake -n, every target"][0]
    floor = results["snakemake --version (floor)"][0]
    print(
        f"dry run {med:.2f} s ({judge('parse', med)}); "
        f"the workflow's own share {med - floor:.2f} s above the {floor:.2f} s floor"
    )


if __name__ == "__main__":
    main()
