"""Each figure's options of a run brought to the ``external`` study, as frozen dataclasses
with every default here; ``FIGURES`` maps the figure names (one per metric) to them. The
plan fills the run-dependent fields once; the figure code, the captions and the catalog
read only the resolved options.

A module of its own: the extraction stages never import it, so editing a figure default
reruns the figures only (``entry.stage_code``).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SelectivityFigureOptions:
    run: str = ""
    model: str = ""
    probe: str = ""
    time_unit: str = "step"
    n_checkpoints: int = 0
    layers: tuple = ()
    floor_seed: int = 0
    x_scale: str = "symlog"


@dataclass(frozen=True)
class SamplesetsFigureOptions:
    run: str = ""
    model: str = ""
    probe: str = ""
    time_unit: str = "step"
    n_checkpoints: int = 0
    layers: tuple = ()
    x_scale: str = "symlog"


@dataclass(frozen=True)
class CkaFigureOptions:
    run: str = ""
    model: str = ""
    probe: str = ""
    time_unit: str = "step"
    n_checkpoints: int = 0
    layers: tuple = ()
    panels: int = 4
    cka_precision: str = "float32"
    batch_size: int = 250


@dataclass(frozen=True)
class AblationFigureOptions:
    run: str = ""
    model: str = ""
    probe: str = ""
    time_unit: str = "step"
    n_checkpoints: int = 0
    groups: tuple = ()
    fractions: tuple = ()
    draws: int = 10
    x_scale: str = "symlog"


FIGURES = {
    "selectivity": SelectivityFigureOptions,
    "samplesets": SamplesetsFigureOptions,
    "cka": CkaFigureOptions,
    "ablation": AblationFigureOptions,
}
