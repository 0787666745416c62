"""Weight checkpoints: one naming and one listing for every study's runs.

A run's checkpoints are the files ``step_<step, 9 digits>.pt`` of one directory
(``StudyPaths.checkpoints(run_id)``), each a plain dict loaded with ``weights_only=True``:

    {"step": <optimizer steps done>, "epoch": <epochs done, a float, or None>,
     "model": <state dict>, ...}  (plus what the study records at that time: losses, lr)

``step`` counts optimizer updates from 0 (the initialisation); ``epoch`` is recorded
where the run has epochs (sub-epoch checkpoints carry fractions), so a reader never needs
the batch size to place a checkpoint in time.
"""

import re
from pathlib import Path

import torch

from .atomic import atomic_path
from .errors import CorruptArtifactError

PATTERN = "step_*.pt"
NAME = re.compile(r"^step_(\d+)\.pt$")


def checkpoint_name(step):
    return f"step_{int(step):09d}.pt"


def checkpoint_path(directory, step):
    return Path(directory) / checkpoint_name(step)


def save_checkpoint(path, state):
    """Write ``state`` (a dict of tensors, numbers, strings) atomically."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def save_step(directory, step, model_state, *, epoch=None, **extra):
    """Write the checkpoint of ``step`` into ``directory``; returns its path."""
    path = checkpoint_path(directory, step)
    state = {"step": int(step), "epoch": None if epoch is None else float(epoch)}
    save_checkpoint(path, {**state, "model": model_state, **extra})
    return path


def load_checkpoint(path):
    """Load a checkpoint; a truncated or foreign file raises CorruptArtifactError naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for bad files
        raise CorruptArtifactError(path, f"{type(exc).__name__}: {exc}") from exc


def list_checkpoints(directory):
    """[(step, path)] of a run's checkpoints in step order; a directory without any
    raises FileNotFoundError saying where it looked and what it looked for."""
    directory = Path(directory)
    found = sorted(
        (int(m.group(1)), p) for p in directory.glob(PATTERN) if (m := NAME.match(p.name))
    )
    if not found:
        what = "does not exist" if not directory.is_dir() else f"holds no {PATTERN} file"
        raise FileNotFoundError(
            f"no checkpoints in {directory}: the directory {what}. Build the run first "
            "(its training rule writes them), or check the path."
        )
    return found


def checkpoint_steps(directory):
    return [step for step, _ in list_checkpoints(directory)]


def load_steps(directory, steps=None):
    """(step, checkpoint dict) of the run's checkpoints (``steps``: only those), in step
    order, loaded one at a time."""
    wanted = None if steps is None else {int(s) for s in steps}
    for step, path in list_checkpoints(directory):
        if wanted is None or step in wanted:
            yield step, load_checkpoint(path)
