"""Each samplesets figure's options (and the grid table's), as frozen dataclasses with
every default here; ``FIGURES`` / ``TABLES`` map the names to them. The plan resolves them
once; the figure code, the captions and the catalog read only the resolved options.

A module of its own: the training and extraction stages never import it, so editing a
figure default reruns the figures only (``entry.stage_code``).
"""

from dataclasses import dataclass

# the validation error's onset: the first step from which the error stays at least this
# share of its total drop below its initial value (``metrics.error_onset``)
ERROR_ONSET_FRACTION = 0.05


@dataclass(frozen=True)
class Setup:
    """What the captions state about the runs (from the resolved data and train specs)."""

    source: str
    n_validation: int
    split_seed: int
    lr: float
    batch_size: int
    epochs: float
    init: str
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class Fig3Options:
    """Validation error and loss of a net's runs over training."""

    net: str
    setup: Setup
    onset_fraction: float = ERROR_ONSET_FRACTION


@dataclass(frozen=True)
class Fig4Options:
    """Activation fraction of every hidden node of one run."""

    net: str
    seed: int
    setup: Setup


@dataclass(frozen=True)
class LayerCurveOptions:
    """A per-layer quantity of a net's runs over training (seed mean)."""

    net: str
    setup: Setup


@dataclass(frozen=True)
class Fig5Options(LayerCurveOptions):
    """Per-layer activation fraction (the paper's CE net)."""


@dataclass(frozen=True)
class Fig6Options(LayerCurveOptions):
    """Per-layer predictability."""


@dataclass(frozen=True)
class Fig7Options(LayerCurveOptions):
    """Per-layer informativeness, with its bound."""


@dataclass(frozen=True)
class Fig9Options(LayerCurveOptions):
    """Per-layer activation fraction (the paper's deep MSE net)."""


@dataclass(frozen=True)
class Fig10Options(LayerCurveOptions):
    """Per-layer activation fraction (the paper's 2-layer MSE net)."""


@dataclass(frozen=True)
class GridOptions:
    """Beyond the paper: a per-layer quantity of every planned net, one panel each."""

    nets: tuple[str, ...]
    setup: Setup
    quantity: str = "activation_fraction"


@dataclass(frozen=True)
class GridTableOptions:
    """Beyond the paper: the grid summary table, one row per planned net."""

    nets: tuple[str, ...]
    setup: Setup
    onset_fraction: float = ERROR_ONSET_FRACTION


FIGURES = {
    "fig3": Fig3Options,
    "fig4": Fig4Options,
    "fig5": Fig5Options,
    "fig6": Fig6Options,
    "fig7": Fig7Options,
    "fig9": Fig9Options,
    "fig10": Fig10Options,
    "grid": GridOptions,
}
TABLES = {"grid": GridTableOptions}
