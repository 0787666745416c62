"""trainscope's measurement pass against the selectivity paper's published approach.

The peer (written here from the paper code's description in /work/shared/METHODS.md and
torch_cka's documented algorithm; no code copied): two passes over the probe set with
the model in eval mode,

- class selectivity: forward hooks keep each block's output (cloned: the blocks' ReLU
  is in-place); then a Python loop over the images of the batch adds each image's
  spatial-mean activations (float32) to its class's running sum, block by block;
  class means = sums / counts, SI from the means;
- CKA, torch_cka style: per batch, for every pair of layers (i, j), the float32 Gram
  matrices K = X_i X_i^T and L = X_j X_j^T (diagonals zeroed) and the unbiased HSIC of
  (K, K), (K, L), (L, L), each as trace(K L) + 1^T K 1 1^T L 1 / ((n-1)(n-2))
  - 2 1^T K L 1 / (n-2), over n(n-3); averaged over batches; CKA = HSIC(K, L) /
  sqrt(HSIC(K, K) HSIC(L, L)). (torch_cka runs the model once per side; comparing a
  network with itself, that would be two forwards per batch: the peer here runs one, so
  the ratio printed is the peer's cheapest reading.)

trainscope: ``selectivity.extract.measure`` (one pass: class means with true and
shuffled labels, accuracy, float64 Gram matrices, minibatch CKA of every layer pair;
it does more work than the peer: the shuffled-label floor). Both run on the same
checkpoint of the default network (narrow ResNet-18, width 16, ImageNet stem, trained
briefly by ``selectivity.train.train_run`` on learnable Fashion-MNIST-shaped idx files,
loaded with ``extract.load_model``) and the same probe images (2000, batches of 250, as
config.yaml), one thread. Interleaved (ABBA), repeated: median time ratio with range;
then the agreement: the largest |SI difference| over the units and the largest |CKA
difference| over the layer pairs.

Run: python bench/bench_peers.py [--repeats 3] [--probe 2000] [--batch 250]
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from bench_trainers import interleaved, selectivity_spec  # bench/ is on sys.path

from workflow_scripts.runtime import configure_torch
from workflow_scripts.selectivity import data as sel_data
from workflow_scripts.selectivity import extract, network
from workflow_scripts.selectivity import images as sel_images
from workflow_scripts.selectivity.selectivity_index import si_from_means
from workflow_scripts.selectivity.specs import DataSpec
from workflow_scripts.selectivity.train import train_run
from workflow_scripts.store.checkpoints import checkpoint_steps, load_steps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fake_data import write_learnable_fashion_mnist  # noqa: E402

CLASSES = 10


def data_sets(tmp, n_train, n_probe):
    write_learnable_fashion_mnist(
        tmp / "data", per_class_train=n_train // CLASSES + 1, per_class_test=n_probe // CLASSES + 1
    )
    spec = DataSpec(
        source="fashion_mnist",
        folder="",
        n_train=n_train,
        probe_split="test",
        n_probe=n_probe,
        ablate_split="test",
        n_ablate=CLASSES,
        n_bn=CLASSES,
        seed=0,
        image_size=0,
        resize=0,
        augment=False,
        data_dir=str(tmp / "data"),
        download=False,
    )
    splits = sel_data.make_splits(spec)
    return [sel_images.open_images(splits, spec, which) for which in ("train", "probe")]


# ------------------------------------------------------------------ the peer


def _hsic32(k, m):
    """Unbiased HSIC of two float32 Gram matrices with zeroed diagonals (torch_cka's form:
    a full matrix product for the trace, ones-vector products for the rest)."""
    n = k.shape[0]
    ones = torch.ones(n, 1)
    value = torch.trace(k @ m)
    value = value + (ones.T @ k @ ones @ ones.T @ m @ ones).item() / ((n - 1) * (n - 2))
    value = value - (ones.T @ k @ m @ ones).item() * 2 / (n - 2)
    return (value / (n * (n - 3))).item()


@torch.no_grad()
def peer_selectivity(model, probe, batch_size):
    """SI per unit (blocks in ``network.blocks`` order), class means by a per-image loop."""
    kept = []
    hooks = network.BlockOutputs(model, lambda _k, out: kept.append(out.clone()))
    sums, counts = None, torch.zeros(CLASSES)
    with hooks:
        for x, y in probe.batches(np.arange(len(probe)), batch_size):
            kept.clear()
            model(x)
            if sums is None:
                sums = [torch.zeros(CLASSES, out.shape[1]) for out in kept]
            for i in range(len(y)):
                label = int(y[i])
                for k, out in enumerate(kept):
                    sums[k][label] += out[i].mean(dim=(1, 2))
                counts[label] += 1
    means = torch.cat([s / counts[:, None] for s in sums], dim=1)
    return si_from_means(means)[0]


@torch.no_grad()
def peer_cka(model, probe, batch_size):
    """Layer x layer minibatch CKA (block outputs and the FC input), float32."""
    kept = []
    hooks = network.BlockOutputs(model, lambda _k, out: kept.append(out.clone()))
    fc = model.fc.register_forward_pre_hook(lambda _m, inputs: kept.append(inputs[0].clone()))
    hsic, batches = None, 0
    try:
        with hooks:
            for x, _ in probe.batches(np.arange(len(probe)), batch_size):
                if len(x) != batch_size:
                    continue  # equal batches only (the unbiased estimator's weights)
                kept.clear()
                model(x)
                feats = [f.flatten(1) for f in kept]
                if hsic is None:
                    hsic = np.zeros((len(feats), len(feats), 3))
                for i, fi in enumerate(feats):
                    k = fi @ fi.T
                    k.fill_diagonal_(0.0)
                    for j, fj in enumerate(feats):
                        m = fj @ fj.T
                        m.fill_diagonal_(0.0)
                        hsic[i, j] += (_hsic32(k, k), _hsic32(k, m), _hsic32(m, m))
                batches += 1
    finally:
        fc.remove()
    hsic /= batches
    return hsic[:, :, 1] / (np.sqrt(hsic[:, :, 0]) * np.sqrt(hsic[:, :, 2]))


# ------------------------------------------------------------------ the bench


def trained_model(tmp, train_images, batches):
    spec = selectivity_spec(batches)
    run = tmp / "run"
    train_run(train_images, CLASSES, 1, spec, run, "cpu", show_progress=False)
    ((_, state),) = load_steps(run, checkpoint_steps(run)[-1:])  # e1: the end of training
    return extract.load_model(state, spec.model, CLASSES, 1, "cpu")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--probe", type=int, default=2000)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--train-batches", type=int, default=40, help="batches of 128 trained")
    args = p.parse_args(argv)
    configure_torch(1)
    tmp = Path(tempfile.mkdtemp(prefix="bench_peers_"))
    try:
        train_images, probe = data_sets(tmp, args.train_batches * 128, args.probe)
        model = trained_model(tmp, train_images, args.train_batches)
        floor = extract.floor_shuffle(probe.labels.numpy(), 0)
        results = {}

        def ours():
            t0 = time.perf_counter()
            results["ours"] = extract.measure(model, probe, CLASSES, args.batch, floor, "cpu")
            return time.perf_counter() - t0

        def peer():
            t0 = time.perf_counter()
            si = peer_selectivity(model, probe, args.batch)
            t1 = time.perf_counter()
            results["peer"] = (si, peer_cka(model, probe, args.batch))
            results.setdefault("peer_split", []).append((t1 - t0, time.perf_counter() - t1))
            return time.perf_counter() - t0

        ours(), peer()  # warm-up
        results["peer_split"].clear()
        times = interleaved({"peer": peer, "ours": ours}, args.repeats)
        ratios = np.array(times["peer"]) / np.array(times["ours"])
        si_split, cka_split = np.median(np.array(results["peer_split"]), axis=0)
        print(
            f"one checkpoint, {len(probe)} probe images in batches of {args.batch}, 1 thread, "
            f"{args.repeats} interleaved pairs (medians):"
        )
        print(
            f"  peer (per-image class sums, float32 torch_cka-style CKA): "
            f"{np.median(times['peer']):.2f} s (selectivity pass {si_split:.2f} s, CKA pass "
            f"{cka_split:.2f} s)"
        )
        print(
            f"  trainscope measure (SI, floor, accuracy, float64 minibatch CKA): "
            f"{np.median(times['ours']):.2f} s"
        )
        print(
            f"  speed ratio peer / trainscope: {np.median(ratios):.1f}x median "
            f"[{ratios.min():.1f}-{ratios.max():.1f}]"
        )
        si_peer, cka_peer = results["peer"]
        si_ours, cka_ours = results["ours"]["si"], results["ours"]["cka"]
        si_diff = np.abs(si_peer.numpy().astype(np.float64) - si_ours)
        cka_diff = np.abs(cka_peer - cka_ours)
        print(
            f"  agreement: max |SI difference| {si_diff.max():.2e} over {len(si_ours)} units "
            f"(mean SI {float(np.mean(si_ours)):.3f}); max |CKA difference| "
            f"{np.nanmax(cka_diff):.2e} over {cka_diff.size} layer pairs"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
