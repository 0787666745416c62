import pytest
import torch

from workflow_scripts import runtime


def test_jobs_on_a_multi_gpu_box_claim_different_devices(tmp_path):
    first = runtime.claim_gpu(3, lock_dir=tmp_path)
    second = runtime.claim_gpu(3, lock_dir=tmp_path)
    third = runtime.claim_gpu(3, lock_dir=tmp_path)
    assert sorted([first, second, third]) == [0, 1, 2]
    # all held: still a valid device
    assert 0 <= runtime.claim_gpu(3, lock_dir=tmp_path) < 3
    for fh in runtime._CLAIMED_GPU:
        fh.close()
    runtime._CLAIMED_GPU.clear()
    assert runtime.claim_gpu(3, lock_dir=tmp_path) == 0  # released with the job


@pytest.mark.parametrize(
    "visible, count, preference, expected",
    [
        (False, 0, "auto", "cpu"),
        (True, 1, "auto", "cuda"),
        (True, 1, "cpu", "cpu"),
        (True, 1, "cuda", "cuda"),
    ],
)
def test_device_choice(monkeypatch, visible, count, preference, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: visible)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    assert runtime.pick_device(preference).type == expected


def test_cuda_asked_for_without_a_gpu_fails_clearly(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA device"):
        runtime.pick_device("cuda")
    with pytest.raises(ValueError, match="gpu0"):
        runtime.pick_device("gpu0")


def test_several_gpus_without_slurm_claim_one(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("TRAINSCOPE_GPU_LOCK_DIR", str(tmp_path))
    try:
        devices = {runtime.pick_device("auto").index for _ in range(2)}
    finally:
        for fh in runtime._CLAIMED_GPU:
            fh.close()
        runtime._CLAIMED_GPU.clear()
    assert devices == {0, 1}


@pytest.mark.parametrize(
    "visible_devices, nodes, expected",
    [("", True, "cpu"), ("-1", True, "cpu"), (None, False, "cpu"), (None, True, "cuda"),
     ("0", True, "cuda")],
)  # fmt: skip
def test_the_plan_resolves_auto_once_without_torch(monkeypatch, visible_devices, nodes, expected):
    if visible_devices is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible_devices)
    real_glob = runtime.Path.glob
    monkeypatch.setattr(
        runtime.Path, "glob",
        lambda self, pattern: iter([self / "nvidia0"]) if nodes and pattern.startswith("nvidia")
        else real_glob(self, pattern),
    )  # fmt: skip
    monkeypatch.setattr(runtime.Path, "is_dir", lambda self: False)
    assert runtime.plan_device("auto") == expected
    assert runtime.plan_device("cpu") == "cpu" and runtime.plan_device("cuda") == "cuda"
    with pytest.raises(ValueError, match="device must be one of"):
        runtime.plan_device("tpu")
