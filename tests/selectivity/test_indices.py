"""Class selectivity index, the regulariser's batch SI, and the CKA arithmetic against
plain reference loops. The SI, class means and CKA are the shared metrics layer's (the one
implementation the study measures with); tests/metrics has CKA's known answers."""

import numpy as np
import pytest
import torch

from workflow_scripts.metrics.cka import MinibatchCKA, gram, hsic_matrix, hsic_unbiased
from workflow_scripts.metrics.selectivity_index import ClassMeans, si_from_means
from workflow_scripts.selectivity.selectivity_index import batch_si, regulariser_term


def si_reference(means, eps=1e-6):
    """SI of each unit by the definition, one unit and class at a time."""
    out = []
    for u in range(means.shape[1]):
        col = [float(means[c, u]) for c in range(means.shape[0])]
        top = max(col)
        rest = (sum(col) - top) / (len(col) - 1)
        out.append((top - rest) / (top + rest + eps))
    return np.array(out)


def test_si_by_hand():
    means = torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 2.0], [0.0, 0.0, 2.0]], dtype=torch.float64)
    si, dead = si_from_means(means)
    # unit 0 answers one class only: (1 - 0) / (1 + 0 + eps); unit 1 is dead; unit 2 flat
    assert si[0] == pytest.approx(1.0, abs=1e-5)
    assert si[1] == 0.0 and si[2] == 0.0
    assert dead.tolist() == [False, True, False]


def test_si_matches_the_definition_on_random_means():
    means = torch.rand(7, 11, dtype=torch.float64)
    si, _ = si_from_means(means)
    np.testing.assert_allclose(si.numpy(), si_reference(means.numpy()), rtol=1e-12)


def test_class_means_are_means_not_sums_on_an_unbalanced_set():
    acts = torch.tensor([[1.0], [3.0], [10.0]])
    labels = torch.tensor([0, 0, 1])
    cm = ClassMeans(2, 1)
    cm.add(acts, labels)
    cm.count(labels)
    assert cm.means()[:, 0].tolist() == [2.0, 10.0]


def test_class_means_need_every_class():
    cm = ClassMeans(3, 2)
    labels = torch.tensor([0, 1])
    cm.add(torch.ones(2, 2), labels)
    cm.count(labels)
    with pytest.raises(ValueError, match=r"class\(es\) \[2\]"):
        cm.means()


def batch_si_loop(acts, labels):
    """Per-sample loops over the classes present (the paper's code, with means)."""
    per_class = []
    for c in sorted(set(labels.tolist())):
        rows = [acts[i].numpy() for i in range(len(labels)) if labels[i] == c]
        per_class.append(np.mean(rows, axis=0))
    return si_reference(np.array(per_class)).mean()


def test_batch_si_uses_only_the_classes_present():
    torch.manual_seed(0)
    acts = torch.rand(12, 5, dtype=torch.float64)
    labels = torch.tensor([0, 0, 3, 3, 3, 7, 7, 0, 3, 7, 7, 0])  # 3 of 10 classes present
    assert float(batch_si(acts, labels, 10)) == pytest.approx(
        batch_si_loop(acts, labels), rel=1e-10
    )


def test_batch_si_undefined_with_one_class():
    assert batch_si(torch.rand(4, 3), torch.tensor([2, 2, 2, 2]), 5) is None


def test_regulariser_term_is_the_mean_over_modules_of_block_means_and_has_gradients():
    torch.manual_seed(1)
    acts = [torch.rand(16, 4, requires_grad=True) for _ in range(3)]
    labels = torch.arange(16) % 4
    mods = [4, 4, 5]
    term = regulariser_term(acts, mods, labels, 4)
    si = [float(batch_si(a.detach(), labels, 4)) for a in acts]
    assert float(term.detach()) == pytest.approx(((si[0] + si[1]) / 2 + si[2]) / 2, rel=1e-6)
    term.backward()
    assert all(a.grad is not None and a.grad.abs().sum() > 0 for a in acts)


# ---------------------------------------------------------------------------------
# CKA


def test_hsic_matrix_equals_the_pairwise_estimator():
    torch.manual_seed(2)
    grams = [gram(torch.randn(9, d, dtype=torch.float64)) for d in (3, 5, 8)]
    h = hsic_matrix(grams)
    for i in range(3):
        for j in range(3):
            assert float(h[i, j]) == pytest.approx(
                float(hsic_unbiased(grams[i], grams[j])), rel=1e-9, abs=1e-12
            )


def test_gram_over_feature_chunks_equals_one_product():
    x = torch.randn(6, 3, 5, 7)
    flat = x.flatten(1).double()
    np.testing.assert_allclose(gram(x, chunk=17).numpy(), (flat @ flat.T).numpy(), rtol=1e-12)


def test_unequal_batches_and_tiny_batches_are_refused():
    acc = MinibatchCKA(2)
    acc.add([gram(torch.randn(8, 3)), gram(torch.randn(8, 3))])
    with pytest.raises(ValueError, match="equal batches"):
        acc.add([gram(torch.randn(5, 3)), gram(torch.randn(5, 3))])
    with pytest.raises(ValueError, match="more than 3"):
        hsic_unbiased(gram(torch.randn(3, 2)), gram(torch.randn(3, 2)))


def test_the_noise_floor_is_the_units_own_and_falls_with_their_spread():
    """Why a regularised run's SI (~0.007) can sit below the unregularised runs' floor
    (0.015-0.036) and still be a class signal: the shuffled-label floor is the SI that
    sampling noise alone gives THESE units, and it scales with their spread relative to
    their mean. Units with near-constant activations (what the regulariser leaves) have a
    floor far below that of sparse ReLU units, and a small real class difference stays
    well above it; with activations ~1 the index's eps changes nothing (no degenerate
    SI on near-zero activations)."""
    from workflow_scripts.metrics.selectivity_index import floor_shuffle

    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(2000) % 10
    floor_labels = torch.as_tensor(floor_shuffle(labels.numpy(), 0))
    sparse = torch.relu(torch.randn(2000, 50, generator=gen))  # no class signal, spread ~ mean
    flat = 1.0 + 0.02 * torch.randn(2000, 50, generator=gen) + 0.01 * (labels == 3)[:, None]

    def si(acts, y):
        cm = ClassMeans(10, acts.shape[1])
        cm.add(acts, y)
        cm.count(y)
        return si_from_means(cm.means())[0]

    sparse_floor = float(si(sparse, floor_labels).mean())
    flat_si, flat_floor = float(si(flat, labels).mean()), float(si(flat, floor_labels).mean())
    # below the unregularised runs' floor (0.015-0.036) and the sparse units', above its own
    assert flat_floor < 0.002 < flat_si < 0.015 < sparse_floor
    means = ClassMeans(10, 50)
    means.add(flat, labels)
    means.count(labels)
    no_eps = si_from_means(means.means(), eps=0.0)[0]
    assert torch.allclose(si(flat, labels), no_eps, rtol=1e-5)
