"""The GPU checks of issue 18 in one run, with one summary (bench/gpu.sh calls this).

Steps, in this order (the short measurements first, so that a build that runs long
cannot take them with it):

(b) selectivity's trainer (``selectivity.train.train_run``) on torchvision's ResNet-50,
    1000 classes, batch 256 of 224x224 images held on the GPU (no loader in the timing),
    channels-last + float16 autocast (the config's ``amp``/``channels_last``): images/s
    over the steps after the first 5, without and with the regulariser (hooks on the
    blocks of modules 4-6, batch SI in the loss), interleaved ABBA; target >= 0.9x.
(c) the race stacked trainer (``race.train.train_runs``): 12 runs x 2000 SGD steps,
    N 200, d 300, batch 4; ``direct`` on the GPU against ``lowrank`` (the CPU default)
    and ``direct`` on one CPU thread (as the workflow's race jobs run); the largest
    relative W1 difference between the GPU and CPU ``direct`` results.
(a) a smoke build of every study (configs/smoke.yaml) with ``device: cuda`` on the
    learnable fake Fashion-MNIST of tests/fake_data.py: jobs run and failed, cubes
    written, each study's claims table and its verdicts; within what is left of the
    time budget (Snakemake is stopped at it, saying so).

Dry mode (no GPU, or ``--dry``): the same steps on the CPU at smoke size, one thread ((b)
ResNet-50 on 32x32 images, batch 8, 8 steps; (c) 4 runs x 200 steps, no GPU side; (a)
with ``device: cpu``); every GPU-only number is recorded as skipped, with the reason.
``--studies`` builds a subset in (a) (the test of this mode builds samplesets only).

Writes ``gpu_summary.json`` and ``gpu_summary.txt`` (the same, readable) into ``--out``
after every step, and the build's log as ``smoke_build.log``.
"""

import argparse
import csv
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from targets import judge, met  # noqa: E402

from tests.fake_data import write_learnable_fashion_mnist  # noqa: E402
from workflow_scripts.race import train as race_train  # noqa: E402
from workflow_scripts.race.runs import RunSpec  # noqa: E402
from workflow_scripts.runtime import configure_torch  # noqa: E402
from workflow_scripts.selectivity.specs import (  # noqa: E402
    NO_REGULARIZER,
    ModelSpec,
    RegularizerSpec,
    TrainSpec,
)
from workflow_scripts.selectivity.train import train_run  # noqa: E402

STUDIES = ("wtm", "race", "samplesets", "selectivity")
SMOKE = REPO / "configs" / "smoke.yaml"


