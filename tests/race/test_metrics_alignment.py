"""Alignment metrics on hand-made cases with known answers."""

import numpy as np
import pytest
import torch

from workflow_scripts.race.metrics import alignment as al

X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
Y = np.array([0, 1, 0, 1])
W1 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [-1.0, -1.0], [0.0, -1.0]])
B1 = np.array([0.0, 0.5, 0.0, 0.0, -5.0])
W2 = np.array([[1.0, -1.0, 1.0, 0.5, 1.0], [-1.0, 2.0, 0.0, 1.0, 3.0]])
B2 = np.zeros(2)


def test_hand_made_alignment():
    out = al.alignment_step(W1, B1, W2, B2, X, Y)
    np.testing.assert_array_equal(out["cell_size"], [2, 4, 0, 1, 0])
    # neuron 0: cell {x0, x2} (both class 0), c = 0, gamma = x0 + x2 = [2, 1]
    assert out["output_class"][0] == 0
    assert out["cos_delta"][0] == pytest.approx(2 / np.sqrt(5))
    # neuron 1: all samples pass; dataset sums tie (1 vs 1) -> falls back to w2 (class 1);
    # gamma = -(x0 + x2) + (x1 + x3) = [-3, 0], orthogonal to w1 = [0, 1]
    assert out["output_class_dataset"][1] == -1
    assert out["output_class"][1] == 1
    assert out["cos_delta"][1] == pytest.approx(0.0)
    # neuron 2: zero incoming weights -> cos undefined, norm product 0
    assert np.isnan(out["cos_delta"][2])
    assert out["norm_product"][2] == 0
    # neuron 3: cell {x3} (class 1) -> c = 1, gamma = x3 = [-1, 0], cos = 1/sqrt(2)
    assert out["output_class"][3] == 1
    assert out["cos_delta"][3] == pytest.approx(1 / np.sqrt(2))
    # neuron 4: empty cell -> NaN
    assert np.isnan(out["cos_delta"][4])
    assert out["output_class_dataset"][4] == -1
    np.testing.assert_allclose(
        out["norm_product"][[0, 1, 3]], [np.sqrt(2), np.sqrt(5), np.sqrt(2) * np.sqrt(1.25)]
    )
    np.testing.assert_array_equal(out["output_class_weights"], [0, 1, 0, 1, 1])


def test_weights_class_method():
    out = al.alignment_step(W1, B1, W2, B2, X, Y, class_method="weights")
    np.testing.assert_array_equal(out["output_class"], out["output_class_weights"])
    # neuron 3 pointed to class 1 by both estimates: same answer
    assert out["cos_delta"][3] == pytest.approx(1 / np.sqrt(2))


def test_residual_gamma_is_minus_gradient_for_aligned_w2():
    """With w2 exactly aligned ([k, -k]), residual-weighted gamma is parallel to -dL/dw1."""
    rng = np.random.default_rng(0)
    N, D, d = 40, 6, 5
    X = rng.normal(size=(N, D))
    y = rng.integers(0, 2, N)
    W1 = rng.normal(size=(d, D))
    b1 = rng.normal(scale=0.1, size=d)
    k = rng.uniform(0.5, 2, d) * np.where(rng.random(d) < 0.5, 1, -1)
    W2 = np.stack([k, -k])
    b2 = rng.normal(size=2)
    t = {
        n: torch.tensor(v, requires_grad=True) for n, v in dict(W1=W1, b1=b1, W2=W2, b2=b2).items()
    }
    z = torch.relu(torch.tensor(X) @ t["W1"].T + t["b1"]) @ t["W2"].T + t["b2"]
    torch.nn.functional.cross_entropy(z, torch.tensor(y), reduction="sum").backward()
    grad = -t["W1"].grad.numpy()
    out = al.alignment_step(W1, b1, W2, b2, X, y, weighting="residual", class_method="weights")
    gnorm = np.linalg.norm(grad, axis=1)
    # recompute gamma's direction from cos with unit vectors: compare against grad directly
    for a in range(d):
        if gnorm[a] == 0:
            continue
        ref = W1[a] @ grad[a] / (np.linalg.norm(W1[a]) * gnorm[a])
        assert out["cos_delta"][a] == pytest.approx(ref, abs=1e-10)


def test_sample_chunks_do_not_change_the_result():
    rng = np.random.default_rng(1)
    T, N, D, d = 3, 37, 8, 6
    X = rng.normal(size=(N, D)).astype(np.float32)
    y = rng.integers(0, 2, N)
    W1 = rng.normal(size=(T, d, D)).astype(np.float32)
    b1 = rng.normal(size=(T, d)).astype(np.float32)
    W2 = rng.normal(size=(T, 2, d)).astype(np.float32)
    b2 = rng.normal(size=(T, 2)).astype(np.float32)
    for t in range(T):
        chunked = al.alignment_step(
            torch.tensor(W1[t]), b1[t], W2[t], b2[t], X, y, weighting="residual", sample_chunk=5
        )
        one = al.alignment_step(
            W1[t], b1[t], W2[t], b2[t], X, y, weighting="residual", sample_chunk=1000
        )
        assert chunked["cos_delta"].shape == (d,) and chunked["cos_delta"].dtype == np.float64
        for key in one:
            np.testing.assert_allclose(chunked[key], one[key], rtol=1e-12, atol=1e-12)


def test_tiny_init_is_not_lost():
    """std 1e-5 weights: norms and angles stay exact in float64 (no underflow)."""
    rng = np.random.default_rng(2)
    W1 = (rng.normal(size=(4, 3)) * 1e-5).astype(np.float32)
    W2 = (rng.normal(size=(2, 4)) * 1e-5).astype(np.float32)
    out = al.alignment_step(
        W1, np.zeros(4), W2, np.zeros(2), rng.normal(size=(10, 3)), rng.integers(0, 2, 10)
    )
    ref = np.linalg.norm(W1.astype(np.float64), axis=1) * np.linalg.norm(
        W2.astype(np.float64), axis=0
    )
    np.testing.assert_allclose(out["norm_product"], ref, rtol=1e-12)
    assert np.all(out["norm_product"] > 0)


def test_bad_option():
    with pytest.raises(ValueError):
        al.alignment_step(W1, B1, W2, B2, X, Y, weighting="nope")
