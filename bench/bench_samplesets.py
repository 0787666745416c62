"""Speed of the samplesets chain, as ratios measured in one run on this machine.

(a) metric extraction against training alone (target <= 1.1x): a 9x320 CE run trained for
    one epoch (800 Adam steps, batch 60, one thread) with the default checkpoint schedule
    cut at that step; its count / metric cube extracted on 12000 validation samples
    (``extract.extract_cube``: the shared metrics layer's ``measure``); and, as the floor
    any exact extraction has, the plain forward passes of the validation set through the
    same checkpoints (load + ``net(x)`` in the extraction's chunks, nothing measured).
    The three are interleaved (ABBA) ``--repeats`` times; each repetition's per-step and
    per-checkpoint costs give the ratio (training + extraction) / training of the default
    schedule (10 epochs = 8000 steps, 32 checkpoints), of 26 epochs and of the paper's
    (200 epochs, 58 checkpoints): medians with their range.
(b) the binary activation cube's write throughput (bit packing + chunked h5netcdf
    writes, 2560 nodes x 12000 samples per time point) against bit packing + a raw
    sequential write of the packed bytes (target >= 0.5), both fsync'ed, best of 3; also
    the writes alone against the raw write, and the cube against a raw write of the
    unpacked activations; then its size and the cold read time (page cache dropped with
    posix_fadvise) of one node's (time x sample) slice.

Targets: bench/targets.py (issue 18); each ratio ends with "met" or "missed".

Run: python bench/bench_samplesets.py [--threads 1] [--points 16] [--repeats 3]
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
from workflow_scripts.samplesets.activations import pack, read_activations, write_activations
from workflow_scripts.samplesets.extract import CHUNK, extract_cube
from workflow_scripts.samplesets.network import build_net
from workflow_scripts.samplesets.specs import TrainSpec, checkpoint_steps
from workflow_scripts.samplesets.train import train_run
from workflow_scripts.store.checkpoints import load_steps
from workflow_scripts.store.cube import standard_attrs

N_TRAIN, N_VAL, BATCH = 48000, 12000, 60


def spec(total_steps, steps, adam_impl="fused"):
    return TrainSpec(
        depth=9,
        width=320,
        loss="ce",
        n_in=784,
        n_classes=10,
        bias=(True,) + (False,) * 8,
        init="default",
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        adam_impl=adam_impl,
        batch_size=BATCH,
        n_train=N_TRAIN,
        steps_per_epoch=N_TRAIN // BATCH,
        total_steps=total_steps,
        checkpoint_steps=tuple(steps),
        seed=0,
    )


SCHEDULES = (
    ("default (10 epochs)", 8000, len(checkpoint_steps(8000, 30, 9))),
    ("26 epochs", 20800, len(checkpoint_steps(20800, 30, 9))),
    ("paper (200 epochs)", 160000, len(checkpoint_steps(160000, 60, 9))),
)


def plain_forward(run, data, s):
    """The floor: every checkpoint loaded and the validation set passed forward in the
    extraction's chunks, nothing measured."""
    net = build_net(s)
    x = torch.as_tensor(data["x_val"].astype(np.float32) / 255.0)
    with torch.no_grad():
        for _, ckpt in load_steps(run):
            net.load_state_dict(ckpt["model"])
            for start in range(0, len(x), CHUNK):
                net(x[start : start + CHUNK])


def interleaved(variants, repeats):
    """{name: [seconds]} of ``variants`` {name: callable}, run in ABBA order."""
    names, times = list(variants), {n: [] for n in variants}
    for rep in range(repeats):
        for name in names if rep % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - start)
    return times


def extraction_overhead(tmp, repeats):
    rng = np.random.default_rng(0)
    data = {
        "x_train": rng.integers(0, 256, (N_TRAIN, 784), dtype=np.uint8),
        "y_train": rng.integers(0, 10, N_TRAIN),
        "x_val": rng.integers(0, 256, (N_VAL, 784), dtype=np.uint8),
        "y_val": rng.integers(0, 10, N_VAL),
    }
    steps = [step for step in checkpoint_steps(8000, 30, 9) if step <= 800]
    s, runs = spec(800, steps), iter(range(10**6))
    train_run(data["x_train"], data["y_train"], s, tmp / "run", show_progress=False)

    def train():
        out = tmp / f"run{next(runs)}"
        train_run(data["x_train"], data["y_train"], s, out, show_progress=False)
        shutil.rmtree(out)

    def extract():
        attrs = standard_attrs("bench", "samplesets", {})
        names = [str(c) for c in range(10)]
        Path(tmp / "cube.nc").unlink(missing_ok=True)
        extract_cube(
            tmp / "run", data, s, tmp / "cube.nc", attrs, class_names=names, show_progress=False
        )

    times = interleaved(
        {
            "train": train,
            "extract": extract,
            "forward": lambda: plain_forward(tmp / "run", data, s),
        },
        repeats,
    )
    per_step = np.array(times["train"]) / 800
    per_point = np.array(times["extract"]) / len(steps)
    floor = np.array(times["forward"]) / len(steps)

    def med(v, scale=1.0):
        v = np.asarray(v) * scale
        return f"{np.median(v):.3g} [{v.min():.3g}-{v.max():.3g}]"

    print(
        f"(a) {repeats} interleaved repetitions, medians [range]: training {med(per_step, 1e3)} "
        f"ms per Adam step (fused; 800 steps, {len(steps)} checkpoint dumps included); "
        f"extraction {med(per_point)} s per checkpoint ({N_VAL} samples), of which the plain "
        f"forward passes {med(floor)} s (extraction / forward {med(per_point / floor)})"
    )
    for name, total, points in SCHEDULES:
        ratio = (total * per_step + points * per_point) / (total * per_step)
        least = (total * per_step + points * floor) / (total * per_step)
        print(
            f"    {name}: {total} steps + {points} checkpoints -> training + extraction "
            f"= {med(ratio)}x training alone ({judge('samplesets_a', np.median(ratio))}); "
            f"the floor, training + plain forward passes: {med(least)}x"
        )