class DeviceImages:
    """Random images held on the device, with the batches() of ``selectivity.data``."""

    def __init__(self, n, size, classes, device):
        gen = torch.Generator(device=device).manual_seed(0)
        self.x = torch.randn(n, 3, size, size, device=device, generator=gen)
        self.y = torch.arange(n, device=device) % classes

    def __len__(self):
        return len(self.y)

    @property
    def labels(self):
        return self.y

    def batches(self, order, batch_size, start=0, seed=0, epoch=0, workers=0, device="cpu"):
        order = torch.as_tensor(order, device=self.x.device)
        for b in range(start, -(-len(order) // batch_size)):
            pos = order[b * batch_size : (b + 1) * batch_size]
            yield self.x[pos], self.y[pos]


def resnet50_throughput(gpu, tmp, repeats):
    device = "cuda" if gpu else "cpu"
    batch, size, steps, warm = (256, 224, 30, 5) if gpu else (8, 32, 8, 2)
    images = DeviceImages(batch * steps, size, 1000, device)
    reg = RegularizerSpec(alpha=-3.0, modules=(4, 5, 6), onset=0.0, onset_unit="batches")

    def one(regularizer, k=[0]):  # noqa: B006 - a counter for fresh output directories
        spec = TrainSpec(
            model=ModelSpec("resnet50", 0, "imagenet"),
            regularizer=regularizer,
            seed=0,
            epochs=1,
            batch_size=batch,
            lr=0.1,
            momentum=0.9,
            weight_decay=1e-4,
            lr_milestones=(),
            lr_gamma=0.1,
            amp=gpu,  # CUDA only (the trainer refuses them elsewhere)
            channels_last=gpu,
            checkpoint_batches=(),
            checkpoint_epochs=(1,),
        )
        marks = {}

        def on_step(step):
            if step in (warm, steps):
                if gpu:
                    torch.cuda.synchronize()
                marks[step] = time.perf_counter()

        k[0] += 1
        train_run(
            images, 1000, 3, spec, tmp / f"r50_{k[0]}", device, show_progress=False, on_step=on_step
        )
        return (steps - warm) * batch / (marks[steps] - marks[warm])

    one(NO_REGULARIZER)  # warm-up (kernels, allocator)
    rates = {"plain": [], "hooks": []}
    for rep in range(repeats):
        for name in ("plain", "hooks") if rep % 2 == 0 else ("hooks", "plain"):
            rates[name].append(one(NO_REGULARIZER if name == "plain" else reg))
    ratios = np.array(rates["hooks"]) / np.array(rates["plain"])
    ratio = float(np.median(ratios))
    out = {
        "device": device,
        "batch": batch,
        "image_size": size,
        "timed_steps": steps - warm,
        "images_per_s_plain": [round(r, 1) for r in rates["plain"]],
        "images_per_s_hooks": [round(r, 1) for r in rates["hooks"]],
        "ratio_hooks_vs_plain": round(ratio, 3),
        "ratio_range": [round(float(ratios.min()), 3), round(float(ratios.max()), 3)],
    }
    if gpu:
        out.update(target=judge("selectivity_c", ratio), met=met("selectivity_c", ratio))
    else:
        out["target"] = "skipped: no GPU (CPU at smoke size: amp and channels-last are CUDA-only)"
    return out


def race_direct(gpu):
    runs_n, steps = (12, 2000) if gpu else (4, 200)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 1024, generator=g)
    y = (torch.arange(200) % 2).long()
    data = {"x_train": x, "y_train": y, "x_test": x[:64], "y_test": y[:64]}
    runs = [RunSpec(seed=s, sigma0=1e-3) for s in range(runs_n)]
    kw = dict(hidden=300, total_steps=steps, ckpt_steps=[0, steps], window=32)

    def timed(method, device):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        res = race_train.train_runs(data, runs, method=method, device=device, **kw)
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0, res

    threads = torch.get_num_threads()
    configure_torch(1)
    t_lowrank, _ = timed("lowrank", "cpu")
    t_cpu, cpu = timed("direct", "cpu")
    configure_torch(threads)
    out = {
        "runs": runs_n,
        "steps": steps,
        "cpu_lowrank_s": round(t_lowrank, 3),
        "cpu_direct_s": round(t_cpu, 3),
        "cpu_threads": 1,
    }
    if not gpu:
        out["gpu"] = "skipped: no GPU"
        return out
    race_train.train_runs(
        data,
        runs,
        method="direct",
        device="cuda",
        **{**kw, "total_steps": 64, "ckpt_steps": [0, 64]},
    )
    t_gpu, res = timed("direct", "cuda")
    diff = max(
        float((a["W1"][-1].cpu() - b["W1"][-1]).abs().max() / b["W1"][-1].abs().max())
        for a, b in zip(res, cpu)
    )
    out.update(
        gpu_direct_s=round(t_gpu, 3),
        speedup_vs_cpu_lowrank=round(t_lowrank / t_gpu, 2),
        speedup_vs_cpu_direct=round(t_cpu / t_gpu, 2),
        max_rel_W1_diff_gpu_vs_cpu=float(f"{diff:.3g}"),
    )
    return out


def smoke_targets(studies, overlay):
    if set(studies) == set(STUDIES):
        return []  # rule all: every study's targets and claims table
    from workflow_scripts.config_check import load_config
    from workflow_scripts.study import build_plans

    plans = build_plans(load_config(SMOKE, overlay, validate=False))
    return [t for s in studies for t in [*plans[s].targets(), plans[s].paths.claims()]]


def smoke_build(gpu, studies, root, out_dir, timeout):
    write_learnable_fashion_mnist(root / "data", per_class_train=30, per_class_test=20)
    overlay = root / "overlay.yaml"
    overlay.write_text(f"data_dir: {root / 'data'}\ndevice: {'cuda' if gpu else 'cpu'}\n")
    work = root / "work"
    work.mkdir()
    cores = min(os.cpu_count() or 2, 12) if gpu else 2
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(work)]
    cmd += ["--cores", str(cores), "--keep-going", *smoke_targets(studies, overlay)]
    cmd += ["--configfile", str(SMOKE), str(overlay)]
    log_path = out_dir / "smoke_build.log"
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            rc = proc.wait()
            rc = f"stopped at the time budget ({timeout:.0f} s)"
    text = log_path.read_text()
    done = [line for line in text.splitlines() if " steps (" in line and " done" in line]
    claims = {}
    for study in studies:
        found = sorted(work.glob(f"results/**/claims/{study}.csv"))
        if found:
            rows = list(csv.DictReader(found[0].open()))
            verdicts = {}
            for row in rows:
                verdicts[row["verdict"]] = verdicts.get(row["verdict"], 0) + 1
            claims[study] = {"rows": len(rows), "verdicts": verdicts}
        else:
            claims[study] = "missing"
    return {
        "device": "cuda" if gpu else "cpu",
        "studies": list(studies),
        "cores": cores,
        "returncode": rc,
        "wall_s": round(time.perf_counter() - t0, 1),
        "progress": done[-1].strip() if done else "no job finished",
        "failed_rules": sorted(set(re.findall(r"Error in rule (\w+)", text))),
        "cubes": len(list(work.glob("results/**/*.nc"))),
        "claims": claims,
    }


