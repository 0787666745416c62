"""Speed of the wtm chain, as ratios measured in one run on this machine.

(a) full-batch training step: achieved GFLOP/s against a plain torch.mm's GFLOP/s
    (target >= 0.75)
(b) training + checkpoint dumps + cube extraction against training alone (<= 1.3x)
(c) cube write throughput against a plain sequential file write (>= 0.8)

Targets: bench/targets.py (issue 18); each line ends with "met" or "missed".

(b) interleaves the two variants (ABBA) over --repeats pairs and prints the median ratio
with its range, so that load changes on a shared machine show as spread, not as a
ratio below 1.

Run: python bench/bench_wtm.py [--threads 2] [--epochs 60] [--repeats 4]
"""

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from peak import matmul_gflops  # bench/peak.py (bench/ is on sys.path when run as a script)
from targets import judge

from workflow_scripts.runtime import configure_torch
from workflow_scripts.store.cube import CubeWriter
from workflow_scripts.wtm import data
from workflow_scripts.wtm.extract import extract
from workflow_scripts.wtm.specs import DataSpec, TrainSpec
from workflow_scripts.wtm.train import train_run


def spec(epochs, dense_until, every):
    return TrainSpec(
        hidden=1000,
        activation="relu",
        optimizer="layca",
        lr=3**-3,
        momentum=0.0,
        batch_size=0,
        max_epochs=epochs,
        target_train_accuracy=1.1,
        seed=0,
        checkpoint_dense_until=dense_until,
        checkpoint_every=every,
    )


def timed_training(x, y, s, out):
    start = time.perf_counter()
    train_run(x, y, s, out, torch.device("cpu"), show_progress=False)
    return time.perf_counter() - start


def plain_write(path, block, epochs):
    start = time.perf_counter()
    with open(path, "wb") as fh:
        for _ in range(epochs):
            fh.write(block.tobytes())
            fh.write(block.tobytes())
        fh.flush()
        os.fsync(fh.fileno())
    return time.perf_counter() - start


def cube_write(path, block, epochs):
    start = time.perf_counter()
    dims = ("epoch", "neuron", "sample")
    K, S = block.shape
    with CubeWriter(
        path,
        grow_dim="epoch",
        grow_dtype="i4",
        sizes={"neuron": K, "sample": S},
        coords={},
        variables={"a": (dims, "f4", {}), "b": (dims, "f4", {})},
        attrs={},
        expected_length=epochs,
    ) as cube:
        for e in range(epochs):
            cube.append(e, a=block, b=block)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--per-pattern", type=int, default=300)
    parser.add_argument(
        "--repeats",
        type=int,
        default=4,
        help="interleaved repetitions of the two timed variants of (b)",
    )
    args = parser.parse_args()
    configure_torch(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="bench_wtm_"))
    try:
        pspec = DataSpec(500, 30, 5, False, args.per_pattern, 50, 0, 0.4)
        train, test = data.generate(pspec, "train"), data.generate(pspec, "test")
        x, y = train["x"], train["y"]
        S, D, H = x.shape[0], x.shape[1], 1000

        peak = matmul_gflops()
        # (a) no dumps but the first and last epoch: the cost of training itself
        t_plain = timed_training(x, y, spec(args.epochs, 0, 10**9), tmp / "plain")
        flops_per_epoch = 4 * S * D * H + 3 * S * H  # fwd + dW1 (no dX) + output layer
        achieved = flops_per_epoch * (args.epochs + 1) / t_plain / 1e9
        print(
            f"(a) matmul peak {peak:.1f} GFLOP/s; training step {achieved:.1f} GFLOP/s "
            f"({t_plain / (args.epochs + 1) * 1e3:.1f} ms/epoch, S={S}, D={D}, H={H}): "
            f"ratio {achieved / peak:.2f} ({judge('wtm_a', achieved / peak)})"
        )

        # (b) default schedule (every epoch to 20, then every 10) + extraction into a cube,
        # against training alone. The two variants are interleaved (ABBA order, so drift
        # on a loaded machine hits both alike) and repeated; each pair gives a ratio.
        ratios, plain_s, full_s = [], [], []
        for rep in range(args.repeats):
            order = ("plain", "full") if rep % 2 == 0 else ("full", "plain")
            t = {}
            for variant in order:
                if variant == "plain":
                    t["plain"] = timed_training(x, y, spec(args.epochs, 0, 10**9), tmp / f"p{rep}")
                else:
                    t_dump = timed_training(x, y, spec(args.epochs, 20, 10), tmp / f"d{rep}")
                    start = time.perf_counter()
                    with torch.no_grad():
                        extract(
                            tmp / f"d{rep}",
                            train,
                            test,
                            "relu",
                            32,
                            tmp / f"cube{rep}.nc",
                            {"config": {}},
                            train_per_pattern=100,
                            show_progress=False,
                        )
                    t["full"] = t_dump + time.perf_counter() - start
            plain_s.append(t["plain"])
            full_s.append(t["full"])
            ratios.append(t["full"] / t["plain"])
        r = np.array(ratios)
        print(
            f"(b) training alone {np.median(plain_s):.1f} s (median of {args.repeats}); with "
            f"checkpoint dumps + cube extraction {np.median(full_s):.1f} s: ratio "
            f"{np.median(r):.2f}x median, {r.min():.2f}-{r.max():.2f} over {args.repeats} "
            f"interleaved pairs ({judge('wtm_b', float(np.median(r)))})"
        )
        if np.median(r) < 1.0:
            print(
                "    note: a ratio below 1 means the machine's load changed between the timed "
                "runs (dumping and extracting cannot make training faster); rerun on an "
                "idle machine or with more --repeats"
            )

        # (c) cube writer vs plain sequential write of the same bytes (best of 3 each:
        # single writes of ~100 MB vary by 2x with the page cache)
        E, K, Sc = 40, 64, 6000
        block = np.random.default_rng(0).standard_normal((K, Sc)).astype(np.float32)
        mb = 2 * E * block.nbytes / 1e6
        t_raw = min(plain_write(tmp / "plain.bin", block, E) for _ in range(3))
        t_cube = min(cube_write(tmp / "w.nc", block, E) for _ in range(3))
        print(
            f"(c) plain write {mb / t_raw:.0f} MB/s; cube write {mb / t_cube:.0f} MB/s "
            f"({mb:.0f} MB, best of 3): ratio {t_raw / t_cube:.2f} "
            f"({judge('wtm_c', t_raw / t_cube)})"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