def write_cube(path, active, steps, chunk, packed=False):
    """The activation cube through the package's writer, bit packing included (unless the
    slices come packed)."""
    Path(path).unlink(missing_ok=True)
    labels = np.arange(N_VAL) % 10
    write_activations(
        path,
        ((step, a if packed else pack(a)) for step, a in zip(steps, active)),
        n_times=len(active),
        spec=spec(1, (0,)),
        labels=labels,
        source_index=np.arange(len(labels)),
        attrs={},
        node_chunk=chunk,
    )
    _fsync(path)


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def raw_write(path, packed):
    Path(path).unlink(missing_ok=True)
    with open(path, "wb") as fh:
        for block in packed:
            fh.write(block.tobytes())
        fh.flush()
        os.fsync(fh.fileno())


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def best_of(n, func):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def activation_cube(tmp, points, chunk=64):
    rng = np.random.default_rng(1)
    active = [rng.random((2560, N_VAL)) < 0.4 for _ in range(points)]
    packed = [pack(a) for a in active]
    nbytes = sum(p.nbytes for p in packed)
    cube_t = best_of(3, lambda: write_cube(tmp / "act.nc", active, range(points), chunk))
    writes_t = best_of(
        3, lambda: write_cube(tmp / "act.nc", packed, range(points), chunk, packed=True)
    )
    pack_t = best_of(3, lambda: [pack(a) for a in active])
    raw_t = best_of(3, lambda: raw_write(tmp / "raw.bin", packed))
    bools_t = best_of(3, lambda: raw_write(tmp / "bools.bin", active))
    print(
        f"(b) activation cube ({points} time points x 2560 nodes x {N_VAL} samples, "
        f"{nbytes / 1e6:.0f} MB packed), best of 3, fsync'ed: cube {1e3 * cube_t:.0f} ms = "
        f"bit packing {1e3 * pack_t:.0f} ms + chunked writes {1e3 * writes_t:.0f} ms; raw "
        f"sequential write of the packed bytes {1e3 * raw_t:.0f} ms, of the unpacked "
        f"activations (1 byte each) {1e3 * bools_t:.0f} ms"
    )
    print(
        f"    throughput ratio, cube against packing + raw write: "
        f"{(pack_t + raw_t) / cube_t:.2f} ({judge('samplesets_b', (pack_t + raw_t) / cube_t)}); "
        "the writes alone against the raw "
        f"write of the same bytes: {raw_t / writes_t:.2f}; the cube against a raw write of "
        f"the unpacked activations: {bools_t / cube_t:.2f}"
    )
    drop_cache(tmp / "act.nc")
    start = time.perf_counter()
    node = read_activations(tmp / "act.nc", node=1234)
    cold = time.perf_counter() - start
    size = (tmp / "act.nc").stat().st_size / 1e6
    print(
        f"    file {size:.0f} MB ({size / points:.2f} MB per time point); cold read of one "
        f"node's (time x sample) slice {node.shape}: {1e3 * cold:.0f} ms"
    )


def built_cube():
    """The default build's activation cube, when it exists: its size and a cold read."""
    found = sorted(Path("results/samplesets/activations").glob("*.nc"))
    for path in found:
        drop_cache(path)
        start = time.perf_counter()
        node = read_activations(path, node=1234)
        cold = time.perf_counter() - start
        print(
            f"    built cube {path.name}: {path.stat().st_size / 1e6:.0f} MB, "
            f"{node.sizes['time']} time points; cold read of node 1234: {1e3 * cold:.0f} ms"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--points", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="(a): interleaved repetitions")
    parser.add_argument("--only", choices=("a", "b"), help="one part only")
    args = parser.parse_args()
    configure_torch(args.threads)
    print(
        f"torch {torch.__version__}, {args.threads} thread(s); plain torch.mm: "
        f"{matmul_gflops():.0f} GFLOP/s"
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench_samplesets_", dir="."))
    try:
        if args.only in (None, "a"):
            extraction_overhead(tmp, args.repeats)
        if args.only in (None, "b"):
            activation_cube(tmp, args.points)
            built_cube()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
