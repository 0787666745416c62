"""Speed of the selectivity study's stages, as ratios measured in one run on this machine.

(a) training throughput with the SI regulariser (hooks on the blocks of modules 4-6,
    batch SI in the same forward pass) against plain training (target <= 1.1x time)
(b) one checkpoint's measurement pass over the probe set (``selectivity.extract.measure``:
    the shared metrics layer's one pass with hooks on the blocks and avgpool: class means
    with true and shuffled labels, CKA Gram matrices) against one plain evaluation pass
    over the same images (target <= 1.3x), with the default float32 CKA products of
    centred features and with the float64 reference products; the BatchNorm
    recomputation pass that precedes it is reported beside
(c) with a GPU: ResNet-50 training images/s with channels-last + AMP, with the
    regulariser's recording hooks against the same without (target >= 0.9x); prints
    "skipped: no GPU" otherwise
(d) one checkpoint's ablation curves at the default shapes (``selectivity.ablate``: the
    shared metrics layer's stacked masks; 4 modules x (1 selective + 10 random orders) x 7
    fractions above 0 on 2000 ablation images) against one plain evaluation pass over the
    same images: the cost of a checkpoint's ablation in evaluation passes (no target; the
    default build ablates 7 checkpoints of each of 3 runs)

Both variants of a ratio are interleaved (ABBA) and repeated; the median ratio is
reported (on a loaded machine single timings drift). The default network and sizes are
those of config.yaml: the narrow ResNet-18 (width 16, ImageNet stem) on 28x28 images,
batch 128, probe set 2000 images in batches of 250, one thread.

Targets: bench/targets.py (issue 18); each ratio ends with "met" or "missed".

Run: python bench/bench_selectivity.py [--threads 1] [--repeats 3] [--only a,b,c,d]
"""

import argparse
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from targets import judge  # bench/targets.py (bench/ is on sys.path as a script)

from workflow_scripts.runtime import configure_torch
from workflow_scripts.selectivity import ablate as ablation
from workflow_scripts.selectivity import extract as extraction
from workflow_scripts.selectivity import network
from workflow_scripts.selectivity.specs import (
    NO_REGULARIZER,
    AblationOptions,
    ModelSpec,
    RegularizerSpec,
    TrainSpec,
)
from workflow_scripts.selectivity.train import train_run

NARROW = ModelSpec("narrow_resnet18", 16, "imagenet")


