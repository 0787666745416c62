"""Benchmark: the race study's stacked trainer against a plain one-run-at-a-time loop.

    python bench/bench_race.py [--runs 12] [--n 200] [--hidden 300] [--steps 2000]
                               [--inputs 1024] [--repeats 3]

Same work every way: K runs (different seeds) of the D -> d -> 2 ReLU network, SGD lr
1e-3 momentum 0.9, batch 4, the same per-run data order. The plain loop is
nn.Sequential(nn.Linear, nn.ReLU, nn.Linear) + torch.optim.SGD + cross_entropy, one run
after the other (the tests' reference). The stacked trainer runs with the method ``auto``
picks for this N (``dual`` up to ``method.DUAL_MAX_N`` samples, else ``lowrank``), and
with each other method for comparison. The methods are timed interleaved (ABBA order over
``--repeats`` rounds); each time is the CPU seconds of this one-thread process
(``time.process_time``: on a shared machine other jobs stretch the wall clock, not this),
reported as median [range]; a speed-up is the median of the per-round ratios. Also
printed: the achieved GFLOP/s of the SGD arithmetic (4 B D d FLOP of forward and W1
gradient per step) against the torch.mm peak measured in the same process, and the
largest weight difference to the plain loop (float32 rounding, amplified by the
exponential norm growth of the loss-drop phase when that falls inside the run).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from peak import matmul_gflops  # bench/peak.py (bench/ is on sys.path when run as a script)
from targets import judge

from workflow_scripts.race import train as T
from workflow_scripts.race.method import effective_method
from workflow_scripts.race.runs import RunSpec
from workflow_scripts.runtime import configure_torch

# the plain one-run-at-a-time loop is the tests' reference implementation
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.race.reference import plain_sgd_run  # noqa: E402


def cpu_seconds(fn):
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def median_range(values):
    return f"{statistics.median(values):7.2f} s [{min(values):.2f}-{max(values):.2f}]"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=12)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--hidden", type=int, default=300)
    p.add_argument("--inputs", type=int, default=1024, help="D (1024: CIFAR-10 pixels)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--sigma0", type=float, default=1e-3)
    p.add_argument("--window", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-direct", action="store_true")
    args = p.parse_args(argv)
    configure_torch(1)

    g = torch.Generator().manual_seed(0)
    x = torch.rand(args.n, args.inputs, generator=g)
    y = (torch.arange(args.n) % 2).long()
    data = {"x_train": x, "y_train": y, "x_test": x[:64], "y_test": y[:64]}
    runs = [RunSpec(seed=s, sigma0=args.sigma0) for s in range(args.runs)]
    work = 4 * 4 * args.inputs * args.hidden * args.runs * args.steps  # fwd W1 x + grad W1
    auto = effective_method("auto", "cpu", n_train=args.n)
    methods = [auto] + [m for m in ("dual", "lowrank", "direct") if m != auto]
    if args.skip_direct:
        methods.remove("direct")

    peak = matmul_gflops(size=1024, repeats=20)
    kw = dict(
        hidden=args.hidden, total_steps=args.steps, ckpt_steps=[0, args.steps], window=args.window
    )

    def stacked(method):
        return lambda: T.train_runs(data, runs, method=method, **kw)

    def plain():
        return [
            plain_sgd_run(data, r.seed, r.sigma0, args.hidden, args.steps, lr=1e-3) for r in runs
        ]

    jobs = {"plain": plain} | {m: stacked(m) for m in methods}
    times = {name: [] for name in jobs}
    results = {}
    for rep in range(args.repeats):
        order = list(jobs) if rep % 2 == 0 else list(jobs)[::-1]
        for name in order:
            seconds, results[name] = cpu_seconds(jobs[name])
            times[name].append(seconds)
    ref = [r["W1"] for r in results["plain"]]

    print(
        f"work: {args.runs} runs x {args.steps} SGD steps, N={args.n}, D={args.inputs}, "
        f"d={args.hidden}, batch 4, 1 thread, torch {torch.__version__}; CPU seconds, "
        f"median [range] of {args.repeats} interleaved rounds"
    )
    print(f"torch.mm 1024^3 peak              : {peak:7.1f} GFLOP/s")
    t_plain = statistics.median(times["plain"])
    print(
        f"plain nn.Module loop, one by one  : {median_range(times['plain'])}  "
        f"({t_plain / args.runs / args.steps * 1e3:.3f} ms/step, {work / t_plain / 1e9:.1f} GFLOP/s)"
    )
    for m in methods:
        ratios = [a / b for a, b in zip(times["plain"], times[m])]
        t = statistics.median(times[m])
        diff = max(
            float((r["W1"][-1] - w).abs().max() / w.abs().max()) for r, w in zip(results[m], ref)
        )
        label = f"stacked, {m}{' (auto)' if m == auto else ''}"
        print(
            f"{label:34s}: {median_range(times[m])}  x{statistics.median(ratios):.2f} "
            f"[{min(ratios):.2f}-{max(ratios):.2f}]  ({t / args.runs / args.steps * 1e3:.3f} "
            f"ms/run-step, {work / t / 1e9:.1f} GFLOP/s SGD-equivalent = "
            f"{100 * work / t / 1e9 / peak:.0f} % of mm peak; max |W1 diff| / max |W1| {diff:.1e})"
        )
    speedup = statistics.median([a / b for a, b in zip(times["plain"], times[auto])])
    print(
        f"speed-up (stacked trainer, {auto}, vs plain): x{speedup:.2f}  ({judge('race', speedup)})"
    )
    print(
        "W1 differences are float32 rounding: the loss-drop phase amplifies any perturbation "
        "(a 1e-6 relative change of the init grew to ~4e-4 by step 2000 with identical code)"
    )


if __name__ == "__main__":
    main()