def write_summary(out_dir, summary):
    (out_dir / "gpu_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    lines = [f"{k}: {v}" for k, v in summary.items() if k != "steps"]
    for step, result in summary["steps"].items():
        lines.append(f"\n[{step}]")
        if isinstance(result, dict):
            lines += [f"  {k}: {v}" for k, v in result.items()]
        else:
            lines.append(f"  {result}")
    (out_dir / "gpu_summary.txt").write_text("\n".join(lines) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--dry", action="store_true", help="CPU dry mode even with a GPU")
    p.add_argument("--studies", nargs="+", choices=STUDIES, default=list(STUDIES))
    p.add_argument("--budget", type=float, default=450.0, help="seconds for everything")
    p.add_argument("--repeats", type=int, default=2, help="ABBA pairs of (b)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    gpu = torch.cuda.is_available() and not args.dry
    if not gpu:  # one thread, as the workflow's CPU jobs (two spin-waiting threads on a
        configure_torch(1)  # shared 2-core machine made (b) 10x slower)
    summary = {
        "mode": "gpu" if gpu else "dry (CPU, smoke size)",
        "device": torch.cuda.get_device_name() if gpu else platform.processor() or "cpu",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "steps": {},
    }
    steps = {
        "b_resnet50_hooks": lambda tmp: resnet50_throughput(gpu, tmp, args.repeats),
        "c_race_direct": lambda tmp: race_direct(gpu),
        "a_smoke_build": lambda tmp: smoke_build(
            gpu, args.studies, tmp, args.out, args.budget - (time.perf_counter() - t0) - 15
        ),
    }
    failed = False
    for name, step in steps.items():
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"gpu_bench_{name}_") as tmp:
            try:
                result = step(Path(tmp))
            except Exception as exc:  # record it and go on: one broken step is no reason
                result = {"error": f"{type(exc).__name__}: {exc}"}  # to lose the others
                failed = True
        result["step_s"] = round(time.perf_counter() - start, 1)
        summary["steps"][name] = result
        summary["total_s"] = round(time.perf_counter() - t0, 1)
        write_summary(args.out, summary)
        print(f"{name}: {json.dumps(result, default=str)}", flush=True)
    build = summary["steps"]["a_smoke_build"]
    failed = failed or build.get("returncode") != 0 or "missing" in build.get("claims", {}).values()
    print(f"summary: {args.out / 'gpu_summary.txt'} ({summary['total_s']} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
