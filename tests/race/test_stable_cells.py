"""Algorithm 1 (Appendix D) against brute-force enumeration of cells on tiny data sets."""

import numpy as np
import pytest
import torch

from workflow_scripts.race.metrics import stable_cells as sc

from . import stable_cells_bruteforce as bf


def _star():
    """2-D: three tight pairs at 0, 120, 240 degrees, labels 0, 0, 1."""
    ang = np.deg2rad([c + o for c in (0, 120, 240) for o in (-8, 8)])
    X = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    y = np.repeat([0, 0, 1], 2)
    return X, y


def _tetra():
    """3-D: pairs of points near the four vertices of a tetrahedron, labels 0, 0, 1, 1."""
    C = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1.0]]) / np.sqrt(3)
    jit = np.random.default_rng(0).normal(scale=0.08, size=C.shape)
    return np.concatenate([C + jit, C - jit]), np.array([0, 0, 1, 1] * 2)


@pytest.mark.parametrize("alignment,expected", [(1, 1), (-1, 5)])
def test_star_2d_matches_exact_enumeration(alignment, expected):
    X, y = _star()
    reps = bf.circle_cell_representatives(X)
    assert len(reps) == 12  # 6 lines through the origin -> 12 sectors
    stable = bf.stable_cells_bruteforce(X, y, reps, alignment)
    assert len(stable) == expected
    # no cycles here: the limit set of the cell map is the stable cells
    assert len(bf.limit_set_bruteforce(X, y, reps, alignment)) == expected
    for seed in (0, 1, 2):
        assert sc.stable_cell_count(X, y, n_probes=500, seed=seed, alignment=alignment) == expected


@pytest.mark.parametrize("alignment", [1, -1])
def test_tetrahedron_3d_matches_enumeration(alignment):
    X, y = _tetra()
    dirs = bf.sphere_directions(100_000)
    stable = bf.stable_cells_bruteforce(X, y, dirs, alignment)
    assert len(stable) == 3
    n, hist = sc.stable_cell_count(
        X, y, n_probes=3000, seed=0, alignment=alignment, chunk=700, return_history=True
    )
    assert n == 3
    assert hist[-1] == 3 and len(hist) <= 200
    # the algorithm's final gating rows are exactly the stable cells
    found = set(map(bytes, np.packbits(stable, axis=1)))
    assert len(found) == 3


@pytest.mark.parametrize("seed", range(4))
def test_random_tiny_data_counts_the_limit_set(seed):
    """On data with 2-cycles Algorithm 1 counts every cell on a cycle (Appendix D)."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(6, 2)), rng.integers(0, 2, 6)
    reps = bf.circle_cell_representatives(X)
    for a in (1, -1):
        ref = len(bf.limit_set_bruteforce(X, y, reps, a))
        assert sc.stable_cell_count(X, y, n_probes=2000, alignment=a) == ref
        assert len(bf.stable_cells_bruteforce(X, y, reps, a)) <= ref


def test_chunking_dtype_and_seeds():
    rng = np.random.default_rng(5)
    X = np.abs(rng.normal(size=(40, 10)))
    y = rng.integers(0, 2, 40)
    a = sc.stable_cell_count(X, y, n_probes=1000, seed=3, chunk=64)
    b = sc.stable_cell_count(X, y, n_probes=1000, seed=3, chunk=1000)
    c = sc.stable_cell_count(X, y, n_probes=1000, seed=3, chunk=1000, dtype=torch.float32)
    assert a == b == c
    assert sc.stable_cell_count(X, y, n_probes=1000, seed=4, chunk=64) == sc.stable_cell_count(
        X, y, n_probes=1000, seed=4, chunk=1000
    )


def test_all_zero_gates_are_dropped():
    # all samples on one ray: half the probes see nothing (0/0) and must be dropped
    X = np.array([[1.0, 0.0], [2.0, 0.0], [0.5, 0.0]])
    y = np.array([1, 1, 0])
    assert sc.stable_cell_count(X, y, n_probes=200, alignment=1) == 1
    # alignment -1: target points away from every sample -> nothing survives
    assert sc.stable_cell_count(X, y, n_probes=200, alignment=-1) == 0


def test_augment_bias_and_bad_alignment():
    X, y = _star()
    Xa, Xs = sc.signed_data(X, y, 1, augment_bias=True)
    assert Xa.shape == (6, 3) and np.all(Xa[:, 2] == 1)
    np.testing.assert_allclose(Xs[y == 0], -Xa[y == 0])
    with pytest.raises(ValueError):
        sc.signed_data(X, y, 0)


def test_both_alignments_share_the_first_step_exactly():
    """Step 1 for alignment -1 read off alignment +1's products (-W, gates X W < 0) is
    bit for bit the step computed from the negated signed data."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 7)) - 0.2
    y = rng.integers(0, 2, 60)
    dev, dtype = torch.device("cpu"), torch.float64
    shared = sc._first_step(X, y, 500, 4, (1, -1), False, 128, dev, dtype)
    for a in (1, -1):
        Xa, Xs = sc.signed_data(X, y, a)
        Xt, Xst = (torch.as_tensor(v, dtype=dtype) for v in (Xa, Xs))
        W0 = np.random.default_rng(4).standard_normal((500, 7))
        W0 /= np.linalg.norm(W0, axis=1, keepdims=True)
        rows = [
            sc._step((torch.as_tensor(W0[lo : lo + 128]) @ Xt.T) > 0, Xt, Xst)
            for lo in range(0, 500, 128)
        ]
        np.testing.assert_array_equal(shared[a], np.unique(np.concatenate(rows), axis=0))
    both = sc.stable_cell_counts(X, y, n_probes=500, seed=4, chunk=128)
    for a in (1, -1):
        assert both[a] == sc.stable_cell_count(
            X, y, n_probes=500, seed=4, chunk=128, alignment=a, return_history=True
        )
