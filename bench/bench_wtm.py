"""Speed of the wtm chain, as ratios measured in one run on this machine.

(a) full-batch training step: achieved GFLOP/s against a plain torch.mm's GFLOP/s
    (target >= 0.75), for the trainer (``train_run``: its buffered full-batch step,
    ``wtm/fullbatch.py``) and for the plain autograd loop a researcher would write (the
    same network, Layca and data; what the trainer ran before), with the trainer's
    speed-up over that loop
(b) training + checkpoint dumps + cube extraction against training alone (<= 1.3x)
(c) cube write throughput against a plain sequential file write (>= 0.8)

Targets: bench/targets.py (issue 18); each line ends with "met" or "missed".

Every comparison interleaves its variants (ABBA) over --repeats rounds and prints the
median ratio with its range (the torch.mm peak is measured in every round of (a)), so
that load changes on a shared machine show as spread, not as a biased ratio.

Run: python bench/bench_wtm.py [--threads 1] [--epochs 60] [--repeats 4]
"""

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from peak import matmul_gflops  # bench/peak.py (bench/ is on sys.path when run as a script)
from targets import judge

from workflow_scripts.runtime import configure_torch
from workflow_scripts.store.cube import CubeWriter
from workflow_scripts.wtm import data
from workflow_scripts.wtm.extract import extract
from workflow_scripts.wtm.layca import Layca
from workflow_scripts.wtm.network import pattern_mlp
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
        early_stop=False,
        seed=0,
        checkpoint_dense_until=dense_until,
        checkpoint_every=every,
    )


def timed_training(x, y, s, out):
    start = time.perf_counter()
    train_run(x, y, s, out, torch.device("cpu"), show_progress=False)
    return time.perf_counter() - start


def timed_plain_loop(x, y, epochs):
    """The plain PyTorch loop on the same work: autograd, Layca, the train loss and
    accuracy read every epoch (as the trainer records them), no checkpoints."""
    start = time.perf_counter()
    torch.manual_seed(0)
    model = pattern_mlp(x.shape[1], 1000, "relu")
    opt = Layca(model.parameters(), lr=3**-3)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y, dtype=torch.float32)
    for _ in range(epochs + 1):
        logits = model(xt)
        loss = F.binary_cross_entropy_with_logits(logits, yt)
        loss.item(), ((logits > 0).float() == yt).float().mean().item()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def median_range(values, fmt="{:.2f}"):
    v = np.asarray(values)
    return f"{fmt.format(np.median(v))} ({fmt.format(v.min())}-{fmt.format(v.max())})"


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
    parser.add_argument("--threads", type=int, default=1)  # the default build trains on one
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--per-pattern", type=int, default=300)
    parser.add_argument(
        "--repeats",
        type=int,
        default=4,
        help="interleaved rounds of each comparison ((c): twice as many writes)",
    )
    args = parser.parse_args()
    configure_torch(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="bench_wtm_"))
    try:
        pspec = DataSpec(500, 30, 5, False, args.per_pattern, 50, 0, 0.4)
        train, test = data.generate(pspec, "train"), data.generate(pspec, "test")
        x, y = train["x"], train["y"]
        S, D, H = x.shape[0], x.shape[1], 1000

        # (a) no dumps but the first and last epoch: the cost of training itself
        flops = (4 * S * D * H + 3 * S * H) * (args.epochs + 1)  # fwd + dW1 (no dX) + output
        rounds = {"trainer": [], "loop": [], "peak": []}
        # one untimed short run of each first: the first call pays one-time costs (lazy
        # initialisation, allocator growth) that would bias whichever variant runs first
        timed_training(x, y, spec(1, 0, 10**9), tmp / "warmup")
        timed_plain_loop(x, y, 1)
        for rep in range(args.repeats):
            order = ("trainer", "loop") if rep % 2 == 0 else ("loop", "trainer")
            rounds["peak"].append(matmul_gflops())
            for variant in order:
                if variant == "trainer":
                    t = timed_training(x, y, spec(args.epochs, 0, 10**9), tmp / f"a{rep}")
                else:
                    t = timed_plain_loop(x, y, args.epochs)
                rounds[variant].append(t)
        peak = np.array(rounds["peak"])
        ratio = {k: flops / np.array(rounds[k]) / 1e9 / peak for k in ("trainer", "loop")}
        speedup = np.array(rounds["loop"]) / np.array(rounds["trainer"])
        print(
            f"(a) matmul peak {median_range(peak, '{:.1f}')} GFLOP/s (S={S}, D={D}, H={H}, "
            f"{args.epochs + 1} epochs, median (range) of {args.repeats} interleaved rounds):"
        )
        print(
            f"    plain autograd loop: {median_range(rounds['loop'], '{:.2f}')} s, ratio to "
            f"peak {median_range(ratio['loop'])}"
        )
        print(
            f"    trainer: {median_range(rounds['trainer'], '{:.2f}')} s, ratio to peak "
            f"{median_range(ratio['trainer'])} ({judge('wtm_a', float(np.median(ratio['trainer'])))}); "
            f"{median_range(speedup)}x the loop's speed"
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

        # (c) cube writer vs plain sequential write of the same bytes, interleaved; the
        # previous file is removed before each timed write (freeing its blocks is not
        # part of either write)
        E, K, Sc = 40, 64, 6000
        block = np.random.default_rng(0).standard_normal((K, Sc)).astype(np.float32)
        mb = 2 * E * block.nbytes / 1e6
        writes = {"plain": [], "cube": []}
        for rep in range(2 * args.repeats):
            for variant in ("plain", "cube") if rep % 2 == 0 else ("cube", "plain"):
                path = tmp / f"{variant}.out"
                path.unlink(missing_ok=True)
                write = plain_write if variant == "plain" else cube_write
                writes[variant].append(write(path, block, E))
                path.unlink()
        ratios = np.array(writes["plain"]) / np.array(writes["cube"])
        print(
            f"(c) plain write {mb / np.median(writes['plain']):.0f} MB/s; cube write "
            f"{mb / np.median(writes['cube']):.0f} MB/s ({mb:.0f} MB, medians of "
            f"{2 * args.repeats} interleaved writes): ratio {median_range(ratios)} "
            f"({judge('wtm_c', float(np.median(ratios)))})"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
