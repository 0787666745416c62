"""Training of one selectivity run: SGD, optional SI regulariser, dense early checkpoints,
resume after a kill (mid-epoch included).

- One run = one seed and one regulariser setting (``specs.TrainSpec``). SGD with
  momentum and weight decay; lr multiplied by ``lr_gamma`` at each of
  ``lr_milestones`` (epochs), torchvision's ImageNet recipe. ``amp`` (float16 autocast
  with gradient scaling) as the plan resolved it: true only for CUDA runs (a spec asking
  for it on another device is an error); ``channels_last`` on any device (the CPU's
  oneDNN convolutions are ~1.4x faster in it for this network, and deterministic).
- Regulariser (Leavitt & Morcos 2020, the paper's Eq. 2-3): forward hooks on the blocks
  of the chosen modules take each block's output (spatial mean, float32) in the same
  forward pass as the loss; loss = CE - alpha * mu_SI (``selectivity_index``) from the
  batch ``onset`` on (in batches, or epochs x batches per epoch).
- Checkpoints ``step_<n>.pt`` after the configured batches and epochs (step 0: the
  initialisation; ``train_record``).
- Resume: when ``Partial.due()`` (every ``resume_every_s`` seconds) a resume state
  (weights, optimizer and gradient-scaler state, step, this epoch's data order, the
  global RNG, history) goes to ``<output>.partial/`` (``store.resume``). The data order
  of an epoch and every augmentation draw are functions of (seed, epoch, position), so a
  resumed run, on the CPU, ends bit-identical to an uninterrupted one.
"""

import contextlib
import logging
from dataclasses import asdict

import torch
import torch.nn.functional as F

from ..progress import progress
from ..store.resume import DEFAULT_EVERY_S, Partial, fingerprint
from . import network
from .selectivity_index import regulariser_term
from .specs import batches_per_epoch
from .train_record import Recorder, lr_at, write_outputs

log = logging.getLogger(__name__)


def epoch_order(seed, epoch, n):
    """The data order of one epoch: a permutation seeded by (seed, epoch)."""
    gen = torch.Generator().manual_seed(int(seed) * 7919 + int(epoch))
    return torch.randperm(n, generator=gen)


def onset_step(reg, batches_per_epoch):
    onset = reg.onset * (batches_per_epoch if reg.onset_unit == "epochs" else 1)
    return int(round(onset))


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


def checkpoint_plan(spec, bpe):
    """{step: labels} of the checkpoints, checked against the length of training."""
    total = spec.epochs * bpe
    steps = {}
    for label, step in spec.checkpoint_steps(bpe).items():
        steps.setdefault(step, []).append(label)
    late = sorted(label for step, labels in steps.items() if step > total for label in labels)
    if late:
        raise ValueError(
            f"config key selectivity.checkpoints: checkpoint(s) {late} lie after the "
            f"end of training ({spec.epochs} epochs x {bpe} batches = {total})"
        )
    return steps


def _regularised_from(reg, bpe, total):
    if reg.alpha == 0:
        return None
    start = onset_step(reg, bpe)
    if start >= total:
        raise ValueError(
            f"config key selectivity.regularizer: onset {reg.onset:g} "
            f"{reg.onset_unit} is at or after the end of training ({total} batches)"
        )
    return start


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
    every_s=DEFAULT_EVERY_S,
    on_step=None,
):
    """Train one run into ``out_dir`` (checkpoints, history.csv, spec.json).

    ``images``: the training set (``images.open_images(..., 'train')``); ``identity``:
    what else the resume fingerprint must cover (the data spec); ``every_s``: seconds
    between resume states. ``on_step(step)`` is called after every batch (tests inject
    kills there).
    """
    device = torch.device(device)
    if spec.amp and device.type != "cuda":
        raise ValueError(
            f"amp takes effect on CUDA only, but this run is on {device}: the plan resolves "
            "it to false for other devices"
        )
    n = len(images)
    bpe = batches_per_epoch(n, spec.batch_size)
    total = spec.epochs * bpe
    ckpts = checkpoint_plan(spec, bpe)
    reg = spec.regularizer
    reg_from = _regularised_from(reg, bpe, total)
    partial = Partial(
        out_dir,
        fingerprint(
            {"train": asdict(spec), "n_classes": n_classes, "identity": identity, "n_train": n},
            code,
        ),
        every_s=every_s,
    )
    torch.manual_seed(spec.seed)
    model = network.build(spec.model, n_classes, in_channels).to(device)
    if spec.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(
        model.parameters(), lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay
    )
    scaler = torch.amp.GradScaler("cuda") if spec.amp else None
    hooks = _RegHooks(model, reg.modules) if reg_from is not None else None

    step, order, record = 0, None, Recorder(spec, bpe)
    resumed = partial.latest_state()
    if resumed is not None:
        step, state = resumed
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if scaler is not None and state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng"])
        record, order = Recorder.resumed(spec, bpe, state), state["order"]
        log.info(
            "resuming from batch %d of %d (epoch %d, batch %d in it) from %s",
            *(step, total, step // bpe, step % bpe, partial.dir),
        )
    log.info(
        "training %s: %d images, %d batches/epoch, %d epochs on %s (amp %s, channels-last %s)%s",
        *(spec.model.name, n, bpe, spec.epochs, device, spec.amp, spec.channels_last),
        f"; regulariser alpha {reg.alpha:g} from batch {reg_from}" if reg_from is not None else "",
    )
    if step == 0 and 0 in ckpts:
        record.checkpoint(partial.dir, 0, model)
    bar = progress(total=total, initial=step, desc="train", unit="batch", enabled=show_progress)
    autocast = (
        (lambda: torch.autocast("cuda", dtype=torch.float16))
        if spec.amp
        else contextlib.nullcontext
    )
    model.train()
    while step < total:
        epoch, start = divmod(step, bpe)
        if order is None or start == 0:
            order = epoch_order(spec.seed, epoch, n)
        for g in opt.param_groups:
            g["lr"] = lr_at(spec, epoch)
        batches = images.batches(
            order,
            spec.batch_size,
            start=start,
            seed=spec.seed,
            epoch=epoch,
            workers=workers,
            device=device,
        )
        for x, y in batches:
            if spec.channels_last:
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
            record.add(step + 1, epoch, ce, logits, y, si)
            step += 1
            bar.update(1)
            if step in ckpts:
                record.checkpoint(partial.dir, step, model)
            if step < total and partial.due():
                partial.save_state(step, _resume_state(model, opt, scaler, order, record))
            if on_step is not None:
                on_step(step)
            if len(record.pending) >= 50:
                record.flush()
                bar.set_postfix(loss=f"{record.last()[2]:.3f}", acc=f"{record.last()[3]:.3f}")
    record.flush()
    bar.close()
    write_outputs(partial, spec, record.history)
    partial.finalize_directory()
    return record.history


def _resume_state(model, opt, scaler, order, record):
    return {
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": opt.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else {},
        "rng": torch.get_rng_state(),
        "order": order,
        **record.state(),
    }
