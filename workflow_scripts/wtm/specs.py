"""The resolved parameters of the wtm artifacts, as frozen dataclasses (no torch).

The plan builds them from the config, their ``asdict`` is what artifact ids hash and
what reaches a job through ``params:``; the job rebuilds them with ``Spec(**params)``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PatternSpec:
    """One split's worth of pattern data (see ``data``)."""

    n_features: int
    n_patterns: int
    active_per_pattern: int
    overlapping_masks: bool
    train_per_pattern: int
    test_per_pattern: int
    pattern_seed: int
    sigma: float


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
