"""The resolved parameters of the race artifacts, as frozen dataclasses (no torch).

The plan builds them from the config with every value resolved (defaults here), so ids
hash resolved values; ``workflow_scripts.specs`` hashes them (``identity``), carries them to
the jobs (``params``) and rebuilds them there (``from_params``). Fields declared with
``run_setting`` cannot change a result: they are in neither ids nor params, and a job
reads them from the config it runs under (``specs.run_settings``).

Each figure's options: ``figure_specs.py``.
"""

from dataclasses import dataclass

from ..specs import run_setting


@dataclass(frozen=True)
class DataSpec:
    """A balanced binary data set (``race.data``)."""

    source: str
    groups: tuple  # (source classes of binary class 0, of binary class 1)
    n_train: int
    n_test: int
    seed: int
    resize: str  # none | pad | bilinear
    preprocess: str  # none | center | standardize (per-pixel, training-subset statistics)
    inputs: str  # varying (features constant over the training subset dropped) | all
    data_dir: str = run_setting("data", why="where the source lives, not what it holds")
    download: bool = run_setting(False, why="whether a missing source may be fetched")


@dataclass(frozen=True)
class TrainSpec:
    """SGD of every run of a stack (``race.train``, ``race.checkpoints``), resolved.

    ``method`` is the effective update method (``method.effective_method``: never
    ``auto``); ``window`` is the low-rank window, 1 under the direct method (``method``).
    """

    lr: float
    momentum: float
    batch_size: int
    window: int
    method: str
    total_steps: int
    checkpoint_steps: tuple[int, ...]


@dataclass(frozen=True)
class ImpSpec:
    sparsity: float
    rounds: int
    prune_output_layer: bool
    rewind: str
    global_ranking: bool = True  # magnitudes ranked over W1 and W2 together


@dataclass(frozen=True)
class ExtractOptions:
    """How a run's cubes are computed (``race.extract``); every default is here."""

    taus: tuple[float, ...] = (0.70, 0.95, 0.99)
    snapshots: tuple = ("init", "before_drop", "end")
    rel_threshold: float = 0.01  # "large" neurons: a >= this fraction of the largest
    weighting: str = "simplified"  # target vector weights r_s (metrics.alignment)
    class_method: str = "dataset"  # how the output class c(a) is estimated
    merge_split: str = "test"  # split the merged networks are evaluated on
    drop_fraction: float = 0.1  # 'before_drop' = before the loss fell by this share
    sample_chunk: int = run_setting(
        2048, why="samples per matmul: float64 summation order only (memory knob)"
    )


@dataclass(frozen=True)
class StableCellOptions:
    """Algorithm 1 (``race.stable_cells``)."""

    n_probes: int
    seeds: tuple[int, ...]
    t_max: int
    patience: int
    augment_bias: bool = False
    chunk: int = run_setting(
        4096, why="probes per matmul: the same probes, in batches (memory knob)"
    )
