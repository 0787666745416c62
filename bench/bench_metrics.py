"""Speed of the shared metrics layer (workflow_scripts/metrics), as ratios measured in one run.

(a) the measurement pass with every hook (8 block outputs of a narrow ResNet-18: class means
    with true and shuffled labels, sample-set counts; CKA over the 8 blocks and the FC
    input) against a plain evaluation pass over the same images (target <= 1.5x, issue 15);
    printed for the float32 CKA path (the default) and the float64 reference path
(b) the ablation curves of one checkpoint at the default job's shapes (4 modules x (1
    selective + 10 random orders) x 8 fractions on 4000 images): ``metrics.ablation`` (masks
    stacked after each module's first block, fraction 0 shared, identical masks once)
    against the selectivity study's ``ablate.ablation_curves`` (masks stacked from each
    module's input); the two must give equal accuracies (checked, printed)

Network and sizes: config.yaml's narrow ResNet-18 (width 16, ImageNet stem) on 28x28
images, batches of 250, one thread. Both sides of a ratio are interleaved (ABBA) and
repeated; the median ratio is printed with its range (single timings drift on a shared
machine).

Run: python bench/bench_metrics.py [--threads 1] [--measure-repeats 16] [--repeats 4]
     [--ablation-images 4000] [--skip-ablation]
"""

import argparse
import copy
import time

import numpy as np
import torch
from targets import judge  # bench/targets.py (bench/ is on sys.path when run as a script)

from workflow_scripts.metrics.ablation import Group, ablation_curves
from workflow_scripts.metrics.measure import measure
from workflow_scripts.metrics.selectivity_index import floor_shuffle
from workflow_scripts.models import build
from workflow_scripts.runtime import configure_torch
from workflow_scripts.selectivity import ablate as study_ablate
from workflow_scripts.selectivity import network
from workflow_scripts.selectivity.specs import AblationOptions

BLOCKS = [f"layer{m}.{b}" for m in range(1, 5) for b in range(2)]
FRACTIONS = (0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875)


class Images:
    """In-memory learnable images with the interface of ``selectivity.data``."""

    def __init__(self, n, seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.y = torch.arange(n) % 10
        self.x = torch.randn(n, 1, 28, 28, generator=gen)
        for c in range(10):
            self.x[self.y == c, :, 2 * c : 2 * c + 6, 4:12] += 2.0

    def __len__(self):
        return len(self.y)

    def batches(self, order, batch_size, start=0, seed=0, epoch=0, workers=0, device="cpu"):
        for b in range(0, len(order), batch_size):
            yield self.x[b : b + batch_size], self.y[b : b + batch_size]


def interleaved(a, b, repeats):
    """Median of b/a over ABBA-ordered pairs, the ratios, and the median times."""
    ratios, ta, tb = [], [], []
    for rep in range(repeats):
        t = {}
        for which in ("a", "b") if rep % 2 == 0 else ("b", "a"):
            start = time.perf_counter()
            (a if which == "a" else b)()
            t[which] = time.perf_counter() - start
        ta.append(t["a"])
        tb.append(t["b"])
        ratios.append(t["b"] / t["a"])
    return float(np.median(ratios)), ratios, float(np.median(ta)), float(np.median(tb))


def narrow_resnet():
    torch.manual_seed(0)
    return build("narrow_resnet18", width=16, num_classes=10, in_channels=1).eval()


@torch.no_grad()
def bench_measure(repeats):
    model, probe = narrow_resnet(), Images(2000, seed=1)
    floor = floor_shuffle(probe.y.numpy(), 0)
    order = np.arange(len(probe))

    def plain():
        for x, _ in probe.batches(order, 250):
            model(x)

    def measured(precision):
        return lambda: measure(
            model,
            probe.batches(order, 250),
            n_classes=10,
            layers=BLOCKS,
            cka_layers=BLOCKS + ["avgpool"],
            samplesets=True,
            floor_labels=floor,
            batch_size=250,
            cka_precision=precision,
        )

    plain(), measured("float32")()  # warm-up
    for precision in ("float32", "float64"):
        ratio, ratios, t_plain, t_measure = interleaved(plain, measured(precision), repeats)
        print(
            f"(a) measurement pass, CKA {precision} products, {len(probe)} images: plain "
            f"evaluation {t_plain * 1e3:.0f} ms, with every hook {t_measure * 1e3:.0f} ms: ratio "
            f"{ratio:.2f}x (median of {repeats}; {min(ratios):.2f}-{max(ratios):.2f})"
            + (f" ({judge('metrics_a', ratio)})" if precision == "float32" else "")
        )


def bench_ablation(repeats, n_images):
    model, images = narrow_resnet(), Images(n_images, seed=2)
    module, block, _ = network.unit_coords(model)
    um, ub = np.asarray(module), np.asarray(block)
    si = np.random.default_rng(0).random(len(module)).astype(np.float32)
    spec = AblationOptions(modules=(4, 5, 6, 7), fractions=FRACTIONS, draws=10, seed=0)
    groups = [
        Group(f"layer{m - 3}", (f"layer{m - 3}.0", f"layer{m - 3}.1"), m) for m in spec.modules
    ]
    per_layer = {
        f"layer{m - 3}.{b}": si[(um == m) & (ub == b)] for m in spec.modules for b in (0, 1)
    }
    out = {}

    def study():
        out["study"] = study_ablate.ablation_curves(
            copy.deepcopy(model), images, si, um, ub, spec, 250, "cpu"
        )[0]

    def ours():
        out["ours"] = ablation_curves(
            copy.deepcopy(model),
            images.batches(np.arange(n_images), 250),
            groups,
            per_layer,
            fractions=FRACTIONS,
            draws=10,
            seed=0,
        )["accuracy"]

    ratio, ratios, t_study, t_ours = interleaved(study, ours, repeats)
    equal = np.array_equal(out["study"], out["ours"], equal_nan=True)
    print(
        f"(b) ablation curves, {n_images} images x 4 modules x (1 + 10 orders) x 8 fractions: "
        f"selectivity.ablate {t_study:.1f} s, metrics.ablation {t_ours:.1f} s: speed-up "
        f"{1 / ratio:.2f}x (median of {repeats}; {1 / max(ratios):.2f}-{1 / min(ratios):.2f}); "
        f"accuracies equal: {equal}"
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=4, help="ablation pairs (minutes each)")
    parser.add_argument("--measure-repeats", type=int, default=16, help="pairs of (a): 0.2 s each")
    parser.add_argument("--ablation-images", type=int, default=4000)
    parser.add_argument("--skip-ablation", action="store_true")
    args = parser.parse_args()
    configure_torch(args.threads)
    bench_measure(args.measure_repeats)
    if not args.skip_ablation:
        bench_ablation(args.repeats, args.ablation_images)


if __name__ == "__main__":
    main()
