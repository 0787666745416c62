"""The studies' trainers against the plain PyTorch loop a researcher would write.

(a) selectivity: ``selectivity.train.train_run`` with the default config's network and
    optimiser (narrow ResNet-18, width 16, ImageNet stem, SGD lr 0.05 momentum 0.9 wd
    1e-4, batch 128, no regulariser) on Fashion-MNIST-shaped idx files read by the
    study's own data path (``selectivity.images.open_images``), checkpoints b0 b5 b10 b20
    b30 e1 (the default schedule's first ones);
(b) samplesets: ``samplesets.train.train_run`` on the 9x320 CE MLP (bias in layer 1
    only), Adam (the config's fused implementation), batch 60, 48000 images, the
    default checkpoint schedule cut at the last step trained.

The plain loop (written here): the same network (same constructor, same seed), the
same optimiser and hyperparameters, the images normalised once into one float tensor,
an epoch's batches indexed from ``torch.randperm``, ``torch.save(state_dict)`` at the
same checkpoint steps; no DataLoader, logging, resume states or history. For (b) twice:
with ``torch.optim.Adam``'s CPU default (the for-loop kernels, what a researcher gets
without asking) and with ``fused=True`` (the trainer's optimiser: any gap left is the
trainer's own).

Variants are interleaved (ABBA: the order reverses every repetition) and repeated; the
ratio trainer / plain loop (time) is printed as a median with its range. One thread,
as the workflow runs these jobs. ``--profile`` adds a cProfile of one trainer run of
each (the top functions by own time), to say where a gap comes from.

Run: python bench/bench_trainers.py [--repeats 4] [--batches 50] [--steps 400]
"""

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from targets import judge  # bench/targets.py (bench/ is on sys.path as a script)

from workflow_scripts.runtime import configure_torch
from workflow_scripts.samplesets import train as ss_train
from workflow_scripts.samplesets.network import build_net
from workflow_scripts.samplesets.specs import TrainSpec as SamplesetsSpec
from workflow_scripts.samplesets.specs import checkpoint_steps
from workflow_scripts.selectivity import data as sel_data
from workflow_scripts.selectivity import images as sel_images
from workflow_scripts.selectivity import network
from workflow_scripts.selectivity import train as sel_train
from workflow_scripts.selectivity.specs import NO_REGULARIZER, DataSpec, ModelSpec
from workflow_scripts.selectivity.specs import TrainSpec as SelectivitySpec

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fake_data import write_learnable_fashion_mnist  # noqa: E402

SEL_BATCH, SEL_CKPT_BATCHES = 128, (0, 5, 10, 20, 30)
SS_BATCH, SS_TRAIN = 60, 48000


def interleaved(variants, repeats):
    """{name: [seconds]} of ``variants`` {name: callable}, run in ABBA order."""
    names, times = list(variants), {n: [] for n in variants}
    for rep in range(repeats):
        for name in names if rep % 2 == 0 else names[::-1]:
            times[name].append(variants[name]())
    return times


def report(label, times, trainer, plain):
    ratios = np.array(times[trainer]) / np.array(times[plain])
    med = float(np.median(ratios))
    print(
        f"    {trainer} / {plain}: {med:.3f}x median [{ratios.min():.3f}-{ratios.max():.3f}] "
        f"over {len(ratios)} interleaved pairs ({judge('trainers', med)}) [{label}]"
    )
    return med


def top_functions(func, n=12):
    prof = cProfile.Profile()
    prof.runcall(func)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(n)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("\n".join("      " + line for line in lines[start : start + n + 1]))


# -------------------------------------------------------------------- selectivity


def selectivity_images(tmp, n_train):
    per_class = n_train // 10 + 60  # + the held-out sets drawn from the test split
    write_learnable_fashion_mnist(tmp / "data", per_class_train=per_class, per_class_test=60)
    spec = DataSpec(
        source="fashion_mnist",
        folder="",
        n_train=n_train,
        probe_split="test",
        n_probe=200,
        ablate_split="test",
        n_ablate=200,
        n_bn=200,
        seed=0,
        image_size=0,
        resize=0,
        augment=False,
        data_dir=str(tmp / "data"),
        download=False,
    )
    return sel_images.open_images(sel_data.make_splits(spec), spec, "train")


def selectivity_spec(n_batches):
    return SelectivitySpec(
        model=ModelSpec("narrow_resnet18", 16, "imagenet"),
        regularizer=NO_REGULARIZER,
        seed=0,
        epochs=1,
        batch_size=SEL_BATCH,
        lr=0.05,
        momentum=0.9,
        weight_decay=1e-4,
        lr_milestones=(),
        lr_gamma=0.1,
        amp=False,  # CUDA only: the plan resolves both to false on the CPU
        channels_last=False,
        checkpoint_batches=tuple(b for b in SEL_CKPT_BATCHES if b < n_batches),
        checkpoint_epochs=(1,),
    )


