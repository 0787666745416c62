"""The resolved parameters of the wtm artifacts, as frozen dataclasses (no torch).

The plan builds them from the config; ``specs.identity`` of them is what artifact ids
hash and ``specs.params`` what reaches a job through ``params:``; the job rebuilds them
with ``specs.from_params``. No wtm parameter is a run setting (the data are drawn, not
read, and no setting takes effect on one device only), so identity and params are the
whole dataclass.

Each figure's options: ``figure_specs.py``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DataSpec:
    """One noise level's pattern data set, both splits (see ``data``)."""

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
    early_stop: bool  # stop at target_train_accuracy; false: always train max_epochs
    seed: int
    checkpoint_dense_until: int
    checkpoint_every: int

    def checkpoint_epochs(self):
        """Epochs whose weights are saved: all up to dense_until, then every ``every``,
        and the last one."""
        dense = range(0, min(self.checkpoint_dense_until, self.max_epochs) + 1)
        every = self.checkpoint_every
        sparse = range(self.checkpoint_dense_until + every, self.max_epochs + 1, every)
        return sorted(set(dense) | set(sparse) | {self.max_epochs})


@dataclass(frozen=True)
class ExtractOptions:
    """What a run's cube records besides its checkpoints (the test set: its DataSpec)."""

    neurons: int  # the most influential neurons (largest |w2|); 0 = all
    train_per_pattern: int  # train samples per pattern recorded; 0 = all
