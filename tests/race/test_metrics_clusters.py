"""Cosine similarity and clusters on hand-made neurons."""

import numpy as np
import pytest

from workflow_scripts.race.metrics import clusters as cl


def _net():
    # D = 2; neurons 0,1,2 exactly parallel (scaled copies); 3 near 0 (cos ~ 0.96);
    # 4 orthogonal; 5 all-zero (dead); 6 tiny but parallel to 4
    base = np.array([1.0, 2.0, 0.5, 1.0, -1.0])  # [w1 (2), b, w2 (2)]
    near = base + np.array([0.0, 0.0, 0.0, 0.6, 0.2])
    orth = np.array([2.0, -1.0, 0.0, 0.0, 0.0])
    V = np.stack([base, 2 * base, 0.5 * base, near, orth, np.zeros(5), 1e-4 * orth])
    W1, b1, W2 = V[:, :2], V[:, 2], V[:, 3:].T
    return W1, b1, W2


def test_total_vectors_and_similarity():
    W1, b1, W2 = _net()
    V = cl.total_vectors(W1, b1, W2)
    assert V.shape == (7, 5)
    S = cl.cosine_similarity_matrix(V)
    assert S.dtype == np.float64
    np.testing.assert_allclose(S[0, 1], 1.0)
    np.testing.assert_allclose(S[0, 4], 0.0, atol=1e-15)
    assert np.isnan(S[5]).all() and np.isnan(S[:, 5]).all()
    assert np.allclose(S, S.T, equal_nan=True)
    v0, v3 = V[0], V[3]
    assert S[0, 3] == pytest.approx(v0 @ v3 / np.linalg.norm(v0) / np.linalg.norm(v3))


def test_clusters_at_thresholds():
    W1, b1, W2 = _net()
    S = cl.cosine_similarity_matrix(cl.total_vectors(W1, b1, W2))
    assert 0.9 < S[0, 3] < 0.99
    lab99 = cl.cluster_labels(S, 0.99)
    # {0,1,2}, {3}, {4,6}; dead neuron 5 -> -1
    assert lab99[5] == -1
    assert lab99[0] == lab99[1] == lab99[2] == 0  # largest cluster first
    assert lab99[4] == lab99[6] == 1
    assert cl.n_clusters(lab99) == 3
    lab90 = cl.cluster_labels(S, 0.90)
    assert cl.n_clusters(lab90) == 2
    assert lab90[3] == 0
    np.testing.assert_array_equal(np.bincount(lab90[lab90 >= 0]), [4, 2])  # size order
    a = np.linalg.norm(W1, axis=1) * np.linalg.norm(W2, axis=0)
    lab_all, n_all, lab_large, n_large = cl.cluster_counts(S, 0.99, a, rel_threshold=0.01)
    assert n_all == 3
    assert n_large == 2  # tiny neuron 6 and dead 5 are left out; 4 has a = 0 (w2 = 0)
    assert lab_large[6] == -1 and lab_large[5] == -1


def test_large_clusters_are_the_clusters_that_hold_a_large_neuron():
    # two large neurons at 90 degrees bridged by a small neuron at 45 degrees (cos .707):
    # one cluster of all neurons at tau 0.7, and it holds a large neuron, so k_large = 1
    # (re-clustering the large neurons alone would give 2 > k: Table 1's old defect)
    V = np.array([[1.0, 0.0], [0.0, 1.0], [1e-3, 1e-3], [-1e-3, 0.0]])
    S = cl.cosine_similarity_matrix(V)
    a = np.linalg.norm(V, axis=1) ** 2
    lab_all, k, lab_large, k_large = cl.cluster_counts(S, 0.7, a, rel_threshold=0.01)
    assert (k, k_large) == (2, 1)  # {0, 1, 2} and the lone small neuron 3
    np.testing.assert_array_equal(lab_large, [0, 0, 0, -1])  # small members keep the cluster


def test_large_cluster_count_never_exceeds_the_count_over_all_neurons():
    rng = np.random.default_rng(0)
    for _ in range(50):
        V = rng.normal(size=(30, 3)) * rng.lognormal(sigma=3.0, size=(30, 1))
        S = cl.cosine_similarity_matrix(V)
        a = np.linalg.norm(V, axis=1) ** 2
        for tau in (0.7, 0.95):
            lab_all, k, lab_large, k_large = cl.cluster_counts(S, tau, a, rel_threshold=0.01)
            assert 1 <= k_large <= k
            # each large-cluster label is one cluster of the all-neuron labels
            for j in range(k_large):
                assert len(np.unique(lab_all[lab_large == j])) == 1


def test_order_groups_clusters():
    labels = np.array([1, 0, -1, 1, 0, 0, 2])
    weight = np.array([1.0, 3.0, 9.0, 2.0, 1.0, 2.0, 0.0])
    order = cl.cluster_order(labels, weight)
    np.testing.assert_array_equal(order, [1, 5, 4, 3, 0, 6, 2])


def test_all_dead():
    S = cl.cosine_similarity_matrix(np.zeros((3, 4)))
    assert cl.n_clusters(cl.cluster_labels(S, 0.9)) == 0
    assert not cl.large_mask(np.full(3, np.nan)).any()