def selectivity_plain(images, spec, out):
    """The researcher's loop: the images normalised once, the same network, SGD, batches
    of a random permutation."""
    out.mkdir(parents=True)
    x = ((images.x.float() / 255.0 - images.mean) / images.std).contiguous()
    y = images.y
    torch.manual_seed(spec.seed)
    model = network.build(spec.model, 10, 1)
    opt = torch.optim.SGD(
        model.parameters(), lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay
    )
    steps = set(spec.checkpoint_batches) | {-(-len(y) // spec.batch_size)}
    torch.save(model.state_dict(), out / "step0.pt")
    model.train()
    perm = torch.randperm(len(y))
    for step, i in enumerate(range(0, len(y), spec.batch_size), start=1):
        idx = perm[i : i + spec.batch_size]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in steps:
            torch.save(model.state_dict(), out / f"step{step}.pt")


def bench_selectivity(tmp, repeats, n_batches, profile):
    images = selectivity_images(tmp, n_batches * SEL_BATCH)
    spec, runs = selectivity_spec(n_batches), iter(range(10**6))

    def trainer():
        out = tmp / f"sel{next(runs)}"
        t0 = time.perf_counter()
        sel_train.train_run(images, 10, 1, spec, out, "cpu", show_progress=False)
        return time.perf_counter() - t0

    def plain():
        out = tmp / f"sel{next(runs)}"
        t0 = time.perf_counter()
        selectivity_plain(images, spec, out)
        return time.perf_counter() - t0

    trainer(), plain()  # warm-up
    times = interleaved({"trainer": trainer, "plain": plain}, repeats)
    n = len(images)
    print(
        f"(a) selectivity, narrow ResNet-18 w16, {n} images x 1 epoch, batch {SEL_BATCH}, "
        f"{len(spec.checkpoint_batches) + 1} checkpoints: "
        f"trainer {n / np.median(times['trainer']):.0f} "
        f"images/s, plain loop {n / np.median(times['plain']):.0f} images/s (medians)"
    )
    report("selectivity", times, "trainer", "plain")
    if profile:
        print("    cProfile of one trainer run, top functions by own time:")
        top_functions(trainer)


# -------------------------------------------------------------------- samplesets


def samplesets_spec(steps):
    kept = tuple(s for s in checkpoint_steps(8000, 30, 9) if s <= steps)
    return SamplesetsSpec(
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
        adam_impl="fused",
        batch_size=SS_BATCH,
        n_train=SS_TRAIN,
        steps_per_epoch=SS_TRAIN // SS_BATCH,
        total_steps=steps,
        checkpoint_steps=tuple(sorted(set(kept) | {steps})),
        seed=0,
    )


def samplesets_plain(x_u8, y_np, spec, out, fused):
    """The researcher's loop: the pixels scaled once, the same MLP, Adam, batches of a
    random permutation."""
    out.mkdir(parents=True)
    x, y = torch.as_tensor(x_u8.astype(np.float32) / 255.0), torch.as_tensor(y_np)
    torch.manual_seed(spec.seed)
    net = build_net(spec)
    kwargs = {"fused": True} if fused else {}
    opt = torch.optim.Adam(net.parameters(), lr=spec.lr, betas=spec.betas, eps=spec.eps, **kwargs)
    ckpts = set(spec.checkpoint_steps)
    if 0 in ckpts:
        torch.save(net.state_dict(), out / "step0.pt")
    perm = torch.randperm(len(y))
    for step in range(1, spec.total_steps + 1):
        i = (step - 1) * spec.batch_size
        idx = perm[i : i + spec.batch_size]
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in ckpts:
            torch.save(net.state_dict(), out / f"step{step}.pt")


def bench_samplesets(tmp, repeats, steps, profile):
    rng = np.random.default_rng(0)
    x_u8 = rng.integers(0, 256, (SS_TRAIN, 784), dtype=np.uint8)
    y_np = rng.integers(0, 10, SS_TRAIN)
    spec, runs = samplesets_spec(steps), iter(range(10**6))

    def timed(func):
        def run():
            out = tmp / f"ss{next(runs)}"
            t0 = time.perf_counter()
            func(out)
            return time.perf_counter() - t0

        return run

    variants = {
        "trainer": timed(
            lambda out: ss_train.train_run(x_u8, y_np, spec, out, show_progress=False)
        ),
        "plain (fused Adam)": timed(lambda out: samplesets_plain(x_u8, y_np, spec, out, True)),
        "plain (default Adam)": timed(lambda out: samplesets_plain(x_u8, y_np, spec, out, False)),
    }
    for run in variants.values():  # warm-up
        run()
    times = interleaved(variants, repeats)
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(
        f"(b) samplesets, 9x320 CE MLP, {steps} Adam steps of batch {SS_BATCH}, "
        f"{len(spec.checkpoint_steps)} checkpoints: "
        + ", ".join(f"{k} {1e3 * v / steps:.2f} ms/step" for k, v in med.items())
        + " (medians)"
    )
    report("samplesets, same optimiser kernels", times, "trainer", "plain (fused Adam)")
    report("samplesets, the researcher's default Adam", times, "trainer", "plain (default Adam)")
    if profile:
        print("    cProfile of one trainer run, top functions by own time:")
        top_functions(variants["trainer"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=4, help="interleaved pairs per ratio")
    p.add_argument("--batches", type=int, default=50, help="selectivity: batches of 128")
    p.add_argument("--steps", type=int, default=400, help="samplesets: Adam steps")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--only", choices=("selectivity", "samplesets"))
    args = p.parse_args(argv)
    configure_torch(1)
    print(f"torch {torch.__version__}, 1 thread; {args.repeats} interleaved repetitions")
    tmp = Path(tempfile.mkdtemp(prefix="bench_trainers_"))
    try:
        if args.only in (None, "selectivity"):
            bench_selectivity(tmp, args.repeats, args.batches, args.profile)
        if args.only in (None, "samplesets"):
            bench_samplesets(tmp, args.repeats, args.steps, args.profile)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
