"""Number of stable cells: Algorithm 1 of the paper's Appendix D.

Signed data X~ = s (2y - 1) x with s = +1 or -1 for the two output alignments (the
two forms of target vectors, Definition 3.3). A direction w gates G(w) = 1[X w > 0];
the target map is T(w) = m / ||m|| with m = G(w)^T X~. Probes uniform on the sphere
are iterated W <- T(W); n_t is the number of distinct gating rows G(W) after step t;
the loop stops once n_t has not decreased for ``patience`` consecutive steps (or at
``t_max``) and returns the last n_t (the paper's n_prev).

Choices (documented here and recorded by the callers):
- No bias / no augmented input: the cells are those of Lemma 3.1 (b = 0, hyperplanes
  through the origin), as in Algorithm 1. ``augment_bias=True`` appends a constant 1
  to every x (cells of w.x + b > 0) for experiments; off by default.
- Probes whose gate is all zero, or whose signed sum m is exactly zero, have no target
  (0/0) and are dropped; all-zero gating rows are not counted as cells.
- Exact speed-ups: T(w) depends on w only through G(w), so after the first step the
  population is replaced by its distinct gating rows. This changes no n_t (the set of
  distinct rows is the same), and after a few steps a few hundred rows remain instead
  of M probes. Only the first step touches all M probes, in chunks of ``chunk`` probes,
  so memory is O(chunk * N) whatever M is; that step is shared by the two alignments
  (``_first_step``).
- Gating rows are compared bit-packed (numpy.packbits), so the distinct-row count is
  exact (no hashing).
"""

import numpy as np
import torch


def signed_data(X, y, alignment=1, augment_bias=False):
    """X~ = alignment * (2y - 1) x, float64 numpy [N, D(+1)]."""
    if alignment not in (1, -1):
        raise ValueError(f"alignment must be +1 or -1, got {alignment!r}")
    X = np.asarray(X, dtype=np.float64)
    if augment_bias:
        X = np.concatenate([X, np.ones((len(X), 1))], axis=1)
    s = alignment * (2.0 * np.asarray(y, dtype=np.float64) - 1.0)
    return X, s[:, None] * X


def _unique_packed(rows_packed):
    if len(rows_packed) == 0:
        return rows_packed
    return np.unique(rows_packed, axis=0)


def _first_step(X, y, n_probes, seed, alignments, augment_bias, chunk, dev, dtype):
    """Step 1 of Algorithm 1 for each alignment: {alignment: packed distinct gating rows}.

    The M probes' gates G0 = 1[W0 X^T > 0] do not depend on the alignment, and the
    signed data of alignment -1 is exactly the negation of that of +1 (IEEE products and
    sums of negated operands are the negated results), so its new directions are -W and
    its gates 1[X (-W) > 0] = 1[X W < 0]: both alignments come from one pass over the
    probes, bit for bit what two separate passes give."""
    Xa, Xs = signed_data(X, y, 1, augment_bias)
    N, D = Xa.shape
    Xt = torch.as_tensor(Xa, dtype=dtype, device=dev)
    Xst = torch.as_tensor(Xs, dtype=dtype, device=dev)
    rng = np.random.default_rng(seed)
    packed = {a: [] for a in alignments}
    for lo in range(0, n_probes, chunk):
        m = min(chunk, n_probes - lo)
        W0 = rng.standard_normal((m, D))
        W0 /= np.linalg.norm(W0, axis=1, keepdims=True)
        G0 = (torch.as_tensor(W0, dtype=dtype, device=dev) @ Xt.T) > 0
        M = G0.to(dtype) @ Xst
        norm = torch.linalg.vector_norm(M, dim=1)
        keep = norm > 0
        U = (M[keep] / norm[keep, None]) @ Xt.T  # X W^T of alignment +1
        for a in alignments:
            Gn = U > 0 if a == 1 else U < 0
            Gn = Gn[Gn.any(dim=1)]
            packed[a].append(_unique_packed(np.packbits(Gn.cpu().numpy(), axis=1)))
    return {
        a: _unique_packed(np.concatenate(v)) if v else np.zeros((0, (N + 7) // 8), np.uint8)
        for a, v in packed.items()
    }


def stable_cell_counts(
    X,
    y,
    *,
    n_probes,
    t_max=200,
    patience=5,
    seed=0,
    alignments=(1, -1),
    augment_bias=False,
    chunk=4096,
    device="cpu",
    dtype=torch.float64,
):
    """Algorithm 1 for one probe seed and each of ``alignments`` (the same probes):
    {alignment: (count, history)} with history = [n_1, n_2, ...]."""
    dev = torch.device(device)
    first = _first_step(X, y, n_probes, seed, alignments, augment_bias, chunk, dev, dtype)
    out = {}
    for a in alignments:
        Xa, Xs = signed_data(X, y, a, augment_bias)
        Xt = torch.as_tensor(Xa, dtype=dtype, device=dev)
        Xst = torch.as_tensor(Xs, dtype=dtype, device=dev)
        out[a] = _iterate(first[a], Xt, Xst, t_max, patience, chunk)
    return out


def _step(G, Xt, Xst):
    """One application of T to gating rows G (bool [m, N]) -> packed new gating rows."""
    M = G.to(Xst.dtype) @ Xst
    norm = torch.linalg.vector_norm(M, dim=1)
    keep = norm > 0
    W = M[keep] / norm[keep, None]
    Gn = (W @ Xt.T) > 0
    Gn = Gn[Gn.any(dim=1)]
    return np.packbits(Gn.cpu().numpy(), axis=1)


def _iterate(pop, Xt, Xst, t_max, patience, chunk):
    """Steps 2.. of Algorithm 1 from the packed rows ``pop`` of step 1: (count, history)."""
    N = Xt.shape[0]
    history = [len(pop)]
    n_prev, plateau = len(pop), 0
    for _ in range(1, t_max):
        if len(pop) == 0:
            break
        parts = []
        for lo in range(0, len(pop), chunk):
            G = np.unpackbits(pop[lo : lo + chunk], axis=1, count=N).astype(bool)
            parts.append(_step(torch.as_tensor(G, device=Xt.device), Xt, Xst))
        pop = _unique_packed(np.concatenate(parts))
        n_t = len(pop)
        history.append(n_t)
        plateau = plateau + 1 if n_t >= n_prev else 0
        n_prev = n_t
        if plateau >= patience:
            break
    return n_prev, history


def stable_cell_count(X, y, *, alignment=1, return_history=False, **options):
    """Estimated number of stable cells (Algorithm 1) for one probe seed and alignment
    (``options``: those of ``stable_cell_counts``). Returns the count, or (count,
    history) when ``return_history``."""
    if alignment not in (1, -1):
        raise ValueError(f"alignment must be +1 or -1, got {alignment!r}")
    n, history = stable_cell_counts(X, y, alignments=(alignment,), **options)[alignment]
    return (n, history) if return_history else n
