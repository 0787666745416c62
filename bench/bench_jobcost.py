"""What one Snakemake job spends before its first useful operation, and its share of a build.

    python bench/bench_jobcost.py [--repeats 7] [--smoke-dir DIR] [--benchmarks DIR]

1. A scratch smoke build of one wtm run (``--skip-script-cleanup``) leaves two real job
   scripts: Snakemake's preamble (``import snakemake.logging/iocontainers``, the job's
   pickled ``snakemake`` object) + ``workflow_scripts/run.py``. From them, the ladder,
   each rung a fresh interpreter, interleaved (the order rotates every repetition),
   median [range] over ``--repeats``:
   ``python -c pass``; the preamble alone; the no-op stage without torch (run.py's real
   set-up path for ``wtm_data``, the adapter replaced by a function that does nothing);
   the no-op stage with torch (``wtm_train``: threads, denormals, device); then that
   plus each import a stage may add: ``torch._dynamo`` (torch.optim's first call
   imports it), ``torchvision`` (the idx/CIFAR readers), ``workflow_scripts.store.cube``
   (xarray, h5netcdf), ``workflow_scripts.plotting`` (matplotlib, seaborn).
   ``-X importtime`` of the no-op torch stage lists its largest imports.
2. The default build's jobs per rule (``snakemake -n`` over config.yaml, scratch dir).
3. Per rule, its fixed cost: the no-op stage with or without torch (the adapter's
   ``@stage(torch=...)``), plus, with ``--smoke-dir`` (the working directory of a smoke
   build run with ``--skip-script-cleanup``), the ladder's price of each extra module the
   rule's real job imported (each rule's kept script rerun under ``-X importtime`` in a
   copy of that directory). Without it the per-rule cost is the lower bound (no extras).
   Share = sum over rules of jobs x fixed cost, over the build's job-seconds: the sum of
   ``s`` in ``--benchmarks`` (results/benchmarks of a default build) or
   ``--build-seconds`` (default 4606 s, issue 18's measured default build).
4. What a fork server leaves of it (local runs fork every job from one, see
   ``workflow_scripts/zygote.py``; rungs 1-3 run the job in its own process, as under
   SLURM or with ``TRAINSCOPE_ZYGOTE=0``): the time from ``os.fork()`` of a warm
   interpreter (torch, torch._dynamo, store.cube and plotting imported) to the exit of a
   child that runs one torch operation.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.snakemake_runner import planned_jobs, run_snakemake  # noqa: E402

PY = sys.executable
END = "######## snakemake preamble end #########"
# run.py's real path with the rule's adapter swapped for one that does nothing (same
# ``@stage`` flags and signature, so the set-up does exactly what it does for the rule)
RUN_PY = REPO / "workflow_scripts" / "run.py"
NOOP = f"""
import importlib.util, inspect
_spec = importlib.util.spec_from_file_location("trainscope_run", {str(RUN_PY)!r})
_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_run)
_real = _run.entry_point
def _noop_entry(rule):
    adapter = _real(rule)
    def noop(smk, **kwargs):
        pass
    noop.trainscope_stage = adapter.trainscope_stage
    noop.__signature__ = inspect.signature(adapter)
    return noop
_run.entry_point = _noop_entry
_run.run(snakemake)
"""
WARM_FORK = """
import os, statistics, sys, time
import torch, torch._dynamo, workflow_scripts.store.cube, workflow_scripts.plotting
times = []
for _ in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        torch.set_num_threads(1)
        torch.ones(8).sum()
        os._exit(0)
    os.waitpid(pid, 0)
    times.append(time.perf_counter() - t0)
