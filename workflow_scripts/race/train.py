"""Training of race runs with checkpoints, resume after a kill, and atomic outputs.

The runs of one job are trained together by ``stacked.BatchedRuns``. Outputs:

- ``out`` and ``names`` (a training stack): the directory ``out`` with one checkpoints
  directory per run, ``<out>/<name>/checkpoints/step_*.pt`` (``store.checkpoints``;
  contents: ``dumps``); it appears once every run is trained;
- ``out`` alone (one run: an IMP round): the file ``out``, the run's checkpoints as one
  dict (``dumps.result_dict``, with the run's masks);
- neither: those dicts are returned in memory (tests, benchmarks).

Progress lives in ``<out>.partial/`` (``store.resume.Partial``): the checkpoints as they
are taken and a resume state (every run's weights, momentum buffers, generator state,
epoch order and position) whenever ``Partial.due()`` at a block cut (``every_s``
seconds apart: the config's ``resume_every_s``). Cuts lie on a fixed grid, so the
trajectory does not depend on when states are saved. A rerun after a kill resumes from
the newest state and ends bit-identical (CPU) to an uninterrupted run; a partial
directory of other settings, data, init, masks or code is discarded.
"""

import logging
import time

import torch

from ..store.checkpoints import checkpoint_path, load_checkpoint, save_step
from ..store.resume import DEFAULT_EVERY_S, Partial, fingerprint
from .dumps import WEIGHTS, entry_of, result_dict
from .runs import tensor_digest
from .stacked import BatchedRuns

log = logging.getLogger(__name__)
SINGLE = "run"  # the checkpoints folder of a one-run (file) output inside its partial dir


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
    every_s=DEFAULT_EVERY_S,
    window=32,
    method="auto",
    device="cpu",
    progress=False,
    on_boundary=None,
    data_meta=None,
):
    """Train the stacked runs. Returns the result dicts (in memory) or the written paths.

    ``on_boundary(step)`` is called after each block cut (``BatchedRuns.block``; tests
    inject crashes there).
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
    settings = _settings(trainer, total_steps, ckpt, data_meta)
    metas = [_run_meta(settings, run, trainer) for run in runs]
    partial = None
    if out is not None:
        partial = Partial(out, fingerprint(_identity(settings, runs, trainer), code), every_s)
        _resume(trainer, partial, names, ckpt)
    dumps = [[] for _ in runs]  # in-memory mode

    def folder(r):
        return partial.dir / (names[r] if names else SINGLE) / "checkpoints"

    def record(at):
        loss, acc = trainer.evaluate()
        for r in range(trainer.R):
            scores = {"train_loss": float(loss[r]), "test_accuracy": float(acc[r])}
            if partial:
                save_step(
                    folder(r),
                    at,
                    trainer.weights(r),
                    epoch=at / trainer.spe,
                    **scores,
                    meta=metas[r],
                )
            else:
                dumps[r].append({**trainer.weights(r), "step": at, **scores})

    step = trainer.step
    if step == 0 and 0 in ckpt:
        record(0)
    ckpt_set = set(ckpt)
    bar = _progress(total_steps, step, progress)
    while step < total_steps:
        nxt = min(
            [total_steps, (step // trainer.block + 1) * trainer.block]
            + [s for s in ckpt if s > step][:1]
        )
        trainer.advance(nxt - step)
        bar.update(nxt - step)
        step = nxt
        if step in ckpt_set:
            record(step)
        if partial and step < total_steps and partial.due():
            partial.save_state(step, {"runs": [trainer.run_state(r) for r in range(trainer.R)]})
        if on_boundary is not None:
            on_boundary(step)
    bar.close()
    log.info(
        "trained %d run(s) x %d steps (%s) in %.1f s",
        trainer.R,
        total_steps,
        trainer.method,
        time.perf_counter() - t0,
    )

    if partial is not None and names is not None:
        partial.finalize_directory()
        return [out / name / "checkpoints" for name in names]
    results = []
    for r, meta in enumerate(metas):
        if partial:
            entries = [entry_of(load_checkpoint(checkpoint_path(folder(r), s))) for s in ckpt]
        else:
            entries = dumps[r]
        results.append(result_dict(entries, meta, *_masks_of(trainer, r)))
    if partial is None:
        return results
    partial.finalize(lambda tmp: torch.save(results[0], tmp))
    return [out]


def _settings(trainer, total_steps, ckpt, data_meta):
    return {
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
    folders = [partial.dir / name / "checkpoints" for name in (names or [SINGLE])]
    if not all(checkpoint_path(f, s).is_file() for f in folders for s in ckpt if s <= step):
        log.warning(
            "resume state at step %d lacks checkpoints: training %s afresh", step, partial.output
        )
        return
    trainer.load_run_states(state["runs"])
    log.info("resumed %d run(s) at step %d from %s", trainer.R, step, partial.dir)


def _run_meta(settings, run, trainer):
    return {
        **settings,
        "seed": run.seed,
        "sigma0": run.sigma0,
        "init": "given" if run.init is not None else "seeded gaussian (std sigma0), zero biases",
        "masked": trainer.mask_W1 is not None,
        "stack_size": trainer.R,
        **run.meta,
    }


def _masks_of(trainer, r):
    if trainer.mask_W1 is None:
        return None, None
    return trainer.mask_W1[r].cpu(), trainer.mask_W2[r].cpu()


def _progress(total, initial, enabled):
    from ..progress import progress

    return progress(total=total, initial=initial, desc="train", unit="step", enabled=enabled)
