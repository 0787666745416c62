"""Training: checkpoints by step, the regulariser, resume after a kill mid-epoch
(bit-identical on the CPU), learning-rate steps, and CUDA-only settings refused elsewhere."""

import math
from dataclasses import replace

import pytest
import torch

from workflow_scripts.selectivity.data import make_splits
from workflow_scripts.selectivity.images import open_images
from workflow_scripts.selectivity.specs import RegularizerSpec
from workflow_scripts.selectivity.train import epoch_order, onset_step, train_run
from workflow_scripts.selectivity.train_record import lr_at
from workflow_scripts.store.checkpoints import checkpoint_path, checkpoint_steps, load_checkpoint

from .helpers import data_spec, train_spec


class Killed(Exception):
    pass


@pytest.fixture
def images(fashion_dir):
    spec = data_spec(fashion_dir)
    return open_images(make_splits(spec), spec, "train")


def weights(out, step):
    return load_checkpoint(checkpoint_path(out, step))["model"]


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def history_rows(out):
    lines = (out / "history.csv").read_text().splitlines()
    return lines[0].split(","), [list(map(float, line.split(","))) for line in lines[1:]]


def test_checkpoints_by_step_record_epoch_and_statistics(images, tmp_path, one_thread):
    out = tmp_path / "run"
    history = train_run(images, 10, 1, train_spec(), out, "cpu", show_progress=False)
    # 200 images, batches of 32: 7 batches per epoch; b0 b2 b5 e1 e2 = steps 0 2 5 7 14
    assert checkpoint_steps(out) == [0, 2, 5, 7, 14]
    assert len(history) == 14 and not list(tmp_path.glob("*.partial"))
    assert not list(out.glob("state-*")) and not (out / "index.json").exists()
    header, rows = history_rows(out)
    assert header == ["step", "epoch", "loss", "accuracy", "reg_si", "lr"]
    b0, b5, e1 = (load_checkpoint(checkpoint_path(out, s)) for s in (0, 5, 7))
    assert (b0["step"], b5["step"], e1["step"]) == (0, 5, 7)
    assert b5["epoch"] == pytest.approx(5 / 7) and e1["epoch"] == 1.0
    assert b5["batches_per_epoch"] == 7 and b5["lr"] == pytest.approx(0.05)
    assert math.isnan(b0["train_loss"]) and math.isnan(b5["reg_si"])  # nothing trained / no reg
    # the statistics of a checkpoint: the batches since the previous one (steps 6-7 for e1)
    # the statistics of a checkpoint: the batches since the previous one (steps 6 and 7
    # for e1; the last batch of the epoch holds 200 - 6 x 32 = 8 images)
    (_, _, loss6, acc6, _, _), (_, _, loss7, acc7, _, _) = rows[5:7]
    assert e1["train_loss"] == pytest.approx((loss6 * 32 + loss7 * 8) / 40, rel=1e-6)
    assert e1["train_accuracy"] == pytest.approx((acc6 * 32 + acc7 * 8) / 40, rel=1e-6)
    assert not same(b0["model"], e1["model"])


def test_killed_mid_epoch_resumes_bit_identical(images, tmp_path, one_thread):
    spec = train_spec(regularizer=RegularizerSpec(-2.0, (4, 5), 3.0, "batches"))
    ref = tmp_path / "ref"
    train_run(images, 10, 1, spec, ref, "cpu", show_progress=False)

    def kill_at(step):
        if step == 10:  # epoch 1, batch 3 of 7
            raise Killed

    out = tmp_path / "run"
    with pytest.raises(Killed):
        train_run(images, 10, 1, spec, out, "cpu", show_progress=False, every_s=0, on_step=kill_at)
    assert not out.exists() and list((tmp_path / "run.partial").glob("state-*.pt"))
    train_run(images, 10, 1, spec, out, "cpu", show_progress=False, every_s=0)
    assert checkpoint_steps(out) == checkpoint_steps(ref)
    for step in (2, 7, 14):
        assert same(weights(ref, step), weights(out, step)), step
    assert (ref / "history.csv").read_text() == (out / "history.csv").read_text()
    assert load_checkpoint(checkpoint_path(out, 14))["reg_si"] == pytest.approx(
        load_checkpoint(checkpoint_path(ref, 14))["reg_si"]
    )


def test_resume_states_follow_the_interval(images, tmp_path, one_thread):
    """every_s = 0: a state at every batch; a long interval: none before the kill."""
    for every_s, expect_state in ((0, True), (3600, False)):
        out = tmp_path / f"run{every_s}"

        def kill(step):
            if step == 4:
                raise Killed

        with pytest.raises(Killed):
            train_run(
                images, 10, 1, train_spec(), out, "cpu", show_progress=False, every_s=every_s,
                on_step=kill,
            )  # fmt: skip
        states = list(out.with_name(out.name + ".partial").glob("state-*.pt"))
        assert bool(states) == expect_state, every_s


