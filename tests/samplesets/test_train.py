"""Training: the paper's nets and optimiser, the checkpoint schedule, resume after a kill."""

import numpy as np
import pytest
import torch

from workflow_scripts.samplesets.network import build_net
from workflow_scripts.samplesets.specs import checkpoint_steps
from workflow_scripts.samplesets.train import epoch_order, loss_function, train_run
from workflow_scripts.store.checkpoints import list_checkpoints, load_steps
from workflow_scripts.store.resume import Partial

from .conftest import fake_split, small_spec


def test_checkpoint_steps_are_dense_early_log_later_and_unique():
    steps = checkpoint_steps(8000, n_log=30, dense_until=9)
    assert list(steps[:10]) == list(range(10))  # every step 0-9 (the peaks sit at 5-22)
    assert steps[-1] == 8000 and len(set(steps)) == len(steps) == 32
    later = np.array(steps[10:], dtype=float)
    ratios = later[1:] / later[:-1]
    assert np.allclose(ratios, ratios.mean(), rtol=0.1)  # log-spaced after the dense part
    assert checkpoint_steps(5, n_log=30, dense_until=9) == (0, 1, 2, 3, 4, 5)


@pytest.mark.parametrize("depth", [2, 5])
def test_net_has_bias_in_the_first_layer_only(depth):
    net = build_net(small_spec(depth=depth, width=7))
    layers = net.linears
    assert len(layers) == depth
    assert layers[0].bias is not None and all(lay.bias is None for lay in layers[1:])
    assert [lay.out_features for lay in layers] == [7] * (depth - 1) + [10]


def test_default_init_is_pytorchs_and_he_glorot_rescale():
    torch.manual_seed(3)
    reference = torch.nn.Linear(784, 8)
    torch.manual_seed(3)
    net = build_net(small_spec(width=8, init="default"))
    assert torch.equal(net.linears[0].weight, reference.weight)
    assert torch.equal(net.linears[0].bias, reference.bias)
    torch.manual_seed(3)
    he = build_net(small_spec(width=400, init="he"))
    std = float(he.linears[1].weight.detach().std())
    assert std == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    assert float(he.linears[0].bias.detach().abs().max()) == 0.0
    glorot = build_net(small_spec(width=400, init="glorot"))
    bound = np.sqrt(6 / (400 + 400))
    assert float(glorot.linears[1].weight.detach().abs().max()) <= bound
    assert float(glorot.linears[1].weight.detach().abs().max()) > 0.95 * bound


def test_mse_compares_outputs_with_one_hot_targets():
    out = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.0]])
    y = torch.tensor([0, 1])
    assert float(loss_function("mse")(out, y)) == pytest.approx(0.25 / 6)
    assert float(loss_function("ce")(out, y)) == pytest.approx(
        float(torch.nn.functional.cross_entropy(out, y))
    )


def test_epoch_order_depends_on_seed_and_epoch_only():
    a = epoch_order(0, 3, 50)
    assert torch.equal(a, epoch_order(0, 3, 50)) and sorted(a.tolist()) == list(range(50))
    assert not torch.equal(a, epoch_order(0, 4, 50)) and not torch.equal(a, epoch_order(1, 3, 50))


