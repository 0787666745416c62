"""A finished run on disk: ``step_<step>.pt`` checkpoints, ``history.csv``, ``spec.json``."""

from pathlib import Path

from ..store.checkpoints import load_checkpoint


def checkpoint_name(step):
    return f"step_{int(step):09d}.pt"


def list_checkpoints(run_dir):
    """The checkpoint files of a finished run, in step order."""
    files = sorted(Path(run_dir).glob("step_*.pt"))
    if not files:
        raise FileNotFoundError(f"no checkpoints (step_*.pt) in {run_dir}")
    return files


def checkpoints(run_dir):
    """(step, state dict) of every checkpoint, in step order, loaded one at a time."""
    for file in list_checkpoints(run_dir):
        ckpt = load_checkpoint(file)
        yield int(ckpt["step"]), ckpt["model"]
