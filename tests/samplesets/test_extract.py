"""Cubes from checkpoints: exact counts, metrics, errors, self-description, packed bits."""

import h5py
import numpy as np
import pytest
import torch
import xarray as xr

from workflow_scripts.metrics.sample_sets import max_informativeness, node_metrics
from workflow_scripts.samplesets.activations import extract_activations, read_activations
from workflow_scripts.samplesets.extract import extract_cube
from workflow_scripts.samplesets.network import build_net
from workflow_scripts.samplesets.train import train_run
from workflow_scripts.store.checkpoints import load_steps
from workflow_scripts.store.cube import open_cube, standard_attrs

from .conftest import fake_split, small_spec

ATTRS = standard_attrs("test cube", "samplesets", {"x": 1}, net="3x8_ce", seed=0)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("extract")
    data = fake_split(n_val=4005)  # not a multiple of 8 nor of the forward chunk
    spec = small_spec(depth=3, width=8)
    train_run(data["x_train"], data["y_train"], spec, root / "run", show_progress=False)
    return root, data, spec


def _brute_force(data, spec, state):
    """Per checkpoint: activations [sample, node] and outputs, by plain per-layer numpy."""
    net = build_net(spec)
    net.load_state_dict(state)
    h = data["x_val"].astype(np.float64) / 255
    active = []
    for i, lay in enumerate(net.linears):
        w = lay.weight.detach().double().numpy()
        z = h @ w.T + (lay.bias.detach().double().numpy() if lay.bias is not None else 0)
        if i < len(net.linears) - 1:
            active.append(z > 0)
            h = np.maximum(z, 0)
    return np.concatenate(active, axis=1), z


def test_counts_and_metrics_match_brute_force(run):
    root, data, spec = run
    extract_cube(
        root / "run",
        data,
        spec,
        root / "cube.nc",
        ATTRS,
        class_names=[str(c) for c in range(10)],
        show_progress=False,
    )
    ds = open_cube(root / "cube.nc")
    assert list(ds["time"].values) == list(spec.checkpoint_steps)
    sizes = np.bincount(data["y_val"], minlength=10)
    assert list(ds["class_size"].values) == list(sizes)
    for t, (step, ckpt) in enumerate(load_steps(root / "run")):
        active, out = _brute_force(data, spec, ckpt["model"])
        counts = np.stack([active[data["y_val"] == c].sum(0) for c in range(10)], axis=1)
        assert np.array_equal(ds["count"].isel(time=t).values, counts), step
        expected = node_metrics(counts, sizes)
        got = ds.isel(time=t)
        np.testing.assert_allclose(
            got["activation_fraction"], expected["activation_fraction"], rtol=1e-6
        )
        np.testing.assert_allclose(
            got["informativeness"], expected["informativeness"], rtol=1e-5, atol=1e-7
        )
        assert np.array_equal(got["dead"].values, active.sum(0) == 0)
        error = np.mean(out.argmax(1) != data["y_val"])
        assert float(got["val_error"]) == pytest.approx(error, abs=1.5 / len(out))
    # self-describing: units, layer coordinate, bool flags decoded, config in attrs
    assert ds["dead"].dtype == bool and ds["always_active"].dtype == bool
    assert list(np.unique(ds["layer"].values)) == [1, 2]
    assert "layer" in ds["activation_fraction"].coords
    assert ds["time"].attrs["units"] == "steps" and ds["count"].attrs["units"] == "samples"
    assert ds.attrs["steps_per_epoch"] == spec.steps_per_epoch and ds.attrs["code_version"]
    assert ds.attrs["max_informativeness"] == pytest.approx(max_informativeness(sizes))
    np.testing.assert_allclose(ds["epoch"], ds["time"] / spec.steps_per_epoch)


def test_activation_cube_unpacks_to_the_activations(run):
    root, data, spec = run
    out = root / "act.nc"
    extract_activations(root / "run", data, spec, out, ATTRS, node_chunk=4, show_progress=False)
    states = [(step, ckpt["model"]) for step, ckpt in load_steps(root / "run")]
    node = 11
    one = read_activations(out, node=node)
    assert one.dims == ("time", "sample") and one.dtype == bool
    assert int(one["layer"]) == 2 and int(one["unit"]) == 3
    for t, (_, state) in enumerate(states):
        active, _ = _brute_force(data, spec, state)
        assert np.array_equal(one.isel(time=t).values, active[:, node])
    last = read_activations(out, time=-1)
    assert last.dims == ("node", "sample")
    assert np.array_equal(last.values, _brute_force(data, spec, states[-1][1])[0].T)
    assert np.array_equal(last["class"].values, data["y_val"])
    # the file opens with xarray as it is; chunks: one time point x node_chunk nodes
    raw = xr.open_dataset(out, engine="h5netcdf")
    assert raw["active_bits"].dims == ("time", "node", "sample_byte")
    assert raw.sizes["sample_byte"] == -(-len(data["y_val"]) // 8)
    with h5py.File(out) as f:
        assert f["active_bits"].chunks == (1, 4, raw.sizes["sample_byte"])
