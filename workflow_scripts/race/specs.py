"""The resolved parameters of the race artifacts and figures, as frozen dataclasses (no torch).

The plan builds them from the config with every value resolved (defaults here, or, where
a default depends on other config such as "every grid sigma_0", in the plan), so ids hash
resolved values; ``workflow_scripts.specs`` hashes them (``identity``), carries them to
the jobs (``params``) and rebuilds them there (``from_params``). Fields declared with
``run_setting`` cannot change a result: they are in neither ids nor params, and a job
reads them from the config it runs under (``configured_run_settings``).

``FIGURES`` maps each figure to its options and ``TABLES`` Table 1 to its options: what
the figure code, its caption (``report/race/*.rst``) and the catalog read, and nothing
else. Fields marked "derived" come from the rest of the config (captions state them); the
others are the keys of ``race.figures.<fig>`` in the config.
"""

import dataclasses
from dataclasses import dataclass

from ..specs import is_run_setting, run_setting


@dataclass(frozen=True)
class DataSpec:
    """A balanced binary data set (``race.data``)."""

    source: str
    groups: tuple  # (source classes of binary class 0, of binary class 1)
    n_train: int
    n_test: int
    seed: int
    resize: str
    preprocess: str  # none | center | standardize (per-pixel, training-subset statistics)
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


# -- figures and Table 1 --------------------------------------------------------------


@dataclass(frozen=True)
class DataDescription:
    """What a caption says of the data (derived from ``race.data``)."""

    source: str
    groups: tuple
    preprocess: str


@dataclass(frozen=True)
class Fig1Options:
    """One run: loss, clustered similarity, alignment vs norm and IMP pruning."""

    sigma0: float  # the run (default: the first grid sigma_0, N; the lowest grid seed)
    N: int
    seed: int
    early_steps: tuple[int, ...]  # panel (c) times (default: 3 recorded steps of 1st third)
    pruning_step: int  # panel (d) time (default: the last early step)
    sparsity: float | None  # panel (d) IMP target (default: the middle IMP sparsity)
    d: int  # derived: race.train.hidden
    imp_rounds: int  # derived: race.imp
    imp_rewind: str
    data: DataDescription
    tau: float = 0.99
    large_only: bool = False  # the largest cluster among large neurons only


@dataclass(frozen=True)
class Fig3Options:
    """(a) clusters at the end vs N per width; (b) clustered similarity over time."""

    sigma0: float  # panel (a) init scale (default: race.d_sweep.sigma0)
    sigmas: tuple[float, ...]  # panel (b) rows (default: every grid sigma_0)
    N: int  # panel (b) run (default: the first grid N, the grid d, the lowest grid seed)
    d: int
    seed: int
    snapshot_titles: tuple[str, ...]  # panel (b) columns (default: from race.extract.snapshots)
    widths: tuple[int, ...]  # derived: race.d_sweep.hidden
    n_sweep_seeds: int  # derived: len(race.d_sweep.seeds)
    rel_threshold: float  # derived: race.extract.rel_threshold
    data: DataDescription
    tau: float = 0.95


@dataclass(frozen=True)
class Fig4Options:
    """a(t) vs cos(delta(t)) at t = 0 and an early step, every grid sigma_0 x N."""

    seed: int  # default: the lowest grid seed
    sigmas: tuple[float, ...]  # default: every grid sigma_0
    Ns: tuple[int, ...]  # default: every grid N
    d: int  # derived: race.train.hidden
    data: DataDescription
    early_step: int = 500


@dataclass(frozen=True)
class Fig5Options:
    """IMP-pruned weights per neuron vs early cos(delta), sigma_0 x N x sparsity."""

    seed: int  # default: the lowest grid seed
    sigmas: tuple[float, ...]  # default: every grid sigma_0
    Ns: tuple[int, ...]  # default: every grid N
    sparsities: tuple[float, ...]  # default: every IMP sparsity
    imp_rounds: int  # derived: race.imp
    imp_rewind: str
    prune_output_layer: bool
    data: DataDescription
    early_step: int = 500


@dataclass(frozen=True)
class Fig7Options:
    """Stable cells vs N (everything derived: race.stable_cells)."""

    n_probes: int
    t_max: int
    patience: int
    probe_seeds: tuple[int, ...]
    data: DataDescription


@dataclass(frozen=True)
class Table1Options:
    """Merging clusters (everything derived: race.extract, race.grid, race.train)."""

    taus: tuple[float, ...]
    rel_threshold: float
    merge_split: str
    n_seeds: int
    d: int
    data: DataDescription


FIGURES = {
    "fig1": Fig1Options,
    "fig3": Fig3Options,
    "fig4": Fig4Options,
    "fig5": Fig5Options,
    "fig7": Fig7Options,
}
TABLES = {"table1": Table1Options}


def configured_run_settings(cls, block):
    """The run settings of ``cls`` that a config block sets (a job's side of ``params``)."""
    return {
        f.name: block[f.name]
        for f in dataclasses.fields(cls)
        if is_run_setting(f) and f.name in block
    }
