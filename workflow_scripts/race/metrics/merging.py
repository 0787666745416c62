"""Merge each cluster of neurons into one neuron (paper Section 4, Table 1).

Neuron a contributes w2_a * ReLU(w1_a . x + b_a) to the logits. Write its total vector
v_a = [w1_a, b_a, w2_a] = r_a u_a with r_a = ||v_a||. ReLU is positively homogeneous,
so the contribution is r_a^2 * u2_a ReLU(u1_a . x + ub_a): neurons with exactly the same
direction u add up to (sum_a r_a^2) u2 ReLU(u1 . x + ub), which one neuron of total
vector R u produces with R = sqrt(sum_a r_a^2), the paper's effective norm.

Direction of the merged neuron (the paper gives only the norm): the r^2-weighted mean
of the members' unit directions, u = normalise(sum_a r_a^2 u_a), i.e. each member
weighs as much as it contributes to the output; for exactly parallel members it is
their common direction, so merging them is exact. Neurons outside every cluster
(label -1: zero total vector) contribute nothing and are dropped. The output bias b2
is kept.

All arithmetic in float64 (numpy).
"""

import numpy as np

from .clusters import cluster_labels, cosine_similarity_matrix, n_clusters, total_vectors


def merge_clusters(W1, b1, W2, b2, labels):
    """Merged network for clusters ``labels`` [d] (0..k-1, -1 = drop).

    Returns (W1m [k, D], b1m [k], W2m [2, k], b2m [2]) in float64; row j is cluster j.
    """
    V = total_vectors(W1, b1, W2)
    D = np.asarray(W1).shape[1]
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    r2 = np.einsum("ij,ij->i", V, V)
    Vm = np.zeros((k, V.shape[1]))
    for j in range(k):
        members = labels == j
        # sum_a r_a^2 u_a = sum_a r_a v_a
        direction = (np.sqrt(r2[members])[:, None] * V[members]).sum(axis=0)
        dn = np.linalg.norm(direction)
        if dn > 0:
            Vm[j] = np.sqrt(r2[members].sum()) * direction / dn
    return Vm[:, :D], Vm[:, D], Vm[:, D + 1 :].T.copy(), np.asarray(b2, dtype=np.float64)


def logits(W1, b1, W2, b2, X, chunk=4096):
    """Network output z for inputs X [N, D] (float64)."""
    W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (W1, b1, W2, b2))
    out = np.empty((len(X), W2.shape[0]))
    for lo in range(0, len(X), chunk):
        xs = np.asarray(X[lo : lo + chunk], dtype=np.float64)
        out[lo : lo + len(xs)] = np.maximum(xs @ W1.T + b1, 0.0) @ W2.T + b2
    return out


def correct(W1, b1, W2, b2, X, y):
    """Per sample: does the argmax logit equal the label (bool [N])."""
    return np.argmax(logits(W1, b1, W2, b2, X), axis=1) == np.asarray(y)


def accuracy(W1, b1, W2, b2, X, y):
    """Fraction of samples whose argmax logit equals the label."""
    return float(np.mean(correct(W1, b1, W2, b2, X, y)))


def relative_change(new, old):
    """Relative change in percent: 100 * (new - old) / old (NaN when old == 0)."""
    return float("nan") if old == 0 else 100.0 * (new - old) / old


def merge_evaluation(W1, b1, W2, b2, X, y, taus):
    """For each tau: k (clusters over all neurons), merged accuracy, relative change (%),
    and the samples the merged network gets right that the original got wrong
    (``gained``) and wrong that it got right (``lost``): the discordant pairs of the
    paired comparison on the same samples (their split bounds the change's sampling
    error, ``race.claims``).

    Returns {"accuracy": acc_original, "n": N, "k": [...], "accuracy_merged": [...],
    "relative_change": [...], "gained": [...], "lost": [...]} with one entry per tau.
    """
    S = cosine_similarity_matrix(total_vectors(W1, b1, W2))
    right = correct(W1, b1, W2, b2, X, y)
    acc = float(np.mean(right))
    out = {"accuracy": acc, "n": len(right), "k": [], "accuracy_merged": []}
    out.update(relative_change=[], gained=[], lost=[])
    for tau in taus:
        labels = cluster_labels(S, tau)
        right_m = correct(*merge_clusters(W1, b1, W2, b2, labels), X, y)
        acc_m = float(np.mean(right_m))
        out["k"].append(n_clusters(labels))
        out["accuracy_merged"].append(acc_m)
        out["relative_change"].append(relative_change(acc_m, acc))
        out["gained"].append(int((right_m & ~right).sum()))
        out["lost"].append(int((~right_m & right).sum()))
    return out
