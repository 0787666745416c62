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


def test_cpu_fallback_and_explicit_cpu():
    assert runtime.pick_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert runtime.pick_device("auto").type == "cpu"


def test_code_digest_changes_with_the_code(tmp_path, monkeypatch):
    (tmp_path / "store").mkdir()
    for name in ("runtime.py", "store/a.py", "stage.py"):
        (tmp_path / name).write_text("x = 1\n")
    monkeypatch.setattr(runtime, "PACKAGE_ROOT", tmp_path)
    before = runtime.code_digest("stage.py")
    (tmp_path / "stage.py").write_text("x = 2\n")
    assert runtime.code_digest("stage.py") != before
