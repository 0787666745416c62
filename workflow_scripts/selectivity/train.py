"""Training of one selectivity run: SGD, optional SI regulariser, dense early checkpoints,
resume after a kill (mid-epoch included).

- One run = one seed and one regulariser setting (``specs.TrainSpec``). SGD with
  momentum and weight decay; lr multiplied by ``lr_gamma`` at each of
  ``lr_milestones`` (epochs), torchvision's ImageNet recipe. CUDA: float16 autocast with
  gradient scaling (``amp``) and channels-last memory (``channels_last``); the CPU
  trains in float32 and ignores both.
- Regulariser (Leavitt & Morcos 2020, the paper's Eq. 2-3): forward hooks on the blocks
  of the chosen modules take each block's output (spatial mean, float32) in the same
  forward pass as the loss; loss = CE - alpha * mu_SI (``selectivity_index``) from the
  batch ``onset`` on (in batches, or epochs x batches per epoch).
- Checkpoints ``<label>.pt`` (weights and the training loss/accuracy averaged over the
  batches since the previous checkpoint) after the configured batches and epochs;
  ``b0`` is the initialisation.
- Resume: every ``resume_every_s`` seconds a resume state (weights, optimizer and
  gradient-scaler state, step, this epoch's data order, the global RNG, history) goes
  to ``<output>.partial/`` (``store.resume``). The data order of an epoch and every
  augmentation draw are functions of (seed, epoch, position), so a resumed run, on the
  CPU, ends bit-identical to an uninterrupted one.
"""

import contextlib
import csv
import json
import logging
import math
import time
from dataclasses import asdict

import torch
import torch.nn.functional as F

from ..progress import progress
from ..store.checkpoints import save_checkpoint
from ..store.resume import Partial, fingerprint
from . import network
from .selectivity_index import regulariser_term
from .specs import label_step

log = logging.getLogger(__name__)
RESUME_EVERY_S = 120.0
HISTORY = ("step", "epoch", "loss", "accuracy", "reg_si", "lr")


def epoch_order(seed, epoch, n):
    """The data order of one epoch: a permutation seeded by (seed, epoch)."""
    gen = torch.Generator().manual_seed(int(seed) * 7919 + int(epoch))
    return torch.randperm(n, generator=gen)


def onset_step(reg, batches_per_epoch):
    onset = reg.onset * (batches_per_epoch if reg.onset_unit == "epochs" else 1)
    return int(round(onset))


def lr_at(spec, epoch):
    return spec.lr * spec.lr_gamma ** sum(1 for m in spec.lr_milestones if epoch >= m)


class _RegHooks:
    """Spatial means of the regularised blocks' outputs, kept in the autograd graph."""

    def __init__(self, model, modules):
        self.acts, self.modules = [], [m for m, _, _, _ in network.blocks(model, modules)]
        self.outputs = network.BlockOutputs(model, self._keep, modules).register()

    def _keep(self, _k, output):
        self.acts.append(output.float().mean(dim=(2, 3)))

    def take(self):
        acts, self.acts = self.acts, []
        return acts


