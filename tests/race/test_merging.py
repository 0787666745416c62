"""Merging clusters into effective neurons (Section 4)."""

import numpy as np
import pytest

from workflow_scripts.race.metrics import merging as mg
from workflow_scripts.race.metrics.clusters import (
    cluster_labels,
    cosine_similarity_matrix,
    total_vectors,
)


def _random_net(rng, d=6, D=5):
    return (
        rng.normal(size=(d, D)),
        rng.normal(size=d),
        rng.normal(size=(2, d)),
        rng.normal(size=2),
    )


def test_parallel_neurons_merge_exactly():
    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = _random_net(rng)
    # neurons 1 and 2 become positive multiples of neuron 0 (total vectors parallel)
    for a, s in ((1, 0.3), (2, 2.5)):
        W1[a], b1[a], W2[:, a] = s * W1[0], s * b1[0], s * W2[:, 0]
    X = rng.normal(size=(200, 5))
    y = rng.integers(0, 2, 200)
    S = cosine_similarity_matrix(total_vectors(W1, b1, W2))
    labels = cluster_labels(S, 0.999999)
    assert labels[0] == labels[1] == labels[2]
    merged = mg.merge_clusters(W1, b1, W2, b2, labels)
    assert merged[0].shape == (4, 5) and merged[2].shape == (2, 4)
    np.testing.assert_allclose(
        mg.logits(*merged, X), mg.logits(W1, b1, W2, b2, X), rtol=1e-10, atol=1e-10
    )
    # effective norm: sqrt of the sum of squared total norms
    V = total_vectors(W1, b1, W2)
    j = labels[0]
    Vm = total_vectors(*merged[:3])
    assert np.linalg.norm(Vm[j]) == pytest.approx(
        np.sqrt((np.linalg.norm(V[:3], axis=1) ** 2).sum())
    )
    ev = mg.merge_evaluation(W1, b1, W2, b2, X, y, [0.999999])
    assert ev["k"] == [4]
    assert ev["relative_change"] == [0.0]
    assert ev["accuracy_merged"][0] == ev["accuracy"]


def test_singletons_unchanged_and_dead_dropped():
    rng = np.random.default_rng(1)
    W1, b1, W2, b2 = _random_net(rng, d=4)
    W1[3], b1[3], W2[:, 3] = 0, 0, 0
    labels = cluster_labels(cosine_similarity_matrix(total_vectors(W1, b1, W2)), 0.9999)
    assert labels[3] == -1
    W1m, b1m, W2m, b2m = mg.merge_clusters(W1, b1, W2, b2, labels)
    assert W1m.shape[0] == 3
    X = rng.normal(size=(50, 5))
    np.testing.assert_allclose(
        mg.logits(W1m, b1m, W2m, b2m, X), mg.logits(W1, b1, W2, b2, X), atol=1e-12
    )


def test_merging_dissimilar_neurons_changes_the_function():
    rng = np.random.default_rng(2)
    W1, b1, W2, b2 = _random_net(rng, d=8)
    X = rng.normal(size=(300, 5))
    y = np.argmax(mg.logits(W1, b1, W2, b2, X), axis=1)  # the net is 100 % accurate
    ev = mg.merge_evaluation(W1, b1, W2, b2, X, y, [-1.0, 0.9999])
    assert ev["accuracy"] == 1.0
    assert ev["k"] == [1, 8]
    assert ev["relative_change"][1] == 0.0
    assert ev["relative_change"][0] < 0  # everything in one neuron: a linear-ish model
    # the change is the discordant samples' balance: gained - lost of the n samples
    assert ev["n"] == 300 and ev["gained"][1] == ev["lost"][1] == 0
    assert ev["gained"][0] == 0  # nothing to gain from a 100 % accurate network
    assert ev["accuracy_merged"][0] == pytest.approx(1.0 - ev["lost"][0] / 300)


def test_relative_change_and_accuracy():
    assert mg.relative_change(0.5, 0.8) == pytest.approx(-37.5)
    assert np.isnan(mg.relative_change(0.5, 0.0))
    W1 = np.array([[1.0, 0.0]])
    W2 = np.array([[1.0], [-1.0]])
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    # x0 -> logits [1, -1] -> class 0; x1 -> [0, 0] -> argmax 0
    assert mg.accuracy(W1, [0.0], W2, [0.0, 0.0], X, [0, 1]) == 0.5