def _reference_adam(data, spec):
    """A plain loop: torch.optim.Adam on nn.Linear layers, the same batch order."""
    torch.manual_seed(spec.seed)
    layers = [
        torch.nn.Linear(
            784 if i == 0 else spec.width, 10 if i == spec.depth - 1 else spec.width, bias=i == 0
        )
        for i in range(spec.depth)
    ]
    params = [p for lay in layers for p in lay.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    x = torch.tensor(data["x_train"], dtype=torch.float32) / 255
    y = torch.tensor(data["y_train"])
    for step in range(spec.total_steps):
        epoch, pos = divmod(step, spec.steps_per_epoch)
        idx = epoch_order(spec.seed, epoch, spec.n_train)[
            pos * spec.batch_size : (pos + 1) * spec.batch_size
        ]
        h = x[idx]
        for lay in layers[:-1]:
            h = torch.relu(lay(h))
        loss = torch.nn.functional.cross_entropy(layers[-1](h), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [lay.weight.detach() for lay in layers]


def test_training_matches_a_plain_adam_loop(tmp_path, one_thread):
    data = fake_split()
    spec = small_spec(adam_impl="for_loop")
    history = train_run(
        data["x_train"], data["y_train"], spec, tmp_path / "run", show_progress=False
    )
    assert [int(h[0]) for h in history] == list(spec.checkpoint_steps)
    saved = list(load_steps(tmp_path / "run"))
    assert [step for step, _ in saved] == list(spec.checkpoint_steps)
    for step, ckpt in saved:  # each checkpoint knows its place in time
        assert ckpt["step"] == step and ckpt["epoch"] == step / spec.steps_per_epoch
    assert 0 < saved[1][1]["epoch"] < 1  # sub-epoch checkpoints: fractional epochs
    last = saved[-1][1]["model"]
    expected = _reference_adam(data, spec)
    for i, w in enumerate(expected):
        assert torch.equal(last[f"{2 * i}.weight"], w), i  # same ops, same order: bit-equal
    assert history[-1][2] < history[1][2]  # it learns


class Killed(Exception):
    pass


def kill_at(at):
    def on_step(step):
        if step == at:
            raise Killed

    return on_step


def assert_same_run(a, b):
    assert [p.name for _, p in list_checkpoints(a)] == [p.name for _, p in list_checkpoints(b)]
    for (step_a, x), (step_b, y) in zip(load_steps(a), load_steps(b)):
        assert step_a == step_b and x["epoch"] == y["epoch"]
        np.testing.assert_equal(x["train_loss"], y["train_loss"])  # NaN at step 0
        assert all(torch.equal(x["model"][k], y["model"][k]) for k in x["model"])
    assert (a / "history.csv").read_text() == (b / "history.csv").read_text()


@pytest.fixture
def full_run(tmp_path):
    data, spec = fake_split(), small_spec(epochs=4)
    train_run(data["x_train"], data["y_train"], spec, tmp_path / "full", show_progress=False)
    return data, spec, tmp_path / "full"


def test_resume_after_a_kill_is_bit_identical(tmp_path, one_thread, full_run):
    data, spec, full = full_run
    out = tmp_path / "killed"
    x, y = data["x_train"], data["y_train"]
    with pytest.raises(Killed):  # every_s=0: a resume state after every step
        train_run(x, y, spec, out, every_s=0, on_step=kill_at(11), show_progress=False)
    assert not out.exists() and (tmp_path / "killed.partial" / "state-000000011.pt").is_file()
    train_run(x, y, spec, out, every_s=0, show_progress=False)
    assert not (tmp_path / "killed.partial").exists()
    assert_same_run(full, out)


def test_resume_from_an_older_state_redoes_the_steps_since(
    tmp_path, one_thread, full_run, monkeypatch
):
    """A state saved at step 8, killed at step 11: steps 9-11 are trained again."""
    data, spec, full = full_run
    calls = iter(range(1, 10**6))  # due() is asked once after each step
    monkeypatch.setattr(Partial, "due", lambda self: next(calls) % 4 == 0)
    out = tmp_path / "killed"
    x, y = data["x_train"], data["y_train"]
    with pytest.raises(Killed):
        train_run(x, y, spec, out, on_step=kill_at(11), show_progress=False)
    assert [p.name for p in (tmp_path / "killed.partial").glob("state-*")] == ["state-000000008.pt"]
    calls = iter(range(1, 10**6))
    train_run(x, y, spec, out, show_progress=False)
    assert_same_run(full, out)


def test_a_partial_run_of_other_settings_is_discarded(tmp_path, one_thread):
    data = fake_split()
    out = tmp_path / "run"
    x, y = data["x_train"], data["y_train"]
    with pytest.raises(Killed):
        train_run(x, y, small_spec(), out, every_s=0, on_step=kill_at(6), show_progress=False)
    other = small_spec(seed=1)
    train_run(x, y, other, out, every_s=0, show_progress=False)
    fresh = tmp_path / "fresh"
    train_run(x, y, other, fresh, show_progress=False)
    assert_same_run(fresh, out)
