"""Speed of the samplesets chain, as ratios measured in one run on this machine.

(a) metric extraction against training alone (target <= 1.1x): a 9x320 CE run is
    trained for one epoch (800 Adam steps, batch 60, one thread) with the default
    checkpoint schedule cut at that step, then its count / metric cube is extracted on
    12000 validation samples. The per-step and per-checkpoint costs give the ratio of
    the default schedule (10 epochs = 8000 steps, 32 checkpoints), of 26 epochs (the
    runs behind the study's calibration) and of the paper's (200 epochs, 58 checkpoints).
(b) the binary activation cube's write throughput (bit packing + chunked h5netcdf
    writes, 2560 nodes x 12000 samples per time point) against bit packing + a raw
    sequential write of the packed bytes (target >= 0.5), both fsync'ed, best of 3; also
    the writes alone against the raw write, and the cube against a raw write of the
    unpacked activations; then its size and the cold read time (page cache dropped with
    posix_fadvise) of one node's (time x sample) slice.

Targets: bench/targets.py (issue 18); each ratio ends with "met" or "missed".

Run: python bench/bench_samplesets.py [--threads 1] [--points 16]
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
from workflow_scripts.samplesets.extract import extract_cube
from workflow_scripts.samplesets.specs import TrainSpec, checkpoint_steps
from workflow_scripts.samplesets.train import train_run
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


def extraction_overhead(tmp):
    rng = np.random.default_rng(0)
    data = {
        "x_train": rng.integers(0, 256, (N_TRAIN, 784), dtype=np.uint8),
        "y_train": rng.integers(0, 10, N_TRAIN),
        "x_val": rng.integers(0, 256, (N_VAL, 784), dtype=np.uint8),
        "y_val": rng.integers(0, 10, N_VAL),
    }
    default = checkpoint_steps(8000, 30, 9)
    steps = [s for s in default if s <= 800]
    s = spec(800, steps)
    start = time.perf_counter()
    train_run(data["x_train"], data["y_train"], s, tmp / "run", show_progress=False)
    t_train = time.perf_counter() - start
    start = time.perf_counter()
    extract_cube(
        tmp / "run",
        data,
        s,
        tmp / "cube.nc",
        standard_attrs("bench", "samplesets", {}),
        class_names=[str(c) for c in range(10)],
        show_progress=False,
    )
    t_extract = time.perf_counter() - start
    start = time.perf_counter()
    train_run(
        data["x_train"],
        data["y_train"],
        spec(400, (0, 400), "for_loop"),
        tmp / "loop",
        show_progress=False,
    )
    per_step_loop = (time.perf_counter() - start) / 400
    per_step, per_point = t_train / 800, t_extract / len(steps)
    print(
        f"(a) training: {1e3 * per_step:.2f} ms per Adam step (fused; 800 steps, {len(steps)} "
        f"checkpoint dumps included; for-loop Adam {1e3 * per_step_loop:.2f} ms); "
        f"extraction: {per_point:.3f} s per checkpoint ({len(steps)} checkpoints x {N_VAL} "
        "samples)"
    )
    for name, total, points in (
        ("default (10 epochs)", 8000, len(default)),
        ("26 epochs", 20800, len(checkpoint_steps(20800, 30, 9))),
        ("paper (200 epochs)", 160000, len(checkpoint_steps(160000, 60, 9))),
    ):
        ratios = [(total * t + points * per_point) / (total * t) for t in (per_step, per_step_loop)]
        print(
            f"    {name}: {total} steps + {points} checkpoints -> training + extraction "
            f"= {ratios[0]:.3f}x training alone (for-loop Adam: {ratios[1]:.3f}x; "
            f"{judge('samplesets_a', ratios[0])})"
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
    args = parser.parse_args()
    configure_torch(args.threads)
    print(
        f"torch {torch.__version__}, {args.threads} thread(s); plain torch.mm: "
        f"{matmul_gflops():.0f} GFLOP/s"
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench_samplesets_", dir="."))
    try:
        extraction_overhead(tmp)
        activation_cube(tmp, args.points)
        built_cube()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
