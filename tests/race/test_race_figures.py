"""Every race figure and Table 1 render from small synthetic cubes; claim helpers."""

import csv
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from snakemake.iocontainers import Namedlist

from workflow_scripts.figures import race as figs
from workflow_scripts.race import extract as ex
from workflow_scripts.race import run_figures
from workflow_scripts.store.checkpoints import save_checkpoint

STEPS = [0, 5, 10, 50, 100, 200]


def _run_files(folder, sigma0, N, d, seed, D=16):
    rng = np.random.default_rng(seed * 1000 + N + d)
    T = len(STEPS)
    X = rng.random((N, D))
    y = np.arange(N) % 2
    data = {"x_train": torch.tensor(X, dtype=torch.float32), "y_train": torch.tensor(y),
            "x_test": torch.tensor(X[: N // 2], dtype=torch.float32), "y_test": torch.tensor(y[: N // 2])}
    grow = np.geomspace(1, 1e3, T)[:, None, None]
    W1 = rng.normal(size=(1, d, D)) * sigma0 * grow
    W2 = rng.normal(size=(1, 2, d)) * sigma0 * grow
    W1[:, : d // 2] = np.abs(W1[:, : d // 2])          # half the neurons share a direction
    weights = {"steps": torch.tensor(STEPS), "W1": torch.tensor(W1, dtype=torch.float32),
               "b1": torch.zeros(T, d), "W2": torch.tensor(W2, dtype=torch.float32),
               "b2": torch.zeros(T, 2), "train_loss": torch.tensor([0.69, 0.69, 0.68, 0.5, 0.3, 0.2]),
               "test_accuracy": torch.linspace(0.5, 0.9, T)}
    tag = f"s{sigma0:g}_N{N}_d{d}_seed{seed}"
    dyn, sim = folder / f"{tag}_dyn.nc", folder / f"{tag}_sim.nc"
    ex.extract_run(weights, data, dyn, sim, attrs={"config": {}},
                   options={"snapshots": ["init", "before_drop", "end"]})
    pruned = {}
    for s in (0.2, 0.5, 0.7):
        path = folder / f"{tag}_imp{s}.pt"
        m1 = torch.tensor(rng.random((d, D)) > s)
        save_checkpoint(path, {"mask_W1": m1, "mask_W2": torch.ones(2, d, dtype=torch.bool)})
        pruned[s] = str(path)
    return {"sigma0": sigma0, "N": N, "d": d, "seed": seed, "dynamics": str(dyn),
            "similarity": str(sim), "pruned": pruned}, data


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    folder = tmp_path_factory.mktemp("race_cubes")
    runs, cells = [], []
    for sigma0 in (1e-5, 1e-3):
        for N in (20, 40):
            for seed in (0, 1):
                rec, data = _run_files(folder, sigma0, N, 8, seed)
                runs.append(rec)
                if sigma0 == 1e-5 and seed == 0:
                    path = folder / f"cells_N{N}.nc"
                    ex.extract_stable_cells(data, path, attrs={"config": {}}, n_probes=200,
                                            seeds=(0, 1), t_max=30)
                    cells.append({"N": N, "seed": 0, "stable_cells": str(path)})
    for N in (20, 40):                       # the d sweep of Fig 3a
        runs.append(_run_files(folder, 1e-5, N, 4, 0)[0])
    return folder, runs, cells


def _smk(runs, fig, out, options=None, tex=None):
    outputs = {"csv": str(out), "tex": str(tex)} if tex else {"pdf": str(out)}
    return SimpleNamespace(input=Namedlist(figs.record_paths(runs)), output=Namedlist(fromdict=outputs),
                           params=Namedlist(fromdict={"runs": runs, "options": options or {}}),
                           wildcards=Namedlist(fromdict={"fig": fig}), log=Namedlist([]), threads=1)


@pytest.mark.parametrize("fig,options", [
    ("fig1", {"sigma0": 1e-5, "N": 20, "d": 8, "tau": 0.99, "early_steps": [0, 5, 10], "sparsity": 0.5}),
    ("fig3", {"tau": 0.95, "N": 20, "d": 8}),
    ("fig4", {"early_step": 10, "d": 8}),
    ("fig5", {"early_step": 10}),
])
def test_figures_write_pdf(grid, tmp_path, fig, options):
    _, runs, _ = grid
    if fig in ("fig4", "fig5"):
        runs = [r for r in runs if r["d"] == 8]
    out = tmp_path / f"{fig}.pdf"
    run_figures.main(_smk(runs, fig, out, options))
    assert out.stat().st_size > 1000
    assert out.read_bytes()[:4] == b"%PDF"


def test_fig7_pdf(grid, tmp_path):
    _, _, cells = grid
    out = tmp_path / "fig7.pdf"
    run_figures.main(_smk(cells, "fig7", out))
    assert out.read_bytes()[:4] == b"%PDF"
    rows = figs.stable_cell_table(figs.load_records(cells))
    assert {r["alignment"] for r in rows} == {1, -1}
    assert all(r["n"] == 2 for r in rows)


def test_table1(grid, tmp_path):
    _, runs, _ = grid
    runs = [r for r in runs if r["d"] == 8]
    out, tex = tmp_path / "table1.csv", tmp_path / "table1.tex"
    run_figures.main(_smk(runs, "table1", out, tex=tex))
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 2 * 3           # sigma0 x N x tau
    assert {float(r["tau"]) for r in rows} == {0.7, 0.95, 0.99}
    assert all(r["n_seeds"] == "2" for r in rows)
    text = tex.read_text()
    assert r"\begin{tabular}" in text and r"\pm" in text and "10^{-5}" in text


def test_claim_helpers(grid):
    _, runs, _ = grid
    recs = figs.load_records([r for r in runs if r["d"] == 8])
    n_all, n_large, d = figs.claim_clusters_vs_neurons(recs[0]["dynamics"], tau=0.95)
    assert 1 <= n_large <= n_all <= d
    rho, p, n = figs.claim_norm_alignment_spearman(recs[0]["dynamics"], step=10)
    assert -1 <= rho <= 1 and n > 0
    by_n = figs.claim_clusters_by_N(recs, tau=0.95, sigma0=1e-5)
    assert set(by_n) == {20, 40}
    assert figs.claim_merge_change(recs, 0.99) >= 0


def test_spearman_on_known_ranks(tmp_path):
    """Final norm a monotone in cos(delta): rho = 1."""
    import xarray as xr

    cos = np.array([[0.1, 0.5, 0.9, np.nan], [0.2, 0.4, 0.8, 0.3]])
    final = np.array([1.0, 2.0, 5.0, 0.5])
    dyn = xr.Dataset({"cos_delta": (("time", "neuron"), cos),
                      "final_norm_product": (("neuron",), final)}, coords={"time": [0, 50]})
    rho, _, n = figs.claim_norm_alignment_spearman(dyn, step=0)
    assert rho == pytest.approx(1.0) and n == 3
    rho, _, n = figs.claim_norm_alignment_spearman(dyn, step=40)
    assert n == 4 and rho == pytest.approx(0.8)


def test_load_pruned_formats(tmp_path):
    m1 = np.ones((3, 4), bool)
    m1[1, :3] = False
    save_checkpoint(tmp_path / "a.pt", {"mask_W1": torch.tensor(m1), "mask_W2": torch.ones(2, 3, dtype=torch.bool)})
    np.testing.assert_array_equal(figs.load_pruned(tmp_path / "a.pt"), [0, 3, 0])
    save_checkpoint(tmp_path / "b.pt", {"pruned_per_neuron": torch.tensor([1, 2, 3])})
    np.testing.assert_array_equal(figs.load_pruned(tmp_path / "b.pt"), [1, 2, 3])


def test_missing_run_is_named(grid):
    _, runs, _ = grid
    with pytest.raises(ValueError, match="fig1"):
        figs.fig1(figs.load_records(runs[:1]), {"N": 99999}, "/nonexistent/x.pdf")
