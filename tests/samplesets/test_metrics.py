"""f, p, u on hand-made activation patterns with known answers; layer means; the bound."""

import math

import numpy as np
import pytest
import xarray as xr

from workflow_scripts.metrics.sample_sets import max_informativeness, node_metrics
from workflow_scripts.samplesets import metrics

LOG2_LOG10 = math.log(2) / math.log(10)


def counts_of(active, labels, n_classes):
    """Counts [node, class] from a bool pattern [sample, node] (the definition, by loops)."""
    active = np.asarray(active, dtype=bool)
    return np.array(
        [
            [int(active[labels == c, i].sum()) for c in range(n_classes)]
            for i in range(active.shape[1])
        ]
    )


def reference(counts, sizes):
    """p and u by the paper's sums (eqs. 10-15) with explicit 0 log 0 = 0."""
    total = sum(sizes)
    e = {
        (z, c): (counts[c] if z else sizes[c] - counts[c]) / total
        for z in (0, 1)
        for c in range(len(sizes))
    }

    def xlog(x, y):
        return 0.0 if x == 0 else x * math.log(y)

    h_zy = -sum(
        xlog(e[z, c], e[z, c] / (sizes[c] / total)) for z in (0, 1) for c in range(len(sizes))
    )
    pz = {z: sum(e[z, c] for c in range(len(sizes))) for z in (0, 1)}
    h_yz = -sum(
        xlog(e[z, c], e[z, c] / pz[z]) for z in (0, 1) for c in range(len(sizes)) if pz[z] > 0
    )
    return 1 - h_zy / math.log(2), 1 - h_yz / math.log(len(sizes))


def test_node_that_fires_for_exactly_one_class():
    labels = np.repeat(np.arange(10), 30)  # balanced
    active = (labels == 3)[:, None]
    m = node_metrics(counts_of(active, labels, 10), np.full(10, 30))
    assert m["activation_fraction"][0] == pytest.approx(0.1)
    assert m["predictability"][0] == pytest.approx(1.0)  # Zhat is a function of Y
    # H(Y | Zhat) = P(Zhat = 0) log 9: the other nine classes stay undecided
    assert m["informativeness"][0] == pytest.approx(1 - 0.9 * math.log(9) / math.log(10))


def test_node_that_fires_for_half_of_the_classes_reaches_the_bound():
    labels = np.repeat(np.arange(10), 20)
    active = (labels < 5)[:, None]
    m = node_metrics(counts_of(active, labels, 10), np.full(10, 20))
    assert m["predictability"][0] == pytest.approx(1.0)
    assert m["informativeness"][0] == pytest.approx(LOG2_LOG10)
    assert max_informativeness(np.full(10, 20)) == pytest.approx(LOG2_LOG10)


def test_node_blind_to_the_class_has_zero_p_and_u():
    labels = np.repeat(np.arange(4), 10)
    active = (np.arange(40) % 10 < 5)[:, None]  # half of every class
    m = node_metrics(counts_of(active, labels, 4), np.full(4, 10))
    assert m["activation_fraction"][0] == pytest.approx(0.5)
    assert m["predictability"][0] == pytest.approx(0.0, abs=1e-12)
    assert m["informativeness"][0] == pytest.approx(0.0, abs=1e-12)


def test_dead_and_always_active_nodes_have_no_p_or_u():
    labels = np.array([0, 0, 1, 1, 2])
    active = np.array([[0, 1, 1], [0, 1, 0], [0, 1, 1], [0, 1, 0], [0, 1, 1]], dtype=bool)
    m = node_metrics(counts_of(active, labels, 3), [2, 2, 1])
    assert list(m["dead"]) == [True, False, False]
    assert list(m["always_active"]) == [False, True, False]
    assert np.isnan(m["predictability"][:2]).all() and np.isnan(m["informativeness"][:2]).all()
    assert list(m["activation_fraction"][:2]) == [0.0, 1.0]
    assert np.isfinite(m["predictability"][2])


def test_random_patterns_match_the_papers_sums_with_zero_cells():
    rng = np.random.default_rng(0)
    sizes = np.array([7, 3, 12, 5, 1])
    labels = np.repeat(np.arange(5), sizes)
    active = rng.random((sizes.sum(), 40)) < rng.random(40)  # some columns sparse
    active[:, 0] = labels == 2  # a pure node: zero cells in both Zhat values
    active[:, 1] = labels != 4
    counts = counts_of(active, labels, 5)
    m = node_metrics(counts, sizes)
    for i in range(40):
        if m["dead"][i] or m["always_active"][i]:
            continue
        p, u = reference(counts[i], sizes)
        assert m["predictability"][i] == pytest.approx(p, abs=1e-12)
        assert m["informativeness"][i] == pytest.approx(u, abs=1e-12)
    # f is the mean over classes of the class-wise fraction, not the overall fraction
    assert m["activation_fraction"][1] == pytest.approx(0.8)


