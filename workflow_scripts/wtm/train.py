"""Training of one WTM run, with weight checkpoints and resume after a kill.

Checkpoints (``epoch_00012.pt``: W1, w2, epoch, train loss/accuracy) are written into
``<output>.partial/`` as training goes, together with a resume state (weights,
optimizer state, data-order generator). The directory is moved to its final name
only when training has finished, so a killed job leaves no half-finished output and
a rerun continues from the last resume state, ending bit-identical on the CPU.
"""

import csv
import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..runtime import configure_torch, pick_device
from ..store.atomic import atomic_path
from ..store.checkpoints import load_checkpoint, save_checkpoint
from . import data as wtm_data
from .layca import Layca
from .model import PatternMLP

log = logging.getLogger(__name__)
RESUME_FILE = "resume.pt"
RESUME_EVERY_S = 20.0


@dataclass(frozen=True)
class TrainSpec:
    hidden: int
    activation: str
    optimizer: str
    lr: float
    momentum: float
    batch_size: int  # 0 = full batch
    max_epochs: int
    target_train_accuracy: float
    seed: int
    checkpoint_dense_until: int
    checkpoint_every: int


def checkpoint_epochs(max_epochs, dense_until, every):
    """Epochs whose weights are dumped: all up to dense_until, then every ``every``."""
    dense = range(0, min(dense_until, max_epochs) + 1)
    sparse = range(dense_until + every, max_epochs + 1, every) if every > 0 else []
    return sorted(set(dense) | set(sparse) | {max_epochs})


def checkpoint_name(epoch):
    return f"epoch_{epoch:05d}.pt"


def list_checkpoints(ckpt_dir):
    """Checkpoint files of a finished run, sorted by epoch."""
    files = sorted(Path(ckpt_dir).glob("epoch_*.pt"))
    if not files:
        raise FileNotFoundError(f"no checkpoints (epoch_*.pt) in {ckpt_dir}")
    return files


def make_optimizer(spec, params):
    if spec.optimizer == "layca":
        return Layca(params, lr=spec.lr, momentum=spec.momentum)
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum)
    raise ValueError(f"unknown optimizer {spec.optimizer!r}; choose 'sgd' or 'layca'")


def train_run(x, y, spec, out_dir, device, code="", progress=True):
    """Train one run to ``out_dir`` (a directory of checkpoints + history.csv)."""
    out_dir = Path(out_dir)
    partial = out_dir.with_name(out_dir.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(spec.seed)
    model = PatternMLP(x.shape[1], spec.hidden, spec.activation).to(device)
    opt = make_optimizer(spec, model.parameters())
    order_gen = torch.Generator().manual_seed(spec.seed + 1)
    xt = torch.as_tensor(x, device=device)
    yt = torch.as_tensor(y, dtype=torch.float32, device=device)
    history, start = [], 0
    resumed = _load_resume(partial / RESUME_FILE, spec, code)
    if resumed is not None:
        model.load_state_dict(resumed["model"])
        opt.load_state_dict(resumed["optimizer"])
        order_gen.set_state(resumed["order_gen"])
        history = [tuple(row) for row in resumed["history"].tolist()]
        start = int(resumed["epoch"]) + 1
        log.info("resuming from epoch %d (%s)", start, partial / RESUME_FILE)
    dump_at = set(checkpoint_epochs(spec.max_epochs, spec.checkpoint_dense_until, spec.checkpoint_every))
    last_resume = time.monotonic()
    bar = tqdm(range(start, spec.max_epochs + 1), desc="train", disable=not progress,
               initial=start, total=spec.max_epochs + 1, mininterval=2.0)
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
            _dump(partial / checkpoint_name(epoch), model, epoch, loss_value, acc)
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
            _save_resume(partial / RESUME_FILE, model, opt, order_gen, epoch, history, spec, code)
            last_resume = now
    _write_history(partial / "history.csv", history)
    (partial / "spec.json").write_text(json.dumps(asdict(spec), indent=2, sort_keys=True))
    (partial / RESUME_FILE).unlink(missing_ok=True)
    with atomic_path(out_dir) as tmp:
        partial.rename(tmp)
    return history


def _minibatch_epoch(model, opt, xt, yt, batch_size, order_gen):
    perm = torch.randperm(len(xt), generator=order_gen).to(xt.device)
    for i in range(0, len(xt), batch_size):
        idx = perm[i:i + batch_size]
        opt.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(model(xt[idx]), yt[idx]).backward()
        opt.step()


def _dump(path, model, epoch, loss, acc):
    save_checkpoint(path, {
        "W1": model.hidden.weight.detach().cpu().clone(),
        "w2": model.out.weight.detach().cpu()[0].clone(),
        "epoch": epoch, "train_loss": loss, "train_accuracy": acc,
    })


def _save_resume(path, model, opt, order_gen, epoch, history, spec, code):
    save_checkpoint(path, {
        "model": {k: v.cpu() for k, v in model.state_dict().items()},
        "optimizer": opt.state_dict(),
        "order_gen": order_gen.get_state(),
        "epoch": epoch,
        "history": torch.tensor(history, dtype=torch.float64),
        "spec": json.dumps(asdict(spec), sort_keys=True),
        "code": code,
    })


def _load_resume(path, spec, code):
    """The resume state if it belongs to this spec and code; stale ones are discarded."""
    if not path.is_file():
        return None
    state = load_checkpoint(path)
    if state.get("spec") != json.dumps(asdict(spec), sort_keys=True) or state.get("code") != code:
        log.warning("discarding resume state %s written by other parameters or code", path)
        shutil.rmtree(path.parent)
        path.parent.mkdir(parents=True)
        return None
    return state


def _write_history(path, history):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["epoch", "train_loss", "train_accuracy"])
        for epoch, loss, acc in history:
            writer.writerow([int(epoch), f"{loss:.8g}", f"{acc:.8g}"])


def main(snakemake):
    from ..runtime import setup_logging

    setup_logging(snakemake.log[0] if snakemake.log else None)
    configure_torch(snakemake.threads)
    spec = TrainSpec(**snakemake.params.spec)
    arrays, _ = wtm_data.load(snakemake.input.data)
    device = pick_device(snakemake.params.device)
    log.info("training %s on %s with %d thread(s)", snakemake.output.checkpoints, device, snakemake.threads)
    train_run(np.asarray(arrays["x"]), np.asarray(arrays["y"]), spec,
              snakemake.output.checkpoints, device, code=snakemake.params.code)

