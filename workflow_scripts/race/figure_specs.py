"""Each race figure's and Table 1's options, as frozen dataclasses with their defaults here;
``FIGURES`` and ``TABLES`` map the names to them. The plan resolves them once
(``figure_options``: the config's ``race.figures.<fig>`` over these defaults; defaults that
depend on the grid, and the fields marked "derived", from the rest of the config); the
figure code, the captions (``report/race/*.rst``) and the catalog read only the resolved
options.

A module of its own: the training and extraction stages never import it, so editing a
figure default reruns the figures only (``entry.stage_code``).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DataDescription:
    """What a caption says of the data (derived from ``race.data``)."""

    source: str
    groups: tuple
    preprocess: str
    inputs: str = "all"  # varying: pixels constant over the training subset dropped


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
    large_only: bool = False  # the largest cluster that holds a large neuron


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
