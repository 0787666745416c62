"""Training of one samplesets run: Adam, minibatches, weight checkpoints, resume.

Checkpoints (``store.checkpoints.save_step``: the state dict, step, fractional epoch,
mean train loss since the previous checkpoint) go into ``<output>.partial/`` as training
goes, beside a resume state (weights, Adam state, loss accumulators) whenever one is due
(``store.resume.Partial``: every ``every_s`` seconds, checked after each step). The
directory becomes the output when training is done, so a killed job leaves nothing
under the output's name and its rerun continues from the last resume state.

Bit-identical resume on the CPU: the minibatch order of epoch e is a permutation drawn
from a generator seeded by (seed, e) alone, so a resumed run draws the same batches
without any generator state to save; weights and Adam moments are restored exactly.
"""

import csv
import json
import logging
from dataclasses import asdict

import numpy as np
import torch
import torch.nn.functional as F

from ..progress import progress
from ..store.checkpoints import checkpoint_path, save_step
from ..store.resume import DEFAULT_EVERY_S, Partial, fingerprint
from .data import scaled
from .network import build_net

log = logging.getLogger(__name__)


def epoch_order(seed, epoch, n):
    """The minibatch order of one epoch (CPU generator: the same on every device)."""
    state = np.random.SeedSequence([int(seed), int(epoch)]).generate_state(1)[0]
    return torch.randperm(n, generator=torch.Generator().manual_seed(int(state)))


def make_optimizer(spec, params):
    impl = {"fused": {"fused": True}, "foreach": {"foreach": True}, "for_loop": {"foreach": False}}[
        spec.adam_impl
    ]
    return torch.optim.Adam(params, lr=spec.lr, betas=tuple(spec.betas), eps=spec.eps, **impl)


def loss_function(loss):
    """Batch-mean loss on (outputs, labels). MSE: identity outputs vs one-hot targets,
    mean over batch and outputs (Keras' 'mean_squared_error' averaged over the batch)."""
    if loss == "ce":
        return F.cross_entropy
    if loss == "mse":
        return lambda out, y: F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype))
    raise ValueError(f"unknown loss {loss!r}; choose ce or mse")


def train_run(
    x_train,
    y_train,
    spec,
    out,
    *,
    device="cpu",
    code="",
    identity=None,
    every_s=DEFAULT_EVERY_S,
    show_progress=True,
    on_step=None,
):
    """Train one run into the checkpoint directory ``out``; return its history rows.

    ``identity``: what else the run depends on (the data split), part of the resume
    fingerprint; ``every_s``: seconds between resume states (``resume.every_seconds``).
    ``on_step(step)`` runs after every step (tests inject kills there).
    """
    device = torch.device(device)
    key = fingerprint({"spec": asdict(spec), "data": identity}, code)
    partial = Partial(out, key, every_s=every_s)
    torch.manual_seed(spec.seed)
    net = build_net(spec, device)
    opt = make_optimizer(spec, net.parameters())
    lossf = loss_function(spec.loss)
    x = torch.as_tensor(scaled(np.asarray(x_train)), device=device)
    y = torch.as_tensor(np.asarray(y_train), dtype=torch.int64, device=device)
    if len(y) != spec.n_train:
        raise ValueError(f"the data split has {len(y)} train images, the spec {spec.n_train}")
    ckpts = set(spec.checkpoint_steps)
    step, history = 0, []
    loss_sum, loss_n = torch.zeros((), dtype=torch.float64, device=device), 0
    resumed = _resume(partial, spec)
    if resumed is not None:
        step, state = resumed
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        loss_sum.fill_(float(state["loss_sum"]))
        loss_n, history = int(state["loss_n"]), [tuple(r) for r in state["history"].tolist()]
        log.info("resumed at step %d from %s", step, partial.dir)

    def dump(at):
        mean = float(loss_sum / loss_n) if loss_n else float("nan")
        row = (at, at / spec.steps_per_epoch, mean)
        state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
        save_step(partial.dir, at, state, epoch=row[1], train_loss=mean)
        history.append(row)

    if step == 0 and 0 in ckpts:
        dump(0)
    bar = progress(
        total=spec.total_steps, initial=step, desc="train", unit="step", enabled=show_progress
    )
    order_epoch, order = None, None
    while step < spec.total_steps:
        epoch, pos = divmod(step, spec.steps_per_epoch)
        if order_epoch != epoch:
            order, order_epoch = epoch_order(spec.seed, epoch, spec.n_train).to(device), epoch
        idx = order[pos * spec.batch_size : (pos + 1) * spec.batch_size]
        loss = lossf(net(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += loss.detach()
        loss_n += 1
        step += 1
        bar.update(1)
        if step in ckpts:
            dump(step)
            loss_sum.zero_()
            loss_n = 0
        if step < spec.total_steps and partial.due():
            partial.save_state(
                step,
                {
                    "model": {k: v.detach().cpu() for k, v in net.state_dict().items()},
                    "optimizer": _cpu(opt.state_dict()),
                    "loss_sum": float(loss_sum),
                    "loss_n": loss_n,
                    "history": torch.tensor(history, dtype=torch.float64),
                },
            )
        if on_step is not None:
            on_step(step)
    bar.close()
    _write_history(partial.file("history.csv"), history)
    partial.file("spec.json").write_text(json.dumps(asdict(spec), indent=2, sort_keys=True))
    partial.finalize_directory()
    log.info("trained %s: %d steps, last train loss %.4f", out, step, history[-1][2])
    return history


def _resume(partial, spec):
    latest = partial.latest_state()
    if latest is None:
        return None
    step, state = latest
    missing = [
        s
        for s in spec.checkpoint_steps
        if s <= step and not checkpoint_path(partial.dir, s).is_file()
    ]
    if missing:
        log.warning(
            "resume state at step %d lacks checkpoints %s: training afresh", step, missing[:3]
        )
        return None
    return step, state


def _cpu(value):
    if torch.is_tensor(value):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cpu(v) for v in value]
    return value


def _write_history(path, history):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["step", "epoch", "train_loss"])
        for step, epoch, loss in history:
            writer.writerow([int(step), f"{epoch:.6g}", f"{loss:.8g}"])
