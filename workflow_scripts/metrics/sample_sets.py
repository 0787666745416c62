"""Sample-set statistics of ReLU units (the samplesets paper): counts and f, p, u.

For unit i and class c, n[c, i] = number of samples of class c on which the unit is active
(activation > 0: a ReLU unit fires; a conv channel's spatial mean > 0, i.e. it fires
somewhere), |S_c| the class size, |S| = sum |S_c|. With e(1, c) = n / |S| and
e(0, c) = (|S_c| - n) / |S| (the paper's eqs. 10-11):

- activation fraction  f_i = mean over classes of n[c, i] / |S_c|          (eq. 9, 16)
- predictability       p_i = 1 - H(Zhat | Y) / log 2                        (eqs. 12, 14)
- informativeness      u_i = 1 - H(Y | Zhat) / log |C|                      (eqs. 13, 15)

with 0 log 0 = 0 (``scipy.special.xlogy``). p and u are undefined (NaN) for dead units
(n = 0 for every class) and always-active units (n = |S_c| for every class). Counts are
exact integers (a float32 matmul of 0/1 values is exact below 2^24 per batch, then summed
as int64).
"""

import numpy as np
import torch
from scipy.special import xlogy


class ActiveCounts:
    """n[unit, class]: samples of each class on which each unit is active (int64)."""

    def __init__(self, n_classes, n_units, device="cpu"):
        self.counts = torch.zeros(n_units, n_classes, dtype=torch.int64, device=device)
        self.n_classes = n_classes

    def add(self, activations, labels, columns=slice(None)):
        onehot = torch.nn.functional.one_hot(labels, self.n_classes).to(torch.float32)
        active = (activations > 0).to(torch.float32)
        self.counts[columns] += (active.T @ onehot).round().to(torch.int64)

    def value(self):
        return self.counts.cpu().numpy()


def node_metrics(counts, class_sizes):
    """f, p, u, dead, always_active of every unit from counts [..., unit, class]."""
    counts = np.asarray(counts, dtype=np.float64)
    sizes = np.asarray(class_sizes, dtype=np.float64)
    n_classes = sizes.shape[-1]
    if np.any(counts > sizes) or np.any(counts < 0):
        raise ValueError("counts must lie between 0 and the class sizes")
    present = sizes > 0  # a class absent from the probe set has no f_c
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
    """The largest u a binary unit can reach for these class sizes: I(Y; Z) is largest for
    a unit firing for exactly one subset A of the classes, where I = h(P(A)); balanced
    classes give log 2 / log C (0.301 for 10 classes). Exhaustive over subsets: C <= 20."""
    sizes = np.asarray(class_sizes, dtype=np.float64)
    prob = sizes[sizes > 0] / sizes.sum()
    k = len(prob)
    if k > 20:
        return float("nan")  # 2^k subsets: not enumerable; the bound is not reported
    h_y = -xlogy(prob, prob).sum()
    subsets = (np.arange(2**k)[:, None] >> np.arange(k)) & 1
    mass = subsets @ prob
    h_z = -(xlogy(mass, mass) + xlogy(1 - mass, 1 - mass))
    return float(1.0 - (h_y - h_z.max()) / np.log(len(sizes)))