class Images:
    """In-memory images with the interface of ``selectivity.data`` (learnable: the class
    shifts the mean of a class-specific pixel block)."""

    def __init__(self, n, size=28, channels=1, classes=10, seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.y = torch.arange(n) % classes
        self.x = torch.randn(n, channels, size, size, generator=gen)
        for c in range(classes):
            self.x[self.y == c, :, 2 * c : 2 * c + 6, 4:12] += 2.0

    def __len__(self):
        return len(self.y)

    @property
    def labels(self):
        return self.y

    def batches(self, order, batch_size, start=0, seed=0, epoch=0, workers=0, device="cpu"):
        order = torch.as_tensor(order)
        for b in range(start, math.ceil(len(order) / batch_size)):
            pos = order[b * batch_size : (b + 1) * batch_size]
            yield self.x[pos].to(device), self.y[pos].to(device)


def spec(regularizer, model=NARROW, batch_size=128, cuda=False):
    """amp and channels_last as the plan resolves them: on for CUDA runs only."""
    return TrainSpec(
        model=model,
        regularizer=regularizer,
        seed=0,
        epochs=1,
        batch_size=batch_size,
        lr=0.05,
        momentum=0.9,
        weight_decay=1e-4,
        lr_milestones=(),
        lr_gamma=0.1,
        amp=cuda,
        channels_last=cuda,
        checkpoint_batches=(),
        checkpoint_epochs=(1,),
    )


def timed_training(images, s, tmp, device="cpu", channels=1, classes=10):
    out = Path(tempfile.mkdtemp(dir=tmp)) / "run"
    start = time.perf_counter()
    train_run(images, classes, channels, s, out, device, show_progress=False)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def interleaved(a, b, repeats):
    """Median of b/a over ABBA-ordered pairs, and the timings."""
    ratios, ta, tb = [], [], []
    for rep in range(repeats):
        t = {}
        for which in ("a", "b") if rep % 2 == 0 else ("b", "a"):
            t[which] = (a if which == "a" else b)()
        ta.append(t["a"])
        tb.append(t["b"])
        ratios.append(t["b"] / t["a"])
    return float(np.median(ratios)), float(np.median(ta)), float(np.median(tb)), ratios


def bench_training(tmp, repeats):
    images = Images(6400)
    reg = RegularizerSpec(alpha=-3.0, modules=(4, 5, 6), onset=0.0, onset_unit="batches")
    timed_training(images, spec(NO_REGULARIZER), tmp)  # warm-up
    ratio, plain, with_reg, ratios = interleaved(
        lambda: timed_training(images, spec(NO_REGULARIZER), tmp),
        lambda: timed_training(images, spec(reg), tmp),
        repeats,
    )
    print(
        f"(a) training, {len(images)} images x 1 epoch: plain {len(images) / plain:.0f} "
        f"images/s, with the regulariser {len(images) / with_reg:.0f} images/s: ratio "
        f"{ratio:.2f}x time (median of {repeats}; {min(ratios):.2f}-{max(ratios):.2f}) "
        f"({judge('selectivity_a', ratio)})"
    )


def plain_pass(model, images, batch_size=250):
    """A timer of one plain evaluation pass of ``model`` over ``images``: the baseline."""

    @torch.no_grad()
    def run():
        start = time.perf_counter()
        for x, _ in images.batches(np.arange(len(images)), batch_size):
            model(x)
        return time.perf_counter() - start

    return run


@torch.no_grad()
def bench_extraction(repeats):
    torch.manual_seed(0)
    model = network.build(NARROW, 10, 1).eval()
    probe, bn = Images(2000, seed=1), Images(2000, seed=2)
    floor = extraction.floor_shuffle(probe.labels.numpy(), 0)
    plain = plain_pass(model, probe)

    def measured(precision):
        def run():
            start = time.perf_counter()
            extraction.measure(model, probe, 10, 250, floor, "cpu", cka_precision=precision)
            return time.perf_counter() - start

        return run

    def recompute():
        start = time.perf_counter()
        extraction.prepare_bn(model, "recompute", bn, 250, "cpu")
        return time.perf_counter() - start

    plain(), measured("float32")()  # warm-up
    for precision in ("float32", "float64"):
        ratio, t_plain, t_measure, ratios = interleaved(plain, measured(precision), repeats)
        judged = f" ({judge('selectivity_b', ratio)})" if precision == "float32" else ""
        print(
            f"(b) one checkpoint on {len(probe)} probe images: plain evaluation "
            f"{t_plain * 1e3:.0f} ms, measurement pass (SI, floor, CKA {precision} products) "
            f"{t_measure * 1e3:.0f} ms: ratio {ratio:.2f}x (median of {repeats}; "
            f"{min(ratios):.2f}-{max(ratios):.2f}){judged}"
        )
    t_bn = float(np.median([recompute() for _ in range(repeats)]))
    print(
        f"(b) BatchNorm recomputation on {len(bn)} training images before it: {t_bn * 1e3:.0f} ms"
    )


@torch.no_grad()
def bench_ablation(repeats):
    torch.manual_seed(0)
    model = network.build(NARROW, 10, 1).eval()
    images = Images(2000, seed=3)
    module, block, _ = map(np.asarray, network.unit_coords(model))
    si = np.random.default_rng(0).random(len(module)).astype(np.float32)
    fractions = (0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875)
    spec = AblationOptions(modules=(4, 5, 6, 7), fractions=fractions, draws=10, seed=0)
    plain = plain_pass(model, images)

    def ablated():
        start = time.perf_counter()
        ablation.ablation_curves(model, images, si, module, block, spec, 250, "cpu")
        return time.perf_counter() - start

    plain(), ablated()  # warm-up (and the channels-last copy of the weights)
    ratio, t_plain, t_ablate, ratios = interleaved(plain, ablated, repeats)
    print(
        f"(d) one checkpoint's ablation curves on {len(images)} images (4 modules x 11 orders x "
        f"7 fractions): {t_ablate:.1f} s = {ratio:.0f} plain evaluation passes of "
        f"{t_plain * 1e3:.0f} ms (median of {repeats}; {min(ratios):.0f}-{max(ratios):.0f})"
    )


def bench_gpu(tmp, repeats):
    if not torch.cuda.is_available():
        print(
            "(c) ResNet-50 on a GPU, channels-last + AMP, recording hooks vs none: skipped: no GPU"
        )
        return
    r50 = ModelSpec("resnet50", None, None)  # torchvision's constructor: no width, no stem
    images = Images(256 * 40, size=224, channels=3, classes=1000)
    reg = RegularizerSpec(alpha=-3.0, modules=(4, 5, 6), onset=0.0, onset_unit="batches")
    run = dict(device="cuda", channels=3, classes=1000)
    timed_training(images, spec(NO_REGULARIZER, r50, 256, cuda=True), tmp, **run)  # warm-up
    ratio, plain, hooked, _ = interleaved(
        lambda: timed_training(images, spec(NO_REGULARIZER, r50, 256, cuda=True), tmp, **run),
        lambda: timed_training(images, spec(reg, r50, 256, cuda=True), tmp, **run),
        repeats,
    )
    n = len(images)
    print(
        f"(c) ResNet-50 training on {torch.cuda.get_device_name()}, channels-last + AMP, "
        f"batch 256: {n / plain:.0f} images/s without hooks, {n / hooked:.0f} with the "
        f"regulariser's recording hooks: ratio {plain / hooked:.2f} "
        f"({judge('selectivity_c', plain / hooked)})"
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="a,b,c,d", help="which benches (comma-separated)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    configure_torch(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="bench_selectivity_"))
    try:
        if "a" in only:
            bench_training(tmp, args.repeats)
        if "b" in only:
            bench_extraction(args.repeats)
        if "d" in only:
            bench_ablation(args.repeats)
        if "c" in only:
            bench_gpu(tmp, args.repeats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
