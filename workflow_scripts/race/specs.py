"""The resolved parameters of the race artifacts, as frozen dataclasses (no torch).

The plan builds them from the config, filling every default here, so artifact ids
hash fully resolved values (a changed default gives new ids); jobs get ``asdict`` of
them through ``params:`` and rebuild them with ``Spec(**params)``.
"""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DataSpec:
    """A balanced binary data set (see ``data``)."""

    source: str
    groups: tuple  # (source classes of binary class 0, of binary class 1)
    n_train: int
    n_test: int
    seed: int
    resize: str
    preprocess: str  # none | center | standardize (per-pixel, training-subset statistics)
    data_dir: str  # where the source lives and whether it may be downloaded do not
    download: bool  # change the data: ``identity`` leaves them out

    def identity(self):
        return {k: v for k, v in asdict(self).items() if k not in ("data_dir", "download")}


@dataclass(frozen=True)
class TrainSettings:
    lr: float
    momentum: float
    batch_size: int
    window: int
    method: str
    total_steps: int
    checkpoint_steps: tuple


@dataclass(frozen=True)
class ExtractOptions:
    """How a run's cubes are computed (``extract``); every field has its default here."""

    taus: tuple = (0.70, 0.95, 0.99)
    snapshots: tuple = ("init", "before_drop", "end")
    rel_threshold: float = 0.01  # "large" neurons: a >= this fraction of the largest
    weighting: str = "simplified"  # target vector weights r_s (metrics.alignment)
    class_method: str = "dataset"  # how the output class c(a) is estimated
    merge_split: str = "test"  # split the merged networks are evaluated on
    drop_fraction: float = 0.1  # 'before_drop' = before the loss fell by this share
    sample_chunk: int = 2048


@dataclass(frozen=True)
class StableCellOptions:
    n_probes: int
    seeds: tuple
    t_max: int
    patience: int
    chunk: int
    augment_bias: bool = False


@dataclass(frozen=True)
class ImpSpec:
    sparsity: float
    rounds: int
    prune_output_layer: bool
    rewind: str
    global_ranking: bool = True  # magnitudes ranked over W1 and W2 together


def resolved(cls, options):
    """``cls(**options)`` with tuples for lists (frozen, hashable-looking specs)."""
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
