"""The resolved parameters of the wtm artifacts, as frozen dataclasses (no torch).

The plan builds them from the config; ``specs.identity`` of them is what artifact ids
hash and ``specs.params`` what reaches a job through ``params:``; the job rebuilds them
with ``specs.from_params``. No wtm parameter is a run setting (the data are drawn, not
read, and no setting takes effect on one device only), so identity and params are the
whole dataclass.

``FIGURES``: each figure's options, every default here; the plan fills the fields that
come from other parts of the config (the runs' own settings, which the captions state).
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


@dataclass(frozen=True)
class Fig1Options:
    """Average pattern pre-activation over training, one panel per run."""

    runs: tuple[str, ...] = ("good", "bad")
    split: str = "test"
    neuron_rank: int = 0
    sigma_train: tuple[float, ...] = ()  # of each run (the plan fills it)


@dataclass(frozen=True)
class Fig2Options:
    run: str = "good"
    neurons: int = 4
    split: str = "train"


@dataclass(frozen=True)
class Fig3Options:
    """The ablations beside the full model (``reference``)."""

    runs: tuple[str, ...] = ("linear", "one_neuron", "low_noise")
    split: str = "train"
    neuron_rank: int = 0
    reference: str = "good"
    # per ablation, how it differs from the reference, e.g. "hidden 1" (the plan fills it)
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fig4Options:
    run: str = "good"
    difficult_fraction: float = 0.25


@dataclass(frozen=True)
class NoiseGeneralizationOptions:
    """The noise sweep: one run per (sigma_train, seed), tested at every sigma_test."""

    sigma_train: tuple[float, ...] = (0.1, 0.4, 0.8, 1.2)
    sigma_test: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2)
    seeds: tuple[int, ...] = (0,)


FIGURES = {
    "fig1": Fig1Options,
    "fig2": Fig2Options,
    "fig3": Fig3Options,
    "fig4": Fig4Options,
    "noise_generalization": NoiseGeneralizationOptions,
}
