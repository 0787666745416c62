import math

import pytest
import torch
import torch.nn.functional as F

from workflow_scripts.store.checkpoints import list_checkpoints, load_checkpoint, load_steps
from workflow_scripts.wtm import data, train
from workflow_scripts.wtm.fullbatch import FullBatchStep
from workflow_scripts.wtm.layca import Layca
from workflow_scripts.wtm.network import pattern_mlp, weights

from .runs import data_spec, train_spec
from .runs import train as train_small


def test_checkpoint_schedule_dense_then_sparse():
    spec = train_spec(max_epochs=35, checkpoint_dense_until=4, checkpoint_every=10)
    assert spec.checkpoint_epochs() == [0, 1, 2, 3, 4, 14, 24, 34, 35]
    short = train_spec(max_epochs=3, checkpoint_dense_until=10, checkpoint_every=5)
    assert short.checkpoint_epochs() == [0, 1, 2, 3]


def test_training_stops_at_target_accuracy_and_saves_the_schedule(tmp_path, one_thread):
    spec = train_spec(target_train_accuracy=1.0, max_epochs=200)
    out, history = train_small(tmp_path, spec, sigma=0.1)
    last_epoch, _, last_acc = history[-1]
    assert last_acc == 1.0 and last_epoch < 200
    found = list_checkpoints(out)
    # full batch: one optimizer step per epoch, so a checkpoint's step is its epoch
    epochs = [ckpt["epoch"] for _, ckpt in load_steps(out)]
    assert [step for step, _ in found] == epochs
    assert epochs[:5] == [0, 1, 2, 3, 4] and epochs[-1] == last_epoch
    assert [p.name for _, p in found[:2]] == ["step_000000000.pt", "step_000000001.pt"]
    final = load_checkpoint(found[-1][1])
    assert final["train_accuracy"] == 1.0 and final["train_loss"] == pytest.approx(history[-1][1])
    assert not (tmp_path / f"{out.name}.partial").exists()
    assert (out / "history.csv").read_text().count("\n") == len(history) + 1


def test_without_early_stop_training_runs_every_epoch(tmp_path, one_thread):
    spec = train_spec(target_train_accuracy=1.0, max_epochs=40, early_stop=False)
    out, history = train_small(tmp_path, spec, sigma=0.1)
    assert [int(row[0]) for row in history] == list(range(41))
    assert history[5][2] == 1.0  # the target was reached long before the last epoch
    assert list_checkpoints(out)[-1][0] == 40


@pytest.mark.parametrize("activation,hidden", [("relu", 16), ("linear", 16), ("relu", 1)])
def test_the_full_batch_step_is_the_autograd_step_bit_for_bit(one_thread, activation, hidden):
    arrays = data.generate(data_spec(sigma=0.4), "train")
    x = torch.as_tensor(arrays["x"])
    y = torch.as_tensor(arrays["y"], dtype=torch.float32)

    def network():
        torch.manual_seed(5)
        model = pattern_mlp(x.shape[1], hidden, activation)
        return model, Layca(model.parameters(), lr=0.05)

    reference, ref_opt = network()
    model, opt = network()
    step = FullBatchStep(model, x, y)
    for _ in range(25):
        ref_logits = reference(x)
        ref_loss = F.binary_cross_entropy_with_logits(ref_logits, y)
        ref_opt.zero_grad(set_to_none=True)
        ref_loss.backward()
        logits, loss = step.forward()
        assert torch.equal(logits, ref_logits.detach()) and torch.equal(loss, ref_loss.detach())
        step.backward()
        for mine, theirs in zip(model.parameters(), reference.parameters(), strict=True):
            assert torch.equal(mine.grad, theirs.grad)
        ref_opt.step()
        opt.step()
    for mine, theirs in zip(model.parameters(), reference.parameters(), strict=True):
        assert torch.equal(mine, theirs)


def test_a_checkpoint_holds_the_network_it_names(tmp_path, one_thread):
    spec = train_spec(max_epochs=5)
    out, _ = train_small(tmp_path, spec)
    torch.manual_seed(spec.seed)
    init = pattern_mlp(60, spec.hidden, spec.activation)
    W1, w2 = weights(load_checkpoint(list_checkpoints(out)[0][1])["model"])
    assert torch.equal(W1, init[0].weight.detach()) and torch.equal(w2, init[2].weight[0].detach())
    assert W1.shape == (spec.hidden, 60) and w2.shape == (spec.hidden,)


