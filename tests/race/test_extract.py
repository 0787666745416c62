"""Extraction of the race cubes from synthetic weights/data files (the training format)."""

import json

import numpy as np
import pytest
import torch

from workflow_scripts.race import extract as ex
from workflow_scripts.race.extract_cells import extract_stable_cells
from workflow_scripts.race.metrics import alignment as al
from workflow_scripts.race.metrics import clusters as cl
from workflow_scripts.race.metrics import merging as mg
from workflow_scripts.race.metrics import stable_cells as sc
from workflow_scripts.race.specs import ExtractOptions, StableCellOptions
from workflow_scripts.store.checkpoints import save_checkpoint
from workflow_scripts.store.cube import cube_config, open_cube, standard_attrs


def synthetic_files(tmp_path, T=5, d=6, D=16, N=30, M=20, masks=False, seed=0):
    rng = np.random.default_rng(seed)
    data = {
        "x_train": torch.tensor(rng.random((N, D)), dtype=torch.float32),
        "y_train": torch.tensor(np.arange(N) % 2, dtype=torch.int64),
        "x_test": torch.tensor(rng.random((M, D)), dtype=torch.float32),
        "y_test": torch.tensor(np.arange(M) % 2, dtype=torch.int64),
        "meta": json.dumps({"source": "synthetic"}),
    }
    scale = np.geomspace(1e-5, 1.0, T)[:, None, None]
    W1 = rng.normal(size=(T, d, D)) * scale
    W2 = rng.normal(size=(T, 2, d)) * scale
    W1[:, 1], W2[:, :, 1] = 2 * W1[:, 0], 2 * W2[:, :, 0]  # neuron 1 parallel to 0
    b1 = np.zeros((T, d))
    weights = {
        "steps": torch.tensor([0, 10, 20, 50, 100]),
        "W1": torch.tensor(W1, dtype=torch.float32),
        "b1": torch.tensor(b1, dtype=torch.float32),
        "W2": torch.tensor(W2, dtype=torch.float32),
        "b2": torch.zeros(T, 2),
        "train_loss": torch.tensor([0.693, 0.693, 0.69, 0.4, 0.1]),
        "test_accuracy": torch.tensor([0.5, 0.5, 0.5, 0.7, 0.8]),
        "meta": json.dumps({"seed": seed, "sigma0": 1e-5}),
    }
    if masks:
        m1 = np.ones((d, D), bool)
        m1[2, :5] = False
        m2 = np.ones((2, d), bool)
        m2[:, 3] = False
        weights["mask_W1"], weights["mask_W2"] = torch.tensor(m1), torch.tensor(m2)
    save_checkpoint(tmp_path / "data.pt", data)
    save_checkpoint(tmp_path / "weights.pt", weights)
    return tmp_path / "weights.pt", tmp_path / "data.pt", weights, data


def test_snapshot_resolution():
    steps = np.array([0, 10, 20, 50, 100])
    loss = np.array([0.693, 0.693, 0.69, 0.4, 0.1])
    assert ex.resolve_snapshots(steps, loss, ["init", "before_drop", "end", 45, "12"]) == [
        0,
        2,
        4,
        3,
        1,
    ]
    assert ex.before_drop_index(np.ones(4)) == 3
    with pytest.raises(ValueError):
        ex.resolve_snapshots(steps, loss, ["later"])


def test_pruned_per_neuron():
    m1 = np.ones((3, 4), bool)
    m1[0, :2] = False
    m2 = np.ones((2, 3), bool)
    m2[1, 2] = False
    p1, p2, pt = ex.pruned_per_neuron(m1, m2)
    np.testing.assert_array_equal(pt, [2, 0, 1])