print(statistics.median(times), min(times), max(times))
"""
EXTRAS = {  # module a stage may import on top of the set-up -> the ladder rung that adds it
    "torch._dynamo": "import torch._dynamo",
    "torchvision": "import torchvision",
    "xarray": "import workflow_scripts.store.cube",
    "matplotlib": "import workflow_scripts.plotting",
}


def kept_scripts(workdir):
    """{rule: script} of the job scripts Snakemake kept in ``workdir``."""
    out = {}
    for script in sorted((Path(workdir) / ".snakemake" / "scripts").glob("*.py")):
        head = script.read_text().split(END)[0]
        names = {"__file__": str(script)}
        exec(head, names)  # the preamble: unpickles the job's snakemake object
        out.setdefault(names["snakemake"].rule, script)
    return out


def smoke_jobs(tmp):
    """A scratch smoke build of one wtm run; {rule: kept script} and the workdir."""
    work = tmp / "smoke"
    work.mkdir()
    train = next(out for rule, out in planned_jobs(work) if rule == "wtm_train")
    run_snakemake(work, train, "--skip-script-cleanup", cores=1)
    return kept_scripts(work), work


def ladder(scripts, work, tmp, repeats):
    preamble = {r: s.read_text().split(END)[0] + END + "\n" for r, s in scripts.items()}
    torch_stage = preamble["wtm_train"] + NOOP
    rungs = {
        "python -c pass": None,
        "Snakemake's preamble": preamble["wtm_train"],
        "no-op stage, no torch": preamble["wtm_data"] + NOOP,
        "no-op stage with torch": torch_stage,
        **{f"  + {mod}": torch_stage + line + "\n" for mod, line in EXTRAS.items()},
    }
    files = {}
    for i, (name, text) in enumerate(rungs.items()):
        if text is not None:
            files[name] = tmp / f"rung{i}.py"
            files[name].write_text(text)
    # in-process, as without the warm server (workflow_scripts/zygote.py): what it spares
    env = dict(
        os.environ,
        PATH=f"{Path(PY).parent}{os.pathsep}{os.environ['PATH']}",
        TRAINSCOPE_ZYGOTE="0",
    )

    def start(name):
        cmd = [PY, "-c", "pass"] if name not in files else [PY, str(files[name])]
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=work, env=env, check=True, capture_output=True)
        return time.perf_counter() - t0

    names, times = list(rungs), {n: [] for n in rungs}
    for rep in range(repeats):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(start(name))
    print(f"1. the ladder: seconds, median [range] over {repeats} interleaved repetitions")
    for name, ts in times.items():
        print(f"   {name:28s} {statistics.median(ts):5.2f} [{min(ts):.2f}-{max(ts):.2f}]")
    importtime(files["no-op stage with torch"], work, env)
    return {n: statistics.median(t) for n, t in times.items()}


def importtime(script, work, env, top=8):
    proc = subprocess.run(
        [PY, "-X", "importtime", str(script)], cwd=work, env=env, capture_output=True, text=True
    )
    found = top_level_imports(proc.stderr)
    total = sum(found.values())
    print(f"   -X importtime of the no-op torch stage: {total:.2f} s of imports; largest:")
    for name, sec in sorted(found.items(), key=lambda kv: -kv[1])[:top]:
        print(f"      {name:40s} {sec:.2f} s")


def top_level_imports(stderr):
    """{module: cumulative seconds} of the top-level imports in -X importtime output."""
    out = {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)$", line)
        if m:
            out[m.group(2)] = out.get(m.group(2), 0.0) + int(m.group(1)) / 1e6
    return out


def default_jobs(tmp):
    """Counter of the default build's jobs per rule (dry run, no data needed)."""
    work = tmp / "dry"
    work.mkdir()
    return Counter(rule for rule, _ in planned_jobs(work, configfiles=()))


