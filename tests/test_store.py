import h5py
import numpy as np
import pytest
import torch
import xarray as xr

from workflow_scripts.store.atomic import atomic_path
from workflow_scripts.store.checkpoints import load_checkpoint, save_checkpoint
from workflow_scripts.store.cube import CubeWriter, open_cube
from workflow_scripts.store.errors import CorruptArtifactError
from workflow_scripts.store.ids import spec_id


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole"


def test_spec_ids_differ_for_different_specs_only():
    a = spec_id("run", {"sigma": 0.4, "lr": 0.1})
    assert a == spec_id("run", {"lr": 0.1, "sigma": 0.4})
    assert a != spec_id("run", {"sigma": 0.41, "lr": 0.1})
    assert spec_id("a b/c", {}).startswith("a_b_c-")


def write_cube(path, epochs=(0, 1, 5), expected_length=None):
    with CubeWriter(
        path,
        grow_dim="epoch",
        grow_dtype="i4",
        sizes={"neuron": 3, "sample": 4},
        expected_length=expected_length,
        coords={
            "sample": (("sample",), np.arange(4), {}),
            "split": (("sample",), np.array(["train", "train", "test", "test"]), {}),
            "class": (("sample",), np.array([0, 1, 0, 1]), {}),
        },
        variables={
            "z": (("epoch", "neuron", "sample"), "f4", {"units": "a.u."}),
            "acc": (("epoch",), "f4", {}),
        },
        attrs={"config": {"sigma": 0.4}},
    ) as cube:
        for e in epochs:
            cube.append(e, z=np.full((3, 4), e, "f4"), acc=e / 10)


def test_cube_roundtrip_xarray_and_h5py(tmp_path):
    path = tmp_path / "c.nc"
    write_cube(path)
    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds["z"].dims == ("epoch", "neuron", "sample")
    assert ds["epoch"].values.tolist() == [0, 1, 5]
    assert "split" in ds["z"].coords and ds["split"].values.tolist()[2] == "test"
    assert float(ds["z"].sel(epoch=5).mean()) == 5.0
    assert ds["z"].attrs["units"] == "a.u."
    with h5py.File(path) as f:
        assert f["z"].shape == (3, 3, 4)
        assert f["z"].chunks == (1, 3, 4)


@pytest.mark.parametrize("expected_length", [2, 3, 5])
def test_presized_cube_is_trimmed_or_grown_to_what_was_written(tmp_path, expected_length):
    path = tmp_path / "c.nc"
    write_cube(path, expected_length=expected_length)
    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds["epoch"].values.tolist() == [0, 1, 5]
    assert ds["z"].sel(epoch=1).values.mean() == 1.0


def test_corrupt_cube_and_checkpoint_are_named(tmp_path):
    path = tmp_path / "c.nc"
    write_cube(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptArtifactError, match="c.nc"):
        open_cube(path)
    ckpt = tmp_path / "epoch_00001.pt"
    save_checkpoint(ckpt, {"W1": torch.ones(2, 2)})
    assert torch.equal(load_checkpoint(ckpt)["W1"], torch.ones(2, 2))
    ckpt.write_bytes(ckpt.read_bytes()[:40])
    with pytest.raises(CorruptArtifactError, match="epoch_00001.pt"):
        load_checkpoint(ckpt)


def test_writer_failure_leaves_no_cube(tmp_path):
    path = tmp_path / "c.nc"
    with pytest.raises(KeyError):
        with CubeWriter(
            path,
            grow_dim="epoch",
            grow_dtype="i4",
            sizes={"n": 2},
            coords={},
            variables={"v": (("epoch", "n"), "f4", {})},
            attrs={},
        ) as cube:
            cube.append(0, v=np.zeros(2))
            cube.append(1, wrong=np.zeros(2))
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_partial_keeps_the_newest_state_and_finalizes_atomically(tmp_path):
    from workflow_scripts.store.resume import Partial, fingerprint

    out = tmp_path / "run"
    p = Partial(out, fingerprint({"lr": 0.1}, "code1"))
    torch.save({"x": 1}, p.file("ckpt/epoch_1.pt"))
    for step in (10, 20, 30):
        p.save_state(step, {"step": step})
    assert p.state_steps() == [30]
    (p.dir / "state-000000040.pt").write_bytes(b"truncated")  # a damaged newer state
    step, state = Partial(out, fingerprint({"lr": 0.1}, "code1")).latest_state()
    assert (step, state["step"]) == (30, 30)
    assert not out.exists()
    p.finalize_directory()
    assert sorted(f.name for f in out.rglob("*")) == ["ckpt", "epoch_1.pt"]
    assert not p.dir.exists()


def test_partial_of_other_parameters_or_code_is_discarded(tmp_path):
    from workflow_scripts.store.resume import Partial, fingerprint

    out = tmp_path / "run.pt"
    Partial(out, fingerprint({"lr": 0.1}, "a")).save_state(5, {"w": 1})
    assert Partial(out, fingerprint({"lr": 0.1}, "a")).latest_state()[0] == 5
    assert Partial(out, fingerprint({"lr": 0.1}, "b")).latest_state() is None
    Partial(out, fingerprint({"lr": 0.1}, "b")).save_state(5, {"w": 1})
    assert Partial(out, fingerprint({"lr": 0.2}, "b")).latest_state() is None
    p = Partial(out, fingerprint({"lr": 0.2}, "b"))
    p.finalize(lambda tmp: tmp.write_text("done"))
    assert out.read_text() == "done" and not p.dir.exists()
