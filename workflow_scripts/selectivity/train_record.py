"""What a selectivity run records while it trains: per-batch statistics, the checkpoints
and the run's history file.

Per-batch statistics stay on the device until ``flush`` (one host sync every few
batches, not one per batch: a per-batch ``.item()`` stalls a GPU). A checkpoint
(``store.checkpoints.save_step``) records the step, the epoch (fractional between epoch
ends), the weights, and the training loss / accuracy and regularised batch SI averaged
over the batches since the previous checkpoint, and the learning rate.
"""

import csv
import json
import logging
import math
from dataclasses import asdict

import torch

from ..store.checkpoints import save_step

log = logging.getLogger(__name__)
HISTORY = ("step", "epoch", "loss", "accuracy", "reg_si", "lr")


def lr_at(spec, epoch):
    return spec.lr * spec.lr_gamma ** sum(1 for m in spec.lr_milestones if epoch >= m)


class Recorder:
    """History and checkpoint statistics of one run (state saved with the resume state)."""

    def __init__(self, spec, batches_per_epoch, history=None, window=None):
        self.spec, self.bpe = spec, batches_per_epoch
        self.history = [] if history is None else history
        # since the last checkpoint: [sum of CE x count, correct, count, sum of SI, SI batches]
        self.window = torch.zeros(5, dtype=torch.float64) if window is None else window
        self.pending = []  # per batch: (step, epoch, device tensor [ce, correct, count, si])

    def add(self, step, epoch, ce, logits, y, si):
        nan = torch.full_like(ce, math.nan)
        values = [
            ce.detach(),
            (logits.argmax(1) == y).sum().to(ce.dtype),
            torch.full_like(ce, float(len(y))),
            si.detach().to(ce.dtype) if si is not None else nan,
        ]
        self.pending.append((step, epoch, torch.stack(values)))

    def flush(self):
        if not self.pending:
            return
        values = torch.stack([v for _, _, v in self.pending]).cpu().to(torch.float64)
        for (at, ep, _), (ce, correct, count, si) in zip(self.pending, values.tolist()):
            self.history.append([at, ep, ce, correct / count, si, lr_at(self.spec, ep)])
            regularised = not math.isnan(si)
            self.window.add_(
                torch.tensor(
                    [ce * count, correct, count, si if regularised else 0.0, float(regularised)],
                    dtype=torch.float64,
                )
            )
        self.pending.clear()

    def checkpoint(self, directory, step, model):
        """Write ``step_<step>.pt`` with the statistics since the previous checkpoint."""
        self.flush()
        loss, correct, count, si, n_si = self.window.tolist()
        stats = {
            "train_loss": loss / count if count else math.nan,
            "train_accuracy": correct / count if count else math.nan,
            "reg_si": si / n_si if n_si else math.nan,  # mean batch SI while regularised
            "lr": lr_at(self.spec, step // self.bpe),
        }
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_step(
            directory, step, state, epoch=step / self.bpe, batches_per_epoch=self.bpe, **stats
        )
        self.window.zero_()
        log.info(
            "checkpoint at batch %d (epoch %.3g): train loss %.4f, accuracy %.4f",
            step,
            step / self.bpe,
            stats["train_loss"],
            stats["train_accuracy"],
        )

    def state(self):
        self.flush()
        history = torch.tensor(self.history, dtype=torch.float64).reshape(-1, len(HISTORY))
        return {"history": history, "window": self.window.clone()}

    @classmethod
    def resumed(cls, spec, batches_per_epoch, state):
        return cls(spec, batches_per_epoch, state["history"].tolist(), state["window"].clone())

    def last(self):
        return self.history[-1] if self.history else None


def write_outputs(partial, spec, history):
    """history.csv (one row per batch) and spec.json beside the checkpoints."""
    with open(partial.file("history.csv"), "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HISTORY)
        for row in history:
            writer.writerow([int(row[0]), int(row[1]), *(f"{v:.8g}" for v in row[2:])])
    partial.file("spec.json").write_text(json.dumps(asdict(spec), indent=2, sort_keys=True))
