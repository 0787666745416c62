"""Neuron-level measurements of any PyTorch classifier, by name (a registry; names no study).

A *unit* is one output of a linear layer, or one channel of a convolutional layer averaged
over its spatial positions (``layers.unit_activations``): the selectivity paper's unit
(a channel of a block output, averaged over height and width), and the only reduction
that makes units of layers with different spatial sizes comparable and keeps one number
per unit and image whatever the input resolution. Activations are read by forward hooks on
named modules (``model.named_modules()`` names), all requested layers and metrics in ONE
forward pass per probe batch (``measure.measure``).

Each metric says what it applies to, what it needs and what it returns (an
``xarray.Dataset``, built by ``datasets``; dims, coords and units in ``returns``). This
module is metadata only (no torch import): configs and plans check names against it.
"""

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    applies_to: str
    returns: str  # the Dataset's variables, with dims and units
    needs_labels: bool
    needs: tuple = ()  # other metrics whose results it reads
    function: str = ""  # "module:function" computing it


METRICS = {}


def register(metric):
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} registered twice")
    METRICS[metric.name] = metric
    return metric


register(
    Metric(
        "selectivity",
        "units with non-negative activations, e.g. after a ReLU (linear outputs; conv "
        "channels averaged over space)",
        "class_mean (time, unit, class) [activation units]; si, si_floor (time, unit) "
        "[1]; dead (time, unit) [bool]; accuracy (time) [1]",
        needs_labels=True,
        function="workflow_scripts.metrics.measure:measure",
    )
)
register(
    Metric(
        "samplesets",
        "units followed by a ReLU (active = activation > 0; conv channels: spatial mean > 0)",
        "count (time, unit, class) [samples]; activation_fraction, predictability, "
        "informativeness (time, unit) [1]; dead, always_active (time, unit) [bool]",
        needs_labels=True,
        function="workflow_scripts.metrics.measure:measure",
    )
)
register(
    Metric(
        "cka",
        "any layers (their flattened outputs)",
        "cka (time, layer, layer2) [1]: minibatch linear CKA, unbiased HSIC, float64",
        needs_labels=False,
        function="workflow_scripts.metrics.measure:measure",
    )
)
register(
    Metric(
        "ablation",
        "groups of layers whose units are zeroed together, ranked by selectivity",
        "accuracy (time, group, order, fraction, draw) [1]; base_accuracy (time) [1]; "
        "units_zeroed (group, fraction) [units]",
        needs_labels=True,
        needs=("selectivity",),
        function="workflow_scripts.metrics.ablation:ablation_curves",
    )
)
NAMES = tuple(METRICS)


def get(name):
    """The metric ``name``; an unknown name raises ValueError naming the nearest ones."""
    try:
        return METRICS[name]
    except KeyError:
        near = difflib.get_close_matches(name, NAMES, n=3, cutoff=0.4)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise ValueError(f"unknown metric {name!r}{hint}; known: {', '.join(NAMES)}") from None
