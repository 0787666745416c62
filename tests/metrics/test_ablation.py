"""Ablation curves against a brute-force evaluation (one plain forward pass per mask), in
both modes: masks stacked after the group's first layer, and, where a skip connection
bypasses that layer, repeated passes (or a clear error)."""

import copy

import numpy as np
import pytest
import torch

from workflow_scripts.metrics.ablation import (
    ORDERS,
    Group,
    SkipConnectionError,
    ablation_curves,
    group_masks,
    random_order,
    units_to_zero,
)


def brute_force(model, probe, groups, si, fractions, draws, seed):
    """Accuracy [group, order, fraction, draw], one hooked full pass per mask."""
    modules = dict(model.named_modules())
    acc = np.full((len(groups), 2, len(fractions), draws), np.nan)
    for gi, g in enumerate(groups):
        for oi, order in enumerate(ORDERS):
            for d in range(1 if order == "selective" else draws):
                for fi, f in enumerate(fractions):
                    masks = {}
                    for li, name in enumerate(g.layers):
                        n = len(si[name])
                        perm = (
                            np.argsort(-si[name], kind="stable")
                            if order == "selective"
                            else random_order(seed, d, g.key, li, n)
                        )
                        mask = torch.ones(n)
                        mask[torch.as_tensor(perm[: units_to_zero(f, n)])] = 0
                        masks[name] = mask
                    handles = [
                        modules[name].register_forward_hook(
                            lambda _m, _i, out, mk=mk: out * mk.view(1, -1, *[1] * (out.ndim - 2))
                        )
                        for name, mk in masks.items()
                    ]
                    with torch.no_grad():
                        pred = model(probe.x).argmax(1)
                    for h in handles:
                        h.remove()
                    acc[gi, oi, fi, d] = float((pred == probe.y).float().mean())
    return acc


def si_of(model, layers, seed=0):
    named = dict(model.named_modules())
    rng = np.random.default_rng(seed)
    out = {}
    for name in layers:
        module = named[name]
        width = getattr(module, "num_features", None) or getattr(module, "out_channels", None)
        width = width or module.conv2.out_channels
        out[name] = rng.random(width)
    return out


def run(model, probe, groups, si, **kw):
    kw = {"fractions": (0, 0.25, 0.5, 1.0), "draws": 2, "seed": 1, "channels_last": False, **kw}
    return ablation_curves(copy.deepcopy(model), probe.plain(50), groups, si, **kw)


def test_stacked_masks_equal_one_pass_per_mask(resnet, probe, one_thread):
    groups = [Group("early", ("layer1.1", "layer2.0"), 0), Group("late", ("layer4.1",), 1)]
    si = si_of(resnet, ["layer1.1", "layer2.0", "layer4.1"])
    out = run(resnet, probe, groups, si)
    assert out["mode"] == {"early": "stacked", "late": "stacked"}
    want = brute_force(resnet, probe, groups, si, (0, 0.25, 0.5, 1.0), 2, 1)
    np.testing.assert_allclose(out["accuracy"], want, atol=1.5 / len(probe))
    assert np.isnan(out["accuracy"][:, 0, :, 1]).all()  # the selective order has one draw
    assert (out["accuracy"][:, :, 0] == out["base_accuracy"])[:, 1].all()  # fraction 0 shared
    assert out["units_zeroed"].tolist() == [[0, 3, 6, 12], [0, 8, 16, 32]]
    for mpp in (1, 3):  # how many masks share a pass changes nothing
        again = run(resnet, probe, groups, si, masks_per_pass=mpp)
        np.testing.assert_array_equal(again["accuracy"], out["accuracy"])


def test_a_skip_connection_over_the_ablated_layer_falls_back_or_stops(resnet, probe, caplog):
    # inside a block: the block's identity path bypasses bn1 (a skip connection over it)
    groups = [Group("inner", ("layer1.0.bn1", "layer3.1.bn2"), 0)]
    si = si_of(resnet, groups[0].layers)
    out = run(resnet, probe, groups, si)
    assert out["mode"] == {"inner": "repeated"}
    assert "skip connection" in caplog.text and "'layer1.0.bn1'" in caplog.text
    want = brute_force(resnet, probe, groups, si, (0, 0.25, 0.5, 1.0), 2, 1)
    np.testing.assert_allclose(out["accuracy"], want, atol=1.5 / len(probe))
    with pytest.raises(SkipConnectionError, match="skip connection over it.*on_skip: repeat"):
        run(resnet, probe, groups, si, on_skip="error")


def test_linear_layers_of_an_mlp(mlp, probe, one_thread):
    flat = type(probe)(len(probe), seed=7)
    flat.x = probe.x.flatten(1)
    groups = [Group("1", ("1",), 0), Group("both", ("1", "3"), 1)]
    si = {"1": np.linspace(0, 1, 32), "3": np.linspace(1, 0, 24)}
    out = run(mlp, flat, groups, si, draws=3)
    assert set(out["mode"].values()) == {"stacked"}
    want = brute_force(mlp, flat, groups, si, (0, 0.25, 0.5, 1.0), 3, 1)
    np.testing.assert_allclose(out["accuracy"], want, atol=1.5 / len(probe))
    assert np.nanmax(out["accuracy"][0, :, -1]) < out["base_accuracy"]  # every unit zeroed


def test_identical_masks_are_evaluated_once():
    si = {"a": np.arange(4.0), "b": np.arange(3.0)}
    where, masks = group_masks(Group("g", ("a", "b"), 0), si, (0, 0.5, 1.0), 3, 0)
    # every order and draw zeroes everything at fraction 1: one mask for all of them
    assert len({where[(o, 2, d)] for o, d in [("selective", 0), ("random", 0), ("random", 2)]}) == 1
    # the selective order zeroes each layer's top-SI units: round(0.5 x 4) = 2, round(1.5) = 2
    assert masks[where[("selective", 1, 0)]].tolist() == [1, 1, 0, 0, 1, 0, 0]
    assert not any(fi == 0 for _, fi, _ in where)  # fraction 0 is the unablated pass
