"""The store's catalog on artifacts written here: index, find, open, open_many, errors."""

import numpy as np
import pytest
import torch

from workflow_scripts.store import catalog
from workflow_scripts.store.__main__ import main as store_cli
from workflow_scripts.store.catalog import Artifact, CatalogError
from workflow_scripts.store.checkpoints import save_checkpoint
from workflow_scripts.store.cube import CubeWriter


def write_cube(path, seed, n=3):
    with CubeWriter(
        path,
        grow_dim="time",
        grow_dtype="i8",
        sizes={"neuron": n},
        coords={},
        variables={"a": (("time", "neuron"), "f8", {"units": "1"})},
        attrs={"config": {"seed": seed}},
    ) as cube:
        for t in range(2):
            cube.append(t, a=np.full(n, seed + t, float))


@pytest.fixture
def store(tmp_path):
    arts = []
    for seed in (0, 1, 2):
        path = f"results/s/cubes/N800-seed{seed}.nc"
        write_cube(tmp_path / path, seed)
        arts.append(
            Artifact(
                "s",
                "cube",
                f"c{seed}",
                path,
                "netcdf",
                {"N": 800, "sigma0": 1e-5, "seed": seed},
                {"run": {"train": {"lr": 0.001, "seed": seed}}},
            )
        )
    write_cube(tmp_path / "results/s/cubes/N200.nc", 0)
    arts.append(
        Artifact(
            "s",
            "cube",
            "c3",
            "results/s/cubes/N200.nc",
            "netcdf",
            {"N": 200, "sigma0": 1e-3, "seed": 0},
            {"run": {"train": {"lr": 0.002}}},
        )
    )
    save_checkpoint(tmp_path / "results/s/runs/r0.pt", {"W1": torch.ones(2, 2)})
    arts.append(Artifact("s", "run", "r0", "results/s/runs/r0.pt", "torch", {"seed": 0}, {}))
    (tmp_path / "results/s/tables").mkdir(parents=True)
    (tmp_path / "results/s/tables/t.csv").write_text("a,b\n1,2\n")
    arts.append(Artifact("s", "table", "t", "results/s/tables/t.csv", "csv", {}, {}))
    arts.append(
        Artifact("s", "cube", "never-built", "results/s/cubes/missing.nc", "netcdf", {}, {})
    )
    assert catalog.refresh(arts, root=tmp_path) == 6  # the unbuilt one is not listed
    return tmp_path


def test_find_by_labels_and_by_resolved_parameters(store):
    table = catalog.find("s", "cube", root=store, N=800, sigma0=1e-5)
    assert sorted(table["seed"]) == [0, 1, 2] and set(table["path"]) == {
        f"results/s/cubes/N800-seed{s}.nc" for s in (0, 1, 2)
    }
    assert list(catalog.find("s", root=store, lr=0.002)["id"]) == ["c3"]  # train.lr
    assert catalog.find("s", "cube", root=store, N=123).empty


def test_open_each_format(store):
    ds = catalog.open("s", "cube", root=store, N=800, seed=1)
    assert float(ds["a"].sel(time=1).mean()) == 2.0
    assert torch.equal(catalog.open("s", "run", root=store)["W1"], torch.ones(2, 2))
    assert catalog.open("s", "table", root=store)["b"].tolist() == [2]


def test_open_names_no_match_and_ambiguity(store):
    with pytest.raises(CatalogError, match="no artifact matches study=s, kind=cube, N=5"):
        catalog.open("s", "cube", root=store, N=5)
    with pytest.raises(CatalogError, match="3 artifacts match.*narrow the query"):
        catalog.open("s", "cube", root=store, N=800)


def test_open_many_concatenates_seeds(store):
    ds = catalog.open_many("s", "cube", concat_dim="seed", root=store, N=800)
    assert ds["a"].dims == ("seed", "time", "neuron")
    assert ds["seed"].values.tolist() == [0, 1, 2]
    assert ds["a"].sel(seed=2, time=0).values.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(CatalogError, match="no artifact"):
        catalog.open_many("s", "cube", root=store, N=1)


def test_rows_of_deleted_files_leave_the_index(store):
    (store / "results/s/cubes/N200.nc").unlink()
    assert catalog.refresh([], root=store) == 5
    assert catalog.find("s", "cube", root=store, N=200).empty


def test_command_line_lists_matches(store, monkeypatch, capsys):
    monkeypatch.chdir(store)
    assert store_cli(["ls", "s", "cube", "N=800", "sigma0=1e-5", "seed=2"]) == 0
    out = capsys.readouterr().out
    assert "N800-seed2.nc" in out and "N800-seed1.nc" not in out
    assert store_cli(["ls", "s", "cube", "N=1"]) == 1


def test_no_index_says_how_to_build_one(tmp_path):
    with pytest.raises(CatalogError, match="python -m workflow_scripts.store index"):
        catalog.find(root=tmp_path)
