"""Names of a wtm run's weight checkpoints (``epoch_00012.pt``) and how to list them."""

from pathlib import Path


def checkpoint_name(epoch):
    return f"epoch_{epoch:05d}.pt"


def list_checkpoints(ckpt_dir):
    """Checkpoint files of a finished run, sorted by epoch."""
    files = sorted(Path(ckpt_dir).glob("epoch_*.pt"))
    if not files:
        raise FileNotFoundError(f"no checkpoints (epoch_*.pt) in {ckpt_dir}")
    return files
