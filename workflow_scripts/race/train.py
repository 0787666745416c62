"""Training of race runs with weight dumps, resume after a kill, and atomic outputs.

The runs of one job are trained together by ``stacked.BatchedRuns``. Outputs:

- ``out`` and ``names`` (a training stack): ``<out>/<name>.pt`` per run; the directory
  appears once every run is written;
- ``out`` alone (one run, e.g. an IMP round): the file ``out``;
- neither: the results are returned in memory (tests, benchmarks).

Progress lives in ``<out>.partial/`` (``store.resume.Partial``): the weight dumps
(``<name>/dump-<step>.pt``) as they are taken and one resume state (every run's weights,
momentum buffers, generator state, epoch order and position) every ``resume_every``
steps, rounded up to the window grid so that the trajectory does not depend on it. A
rerun after a kill resumes from the newest state and ends bit-identical (CPU) to an
uninterrupted run; a partial directory of other settings, data, init, masks or code is
discarded.
"""

import json
import logging
import math
import time

import torch

from ..store.checkpoints import load_checkpoint, save_checkpoint
from ..store.resume import Partial, fingerprint
from .stacked import WEIGHTS, BatchedRuns, tensor_digest

log = logging.getLogger(__name__)


def train_runs(
    data,
    runs,
    *,
    hidden,
    total_steps,
    ckpt_steps,
    lr=1e-3,
    momentum=0.9,
    batch_size=4,
    out=None,
    names=None,
    code="",
    resume_every=2000,
    window=32,
    method="auto",
    device="cpu",
    progress=False,
    on_boundary=None,
    data_meta=None,
):
    """Train the stacked runs. Returns the result dicts (in memory) or the written paths.

    ``on_boundary(step)`` is called after each window cut (tests inject crashes there).
    """
    if names is not None and (len(names) != len(runs) or len(set(names)) != len(names)):
        raise ValueError("a stack output needs one distinct name per run")
    if out is not None and names is None and len(runs) != 1:
        raise ValueError(f"a file output holds one run, not {len(runs)}: give names")
    t0 = time.perf_counter()
    total_steps = int(total_steps)
    ckpt = sorted({int(s) for s in ckpt_steps})
    if not ckpt or ckpt[0] < 0 or ckpt[-1] > total_steps:
        raise ValueError(f"checkpoint steps must lie in [0, {total_steps}]: {ckpt[:3]}...")
    trainer = BatchedRuns(
        data,
        runs,
        hidden=hidden,
        lr=lr,
        momentum=momentum,
        batch_size=batch_size,
        method=method,
        window=window,
        device=device,
    )
    settings = {
        "hidden": trainer.d,
        "n_in": trainer.D,
        "n_train": trainer.N,
        "lr": trainer.lr,
        "momentum": trainer.m,
        "batch_size": trainer.B,
        "total_steps": total_steps,
        "checkpoint_steps": ckpt,
        "method": trainer.method,
        "window": trainer.window,
        "optimizer": "SGD (torch semantics: buf = m*buf + g; p -= lr*buf)",
        "loss": "softmax cross-entropy, batch mean",
        "dtype": "float32",
        "data": data_meta if data_meta is not None else {},
    }
    save_every = trainer.window * max(1, math.ceil(int(resume_every) / trainer.window))
    partial = None
    if out is not None:
        partial = Partial(out, fingerprint(_identity(settings, runs, trainer), code))
        _resume(trainer, partial, names, ckpt)
    dumps = [[] for _ in runs]  # in-memory mode

    def dump_file(r, at):
        return partial.file(f"{names[r] if names else 'run'}/dump-{at:09d}.pt")

    def record(at):
        loss, acc = trainer.evaluate()
        for r in range(trainer.R):
            entry = trainer.weights(r)
            entry.update(step=at, train_loss=float(loss[r]), test_accuracy=float(acc[r]))
            if partial:
                save_checkpoint(dump_file(r, at), entry)
            else:
                dumps[r].append(entry)

    step = trainer.step
    if step == 0 and 0 in ckpt:
        record(0)
    ckpt_set = set(ckpt)
    bar = _progress(total_steps, step, progress)
    while step < total_steps:
        nxt = min(
            [total_steps, (step // trainer.window + 1) * trainer.window]
            + [s for s in ckpt if s > step][:1]
        )
        trainer.advance(nxt - step)
        bar.update(nxt - step)
        step = nxt
        if step in ckpt_set:
            record(step)
        if partial and step % save_every == 0 and step < total_steps:
            partial.save_state(step, {"runs": [trainer.run_state(r) for r in range(trainer.R)]})
        if on_boundary is not None:
            on_boundary(step)
    bar.close()

    elapsed = time.perf_counter() - t0
    results = []
    for r, run in enumerate(runs):
        entries = [load_checkpoint(dump_file(r, s)) for s in ckpt] if partial else dumps[r]
        results.append(
            result_dict(entries, _run_meta(settings, run, trainer, elapsed), *_masks_of(trainer, r))
        )
    if partial is None:
        return results
    if names is None:
        partial.finalize(lambda tmp: torch.save(results[0], tmp))
        return [out]

    def write_stack(tmp):
        tmp.mkdir(parents=True)
        for name, res in zip(names, results):
            torch.save(res, tmp / f"{name}.pt")

    partial.finalize(write_stack)
    return [out / f"{name}.pt" for name in names]


def _identity(settings, runs, trainer):
    """What a resume state must match: settings, each run's seed/init/masks, the data."""
    return {
        "settings": settings,
        "stack": trainer.R,
        "runs": [
            {
                "seed": r.seed,
                "sigma0": r.sigma0,
                "init": None if r.init is None else tensor_digest(*(r.init[k] for k in WEIGHTS)),
                "masks": tensor_digest(r.mask_W1, r.mask_W2),
            }
            for r in runs
        ],
        "x_train": tensor_digest(trainer.X if trainer.shared else None),
    }


def _resume(trainer, partial, names, ckpt):
    latest = partial.latest_state()
    if latest is None:
        return
    step, state = latest
    folders = names or ["run"]
    if not all(
        partial.file(f"{n}/dump-{s:09d}.pt").is_file() for n in folders for s in ckpt if s <= step
    ):
        log.warning(
            "resume state at step %d lacks weight dumps: training %s afresh", step, partial.output
        )
        return
    trainer.load_run_states(state["runs"])
    log.info("resumed %d run(s) at step %d from %s", trainer.R, step, partial.dir)


def _run_meta(settings, run, trainer, elapsed):
    return {
        **settings,
        "seed": run.seed,
        "sigma0": run.sigma0,
        "init": "given" if run.init is not None else "seeded gaussian (std sigma0), zero biases",
        "masked": trainer.mask_W1 is not None,
        "stack_size": trainer.R,
        "stack_seconds": round(elapsed, 3),
        **run.meta,
    }


def _masks_of(trainer, r):
    if trainer.mask_W1 is None:
        return None, None
    return trainer.mask_W1[r].cpu(), trainer.mask_W2[r].cpu()


def result_dict(entries, meta, mask_W1=None, mask_W2=None):
    res = {
        "steps": torch.tensor([int(e["step"]) for e in entries], dtype=torch.int64),
        **{k: torch.stack([e[k] for e in entries]) for k in WEIGHTS},
        "train_loss": torch.tensor([e["train_loss"] for e in entries], dtype=torch.float32),
        "test_accuracy": torch.tensor([e["test_accuracy"] for e in entries], dtype=torch.float32),
        "meta": json.dumps(meta, sort_keys=True),
    }
    if mask_W1 is not None:
        res["mask_W1"] = mask_W1.to(torch.bool)
        res["mask_W2"] = mask_W2.to(torch.bool)
    return res


def _progress(total, initial, enabled):
    from ..progress import progress

    return progress(total=total, initial=initial, desc="train", unit="step", enabled=enabled)