def rule_extras(smoke_dir, tmp):
    """{rule: the modules of ``torch`` and EXTRAS its real job imports} from a kept smoke
    build."""
    copy = tmp / "smoke_copy"
    shutil.copytree(smoke_dir, copy, symlinks=True)
    # in-process, as without the warm server (workflow_scripts/zygote.py): what it spares
    env = dict(
        os.environ,
        PATH=f"{Path(PY).parent}{os.pathsep}{os.environ['PATH']}",
        TRAINSCOPE_ZYGOTE="0",
    )
    out = {}
    for rule, script in kept_scripts(copy).items():
        names = {"__file__": str(script)}
        exec(script.read_text().split(END)[0], names)
        for path in map(Path, names["snakemake"].output):  # Snakemake clears them first
            shutil.rmtree(copy / path) if (copy / path).is_dir() else (copy / path).unlink(True)
        proc = subprocess.run(
            [PY, "-X", "importtime", str(script)], cwd=copy, env=env, capture_output=True, text=True
        )
        if proc.returncode:
            print(f"   {rule}: rerun failed, extras unknown ({proc.stderr[-300:]!r})")
            continue
        loaded = {m.group(1) for m in re.finditer(r"\| +(\S+)$", proc.stderr, re.M)}
        out[rule] = {mod for mod in ("torch", *EXTRAS) if mod in loaded}
    return out


def increment(cost, module, present):
    """The ladder's price of ``module`` on top of the torch stage; torchvision imports
    torch._dynamo itself, so with both present it adds only what it has beyond it."""
    price = cost[f"  + {module}"] - cost["no-op stage with torch"]
    if module == "torchvision" and "torch._dynamo" in present:
        price = cost["  + torchvision"] - cost["  + torch._dynamo"]
    return max(price, 0.0)


def share(jobs, cost, extras, build_seconds, where):
    from workflow_scripts.entry import entry_point

    print(f"2.-3. the default build: {sum(jobs.values())} jobs; fixed cost per job and rule")
    total = 0.0
    for rule, n in sorted(jobs.items(), key=lambda kv: -kv[1]):
        if extras is not None and rule in extras:  # what the real job imported
            torch, add = "torch" in extras[rule], extras[rule] - {"torch"}
        else:  # the adapter's flag; the extras unknown
            torch, add = entry_point(rule).trainscope_stage["torch"], set()
        per_job = cost["no-op stage with torch" if torch else "no-op stage, no torch"]
        per_job += sum(increment(cost, m, add) for m in add)
        total += n * per_job
        print(
            f"   {rule:24s} {n:4d} jobs x {per_job:5.2f} s = {n * per_job:6.1f} s "
            f"({'torch' if torch else 'no torch'}{', ' + ', '.join(sorted(add)) if add else ''})"
        )
    bound = "" if extras is not None else " (lower bound: no --smoke-dir, extras not counted)"
    print(
        f"   fixed cost of the build {total:.0f} job-seconds{bound} = "
        f"{100 * total / build_seconds:.0f} % of {build_seconds:.0f} job-seconds ({where}); "
        f"{total / 2 / 60:.1f} min of wall on 2 cores"
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--smoke-dir", type=Path, help="a smoke build kept with --skip-script-cleanup")
    p.add_argument("--benchmarks", type=Path, help="results/benchmarks of a default build")
    p.add_argument("--build-seconds", type=float, default=4606.0)
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_jobcost_"))
    try:
        scripts, work = smoke_jobs(tmp)
        cost = ladder(scripts, work, tmp, args.repeats)
        jobs = default_jobs(tmp)
        extras = rule_extras(args.smoke_dir, tmp) if args.smoke_dir else None
        where = "issue 18's default build"
        seconds = args.build_seconds
        if args.benchmarks:
            rows = [f.read_text().splitlines()[-1] for f in args.benchmarks.rglob("*.tsv")]
            seconds = sum(float(r.split("\t")[0]) for r in rows)
            where = f"the sum of s over {len(rows)} files in {args.benchmarks}"
        share(jobs, cost, extras, seconds, where)
        med, lo, hi = map(
            float,
            subprocess.check_output([PY, "-c", WARM_FORK, str(args.repeats)], text=True).split(),
        )
        print(
            f"4. fork of a warm interpreter to the exit of a child running one torch op: "
            f"{1e3 * med:.0f} ms [{1e3 * lo:.0f}-{1e3 * hi:.0f}] (what the fork server of local "
            "runs, workflow_scripts/zygote.py, leaves of the set-up)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
