"""Each selectivity figure's options, and the claims options, as frozen dataclasses; fields
without a default are resolved by the plan from the rest of the config (``resolve.py``),
the others can be set under ``selectivity.figures.<fig>``. ``FIGURES`` maps the names to
them; the figure code, the captions and the catalog read only the resolved options.

A module of its own: the training and extraction stages never import it, so editing a
figure default reruns the figures only (``entry.stage_code``).
"""

from dataclasses import dataclass

from .specs import MODULES


@dataclass(frozen=True)
class Fig2Options:
    """Mean SI per module over training."""

    model: str  # train.model.name, for the title and caption
    source: str  # data.source


@dataclass(frozen=True)
class Fig3Options:
    """Ablation through training of the modules below 7."""

    modules: tuple[int, ...]  # default: the ablated modules below 7
    draws: int  # ablation.draws (random orders averaged)


@dataclass(frozen=True)
class Fig4Options:
    """Ablation through training of module 7."""

    modules: tuple[int, ...]  # default: module 7 when it is ablated
    draws: int


@dataclass(frozen=True)
class Fig5Options:
    """CKA of one module's representation with each block of a later one and the FC input."""

    module: int = 4  # the module whose representation (last block) is compared
    later_module: int = 7  # the module whose every block it is compared with


@dataclass(frozen=True)
class Fig6Options:
    """The regulariser from the start vs a later onset."""

    alpha: float
    modules: tuple[int, ...]  # the regularised modules
    onset_unit: str
    later_onset: float
    seeds: tuple[int, ...]  # regularizer.seeds


@dataclass(frozen=True)
class Fig7Options:
    """The regulariser switched on at each onset."""

    alpha: float
    modules: tuple[int, ...]
    onset_unit: str
    onsets: tuple[float, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class Fig8Options:
    """Ablation of the fully trained network."""

    modules: tuple[int, ...]  # default: every ablated module
    draws: int


@dataclass(frozen=True)
class Fig9Options:
    """Mean SI per block, one panel per module."""

    modules: tuple[int, ...] = MODULES


@dataclass(frozen=True)
class Fig10Options:
    """CKA between module representations."""

    modules: tuple[int, ...] = MODULES


FIGURES = {
    "fig2": Fig2Options,
    "fig3": Fig3Options,
    "fig4": Fig4Options,
    "fig5": Fig5Options,
    "fig6": Fig6Options,
    "fig7": Fig7Options,
    "fig8": Fig8Options,
    "fig9": Fig9Options,
    "fig10": Fig10Options,
}
REGULARISED_FIGURES = ("fig6", "fig7")  # read the regulariser runs besides the baseline


@dataclass(frozen=True)
class ClaimsOptions:
    """What the claims read besides the cubes (the regulariser setting of figs 6-7)."""

    alpha: float
    modules: tuple[int, ...]
    onset_unit: str
    onsets: tuple[float, ...]
    later_onset: float
    seeds: tuple[int, ...]