def test_counts_outside_the_class_sizes_are_rejected():
    with pytest.raises(ValueError):
        node_metrics([[3, 0]], [2, 2])


def test_bound_for_unbalanced_classes_is_above_log2_log10_and_tight():
    rng = np.random.default_rng(1)
    sizes = np.array([1185, 1347, 1190, 1226, 1168, 1084, 1183, 1253, 1170, 1194])  # MNIST-like
    bound = max_informativeness(sizes)
    assert bound > LOG2_LOG10
    # no node (random stochastic channel P(Zhat = 1 | Y)) beats the bound ...
    rates = rng.random((20000, 10)) ** rng.uniform(0.2, 5, size=(20000, 1))
    u = node_metrics(np.floor(rates * sizes), sizes)["informativeness"]
    assert np.nanmax(u) <= bound + 1e-12
    # ... and the best class subset reaches it
    subsets = [np.array([(a >> k) & 1 for k in range(10)], dtype=bool) for a in range(2**10)]
    chosen = min(subsets, key=lambda s: abs(sizes[s].sum() / sizes.sum() - 0.5))
    pure = node_metrics(np.where(chosen, sizes, 0)[None, :], sizes)["informativeness"][0]
    assert pure == pytest.approx(bound, abs=1e-12)


def _cube(f, dead, always, p=None, layer=(1, 1, 1, 2, 2)):
    n = len(f)
    nan = np.full(n, np.nan)
    return xr.Dataset(
        {
            "activation_fraction": (("time", "node"), np.array([f], dtype=float)),
            "predictability": (("time", "node"), np.array([p if p is not None else nan])),
            "informativeness": (("time", "node"), np.array([nan])),
            "dead": (("time", "node"), np.array([dead], dtype=bool)),
            "always_active": (("time", "node"), np.array([always], dtype=bool)),
        },
        coords={"time": [0], "node": np.arange(n), "layer": ("node", list(layer))},
    )


def test_layer_means_leave_out_the_nodes_eqs_16_17_leave_out():
    ds = _cube(
        f=[0.0, 0.5, 1.0, 0.2, 0.4],
        dead=[1, 0, 0, 0, 0],
        always=[0, 0, 1, 0, 0],
        p=[np.nan, 0.6, np.nan, 0.1, 0.3],
    )
    f = metrics.layer_means(ds, "activation_fraction")
    assert f.sel(layer=1).item() == pytest.approx(0.75)  # dead left out, always-active kept
    assert f.sel(layer=2).item() == pytest.approx(0.3)
    p = metrics.layer_means(ds, "predictability")
    assert p.sel(layer=1).item() == pytest.approx(0.6) and p.sel(layer=2).item() == pytest.approx(
        0.2
    )


def test_seed_stats_give_mean_and_standard_error():
    a = xr.DataArray([1.0, 2.0], dims="time")
    b = xr.DataArray([3.0, 2.0], dims="time")
    mean, se = metrics.seed_stats([a, b])
    assert list(mean.values) == [2.0, 2.0]
    assert se.values[0] == pytest.approx(np.std([1, 3], ddof=1) / np.sqrt(2)) and se.values[1] == 0
    assert np.isnan(metrics.seed_stats([a])[1]).all()


def test_peak_and_error_onset():
    steps = [0, 1, 2, 5, 10, 50, 100]
    f = xr.DataArray([0.5, 0.6, 0.7, 0.72, 0.6, 0.3, 0.1], dims="time", coords={"time": steps})
    assert metrics.peak(f) == (5, 0.72)
    err = xr.DataArray([0.9, 0.9, 0.89, 0.86, 0.5, 0.2, 0.1], dims="time", coords={"time": steps})
    assert metrics.error_onset(err) == 5  # fell by 0.04 >= 5 % of 0.8 at step 5
    bouncing = err.copy(data=[0.9, 0.7, 0.9, 0.86, 0.5, 0.2, 0.1])
    assert metrics.error_onset(bouncing) == 5  # step 1's dip is not where learning starts
    flat = xr.DataArray([0.9] * 7, dims="time", coords={"time": steps})
    assert metrics.error_onset(flat) is None
    assert metrics.at_step(f, 11) == pytest.approx(0.6)
