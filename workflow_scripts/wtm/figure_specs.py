"""Each wtm figure's options, as a frozen dataclass with every default here; ``FIGURES``
maps the figure names to them. The plan resolves them once (``resolve.py``: the config's
``wtm.figures`` block over these defaults, plus what other parts of the config decide);
the figure code, the captions and the catalog read only the resolved options.

A module of its own: the training and extraction stages never import it, so editing a
figure default reruns the figures only (``entry.stage_code``).
"""

from dataclasses import dataclass


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
    seeds: tuple[int, ...] = (0, 1, 2)


FIGURES = {
    "fig1": Fig1Options,
    "fig2": Fig2Options,
    "fig3": Fig3Options,
    "fig4": Fig4Options,
    "noise_generalization": NoiseGeneralizationOptions,
}