def test_extract_run_writes_both_cubes(tmp_path):
    _, _, weights, data = synthetic_files(tmp_path, masks=True)
    out = {
        "dynamics": str(tmp_path / "cubes" / "dyn.nc"),
        "similarity": str(tmp_path / "cubes" / "sim.nc"),
    }
    config = {"race": {"hidden": 6}, "seed": 0}
    ex.extract_run(
        weights,
        data,
        out["dynamics"],
        out["similarity"],
        attrs=standard_attrs("run r0", "race", config, run_id="r0"),
        options=ExtractOptions(taus=(0.7, 0.95, 0.99)),
    )
    dyn = open_cube(out["dynamics"])
    sim = open_cube(out["similarity"])
    assert dyn.sizes == {"time": 5, "neuron": 6, "tau": 3}
    np.testing.assert_array_equal(dyn["time"].values, [0, 10, 20, 50, 100])
    assert dyn["cos_delta"].dtype == np.float64
    assert dyn["norm_product"].attrs["units"]
    assert cube_config(dyn) == config
    assert dyn.attrs["code_version"]
    # values equal the pure functions
    X, y = data["x_train"].numpy(), data["y_train"].numpy()
    ref = al.alignment_step(*(weights[k][3].numpy() for k in ("W1", "b1", "W2", "b2")), X, y)
    np.testing.assert_allclose(dyn["cos_delta"].values[3], ref["cos_delta"], equal_nan=True)
    np.testing.assert_allclose(dyn["norm_product"].values[3], ref["norm_product"])
    np.testing.assert_allclose(dyn["final_norm_product"].values, dyn["norm_product"].values[-1])
    np.testing.assert_array_equal(dyn["pruned_total"].values, [0, 0, 5, 2, 0, 0])
    np.testing.assert_allclose(dyn["train_loss"].values, weights["train_loss"].numpy())
    # similarity: snapshots init, before_drop (index 2 -> step 20), end
    np.testing.assert_array_equal(sim["snapshot"].values, [0, 20, 100])
    assert sim["cos_sim"].shape == (3, 6, 6)
    S = sim["cos_sim"].values[-1]
    assert S[0, 1] == pytest.approx(1.0)
    labels = sim["cluster_label"].sel(tau=0.99).values[-1]
    assert labels[0] == labels[1] == 0
    assert sim["n_clusters"].sel(tau=0.99).values[-1] == cl.n_clusters(labels)
    np.testing.assert_array_equal(dyn["n_clusters"].values[-1], sim["n_clusters"].values[-1])
    order = sim["order"].sel(tau=0.99).values[-1]
    assert sorted(order) == list(range(6))
    assert sim["merge_k"].values[-1] == sim["n_clusters"].sel(tau=0.99).values[-1]
    assert np.isfinite(sim["merge_relative_change"].values).all()
    assert json.loads(sim.attrs["snapshot_names"]) == ["init", "before_drop", "end"]
    final = [weights[k][-1].numpy() for k in ("W1", "b1", "W2", "b2")]
    assert sim.attrs["merge_accuracy_original"] == pytest.approx(
        mg.accuracy(*final, data["x_test"].numpy(), data["y_test"].numpy())
    )
    dyn.close()
    sim.close()


def test_stable_cells_cube(tmp_path):
    _, _, _, data = synthetic_files(tmp_path)
    out = tmp_path / "stable.nc"
    options = StableCellOptions(n_probes=300, seeds=(0, 1), t_max=50, patience=5, chunk=128)
    extract_stable_cells(data, out, attrs=standard_attrs("d0", "race", {}), options=options)
    ds = open_cube(out)
    assert ds["stable_cells"].shape == (2, 2)
    np.testing.assert_array_equal(ds["probe_seed"].values, [0, 1])
    np.testing.assert_array_equal(ds["alignment"].values, [1, -1])
    X, y = data["x_train"].numpy(), data["y_train"].numpy()
    for i, seed in enumerate((0, 1)):
        for j, a in enumerate((1, -1)):
            assert ds["stable_cells"].values[i, j] == sc.stable_cell_count(
                X, y, n_probes=300, seed=seed, alignment=a, t_max=50, patience=5, chunk=128
            )
    ds.close()


def test_the_memory_knobs_change_no_cube_value(tmp_path):
    """sample_chunk and the stable-cell chunk are run settings (in no id): the cubes they
    give agree (sample sums in another float64 order; the same probes in other batches)."""
    _, _, weights, data = synthetic_files(tmp_path, N=30)
    cubes = []
    for chunk in (7, 2048):
        out = tmp_path / str(chunk)
        ex.extract_run(
            weights,
            data,
            out / "dyn.nc",
            out / "sim.nc",
            attrs=standard_attrs("r", "race", {}),
            options=ExtractOptions(sample_chunk=chunk, weighting="residual"),
        )
        cubes.append((open_cube(out / "dyn.nc"), open_cube(out / "sim.nc")))
    for a, b in zip(*cubes):
        assert set(a.data_vars) == set(b.data_vars)
        for name in a.data_vars:
            np.testing.assert_allclose(a[name].values, b[name].values, rtol=1e-12, equal_nan=True)
    X, y = data["x_train"].numpy(), data["y_train"].numpy()
    counts = {
        chunk: sc.stable_cell_count(X, y, n_probes=300, seed=1, t_max=50, chunk=chunk)
        for chunk in (16, 300, 4096)
    }
    assert len(set(counts.values())) == 1, counts
