import math

import pytest
import torch

from workflow_scripts.wtm.layca import Layca


def reference_step(p, g, lr):
    """The update rule exactly as workflow_scripts/wtm/layca.py's docstring writes it (after
    Carbonnelle & De Vleeschouwer), in float64."""
    p, s = p.double(), g.double()
    n0 = p.norm()
    s = s - (torch.sum(s * p) / n0**2) * p
    s = s * n0 / s.norm()
    p = p - lr * s
    return p * n0 / p.norm()


def test_layca_matches_update_rule_and_keeps_norm():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(7, 5))
    grads = [torch.randn(7, 5) for _ in range(5)]
    opt = Layca([w], lr=0.1)
    expected = w.detach().clone()
    for g in grads:
        w.grad = g.clone()
        opt.step()
        expected = reference_step(expected, g, 0.1)
        assert torch.allclose(w.detach().double(), expected, atol=1e-5)
    assert math.isclose(float(w.detach().norm()), float(expected.norm()), rel_tol=1e-5)


def test_layca_rotation_angle_is_about_atan_lr():
    torch.manual_seed(1)
    w = torch.nn.Parameter(torch.randn(50, 20))
    before = w.detach().clone()
    w.grad = torch.randn(50, 20)
    Layca([w], lr=0.05).step()
    cos = torch.sum(before * w.detach()) / (before.norm() * w.detach().norm())
    assert math.isclose(math.acos(float(cos)), math.atan(0.05), rel_tol=1e-3)


def test_radial_gradient_and_scalar_weight_do_not_move():
    w = torch.nn.Parameter(torch.tensor([[2.0, -1.0]]))
    w.grad = 3 * w.detach().clone()  # purely radial: nothing to rotate
    one = torch.nn.Parameter(torch.tensor([[0.7]]))  # 1x1: cannot rotate
    one.grad = torch.tensor([[5.0]])
    Layca([w, one], lr=0.1).step()
    assert torch.allclose(w.detach(), torch.tensor([[2.0, -1.0]]))
    assert float(one.detach()) == pytest.approx(0.7)


def test_bias_gets_plain_sgd_and_bad_hyperparameters_rejected():
    b = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    b.grad = torch.tensor([1.0, -1.0])
    Layca([b], lr=0.5).step()
    assert torch.allclose(b.detach(), torch.tensor([0.5, 2.5]))
    with pytest.raises(ValueError, match="lr"):
        Layca([b], lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        Layca([b], lr=0.1, momentum=1.5)