def test_resume_state_of_other_parameters_is_discarded(images, tmp_path, one_thread):
    out = tmp_path / "run"

    def kill(step):
        if step == 4:
            raise Killed

    with pytest.raises(Killed):
        train_run(
            images, 10, 1, train_spec(), out, "cpu", show_progress=False, every_s=0, on_step=kill
        )
    other = train_spec(lr=0.01)
    train_run(images, 10, 1, other, out, "cpu", show_progress=False)
    fresh = tmp_path / "fresh"
    train_run(images, 10, 1, other, fresh, "cpu", show_progress=False)
    assert same(weights(out, 14), weights(fresh, 14))


def test_regulariser_suppresses_batch_selectivity_from_its_onset(images, tmp_path, one_thread):
    spec = train_spec(
        epochs=3,
        regularizer=RegularizerSpec(-20.0, (4, 5, 6), 5.0, "batches"),
        checkpoint_epochs=(1, 2, 3),
    )
    train_run(images, 10, 1, spec, tmp_path / "reg", "cpu", show_progress=False)
    _, rows = history_rows(tmp_path / "reg")
    si = [row[4] for row in rows]
    assert all(s != s for s in si[:5])  # NaN before the onset (batch index 5 = 6th batch)
    assert si[5] > 0.05 and si[-1] < 0.5 * si[5]  # mu_SI pushed down
    # same data order and init: identical to the unregularised run before the onset
    train_run(
        images,
        10,
        1,
        replace(spec, regularizer=RegularizerSpec(0.0, (), 0.0, "batches")),
        tmp_path / "free",
        "cpu",
        show_progress=False,
    )
    assert same(weights(tmp_path / "reg", 5), weights(tmp_path / "free", 5))
    assert not same(weights(tmp_path / "reg", 21), weights(tmp_path / "free", 21))


def test_onsets_in_epochs_and_lr_milestones():
    reg = RegularizerSpec(-1.0, (4,), 2.0, "epochs")
    assert onset_step(reg, 157) == 314
    spec = train_spec(lr=0.1, lr_milestones=(30, 60))
    assert [lr_at(spec, e) for e in (0, 29, 30, 60, 89)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.001, 0.001]
    )
    assert torch.equal(epoch_order(0, 3, 50), epoch_order(0, 3, 50))
    assert not torch.equal(epoch_order(0, 3, 50), epoch_order(0, 4, 50))
    assert train_spec().checkpoint_steps(157) == {"b0": 0, "b2": 2, "b5": 5, "e1": 157, "e2": 314}


def test_checkpoint_after_the_end_is_an_error(images, tmp_path):
    with pytest.raises(ValueError, match="selectivity.checkpoints"):
        train_run(
            images,
            10,
            1,
            train_spec(checkpoint_batches=(0, 99)),
            tmp_path / "x",
            "cpu",
            show_progress=False,
        )


def test_amp_is_refused_on_the_cpu(images, tmp_path):
    """The plan resolves amp to false for CPU runs; a spec that asks for it on the CPU
    would train float32 under a spec that says otherwise."""
    with pytest.raises(ValueError, match="CUDA only"):
        train_run(images, 10, 1, train_spec(amp=True), tmp_path / "x", "cpu", show_progress=False)
    assert not (tmp_path / "x").exists()


def test_channels_last_on_the_cpu_trains_the_same_network_deterministically(images, tmp_path):
    """channels_last (the default, ~1.4x faster on the CPU) computes what the default
    layout does, to float rounding (two steps in, before training's chaos amplifies it),
    and two runs give the same weights bit for bit."""
    spec = train_spec(epochs=1, checkpoint_epochs=(1,), channels_last=True)
    for name in ("a", "b"):
        train_run(images, 10, 1, spec, tmp_path / name, "cpu", show_progress=False)
    plain = train_spec(epochs=1, checkpoint_epochs=(1,))
    train_run(images, 10, 1, plain, tmp_path / "plain", "cpu", show_progress=False)
    a, b = (weights(tmp_path / n, 7) for n in ("a", "b"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    a, c = (weights(tmp_path / n, 2) for n in ("a", "plain"))
    moved = weights(tmp_path / "plain", 0)
    for k in ("conv1.weight", "layer1.0.conv1.weight", "fc.weight"):
        assert torch.allclose(a[k].contiguous(), c[k], atol=1e-5), k
        assert not torch.allclose(c[k], moved[k], atol=1e-5), k  # training moved them


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_amp_channels_last_trains(images, tmp_path):
    spec = train_spec(epochs=1, checkpoint_epochs=(1,), amp=True, channels_last=True)
    train_run(images, 10, 1, spec, tmp_path / "gpu", "cuda", show_progress=False)
    w = weights(tmp_path / "gpu", 7)
    assert all(torch.isfinite(v).all() for v in w.values() if v.is_floating_point())
