import json

import pytest
import torch

from workflow_scripts.race import imp
from workflow_scripts.race import train as T
from workflow_scripts.race.runs import RunSpec, init_weights


def weights(seed=0, d=30, D=40):
    g = torch.Generator().manual_seed(seed)
    return {"W1": torch.randn(d, D, generator=g), "W2": torch.randn(2, d, generator=g)}


@pytest.mark.parametrize("sparsity", [0.2, 0.5, 0.7])
@pytest.mark.parametrize("output_layer", [True, False])
def test_exact_sparsity_and_nested_masks(sparsity, output_layer):
    names = imp.prunable_names(output_layer)
    w = weights()
    n = sum(w[k].numel() for k in names)
    masks = imp.full_masks(w, names)
    for r in range(1, 4):
        # weights change between rounds (retraining); prune the "trained" ones
        trained = {k: v * (1 + 0.1 * r) + 0.01 * torch.randn_like(v) for k, v in weights(r).items()}
        new, keep = imp.next_round_masks(trained, masks, n, sparsity, r, 3)
        assert keep == round(n * (1 - sparsity) ** (r / 3))
        assert sum(int(new[k].sum()) for k in names) == keep
        for k in names:
            assert not torch.any(new[k] & ~masks[k])  # nested: r's mask within r-1's
        masks = new
    alive = sum(int(masks[k].sum()) for k in names)
    assert alive == round(n * (1 - sparsity))
    assert abs((1 - alive / n) - sparsity) <= 1 / n


def test_keep_counts_round_to_nearest_not_down():
    # the smoke network's 16416 prunable weights at 70 %: 4924.8 kept -> 4925 (int() gives 4924)
    assert imp.keep_count(16416, 0.7, 3, 3) == 4925
    assert imp.keep_count(16416, 0.2, 1, 3) == round(16416 * 0.8 ** (1 / 3)) == 15239


def test_per_round_fraction_matches_methods():
    assert imp.per_round_fraction(0.2, 3) == pytest.approx(0.0717, abs=1e-4)
    assert imp.per_round_fraction(0.5, 3) == pytest.approx(0.2063, abs=1e-4)
    assert imp.per_round_fraction(0.7, 3) == pytest.approx(0.3306, abs=1e-4)
    assert imp.keep_count(1000, 0.5, 0, 3) == 1000 and imp.keep_count(1000, 0.5, 3, 3) == 500


def test_global_ranking_keeps_largest_magnitudes():
    w = {"W1": torch.tensor([[0.1, -5.0], [0.3, 0.2]]), "W2": torch.tensor([[-0.25, 4.0]])}
    m = imp.prune(w, imp.full_masks(w), 3)
    assert m["W1"].tolist() == [[False, True], [True, False]]
    assert m["W2"].tolist() == [[False, True]]


def test_ties_are_broken_deterministically():
    w = {"W1": torch.ones(4, 5), "W2": torch.ones(2, 4)}
    m = imp.prune(w, imp.full_masks(w), 7)
    flat = torch.cat([m["W1"].flatten(), m["W2"].flatten()])
    assert flat.tolist() == [True] * 7 + [False] * 21  # first in flat order kept
    again = imp.prune({k: v.clone() for k, v in w.items()}, imp.full_masks(w), 7)
    assert all(torch.equal(m[k], again[k]) for k in m)
    # zero-magnitude alive weights still outrank pruned ones: masks stay nested
    z = {"W1": torch.zeros(4, 5), "W2": torch.zeros(2, 4)}
    m2 = imp.prune(z, m, 5)
    assert not torch.any(m2["W1"] & ~m["W1"]) and int(m2["W1"].sum() + m2["W2"].sum()) == 5
    with pytest.raises(ValueError):
        imp.prune(w, m, 8)


def test_pruned_per_neuron_counts_row_and_column():
    m1 = torch.ones(3, 4, dtype=torch.bool)
    m1[0, :2] = False
    m1[2, 3] = False
    m2 = torch.ones(2, 3, dtype=torch.bool)
    m2[1, 0] = False
    m2[:, 1] = False
    assert imp.pruned_per_neuron(m1, m2).tolist() == [3, 2, 1]
    assert imp.pruned_per_neuron(m1).tolist() == [2, 0, 1]


def test_rewind_and_record():
    init = init_weights(0, 1e-3, 6, 8)
    m = imp.prune(weights(0, 6, 8), imp.full_masks(init), 20)
    w = imp.rewind(init, m)
    assert torch.all(w["W1"][~m["W1"]] == 0)
    assert torch.equal(w["W1"][m["W1"]], init["W1"][m["W1"]])
    assert torch.equal(w["b1"], init["b1"])
    rec = imp.masks_record(m, 20, 60, 0.5, 1, 3, True, 6)
    meta = json.loads(rec["meta"])
    assert meta["alive"] == 20 and meta["global"] and meta["rewind"] == "init"
    assert meta["prune_output_layer"] and not meta["biases_pruned"]
    assert int(rec["pruned_per_neuron"].sum()) == 40


def test_imp_rounds_end_to_end_reach_target(one_thread):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(40, 64, generator=g)
    y = (x[:, :8].sum(1) > x[:, 8:16].sum(1)).long()
    data = {"x_train": x, "y_train": y, "x_test": x, "y_test": y}
    kw = dict(hidden=10, total_steps=60, ckpt_steps=[0, 60], lr=0.05)
    dense = T.train_runs(data, [RunSpec(seed=0, sigma0=0.1)], **kw)[0]
    n = dense["W1"][0].numel() + dense["W2"][0].numel()
    prev, names = dense, imp.prunable_names(True)
    for r in range(1, 4):
        masks, keep = imp.next_round_masks(
            imp.final_weights(prev), imp.run_masks(prev, names), n, 0.5, r, 3
        )
        init = imp.rewind(imp.initial_weights(dense), masks)
        prev = T.train_runs(
            data,
            [RunSpec(seed=0, sigma0=0.1, init=init, mask_W1=masks["W1"], mask_W2=masks["W2"])],
            **kw,
        )[0]
        alive = int((prev["W1"][-1] != 0).sum() + (prev["W2"][-1] != 0).sum())
        assert alive <= keep and int(prev["mask_W1"].sum() + prev["mask_W2"].sum()) == keep
        assert torch.equal(prev["W1"][0], init["W1"])
    assert keep == n // 2
