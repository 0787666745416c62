"""Training: checkpoints, the regulariser, resume after a kill mid-epoch (bit-identical on
the CPU), learning-rate steps, and the CUDA-only options falling back on the CPU."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from workflow_scripts.selectivity.data import make_splits, open_images
from workflow_scripts.selectivity.specs import RegularizerSpec
from workflow_scripts.selectivity.train import epoch_order, lr_at, onset_step, train_run
from workflow_scripts.store.checkpoints import load_checkpoint

from .helpers import data_spec, train_spec


class Killed(Exception):
    pass


@pytest.fixture
def images(fashion_dir):
    spec = data_spec(fashion_dir)
    return open_images(make_splits(spec), spec, "train")


def weights(out, label):
    return load_checkpoint(Path(out) / f"{label}.pt")["model"]


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_checkpoints_history_and_index(images, tmp_path, torch_one_thread):
    spec = train_spec()
    history = train_run(images, 10, 1, spec, tmp_path / "run", "cpu", show_progress=False)
    out = tmp_path / "run"
    index = json.loads((out / "index.json").read_text())
    bpe = index["batches_per_epoch"]
    assert bpe == 7  # 200 images, batches of 32
    assert {k: v["step"] for k, v in index["checkpoints"].items()} == {
        "b0": 0,
        "b2": 2,
        "b5": 5,
        "e1": 7,
        "e2": 14,
    }
    assert len(history) == 14 and not list(tmp_path.glob("*.partial"))
    e1 = load_checkpoint(out / "e1.pt")
    assert e1["step"] == 7 and e1["epoch"] == 1.0 and 0 <= e1["train_accuracy"] <= 1
    b0 = load_checkpoint(out / "b0.pt")
    assert b0["train_loss"] != b0["train_loss"]  # NaN: no batch trained yet
    assert not same(b0["model"], e1["model"])
    assert (out / "history.csv").read_text().splitlines()[0] == "step,epoch,loss,accuracy,reg_si,lr"


def test_killed_mid_epoch_resumes_bit_identical(images, tmp_path, torch_one_thread):
    spec = train_spec(regularizer=RegularizerSpec(-2.0, (4, 5), 3.0, "batches"))
    ref = tmp_path / "ref"
    train_run(images, 10, 1, spec, ref, "cpu", show_progress=False)

    def kill_at(step):
        if step == 10:  # epoch 1, batch 3 of 7
            raise Killed

    out = tmp_path / "run"
    with pytest.raises(Killed):
        train_run(
            images, 10, 1, spec, out, "cpu", show_progress=False, resume_every_s=0, on_step=kill_at
        )
    assert not out.exists() and list((tmp_path / "run.partial").glob("state-*.pt"))
    train_run(images, 10, 1, spec, out, "cpu", show_progress=False, resume_every_s=0)
    for label in ("b2", "e1", "e2"):
        assert same(weights(ref, label), weights(out, label)), label
    assert (ref / "history.csv").read_text() == (out / "history.csv").read_text()


def test_resume_state_of_other_parameters_is_discarded(images, tmp_path, torch_one_thread):
    out = tmp_path / "run"

    def kill(step):
        if step == 4:
            raise Killed

    with pytest.raises(Killed):
        train_run(
            images,
            10,
            1,
            train_spec(),
            out,
            "cpu",
            show_progress=False,
            resume_every_s=0,
            on_step=kill,
        )
    other = train_spec(lr=0.01)
    train_run(images, 10, 1, other, out, "cpu", show_progress=False)
    fresh = tmp_path / "fresh"
    train_run(images, 10, 1, other, fresh, "cpu", show_progress=False)
    assert same(weights(out, "e2"), weights(fresh, "e2"))


def test_regulariser_suppresses_batch_selectivity_from_its_onset(
    images, tmp_path, torch_one_thread
):
    spec = train_spec(
        epochs=3,
        regularizer=RegularizerSpec(-20.0, (4, 5, 6), 5.0, "batches"),
        checkpoint_epochs=(1, 2, 3),
    )
    train_run(images, 10, 1, spec, tmp_path / "reg", "cpu", show_progress=False)
    rows = (tmp_path / "reg" / "history.csv").read_text().splitlines()[1:]
    si = [float(r.split(",")[4]) for r in rows]
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
    assert same(weights(tmp_path / "reg", "b5"), weights(tmp_path / "free", "b5"))
    assert not same(weights(tmp_path / "reg", "e3"), weights(tmp_path / "free", "e3"))


def test_onsets_in_epochs_and_lr_milestones():
    reg = RegularizerSpec(-1.0, (4,), 2.0, "epochs")
    assert onset_step(reg, 157) == 314
    spec = train_spec(lr=0.1, lr_milestones=(30, 60))
    assert [lr_at(spec, e) for e in (0, 29, 30, 60, 89)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.001, 0.001]
    )
    assert torch.equal(epoch_order(0, 3, 50), epoch_order(0, 3, 50))
    assert not torch.equal(epoch_order(0, 3, 50), epoch_order(0, 4, 50))


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


def test_cuda_options_fall_back_on_the_cpu(images, tmp_path, torch_one_thread):
    """amp and channels_last only act on CUDA: on the CPU both settings train the same."""
    a = tmp_path / "a"
    train_run(
        images, 10, 1, train_spec(epochs=1, checkpoint_epochs=(1,)), a, "cpu", show_progress=False
    )
    b = tmp_path / "b"
    train_run(
        images,
        10,
        1,
        train_spec(epochs=1, checkpoint_epochs=(1,), amp=False, channels_last=False),
        b,
        "cpu",
        show_progress=False,
    )
    assert same(weights(a, "e1"), weights(b, "e1"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_amp_channels_last_trains(images, tmp_path):
    train_run(
        images,
        10,
        1,
        train_spec(epochs=1, checkpoint_epochs=(1,)),
        tmp_path / "gpu",
        "cuda",
        show_progress=False,
    )
    w = weights(tmp_path / "gpu", "e1")
    assert all(torch.isfinite(v).all() for v in w.values() if v.is_floating_point())
