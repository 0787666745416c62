"""Weight checkpoints: plain dicts of tensors, loaded with ``weights_only=True``."""

from pathlib import Path

import torch

from .atomic import atomic_path
from .errors import CorruptArtifactError


def save_checkpoint(path, state):
    """Write ``state`` (a dict of tensors, numbers, strings) atomically."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path):
    """Load a checkpoint; a truncated or foreign file raises CorruptArtifactError naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for bad files
        raise CorruptArtifactError(path, f"{type(exc).__name__}: {exc}") from exc
