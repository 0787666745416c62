"""Stable cells by enumeration on tiny data sets: the reference Algorithm 1 is tested
against (workflow_scripts/race/metrics/stable_cells.py)."""

import numpy as np

from workflow_scripts.race.metrics.stable_cells import signed_data


def circle_cell_representatives(X):
    """One direction inside every cell of 2-D data (exact): midpoints between the
    sorted angles of the boundary lines w.x_i = 0."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape[1] != 2:
        raise ValueError("circle_cell_representatives needs 2-D data")
    ang = np.arctan2(X[:, 1], X[:, 0])
    bounds = np.sort(np.mod(np.concatenate([ang + np.pi / 2, ang - np.pi / 2]), 2 * np.pi))
    bounds = np.unique(bounds)
    mids = (
        bounds
        + np.roll(bounds, -1)
        + np.where(np.arange(len(bounds)) == len(bounds) - 1, 2 * np.pi, 0)
    ) / 2
    return np.stack([np.cos(mids), np.sin(mids)], axis=1)


def sphere_directions(n, dim=3):
    """n quasi-uniform unit vectors (Fibonacci sphere for dim 3, Gaussian otherwise)."""
    if dim == 3:
        i = np.arange(n) + 0.5
        phi = np.arccos(1 - 2 * i / n)
        theta = np.pi * (1 + 5**0.5) * i
        return np.stack(
            [np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)], axis=1
        )
    W = np.random.default_rng(0).standard_normal((n, dim))
    return W / np.linalg.norm(W, axis=1, keepdims=True)


def stable_cells_bruteforce(X, y, directions, alignment=1, augment_bias=False):
    """Stable cells by enumeration (Definition 3.5): every distinct non-empty gating row
    g among ``directions`` whose target m = g^T X~ lies in its own cell (G(m) == g).
    Returns the stable gating rows (bool [k, N])."""
    Xa, Xs = signed_data(X, y, alignment, augment_bias)
    G = np.asarray(directions, dtype=np.float64) @ Xa.T > 0
    G = np.unique(G[G.any(axis=1)], axis=0)
    M = G.astype(np.float64) @ Xs
    ok = np.linalg.norm(M, axis=1) > 0
    stable = ok & np.all((M @ Xa.T > 0) == G, axis=1)
    return G[stable]


def limit_set_bruteforce(X, y, directions, alignment=1, augment_bias=False):
    """Gating rows on the cycles of the cell map g -> G(T(g)) (fixed points = stable cells,
    plus the cells of longer cycles, which Algorithm 1 also counts; Appendix D)."""
    Xa, Xs = signed_data(X, y, alignment, augment_bias)
    G = np.asarray(directions, dtype=np.float64) @ Xa.T > 0
    cells = np.unique(G[G.any(axis=1)], axis=0)
    index = {c.tobytes(): i for i, c in enumerate(cells)}
    M = cells.astype(np.float64) @ Xs
    nxt = np.full(len(cells), -1)
    for i, m in enumerate(M):
        if np.linalg.norm(m) > 0:
            g = (Xa @ m) > 0
            if g.any():
                nxt[i] = index.get(g.tobytes(), -2)
    if (nxt == -2).any():
        raise ValueError("a target lies in a cell missed by the directions: use more")
    on_cycle = set()
    for start in range(len(cells)):
        seen, i = [], start
        while i >= 0 and i not in seen:
            seen.append(i)
            i = nxt[i]
        if i >= 0:
            on_cycle.update(seen[seen.index(i) :])
    return cells[sorted(on_cycle)]
