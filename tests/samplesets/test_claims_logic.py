"""The claim functions on synthetic cubes: they hold on the paper's picture and fail on
its opposite (so a wrong implementation cannot pass them by construction)."""

import numpy as np
import pytest

from workflow_scripts.claims import NotMeasured
from workflow_scripts.samplesets.claims import CLAIMS

from .synthetic import ERROR, FALL, RISE_FALL, cube


def ctx(ce=None, mse=None, shallow=None, source="fashion_mnist"):
    ce = ce or [cube({layer: RISE_FALL for layer in range(1, 9)}, seed=s) for s in (0, 1)]
    mse = mse or [
        cube(
            {layer: [0.6, 0.8, 0.95, 0.97] + [0.5] * 7 for layer in range(1, 9)}, loss="mse", seed=s
        )
        for s in (0, 1)
    ]
    shallow = shallow or [cube({1: FALL}, loss="mse", seed=s) for s in (0, 1)]
    return {
        "ce": ce,
        "mse": mse,
        "shallow_mse": shallow,
        "all": ce + mse + shallow,
        "source": source,
    }


def holds(key, context):
    return CLAIMS[key].measure(context).holds


def test_rise_then_fall_holds_and_a_monotone_fall_does_not():
    assert holds("f_rises_then_falls", ctx())
    falling = [cube({layer: FALL for layer in range(1, 9)}, seed=s) for s in (0, 1)]
    assert not holds("f_rises_then_falls", ctx(ce=falling))


def test_first_layers_falling_faster_and_the_reverse():
    faster = {1: [0.55, 0.6, 0.7, 0.72, 0.6, 0.4, 0.3, 0.2, 0.12, 0.1, 0.08]}
    faster.update({layer: RISE_FALL[:-3] + [0.3, 0.3, 0.3] for layer in range(2, 9)})
    assert holds("first_layers_fall_faster", ctx(ce=[cube(faster, seed=s) for s in (0, 1)]))
    reverse = {layer: RISE_FALL[:-1] + [0.1 + 0.02 * (8 - layer)] for layer in range(1, 9)}
    assert not holds("first_layers_fall_faster", ctx(ce=[cube(reverse, seed=s) for s in (0, 1)]))


def test_shallow_mse_falls_from_the_start_or_not():
    assert holds("shallow_mse_falls_from_start", ctx())
    rising = [cube({1: RISE_FALL}, loss="mse", seed=s) for s in (0, 1)]
    assert not holds("shallow_mse_falls_from_start", ctx(shallow=rising))


def test_mse_deep_layers_near_one_or_not():
    assert holds("mse_deep_layers_peak_near_one", ctx())
    low = [cube({layer: RISE_FALL for layer in range(1, 9)}, loss="mse", seed=s) for s in (0, 1)]
    assert not holds("mse_deep_layers_peak_near_one", ctx(mse=low))


def test_informativeness_above_the_bound_fails():
    assert holds("informativeness_rises_dips_stays_low", ctx())
    over = [
        cube(
            {layer: RISE_FALL for layer in range(1, 9)},
            u_by_layer={3: [0.03, 0.1, 0.31] + [0.15] * 8},
            seed=s,
        )
        for s in (0, 1)
    ]
    assert not holds("informativeness_rises_dips_stays_low", ctx(ce=over))
    no_dip = [
        cube(
            {layer: RISE_FALL for layer in range(1, 9)},
            u_by_layer={layer: np.linspace(0.03, 0.2, 11) for layer in range(1, 9)},
            seed=s,
        )
        for s in (0, 1)
    ]
    assert not holds("informativeness_rises_dips_stays_low", ctx(ce=no_dip))


def test_fall_meets_error_onset_only_when_they_coincide():
    assert holds("fall_starts_with_error_drop", ctx())
    late = [0.9] * 8 + [0.5, 0.2, 0.1]  # the error starts falling at step 800
    ce = [cube({layer: RISE_FALL for layer in range(1, 9)}, error=late, seed=s) for s in (0, 1)]
    assert not holds("fall_starts_with_error_drop", ctx(ce=ce))


@pytest.mark.parametrize(
    "source,final,expected",
    [("fashion_mnist", 0.12, True), ("mnist", 0.12, False), ("fashion_mnist", 0.3, False)],
)
def test_networks_learn_threshold_follows_the_source(source, final, expected):
    error = ERROR[:-1] + [final]
    ce = [cube({layer: RISE_FALL for layer in range(1, 9)}, error=error, seed=s) for s in (0, 1)]
    assert holds("networks_learn", ctx(ce=ce, mse=ce, shallow=ce, source=source)) is expected


def test_predictability_deeper_higher_or_not():
    rising = {layer: np.linspace(0.55, 0.7 + 0.02 * layer, 11) for layer in range(1, 9)}
    f = {layer: RISE_FALL for layer in range(1, 9)}
    assert holds(
        "predictability_rises_deeper_higher",
        ctx(ce=[cube(f, p_by_layer=rising, seed=s) for s in (0, 1)]),
    )
    shallow_high = {layer: np.linspace(0.55, 0.9 - 0.02 * layer, 11) for layer in range(1, 9)}
    assert not holds(
        "predictability_rises_deeper_higher",
        ctx(ce=[cube(f, p_by_layer=shallow_high, seed=s) for s in (0, 1)]),
    )


def test_predictability_needs_three_layers_and_says_so():
    two = [cube({1: RISE_FALL, 2: RISE_FALL}, seed=s) for s in (0, 1)]
    with pytest.raises(NotMeasured, match="3 or more hidden layers; the CE net has 2"):
        CLAIMS["predictability_rises_deeper_higher"].measure(ctx(ce=two))


def test_most_nodes_see_most_samples_early_or_not():
    assert holds("most_nodes_see_most_samples_early", ctx())
    narrow = [
        cube({layer: [0.3, 0.35, 0.4, 0.42] + [0.3] * 7 for layer in range(1, 9)}, seed=s)
        for s in (0, 1)
    ]
    assert not holds("most_nodes_see_most_samples_early", ctx(ce=narrow))
