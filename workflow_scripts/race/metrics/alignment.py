"""Norm product, output class and alignment to the target vector of the current cell.

Network (paper Section 2): h = ReLU(W1 x + b1), z = W2 h + b2, softmax cross-entropy.
Shapes used here: W1 [d, D], b1 [d], W2 [2, d], b2 [2]; a time series adds a leading
T axis. Labels y are {0, 1}: label 0 is the paper's "class 1" (output node 0, target
[1, 0]), label 1 the paper's "class 2".

Definitions (all computed in float64):

- norm product a_a = ||w2_a|| * ||w1_a|| with w2_a = W2[:, a] (2 entries) and
  w1_a = W1[a, :] (the bias is not part of w1; Theorem 3.11).
- output class c(a) in {0, 1}: the class whose output the neuron's outgoing weight
  will point to. Two estimates are provided:
  * ``"dataset"`` (default; the paper's Section 5, "computed based on the angle w2 will
    converge to estimated from the current dataset", Theorem B.1): c = 0 when
    w1 . xi_0 > w1 . xi_1 with xi_c = sum over the neuron's effective samples of class
    c of r_s x_s, else 1. r_s = ||Delta y_s|| (residual weighting) or 1 (simplified).
  * ``"weights"``: where w2 points now: c = 0 when w2_{0a} > w2_{1a}, else 1 (the
    fixed point 7pi/4 <-> w2 ~ [1, -1] of Appendix B).
  The dataset estimate is undefined when no sample passes the neuron's gate or the
  two sums tie; it then falls back to the weights estimate.
- effective samples (the neuron's current cell): w1_a . x_s + b_a > 0 (the bias is
  included, as in the trained network's ReLU gate).
- target vector gamma_a = sum over effective samples of sign_s * r_s * x_s with
  sign_s = +1 when y_s == c(a) and -1 otherwise (Definition 3.3 up to the constant
  factor sqrt(2)/2; with ``weighting="residual"`` r_s = ||Delta y_s|| as in eq. 1,
  with ``"simplified"`` r_s = 1, the default, Definition 3.3).
- cos_delta_a = w1_a . gamma_a / (||w1_a|| ||gamma_a||); NaN when w1_a = 0 or
  gamma_a = 0 (empty cell).

Memory: one time step at a time, samples in chunks of ``sample_chunk`` rows, so the
peak is O(sample_chunk * d + d * D) besides X itself (N=4000, d=300, D=1024: < 50 MB).
"""

import numpy as np

WEIGHTINGS = ("simplified", "residual")
CLASS_METHODS = ("dataset", "weights")


def norms(W1, W2):
    """||w1_a|| and ||w2_a|| in float64; W1 [..., d, D], W2 [..., 2, d] -> [..., d] each."""
    W1 = np.asarray(W1, dtype=np.float64)
    W2 = np.asarray(W2, dtype=np.float64)
    return np.linalg.norm(W1, axis=-1), np.linalg.norm(W2, axis=-2)


def norm_product(W1, W2):
    """a_a = ||w2_a|| ||w1_a||, float64, shape [..., d]."""
    n1, n2 = norms(W1, W2)
    return n1 * n2


def output_class_weights(W2):
    """c(a) from where w2_a points now: 0 when w2[0, a] > w2[1, a], else 1. int8 [..., d]."""
    W2 = np.asarray(W2, dtype=np.float64)
    return np.where(W2[..., 0, :] > W2[..., 1, :], 0, 1).astype(np.int8)


def residual_norms(W1, b1, W2, b2, X, y, sample_chunk=2048):
    """||Delta y_s|| = ||onehot(y_s) - softmax(z_s)|| = sqrt(2) * (1 - p_{y_s}), float64 [N]."""
    W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (W1, b1, W2, b2))
    y = np.asarray(y)
    out = np.empty(len(y), dtype=np.float64)
    for lo in range(0, len(y), sample_chunk):
        xs = np.asarray(X[lo : lo + sample_chunk], dtype=np.float64)
        h = np.maximum(xs @ W1.T + b1, 0.0)
        z = h @ W2.T + b2
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p_true = p[np.arange(len(xs)), y[lo : lo + sample_chunk]]
        out[lo : lo + len(xs)] = np.sqrt(2.0) * (1.0 - p_true)
    return out


def alignment_step(
    W1, b1, W2, b2, X, y, *, weighting="simplified", class_method="dataset", sample_chunk=2048
):
    """All per-neuron alignment quantities at one time step.

    W1 [d, D], b1 [d], W2 [2, d], b2 [2], X [N, D], y [N] in {0, 1}.
    Returns a dict of float64/int arrays of shape [d]: ``w1_norm``, ``w2_norm``,
    ``norm_product``, ``output_class`` (the one used for gamma), ``output_class_weights``,
    ``output_class_dataset`` (-1 where undefined), ``cell_size`` (effective samples),
    ``gamma_norm``, ``cos_delta`` (NaN where undefined).
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    if class_method not in CLASS_METHODS:
        raise ValueError(f"class_method must be one of {CLASS_METHODS}, got {class_method!r}")
    W1 = np.asarray(W1, dtype=np.float64)
    b1 = np.asarray(b1, dtype=np.float64)
    W2 = np.asarray(W2, dtype=np.float64)
    b2 = np.asarray(b2, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    d, D = W1.shape
    if weighting == "residual":
        r_all = residual_norms(W1, b1, W2, b2, X, y, sample_chunk)
    # diff = xi_0 - xi_1 = sum_s g r s_y x with s_y = +1 (y=0), -1 (y=1): one matmul per
    # chunk; proj[c] = sum_s g r [y=c] (w1.x) decides the dataset output class.
    diff = np.zeros((d, D))
    proj = np.zeros((2, d))
    cell = np.zeros(d, dtype=np.int64)
    for lo in range(0, len(y), sample_chunk):
        xs = np.asarray(X[lo : lo + sample_chunk], dtype=np.float64)
        ys = y[lo : lo + sample_chunk]
        u = xs @ W1.T  # [n, d] w1.x
        g = (u + b1) > 0  # gate of the trained network
        cell += g.sum(axis=0)
        r = r_all[lo : lo + len(xs)] if weighting == "residual" else np.ones(len(xs))
        gr = g * r[:, None]
        diff += (gr * np.where(ys == 0, 1.0, -1.0)[:, None]).T @ xs
        for c in (0, 1):
            proj[c] += (gr[ys == c] * u[ys == c]).sum(axis=0)
    n1 = np.linalg.norm(W1, axis=1)
    n2 = np.linalg.norm(W2, axis=0)
    c_w = output_class_weights(W2)
    c_data = np.where(proj[0] > proj[1], 0, np.where(proj[1] > proj[0], 1, -1)).astype(np.int8)
    if class_method == "dataset":
        c = np.where(c_data >= 0, c_data, c_w).astype(np.int8)
    else:
        c = c_w
    sign = np.where(c == 0, 1.0, -1.0)[:, None]  # gamma = +xi_c - xi_other
    gamma = sign * diff
    gnorm = np.linalg.norm(gamma, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.einsum("ad,ad->a", W1, gamma) / (n1 * gnorm)
    cos[(n1 == 0) | (gnorm == 0)] = np.nan
    cos = np.clip(cos, -1.0, 1.0)
    return {
        "w1_norm": n1,
        "w2_norm": n2,
        "norm_product": n1 * n2,
        "output_class": c,
        "output_class_weights": c_w,
        "output_class_dataset": c_data,
        "cell_size": cell,
        "gamma_norm": gnorm,
        "cos_delta": cos,
    }


def _np(a):
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)
