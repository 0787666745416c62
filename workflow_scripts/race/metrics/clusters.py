"""Clusters of neurons whose total weight vectors are (nearly) parallel.

Total weight vector of neuron a (paper Fig. 1b, Section 4): v_a = [w1_a, b_a, w2_a]
(D + 1 + 2 entries). Cosine similarity in float64; neurons with ||v_a|| = 0 (dead or
fully pruned) have no direction: their rows/columns are NaN and they get label -1
(in no cluster, counted nowhere).

Clusters at threshold tau: connected components of the graph with an edge a-b where
cos_sim(a, b) >= tau (scipy.sparse.csgraph.connected_components). Two counts are
reported (docs/studies/race.md): k, over all valid neurons (lone low-norm neurons count
as singleton clusters, as in the paper's Table 1 where k reaches d: the neurons left
after merging), and k_large, the number of those clusters that contain at least one
"large" neuron, whose norm product a_a is at least ``rel_threshold`` (1 %) of the
largest: the merged neurons that carry weight. So k_large <= k always. (An earlier
definition re-ran the components on the subgraph of the large neurons; a small neuron
that bridged two large ones then split one cluster of k into two, and k_large exceeded
k in some rows of Table 1.)
"""

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


def total_vectors(W1, b1, W2):
    """[w1_a, b_a, w2_a] per neuron, float64 [d, D + 3]; W1 [d, D], b1 [d], W2 [2, d]."""
    W1 = np.asarray(W1, dtype=np.float64)
    b1 = np.asarray(b1, dtype=np.float64)
    W2 = np.asarray(W2, dtype=np.float64)
    return np.concatenate([W1, b1[:, None], W2.T], axis=1)


def cosine_similarity_matrix(V):
    """Cosine similarity between rows of V, float64 [d, d]; zero rows give NaN rows/cols."""
    V = np.asarray(V, dtype=np.float64)
    n = np.linalg.norm(V, axis=1)
    valid = n > 0
    U = np.zeros_like(V)
    U[valid] = V[valid] / n[valid, None]
    S = np.clip(U @ U.T, -1.0, 1.0)
    S[~valid, :] = np.nan
    S[:, ~valid] = np.nan
    np.fill_diagonal(S, np.where(valid, 1.0, np.nan))
    return S


def cluster_labels(S, tau, include=None):
    """Connected components at cos_sim >= tau; labels [d] (int64), -1 for excluded neurons.

    include: optional bool [d]; neurons outside it (and NaN rows) are left out of the graph.
    Labels are renumbered 0..k-1 by decreasing cluster size (ties: smallest member first).
    """
    S = np.asarray(S, dtype=np.float64)
    d = S.shape[0]
    valid = ~np.isnan(np.diag(S))
    if include is not None:
        valid &= np.asarray(include, dtype=bool)
    labels = np.full(d, -1, dtype=np.int64)
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return labels
    sub = S[np.ix_(idx, idx)]
    with np.errstate(invalid="ignore"):
        adj = csr_matrix(sub >= tau)
    _, comp = connected_components(adj, directed=False)
    labels[idx] = _relabel_by_size(comp)
    return labels


def _relabel_by_size(comp):
    uniq, first, counts = np.unique(comp, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))  # size desc, then first occurrence
    new = np.empty_like(uniq)
    new[order] = np.arange(len(uniq))
    return new[np.searchsorted(uniq, comp)]


def n_clusters(labels):
    """Number of distinct clusters (label -1 ignored)."""
    labels = np.asarray(labels)
    return int(np.unique(labels[labels >= 0]).size)


def large_mask(norm_product, rel_threshold=0.01):
    """Neurons with a_a >= rel_threshold * max_a a_a (NaN -> False)."""
    a = np.asarray(norm_product, dtype=np.float64)
    finite = np.isfinite(a)
    if not finite.any():
        return np.zeros(a.shape, dtype=bool)
    top = np.nanmax(a)
    with np.errstate(invalid="ignore"):
        return finite & (a >= rel_threshold * top) & (a > 0)


def clusters_with_large(labels, large):
    """Labels of the clusters that hold at least one ``large`` neuron, renumbered 0..k-1 in
    the order of ``labels`` (by decreasing size over all members); every member of such a
    cluster keeps its cluster (small members too), the rest get -1."""
    labels = np.asarray(labels)
    large = np.asarray(large, dtype=bool)
    kept = np.unique(labels[large & (labels >= 0)])
    out = np.full(labels.shape, -1, dtype=np.int64)
    member = np.isin(labels, kept)
    out[member] = np.searchsorted(kept, labels[member])
    return out


def cluster_counts(S, tau, norm_product, rel_threshold=0.01):
    """(labels_all, k, labels_large, k_large) at threshold tau: the clusters over all
    neurons, and those of them that contain a large neuron (module doc; k_large <= k)."""
    lab_all = cluster_labels(S, tau)
    lab_large = clusters_with_large(lab_all, large_mask(norm_product, rel_threshold))
    return lab_all, n_clusters(lab_all), lab_large, n_clusters(lab_large)


def cluster_order(labels, weight=None):
    """Permutation of neurons for plotting: by cluster (label ascending = size descending),
    within a cluster by decreasing ``weight`` (e.g. norm product); label -1 last."""
    labels = np.asarray(labels)
    key_label = np.where(labels < 0, np.iinfo(np.int64).max, labels)
    w = (
        np.zeros(len(labels))
        if weight is None
        else -np.nan_to_num(np.asarray(weight, dtype=np.float64), nan=-np.inf)
    )
    return np.lexsort((np.arange(len(labels)), w, key_label))
