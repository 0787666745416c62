"""Finding a run's checkpoint files and placing each in training time, at plan time
(names, the files' own entries read without torch, the config), and the messages when
that fails."""

import sys

import pytest
import torch

from workflow_scripts.external import checkpoints as found
from workflow_scripts.external.headers import time_entries

AUTO = {"unit": "auto", "pattern": "", "values": [], "steps_per_epoch": 0}


def touch(directory, *names):
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_bytes(b"")
    return directory


def placed(paths, **time):
    out, problems = found.place([str(p) for p in paths], {**AUTO, **time}, "external.runs.r")
    assert not problems, problems
    return [(f.step, f.epoch) for f in out]


@pytest.mark.parametrize(
    "name, step, epoch",
    [
        ("step_000120.pt", 120, None),
        ("checkpoint-global_step=77.pt", 77, None),
        ("iter_00042.pth", 42, None),
        ("epoch=3-step=1200.ckpt", 1200, 3.0),
        ("run_epoch12.pt", None, 12.0),
        ("model_ep4_it0.pth", None, 4.0),
        ("model_7.pth", None, 7.0),  # torchvision's reference scripts: model_{epoch}.pth
    ],
)
def test_the_time_of_a_checkpoint_from_its_name(tmp_path, name, step, epoch):
    touch(tmp_path, name)
    assert placed([tmp_path / name]) == [(step, epoch)]


def test_open_lth_iterations_need_the_steps_per_epoch(tmp_path):
    touch(tmp_path, "model_ep0_it0.pth", "model_ep1_it50.pth", "model_ep2_it0.pth")
    files, problems = found.list_files(str(tmp_path), "k")  # a run directory
    assert len(files) == 3 and not problems
    assert placed(files, steps_per_epoch=100) == [(0, 0.0), (150, 1.5), (200, 2.0)]
    _, problems = found.place(files, AUTO, "external.runs.r")
    assert "model_ep1_it50.pth" in problems[0] and "time.pattern" in problems[0]


def test_the_time_read_from_the_file_without_torch(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    torch.save({"global_step": 300, "epoch": 2, "state_dict": {"w": torch.ones(2)}},
               tmp_path / "last.ckpt")  # fmt: skip
    torch.save({"epoch": 5, "model": {"w": torch.ones(2)}, "args": {"lr": 0.1}}, tmp_path / "a.pth")
    save_file({"w": torch.ones(2)}, str(tmp_path / "w.safetensors"), metadata={"step": "40"})
    monkeypatch.setitem(sys.modules, "torch", None)  # reading the header imports no torch
    assert time_entries(tmp_path / "last.ckpt") == (300, 2.0)
    assert time_entries(tmp_path / "a.pth") == (None, 5.0)
    assert time_entries(tmp_path / "w.safetensors") == (40, None)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    assert time_entries(tmp_path / "junk.pt") == (None, None)


def test_order_and_a_config_pattern_or_values(tmp_path):
    touch(tmp_path, "ckpt-20.bin", "ckpt-3.bin", "ckpt-100.bin")
    files = sorted(tmp_path.glob("*.bin"))
    assert placed(files, pattern=r"ckpt-(\d+)", unit="step") == [(3, None), (20, None), (100, None)]
    explicit = [tmp_path / "ckpt-3.bin", tmp_path / "ckpt-20.bin"]
    assert placed(explicit, values=[0.5, 1.5], unit="epoch") == [(None, 0.5), (None, 1.5)]


def test_a_glob_matching_nothing_names_the_pattern_and_the_nearest_names(tmp_path):
    touch(tmp_path / "run", "checkpoint_001.pth", "checkpoint_002.pth", "notes.txt")
    pattern = str(tmp_path / "run" / "chekpoint_*.pt")
    files, problems = found.list_files(pattern, "external.runs.r.checkpoints")
    assert files == [] and len(problems) == 1
    text = problems[0]
    assert "config key external.runs.r.checkpoints" in text and repr(pattern) in text
    assert "holds 3 entries, nearest: checkpoint_002.pth, checkpoint_001.pth" in text
    _, problems = found.list_files(str(tmp_path / "nowhere" / "*.pt"), "k")
    assert "does not exist" in problems[0]


def test_missing_listed_files_and_unreadable_steps_say_how_to_fix(tmp_path):
    touch(tmp_path, "final.pt", "best.pt")
    _, problems = found.list_files([str(tmp_path / "final.pt"), str(tmp_path / "fnal.pt")], "k")
    assert problems == [f"config key k: no checkpoint file {tmp_path / 'fnal.pt'}; {tmp_path} "
                        "holds 2 entries, nearest: final.pt, best.pt"]  # fmt: skip
    _, problems = found.place([str(tmp_path / "final.pt")], AUTO, "external.runs.r")
    text = problems[0]
    assert "cannot tell the training step of" in text and "final.pt" in text
    assert "external.runs.r.time.pattern" in text and "external.runs.r.time.values" in text


def test_two_checkpoints_at_one_time_and_mixed_units(tmp_path):
    touch(tmp_path, "a_step10.pt", "b_step10.pt", "c_epoch1.pt")
    _, problems = found.place(
        [str(tmp_path / n) for n in ("a_step10.pt", "b_step10.pt")], AUTO, "k"
    )
    assert "two checkpoints at step 10" in problems[0]
    _, problems = found.place(
        [str(tmp_path / n) for n in ("a_step10.pt", "c_epoch1.pt")], AUTO, "k"
    )
    assert "steps_per_epoch" in problems[0]
    both = [tmp_path / "a_step10.pt", tmp_path / "c_epoch1.pt"]
    assert placed(both, steps_per_epoch=20) == [(10, 0.5), (20, 1.0)]


def test_labels_name_the_time_and_tell_files_apart(tmp_path):
    touch(tmp_path / "x", "step_5.pt")
    touch(tmp_path / "y", "step_5.pt")
    a = found.place([str(tmp_path / "x" / "step_5.pt")], AUTO, "k")[0][0]
    b = found.place([str(tmp_path / "y" / "step_5.pt")], AUTO, "k")[0][0]
    la, lb = found.label(a, "step"), found.label(b, "step")
    assert la.startswith("step000000005-") and la != lb
