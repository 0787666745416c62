"""Training of one WTM run, with weight checkpoints and resume after a kill.

Checkpoints (``store.checkpoints``: ``step_<n>.pt`` with the model's state dict, the
step, the epoch, train loss and accuracy) are written into ``<output>.partial/`` at the
epochs of ``TrainSpec.checkpoint_epochs`` as training goes, together with resume states
(weights, optimizer state, data-order generator, history) through
``store.resume.Partial`` whenever one is due (``resume_every_s``). The directory becomes
the output only when training has finished, so a killed job leaves no half-finished
output and a rerun continues from the last resume state, ending bit-identical on the CPU.

Steps: full batch (``batch_size: 0``, the paper's Layca setting) takes one optimizer step
per epoch, so a checkpoint's step is its epoch; with mini-batches an epoch is
``ceil(samples / batch_size)`` steps.
"""

import csv
import json
import logging
import math

import torch
import torch.nn.functional as F

from ..progress import progress
from ..specs import params
from ..store.checkpoints import save_step
from ..store.resume import DEFAULT_EVERY_S, Partial, fingerprint
from .fullbatch import FullBatchStep
from .layca import Layca
from .network import pattern_mlp

log = logging.getLogger(__name__)


def make_optimizer(spec, parameters):
    if spec.optimizer == "layca":
        return Layca(parameters, lr=spec.lr, momentum=spec.momentum)
    if spec.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=spec.lr, momentum=spec.momentum)
    raise ValueError(f"unknown optimizer {spec.optimizer!r}; choose 'sgd' or 'layca'")


def steps_per_epoch(n_samples, batch_size):
    return 1 if batch_size == 0 else math.ceil(n_samples / batch_size)


def train_run(x, y, spec, out_dir, device, code="", every_s=DEFAULT_EVERY_S, show_progress=True):
    """Train one run to ``out_dir`` (a directory of checkpoints + history.csv);
    ``every_s``: seconds between resume states (``resume.every_seconds``)."""
    partial = Partial(out_dir, fingerprint(params(spec), code), every_s=every_s)
    torch.manual_seed(spec.seed)
    model = pattern_mlp(x.shape[1], spec.hidden, spec.activation).to(device)
    opt = make_optimizer(spec, model.parameters())
    order_gen = torch.Generator().manual_seed(spec.seed + 1)
    xt = torch.as_tensor(x, device=device)
    yt = torch.as_tensor(y, dtype=torch.float32, device=device)
    per_epoch = steps_per_epoch(len(x), spec.batch_size)
    history, start = [], 0
    resumed = partial.latest_state()
    if resumed is not None:
        _, state = resumed
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        order_gen.set_state(state["order_gen"])
        history = [tuple(row) for row in state["history"].tolist()]
        start = int(state["epoch"]) + 1
        log.info("resuming from epoch %d (%s)", start, partial.dir)
    save_at = set(spec.checkpoint_epochs())
    full_batch = FullBatchStep(model, xt, yt) if spec.batch_size == 0 else None
    bar = progress(
        range(start, spec.max_epochs + 1),
        desc="train",
        unit="epoch",
        enabled=show_progress,
        initial=start,
        total=spec.max_epochs + 1,
    )
    for epoch in bar:
        # weights W_epoch: evaluate (full batch: this forward is also the training step)
        if full_batch is not None:
            logits, loss = full_batch.forward()
        else:
            with torch.no_grad():
                logits = model(xt)
                loss = F.binary_cross_entropy_with_logits(logits, yt)
        loss_value = loss.item()
        acc = ((logits > 0).float() == yt).float().mean().item()
        history.append((epoch, loss_value, acc))
        bar.set_postfix(loss=f"{loss_value:.4f}", acc=f"{acc:.3f}")
        done = epoch == spec.max_epochs or (spec.early_stop and acc >= spec.target_train_accuracy)
        if epoch in save_at or done:
            save_weights(partial.dir, model, epoch, epoch * per_epoch, loss_value, acc)
        if done:
            log.info("stopped at epoch %d: train loss %.4f, accuracy %.4f", epoch, loss_value, acc)
            break
        if full_batch is not None:
            full_batch.backward()
            opt.step()
        else:
            _minibatch_epoch(model, opt, xt, yt, spec.batch_size, order_gen)
        if partial.due():
            partial.save_state(
                (epoch + 1) * per_epoch,
                {
                    "epoch": epoch,
                    "model": {k: v.cpu() for k, v in model.state_dict().items()},
                    "optimizer": opt.state_dict(),
                    "order_gen": order_gen.get_state(),
                    "history": torch.tensor(history, dtype=torch.float64),
                },
            )
    _write_history(partial.file("history.csv"), history)
    partial.file("spec.json").write_text(json.dumps(params(spec), indent=2, sort_keys=True))
    partial.finalize_directory()
    return history


def _minibatch_epoch(model, opt, xt, yt, batch_size, order_gen):
    perm = torch.randperm(len(xt), generator=order_gen).to(xt.device)
    for i in range(0, len(xt), batch_size):
        idx = perm[i : i + batch_size]
        opt.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(model(xt[idx]), yt[idx]).backward()
        opt.step()


def save_weights(directory, model, epoch, step, loss, acc):
    """The weights after ``epoch`` epochs (``step`` optimizer steps), with the train loss
    and accuracy they reach."""
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    save_step(directory, step, state, epoch=epoch, train_loss=loss, train_accuracy=acc)


def _write_history(path, history):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["epoch", "train_loss", "train_accuracy"])
        for epoch, loss, acc in history:
            writer.writerow([int(epoch), f"{loss:.8g}", f"{acc:.8g}"])