def train_run(
    images,
    n_classes,
    in_channels,
    spec,
    out_dir,
    device,
    *,
    code="",
    identity=None,
    workers=0,
    show_progress=True,
    resume_every_s=RESUME_EVERY_S,
    on_step=None,
):
    """Train one run into ``out_dir`` (checkpoints, history.csv, index.json, spec.json).

    ``images``: the training set (``data.open_images(..., 'train')``); ``identity``: what
    else the resume fingerprint must cover (the data spec). ``on_step(step)`` is called
    after every batch (tests inject kills there).
    """
    device = torch.device(device)
    cuda = device.type == "cuda"
    use_amp, channels_last = spec.amp and cuda, spec.channels_last and cuda
    n = len(images)
    bpe = math.ceil(n / spec.batch_size)
    total = spec.epochs * bpe
    ckpts = {}
    for label in spec.checkpoint_labels():
        ckpts.setdefault(label_step(label, bpe), []).append(label)
    late = sorted(label for step, labels in ckpts.items() if step > total for label in labels)
    if late:
        raise ValueError(
            f"config key selectivity.checkpoints: checkpoint(s) {late} lie after the "
            f"end of training ({spec.epochs} epochs x {bpe} batches = {total})"
        )
    reg = spec.regularizer
    reg_from = onset_step(reg, bpe) if reg.alpha != 0 else None
    if reg_from is not None and reg_from >= total:
        raise ValueError(
            f"config key selectivity.regularizer: onset {reg.onset:g} "
            f"{reg.onset_unit} is at or after the end of training ({total} batches)"
        )

    partial = Partial(
        out_dir,
        fingerprint(
            {"train": asdict(spec), "n_classes": n_classes, "identity": identity, "n_train": n},
            code,
        ),
    )
    torch.manual_seed(spec.seed)
    model = network.build(spec.model, n_classes, in_channels).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(
        model.parameters(), lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay
    )
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    hooks = _RegHooks(model, reg.modules) if reg_from is not None else None

    step, history, window, order = 0, [], torch.zeros(5, dtype=torch.float64), None
    resumed = partial.latest_state()
    if resumed is not None:
        step, state = resumed
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if scaler is not None and state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng"])
        history = state["history"].tolist()
        window, order = state["window"].clone(), state["order"]
        log.info(
            "resuming from batch %d of %d (epoch %d, batch %d in it) from %s",
            step,
            total,
            step // bpe,
            step % bpe,
            partial.dir,
        )
    log.info(
        "training %s: %d images, %d batches/epoch, %d epochs on %s (amp %s, channels-last %s)%s",
        spec.model.name,
        n,
        bpe,
        spec.epochs,
        device,
        use_amp,
        channels_last,
        f"; regulariser alpha {reg.alpha:g} from batch {reg_from}" if reg_from is not None else "",
    )

    pending = []  # per batch: (step, epoch, device tensor [ce, correct, count, si])

    def flush():
        """Move the per-batch statistics to the host (one sync every few batches, not
        one per batch: a per-batch .item() stalls a GPU)."""
        if not pending:
            return
        values = torch.stack([v for _, _, v in pending]).cpu().to(torch.float64)
        for (at, ep, _), (ce, correct, count, si) in zip(pending, values.tolist()):
            history.append([at, ep, ce, correct / count, si, lr_at(spec, ep)])
            regularised = not math.isnan(si)
            window.add_(
                torch.tensor(
                    [ce * count, correct, count, si if regularised else 0.0, float(regularised)],
                    dtype=torch.float64,
                )
            )
        pending.clear()

    def dump(at):
        flush()
        loss, correct, count, si, n_si = window.tolist()
        entry = {
            "model": {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
            "step": at,
            "epoch": at / bpe,
            "batches_per_epoch": bpe,
            "train_loss": loss / count if count else math.nan,
            "train_accuracy": correct / count if count else math.nan,
            "reg_si": si / n_si if n_si else math.nan,  # mean batch SI while regularised
            "lr": lr_at(spec, at // bpe),
        }
        for label in ckpts[at]:
            save_checkpoint(partial.file(f"{label}.pt"), {**entry, "label": label})
        window.zero_()
        log.info(
            "checkpoint %s at batch %d: train loss %.4f, accuracy %.4f",
            "/".join(ckpts[at]),
            at,
            entry["train_loss"],
            entry["train_accuracy"],
        )

    if step == 0 and 0 in ckpts:
        dump(0)
    bar = progress(total=total, initial=step, desc="train", unit="batch", enabled=show_progress)
    last_save = time.monotonic()
    autocast = (
        (lambda: torch.autocast("cuda", dtype=torch.float16)) if use_amp else contextlib.nullcontext
    )
    nan = torch.tensor(math.nan, device=device)
    model.train()
    while step < total:
        epoch, start = divmod(step, bpe)
        if order is None or start == 0:
            order = epoch_order(spec.seed, epoch, n)
        for g in opt.param_groups:
            g["lr"] = lr_at(spec, epoch)
        for x, y in images.batches(
            order,
            spec.batch_size,
            start=start,
            seed=spec.seed,
            epoch=epoch,
            workers=workers,
            device=device,
        ):
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with autocast():
                logits = model(x)
                ce = F.cross_entropy(logits.float(), y)
            loss, si = ce, None
            if hooks is not None:
                acts = hooks.take()
                if step >= reg_from:
                    si = regulariser_term(acts, hooks.modules, y, n_classes)
                    if si is not None:
                        loss = ce - reg.alpha * si
            opt.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()
            pending.append(
                (
                    step + 1,
                    epoch,
                    torch.stack(
                        [
                            ce.detach(),
                            (logits.argmax(1) == y).sum().to(ce.dtype),
                            torch.tensor(float(len(y)), device=device),
                            si.detach() if si is not None else nan,
                        ]
                    ),
                )
            )
            step += 1
            bar.update(1)
            if step in ckpts:
                dump(step)
            if step < total and time.monotonic() - last_save >= resume_every_s:
                flush()
                partial.save_state(
                    step,
                    {
                        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                        "optimizer": opt.state_dict(),
                        "scaler": scaler.state_dict() if scaler is not None else {},
                        "rng": torch.get_rng_state(),
                        "order": order,
                        "history": torch.tensor(history, dtype=torch.float64).reshape(
                            -1, len(HISTORY)
                        ),
                        "window": window.clone(),
                    },
                )
                last_save = time.monotonic()
            if on_step is not None:
                on_step(step)
            if len(pending) >= 50:
                flush()
                bar.set_postfix(loss=f"{history[-1][2]:.3f}", acc=f"{history[-1][3]:.3f}")
    flush()
    bar.close()
    _write_outputs(partial, spec, history, ckpts, bpe, n, n_classes)
    partial.finalize_directory()
    return history


def _write_outputs(partial, spec, history, ckpts, bpe, n, n_classes):
    with open(partial.file("history.csv"), "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HISTORY)
        for row in history:
            writer.writerow([int(row[0]), int(row[1]), *(f"{v:.8g}" for v in row[2:])])
    index = {
        label: {"step": step, "epoch": step / bpe}
        for step, labels in ckpts.items()
        for label in labels
    }
    partial.file("index.json").write_text(
        json.dumps(
            {"checkpoints": index, "batches_per_epoch": bpe, "n_train": n, "n_classes": n_classes},
            indent=2,
            sort_keys=True,
        )
    )
    partial.file("spec.json").write_text(json.dumps(asdict(spec), indent=2, sort_keys=True))
