"""Per-node sample-set metrics from class counts: pure numpy (the extraction uses these).

For hidden node i and class c, n[c, i] = number of validation samples of class c with
activation > 0, |S_c| the class size, |S| = sum |S_c|. With e(1, c) = n / |S| and
e(0, c) = (|S_c| - n) / |S| (the paper's eqs. 10-11):

- activation fraction  f_i = mean over classes of n[c, i] / |S_c|          (eq. 9, 16)
- predictability       p_i = 1 - H(Zhat | Y) / log 2                        (eqs. 12, 14)
- informativeness      u_i = 1 - H(Y | Zhat) / log |C|                      (eqs. 13, 15)

with 0 log 0 = 0 (``scipy.special.xlogy``). p and u are undefined (NaN) for dead nodes
(n = 0 for every class) and always-active nodes (n = |S_c| for every class); per-layer
means leave out dead nodes for f and both kinds for p and u (eqs. 16-17).
"""

import numpy as np
from scipy.special import xlogy


def node_metrics(counts, class_sizes):
    """f, p, u, dead, always_active of every node from counts [..., node, class]."""
    counts = np.asarray(counts, dtype=np.float64)
    sizes = np.asarray(class_sizes, dtype=np.float64)
    n_classes = sizes.shape[-1]
    if np.any(counts > sizes) or np.any(counts < 0):
        raise ValueError("counts must lie between 0 and the class sizes")
    present = sizes > 0  # a class absent from the validation set has no f_c
    counts, sizes = counts[..., present], sizes[present]
    total_samples = sizes.sum()
    active = counts.sum(-1)
    dead, always = active == 0, active == total_samples
    f = (counts / sizes).mean(-1)
    e1, e0 = counts / total_samples, (sizes - counts) / total_samples
    p_class = sizes / total_samples
    h_z_given_y = -(xlogy(e1, e1 / p_class) + xlogy(e0, e0 / p_class)).sum(-1)
    p_z1, p_z0 = e1.sum(-1, keepdims=True), e0.sum(-1, keepdims=True)
    h_y_given_z = -(xlogy(e1, _ratio(e1, p_z1)) + xlogy(e0, _ratio(e0, p_z0))).sum(-1)
    undefined = dead | always
    p = np.where(undefined, np.nan, 1.0 - h_z_given_y / np.log(2.0))
    u = np.where(undefined, np.nan, 1.0 - h_y_given_z / np.log(n_classes))
    return {
        "activation_fraction": f,
        "predictability": p,
        "informativeness": u,
        "dead": dead,
        "always_active": always,
    }


def _ratio(num, den):
    # e(z, c) / P(z); where P(z) = 0 every e(z, c) is 0 too and xlogy gives 0
    return np.divide(num, den, out=np.ones_like(num), where=den > 0)


def max_informativeness(class_sizes):
    """The largest u a binary node can reach for these class sizes.

    u = 1 - H(Y | Z) / log C = 1 - (H(Y) - I(Y; Z)) / log C, and I(Y; Z) is largest for
    a node that fires for exactly one subset A of the classes (I is convex in the
    channel P(Z | Y), so its maximum sits at a deterministic one), where I = h(P(A)).
    Balanced classes: h = log 2, u = log 2 / log C (0.301 for 10 classes); unbalanced
    ones: H(Y) < log C, so the bound is slightly higher.
    """
    sizes = np.asarray(class_sizes, dtype=np.float64)
    prob = sizes[sizes > 0] / sizes.sum()
    h_y = -xlogy(prob, prob).sum()
    k = len(prob)
    subsets = (np.arange(2**k)[:, None] >> np.arange(k)) & 1
    mass = subsets @ prob
    h_z = -(xlogy(mass, mass) + xlogy(1 - mass, 1 - mass))
    return float(1.0 - (h_y - h_z.max()) / np.log(len(sizes)))
