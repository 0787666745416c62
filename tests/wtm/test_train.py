import pytest
import torch

from workflow_scripts.store.checkpoints import load_checkpoint
from workflow_scripts.wtm import data, train
from workflow_scripts.wtm.checkpoints import list_checkpoints
from workflow_scripts.wtm.specs import PatternSpec, TrainSpec, checkpoint_epochs
from workflow_scripts.wtm.train import train_run


def small_data(sigma=0.3):
    spec = PatternSpec(
        n_features=60,
        n_patterns=6,
        active_per_pattern=5,
        overlapping_masks=False,
        train_per_pattern=10,
        test_per_pattern=5,
        pattern_seed=1,
        sigma=sigma,
    )
    arrays = data.generate(spec, "train")
    return arrays["x"], arrays["y"]


def spec(**kw):
    base = dict(
        hidden=16,
        activation="relu",
        optimizer="layca",
        lr=0.05,
        momentum=0.0,
        batch_size=0,
        max_epochs=30,
        target_train_accuracy=1.1,
        seed=3,
        checkpoint_dense_until=4,
        checkpoint_every=10,
    )
    base.update(kw)
    return TrainSpec(**base)


def test_checkpoint_schedule_dense_then_sparse():
    assert checkpoint_epochs(35, 4, 10) == [0, 1, 2, 3, 4, 14, 24, 34, 35]
    assert checkpoint_epochs(3, 10, 5) == [0, 1, 2, 3]


def test_training_stops_at_target_accuracy_and_dumps_schedule(tmp_path):
    x, y = small_data(sigma=0.1)
    out = tmp_path / "ckpt"
    history = train_run(
        x,
        y,
        spec(target_train_accuracy=1.0, max_epochs=200),
        out,
        torch.device("cpu"),
        show_progress=False,
    )
    last_epoch, _, last_acc = history[-1]
    assert last_acc == 1.0 and last_epoch < 200
    epochs = [int(load_checkpoint(f)["epoch"]) for f in list_checkpoints(out)]
    assert epochs[-1] == last_epoch and epochs[:3] == [0, 1, 2]
    assert not (tmp_path / "ckpt.partial").exists()
    assert (out / "history.csv").read_text().count("\n") == len(history) + 1


@pytest.mark.parametrize("batch_size,optimizer", [(0, "layca"), (8, "sgd")])
def test_resume_after_crash_is_bit_identical(tmp_path, monkeypatch, batch_size, optimizer):
    x, y = small_data()
    s = spec(
        batch_size=batch_size, optimizer=optimizer, momentum=0.5 if optimizer == "sgd" else 0.0
    )
    ref_dir = tmp_path / "ref"
    train_run(x, y, s, ref_dir, torch.device("cpu"), show_progress=False)

    # crash in the middle of epoch 17 (after resume states were saved at 4 and 14)
    calls = {"n": 0}
    real_dump = train._dump

    def crashing_dump(path, model, epoch, loss, acc):
        if epoch == 24:
            raise KeyboardInterrupt("simulated kill")
        real_dump(path, model, epoch, loss, acc)
        calls["n"] += 1

    out = tmp_path / "run"
    monkeypatch.setattr(train, "_dump", crashing_dump)
    with pytest.raises(KeyboardInterrupt):
        train_run(x, y, s, out, torch.device("cpu"), show_progress=False)
    # resume states at the sparse dumps 14 (and 4 < dense_until: none), the newest kept
    assert not out.exists()
    assert [p.name for p in (tmp_path / "run.partial").glob("state-*.pt")] == ["state-000000014.pt"]
    monkeypatch.setattr(train, "_dump", real_dump)
    history = train_run(x, y, s, out, torch.device("cpu"), show_progress=False)
    assert history[0][0] == 0 and len(history) == 31  # history survives the resume
    for ref, got in zip(list_checkpoints(ref_dir), list_checkpoints(out), strict=True):
        a, b = load_checkpoint(ref), load_checkpoint(got)
        assert torch.equal(a["W1"], b["W1"]) and torch.equal(a["w2"], b["w2"])


def test_stale_resume_state_from_other_code_is_discarded(tmp_path, monkeypatch, caplog):
    x, y = small_data()
    out = tmp_path / "run"
    real_epoch = train._minibatch_epoch
    seen = {"n": 0}

    def crash_at_epoch_16(*args, **kw):
        seen["n"] += 1
        if seen["n"] == 16:
            raise KeyboardInterrupt
        real_epoch(*args, **kw)

    monkeypatch.setattr(train, "_minibatch_epoch", crash_at_epoch_16)
    with pytest.raises(KeyboardInterrupt):
        train_run(
            x, y, spec(batch_size=4), out, torch.device("cpu"), code="old", show_progress=False
        )
    monkeypatch.undo()
    assert list((tmp_path / "run.partial").glob("state-*.pt"))
    # same directory, different code version: must start from scratch, not resume
    with caplog.at_level("WARNING"):
        history = train_run(
            x, y, spec(batch_size=4), out, torch.device("cpu"), code="new", show_progress=False
        )
    assert "discarding" in caplog.text and "other parameters or code" in caplog.text
    assert len(history) == 31


def test_unknown_optimizer_rejected():
    with pytest.raises(ValueError, match="optimizer"):
        train.make_optimizer(spec(optimizer="adam"), [torch.nn.Parameter(torch.ones(2, 2))])