def test_minibatch_steps_are_epochs_times_batches(tmp_path, one_thread):
    spec = train_spec(batch_size=32, optimizer="sgd", max_epochs=12)
    out, _ = train_small(tmp_path, spec)
    per_epoch = math.ceil(6 * 20 / 32)  # 120 train samples
    for step, ckpt in load_steps(out):
        assert step == ckpt["epoch"] * per_epoch
    assert [s for s, _ in list_checkpoints(out)][-2:] == [4 * per_epoch, 12 * per_epoch]


@pytest.mark.parametrize("batch_size,optimizer", [(0, "layca"), (8, "sgd")])
def test_resume_after_crash_is_bit_identical(
    tmp_path, monkeypatch, one_thread, batch_size, optimizer
):
    momentum = 0.5 if optimizer == "sgd" else 0.0
    s = train_spec(batch_size=batch_size, optimizer=optimizer, momentum=momentum)
    ref_dir, _ = train_small(tmp_path / "ref", s)

    real_save = train.save_weights

    def crashing_save(directory, model, epoch, *args):
        if epoch == 24:
            raise KeyboardInterrupt("simulated kill")
        real_save(directory, model, epoch, *args)

    monkeypatch.setattr(train, "save_weights", crashing_save)
    with pytest.raises(KeyboardInterrupt):
        train_small(tmp_path / "run", s, every_s=0)
    (out,) = (tmp_path / "run").iterdir()
    assert out.name.endswith(".partial")  # nothing under the output's own name
    # every_s 0: a resume state after every epoch, the newest kept (after epoch 23)
    per_epoch = train.steps_per_epoch(120, batch_size)
    assert [p.name for p in out.glob("state-*.pt")] == [f"state-{24 * per_epoch:09d}.pt"]
    monkeypatch.setattr(train, "save_weights", real_save)
    run_dir, history = train_small(tmp_path / "run", s, every_s=0)
    assert history[0][0] == 0 and len(history) == 31  # history survives the resume
    for (a_step, a), (b_step, b) in zip(load_steps(ref_dir), load_steps(run_dir), strict=True):
        assert a_step == b_step and a["epoch"] == b["epoch"]
        for key in a["model"]:
            assert torch.equal(a["model"][key], b["model"][key])


def test_no_resume_state_before_it_is_due(tmp_path, monkeypatch, one_thread):
    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "_minibatch_epoch", crash)
    with pytest.raises(KeyboardInterrupt):
        train_small(tmp_path, train_spec(batch_size=4), every_s=3600)
    (partial,) = tmp_path.iterdir()
    assert not list(partial.glob("state-*.pt"))


def test_stale_resume_state_from_other_code_is_discarded(tmp_path, monkeypatch, caplog, one_thread):
    real_epoch = train._minibatch_epoch
    seen = {"n": 0}

    def crash_at_epoch_16(*args, **kw):
        seen["n"] += 1
        if seen["n"] == 16:
            raise KeyboardInterrupt
        real_epoch(*args, **kw)

    monkeypatch.setattr(train, "_minibatch_epoch", crash_at_epoch_16)
    with pytest.raises(KeyboardInterrupt):
        train_small(tmp_path, train_spec(batch_size=4), code="old", every_s=0)
    monkeypatch.undo()
    (partial,) = tmp_path.iterdir()
    assert list(partial.glob("state-*.pt"))
    # same directory, different code version: must start from scratch, not resume
    with caplog.at_level("INFO"):
        _, history = train_small(tmp_path, train_spec(batch_size=4), code="new", every_s=0)
    assert "discarding" in caplog.text and "other parameters or code" in caplog.text
    assert len(history) == 31 and "resuming" not in caplog.text


def test_unknown_optimizer_rejected():
    with pytest.raises(ValueError, match="optimizer"):
        train.make_optimizer(train_spec(optimizer="adam"), [torch.nn.Parameter(torch.ones(2, 2))])
