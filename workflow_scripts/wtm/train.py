"""Training of one WTM run, with weight checkpoints and resume after a kill.

Checkpoints (``epoch_00012.pt``: W1, w2, epoch, train loss/accuracy) are written into
``<output>.partial/`` as training goes, together with resume states (weights,
optimizer state, data-order generator) through ``store.resume.Partial``. The directory
becomes the output only when training has finished, so a killed job leaves no
half-finished output and a rerun continues from the last resume state, ending
bit-identical on the CPU.
"""

import csv
import json
import logging
import time
from dataclasses import asdict

import torch
import torch.nn.functional as F

from ..progress import progress
from ..store.checkpoints import save_checkpoint
from ..store.resume import Partial, fingerprint
from .checkpoints import checkpoint_name
from .layca import Layca
from .model import pattern_mlp
from .specs import checkpoint_epochs

log = logging.getLogger(__name__)
RESUME_EVERY_S = 20.0


def make_optimizer(spec, params):
    if spec.optimizer == "layca":
        return Layca(params, lr=spec.lr, momentum=spec.momentum)
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum)
    raise ValueError(f"unknown optimizer {spec.optimizer!r}; choose 'sgd' or 'layca'")


def train_run(x, y, spec, out_dir, device, code="", show_progress=True):
    """Train one run to ``out_dir`` (a directory of checkpoints + history.csv)."""
    partial = Partial(out_dir, fingerprint(asdict(spec), code))
    torch.manual_seed(spec.seed)
    model = pattern_mlp(x.shape[1], spec.hidden, spec.activation).to(device)
    opt = make_optimizer(spec, model.parameters())
    order_gen = torch.Generator().manual_seed(spec.seed + 1)
    xt = torch.as_tensor(x, device=device)
    yt = torch.as_tensor(y, dtype=torch.float32, device=device)
    history, start = [], 0
    resumed = partial.latest_state()
    if resumed is not None:
        epoch, state = resumed
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        order_gen.set_state(state["order_gen"])
        history = [tuple(row) for row in state["history"].tolist()]
        start = epoch + 1
        log.info("resuming from epoch %d (%s)", start, partial.dir)
    dump_at = set(
        checkpoint_epochs(spec.max_epochs, spec.checkpoint_dense_until, spec.checkpoint_every)
    )
    last_resume = time.monotonic()
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
        logits = model(xt)
        loss = F.binary_cross_entropy_with_logits(logits, yt)
        loss_value = loss.item()
        acc = ((logits > 0).float() == yt).float().mean().item()
        history.append((epoch, loss_value, acc))
        bar.set_postfix(loss=f"{loss_value:.4f}", acc=f"{acc:.3f}")
        done = acc >= spec.target_train_accuracy or epoch == spec.max_epochs
        if epoch in dump_at or done:
            _dump(partial.file(checkpoint_name(epoch)), model, epoch, loss_value, acc)
        if done:
            log.info("stopped at epoch %d: train loss %.4f, accuracy %.4f", epoch, loss_value, acc)
            break
        if spec.batch_size == 0:
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        else:
            _minibatch_epoch(model, opt, xt, yt, spec.batch_size, order_gen)
        now = time.monotonic()
        # a resume point at every sparse checkpoint and at least every RESUME_EVERY_S;
        # not at each of the dense early dumps, which come seconds apart
        sparse_dump = epoch in dump_at and epoch > spec.checkpoint_dense_until
        if sparse_dump or now - last_resume > RESUME_EVERY_S:
            partial.save_state(
                epoch,
                {
                    "model": {k: v.cpu() for k, v in model.state_dict().items()},
                    "optimizer": opt.state_dict(),
                    "order_gen": order_gen.get_state(),
                    "history": torch.tensor(history, dtype=torch.float64),
                },
            )
            last_resume = now
    _write_history(partial.file("history.csv"), history)
    partial.file("spec.json").write_text(json.dumps(asdict(spec), indent=2, sort_keys=True))
    partial.finalize_directory()
    return history


def _minibatch_epoch(model, opt, xt, yt, batch_size, order_gen):
    perm = torch.randperm(len(xt), generator=order_gen).to(xt.device)
    for i in range(0, len(xt), batch_size):
        idx = perm[i : i + batch_size]
        opt.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(model(xt[idx]), yt[idx]).backward()
        opt.step()


def _dump(path, model, epoch, loss, acc):
    save_checkpoint(
        path,
        {
            "W1": model.linears[0].weight.detach().cpu().clone(),
            "w2": model.linears[1].weight.detach().cpu()[0].clone(),
            "epoch": epoch,
            "train_loss": loss,
            "train_accuracy": acc,
        },
    )


def _write_history(path, history):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["epoch", "train_loss", "train_accuracy"])
        for epoch, loss, acc in history:
            writer.writerow([int(epoch), f"{loss:.8g}", f"{acc:.8g}"])
