"""Race records, figures, Table 1 and claims from small synthetic cubes."""

import csv

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import xarray as xr
from scipy import stats as sps

from workflow_scripts import plotting
from workflow_scripts.race import claim_measures as cm
from workflow_scripts.race import claims as rc
from workflow_scripts.race import extract as ex
from workflow_scripts.race import figures as figs
from workflow_scripts.race import imp
from workflow_scripts.race import records as rec
from workflow_scripts.race.extract_cells import extract_stable_cells
from workflow_scripts.race.figure_specs import (
    DataDescription,
    Fig1Options,
    Fig3Options,
    Fig4Options,
    Fig5Options,
    Fig7Options,
    Table1Options,
)
from workflow_scripts.race.specs import ExtractOptions, StableCellOptions
from workflow_scripts.race.table1 import table1
from workflow_scripts.store.checkpoints import save_checkpoint
from workflow_scripts.store.cube import standard_attrs

STEPS = [0, 5, 10, 50, 100, 200]


def _run_files(folder, sigma0, N, d, seed, D=16):
    rng = np.random.default_rng(seed * 1000 + N + d)
    T = len(STEPS)
    X = rng.random((N, D))
    y = np.arange(N) % 2
    data = {
        "x_train": torch.tensor(X, dtype=torch.float32),
        "y_train": torch.tensor(y),
        "x_test": torch.tensor(X[: N // 2], dtype=torch.float32),
        "y_test": torch.tensor(y[: N // 2]),
    }
    grow = np.geomspace(1, 1e3, T)[:, None, None]
    W1 = rng.normal(size=(1, d, D)) * sigma0 * grow
    W2 = rng.normal(size=(1, 2, d)) * sigma0 * grow
    W1[:, : d // 2] = np.abs(W1[:, : d // 2])  # half the neurons share a direction
    weights = {
        "steps": torch.tensor(STEPS),
        "W1": torch.tensor(W1, dtype=torch.float32),
        "b1": torch.zeros(T, d),
        "W2": torch.tensor(W2, dtype=torch.float32),
        "b2": torch.zeros(T, 2),
        "train_loss": torch.tensor([0.69, 0.69, 0.68, 0.5, 0.3, 0.2]),
        "test_accuracy": torch.linspace(0.5, 0.9, T),
    }
    run_id = f"s{sigma0:g}_N{N}_d{d}_seed{seed}"
    labels = {"run_id": run_id, "sigma0": sigma0, "N": N, "d": d, "seed": seed}
    files = {"dynamics": folder / f"{run_id}_dyn.nc", "similarity": folder / f"{run_id}_sim.nc"}
    ex.extract_run(
        weights,
        data,
        files["dynamics"],
        files["similarity"],
        attrs=standard_attrs(run_id, "race", {}, labels=labels),
        options=ExtractOptions(),
    )
    files["masks"] = []
    for s in (0.2, 0.5, 0.7):
        m1 = torch.tensor(rng.random((d, D)) > s)
        m2 = torch.ones(2, d, dtype=torch.bool)
        path = folder / f"{run_id}_imp{s}.pt"
        save_checkpoint(
            path,
            imp.masks_record(
                {"W1": m1, "W2": m2},
                int(m1.sum()) + 2 * d,
                d * D + 2 * d,
                s,
                3,
                3,
                True,
                d,
                extra={"run_id": run_id},
            ),
        )
        files["masks"].append(path)
    return files, data


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """Files of a 2 sigma0 x 2 N x 2 seed grid (d = 8), a d = 4 sweep, and stable cells."""
    folder = tmp_path_factory.mktemp("race_cubes")
    grid = {"dynamics": [], "similarity": [], "masks": []}
    sweep = {"dynamics": [], "similarity": []}
    cells = []
    for sigma0 in (1e-5, 1e-3):
        for N in (20, 40):
            for seed in (0, 1):
                files, data = _run_files(folder, sigma0, N, 8, seed)
                for k in grid:
                    grid[k] += files[k] if k == "masks" else [files[k]]
                if sigma0 == 1e-5 and seed == 0:
                    path = folder / f"cells_N{N}.nc"
                    extract_stable_cells(
                        data,
                        path,
                        attrs=standard_attrs("cells", "race", {}, labels={"N": N}),
                        options=StableCellOptions(
                            n_probes=200, seeds=(0, 1), t_max=30, patience=5, chunk=64
                        ),
                    )
                    cells.append(path)
    for N in (20, 40):  # the d sweep of Fig 3a
        files, _ = _run_files(folder, 1e-5, N, 4, 0)
        for k in sweep:
            sweep[k].append(files[k])
    return grid, sweep, cells


def test_records_carry_labels_cubes_and_pruned_counts(grid):
    files, _, _ = grid
    records = rec.load_records(**files)
    assert len(records) == 8
    r = rec.first(records, "test", sigma0=1e-3, N=40)
    assert (r["N"], r["d"], r["seed"]) == (40, 8, 0) and r["dynamics"].sizes["neuron"] == 8
    assert sorted(r["pruned"]) == [0.2, 0.5, 0.7] and r["pruned"][0.5].shape == (8,)
    with pytest.raises(ValueError, match="fig9: no run"):
        rec.first(records, "fig9", N=99999)
    with pytest.raises(ValueError, match="different runs"):
        rec.load_records(dynamics=files["dynamics"][:1], similarity=files["similarity"][1:2])


def test_pruned_counts_come_from_the_masks(tmp_path):
    m1 = torch.ones(3, 4, dtype=torch.bool)
    m1[1, :3] = False
    m2 = torch.ones(2, 3, dtype=torch.bool)
    m2[0, 2] = False
    path = tmp_path / "masks.pt"
    save_checkpoint(
        path,
        imp.masks_record({"W1": m1, "W2": m2}, 16, 18, 0.5, 3, 3, True, 3, extra={"run_id": "r"}),
    )
    run_id, sparsity, pruned = rec.load_pruned(path)
    assert (run_id, sparsity) == ("r", 0.5)
    np.testing.assert_array_equal(pruned, [0, 3, 1])


DATA = DataDescription("synthetic", ((0,), (1,)), "none")
GRID = {"seed": 0, "sigmas": (1e-5, 1e-3), "Ns": (20, 40), "data": DATA}
IMP = {"imp_rounds": 3, "imp_rewind": "init"}


@pytest.fixture
def drawn(monkeypatch):
    """The figures the figure functions draw, instead of writing them."""
    figures = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, out: figures.append(fig))
    yield figures
    for fig in figures:
        plt.close(fig)


def offsets(ax, i=0):
    """The (x, y) points of the i-th scatter of an axes, sorted by x then y."""
    xy = np.asarray(ax.collections[i].get_offsets(), dtype=np.float64)
    return xy[np.lexsort((xy[:, 1], xy[:, 0]))]


def expected(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    xy = np.stack([x[ok], y[ok]], axis=1)
    return xy[np.lexsort((xy[:, 1], xy[:, 0]))]


def titled(fig, start):
    return next(ax for ax in fig.axes if ax.get_title(loc="left").startswith(start))


def test_fig1_plots_the_runs_loss_alignment_and_pruning(grid, drawn, tmp_path):
    files, _, _ = grid
    records = rec.load_records(**files)
    options = Fig1Options(
        sigma0=1e-5, N=20, seed=0, early_steps=(0, 5, 10), pruning_step=10, sparsity=0.5,
        d=8, data=DATA, **IMP,
    )  # fmt: skip
    figs.fig1(records, options, tmp_path / "fig1.pdf")
    (fig,) = drawn
    r = rec.first(records, "test", sigma0=1e-5, N=20, seed=0)
    dyn = r["dynamics"]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), dyn["train_loss"].values)
    members = rec.largest_cluster(r["similarity"], 0.99)
    cos, norm = dyn["cos_delta"].values, dyn["norm_product"].values
    np.testing.assert_allclose(
        offsets(titled(fig, "(c)")), expected(cos[0, members], norm[0, members])
    )
    i = rec.time_index(dyn, 10)
    np.testing.assert_allclose(
        offsets(titled(fig, "(d)")), expected(cos[i, members], r["pruned"][0.5][members])
    )
    assert titled(fig, "(d)").get_ylabel() == "pruned weights (IMP 50%)"


def test_fig3_plots_mean_cluster_counts_per_width(grid, drawn, tmp_path):
    files, sweep, _ = grid
    records = rec.load_records(**{k: sweep[k] + files[k] for k in sweep})
    options = Fig3Options(
        sigma0=1e-5, sigmas=(1e-5, 1e-3), N=20, d=8, seed=0,
        snapshot_titles=("init", "before loss drop", "end"), widths=(4,),
        n_sweep_seeds=1, rel_threshold=0.01, data=DATA, tau=0.95,
    )  # fmt: skip
    figs.fig3(records, options, tmp_path / "fig3.pdf")
    (fig,) = drawn
    ax_all, ax_large = fig.axes[:2]
    for ax, var in ((ax_all, "n_clusters"), (ax_large, "n_clusters_large")):
        for container, d in zip(ax.containers, (4, 8)):  # widths in increasing order
            line = container.lines[0]
            want = [
                np.mean(
                    [
                        float(r["dynamics"][var].sel(tau=0.95).values[-1])
                        for r in rec.select(records, sigma0=1e-5, d=d, N=n)
                    ]
                )
                for n in (20, 40)
            ]
            np.testing.assert_allclose(np.asarray(line.get_xdata(), float), [20, 40])
            np.testing.assert_allclose(np.asarray(line.get_ydata(), float), want)
        # the y scale is the data's (error bars included), not the saturation line's
        tops = [
            max(np.asarray(c.lines[0].get_ydata(), float)) + np.max(_bar_halves(c))
            for c in ax.containers
        ]
        assert max(tops) <= ax.get_ylim()[1] <= 1.2 * max(tops)
    assert "1 % of max" in ax_large.get_ylabel()
    # each width's saturation line d: drawn where it fits the axis, else named above it
    drawn_d = {round(line.get_ydata()[0]) for line in ax_all.lines if line.get_linestyle() == ":"}
    note = " ".join(t.get_text() for t in ax_all.texts)
    for d in (4, 8):
        assert (d in drawn_d) == (d <= ax_all.get_ylim()[1]), (d, drawn_d)
        assert (d in drawn_d) or f"{d}" in note.split("d = ")[1]


def _bar_halves(container):
    """Half-lengths of an errorbar container's vertical bars."""
    (bars,) = container.lines[2]
    return [abs(seg[1][1] - seg[0][1]) / 2 for seg in bars.get_segments()]


def test_fig4_plots_norm_against_alignment_at_both_times(grid, drawn, tmp_path):
    files, _, _ = grid
    records = rec.load_records(**files)
    figs.fig4(records, Fig4Options(d=8, early_step=10, **GRID), tmp_path / "fig4.pdf")
    (fig,) = drawn
    panels = [ax for ax in fig.axes if ax.get_title().startswith("N = ")]
    assert len(panels) == 2 * 2 * 2  # sigma0 x N x {t = 0, early}
    for k, (sigma, N, step) in enumerate(
        (s, n, t) for s in (1e-5, 1e-3) for n in (20, 40) for t in (0, 10)
    ):
        dyn = rec.first(records, "test", sigma0=sigma, N=N, seed=0)["dynamics"]
        i = rec.time_index(dyn, step)
        assert panels[k].get_title() == f"N = {N}, t = {step}"
        want = expected(dyn["cos_delta"].values[i], dyn["norm_product"].values[i])
        np.testing.assert_allclose(offsets(panels[k]), want)


def test_fig5_plots_pruned_weights_against_early_alignment(grid, drawn, tmp_path):
    files, _, _ = grid
    records = rec.load_records(**files)
    options = Fig5Options(
        sparsities=(0.2, 0.7), prune_output_layer=True, early_step=10, **IMP, **GRID
    )
    figs.fig5(records, options, tmp_path / "fig5.pdf")
    (fig,) = drawn
    panels = [ax for ax in fig.axes if ax.get_title().startswith("N = ")]
    cells = [(s, n, p) for s in (1e-5, 1e-3) for n in (20, 40) for p in (0.2, 0.7)]
    assert len(panels) == len(cells)
    for ax, (sigma, N, sparsity) in zip(panels, cells):
        r = rec.first(records, "test", sigma0=sigma, N=N, seed=0)
        i = rec.time_index(r["dynamics"], 10)
        want = expected(r["dynamics"]["cos_delta"].values[i], r["pruned"][sparsity])
        np.testing.assert_allclose(offsets(ax), want)


def test_fig1_writes_a_pdf(grid, tmp_path):
    files, _, _ = grid
    options = Fig1Options(
        sigma0=1e-3, N=40, seed=1, early_steps=(0, 50), pruning_step=50, sparsity=None,
        d=8, data=DATA, **IMP,
    )  # fmt: skip
    out = tmp_path / "fig1.pdf"
    figs.fig1(rec.load_records(**files), options, out)
    assert out.read_bytes()[:5] == b"%PDF-"


def test_fig7_and_stable_cell_table(grid, drawn, tmp_path):
    _, _, cells = grid
    records = rec.load_records(stable_cells=cells)
    options = Fig7Options(n_probes=200, t_max=30, patience=5, probe_seeds=(0, 1), data=DATA)
    figs.fig7(records, options, tmp_path / "fig7.pdf")
    (fig,) = drawn
    rows = rec.stable_cell_table(records)
    assert {(r["N"], r["alignment"]) for r in rows} == {(20, 1), (20, -1), (40, 1), (40, -1)}
    for r in rows:  # mean over the two probe seeds of that cube
        (path,) = [p for p, x in zip(cells, records) if x["N"] == r["N"]]
        values = xr.open_dataset(path, engine="h5netcdf")["stable_cells"].sel(
            alignment=r["alignment"]
        )
        assert r["n"] == 2 and r["mean"] == pytest.approx(float(values.mean()))
    (ax,) = fig.axes
    for container, a in zip(ax.containers, (1, -1)):
        want = [r["mean"] for r in rows if r["alignment"] == a]
        np.testing.assert_allclose(np.asarray(container.lines[0].get_ydata(), float), want)
    assert ax.get_title() == "M = 200 probes, $T_{max}$ = 30, p = 5"


def test_table1_rows_are_seed_means_of_the_cubes(grid, tmp_path):
    files, _, _ = grid
    records = rec.load_records(**files)
    out, tex = tmp_path / "table1.csv", tmp_path / "table1.tex"
    options = Table1Options(
        taus=(0.7, 0.95, 0.99), rel_threshold=0.05, merge_split="test", n_seeds=2, d=8, data=DATA
    )
    table1(records, options, out, tex)
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 2 * 3  # sigma0 x N x tau
    row = next(
        r for r in rows if float(r["sigma0"]) == 1e-3 and r["N"] == "40" and float(r["tau"]) == 0.7
    )
    seeds = rec.select(records, sigma0=1e-3, N=40)
    k = [float(s["similarity"]["merge_k"].sel(tau=0.7, method="nearest")) for s in seeds]
    assert row["n_seeds"] == "2" and float(row["k_mean"]) == pytest.approx(np.mean(k), rel=1e-5)
    text = tex.read_text()
    assert r"\begin{tabular}" in text and r"\pm" in text and "10^{-5}" in text
    assert "a >= 5 % of the largest" in text


def test_spearman_on_known_ranks():
    """Final norm a monotone in cos(delta): rho = 1; one swapped pair: rho = 0.8."""
    cos = np.array([[0.1, 0.5, 0.9, np.nan], [0.2, 0.4, 0.8, 0.3]])
    final = np.array([1.0, 2.0, 5.0, 0.5])
    dyn = xr.Dataset(
        {"cos_delta": (("time", "neuron"), cos), "final_norm_product": (("neuron",), final)},
        coords={"time": [0, 50]},
    )
    assert rc.spearman_final_norm(dyn, step=0) == pytest.approx(1.0)
    assert rc.spearman_final_norm(dyn, step=40) == pytest.approx(0.8)


def test_claims_table_on_the_synthetic_grid(grid):
    files, _, cells = grid
    rows = rc.CLAIMS.evaluate(
        {**files, "stable_cells": cells},
        {"d": 8, "sigma0": [1e-5, 1e-3], "early_step": 10, "pruning_step": 10},
        size="test",
    )
    by = {r["claim"]: r for r in rows}
    assert list(by) == [c.key for c in rc.CLAIMS]
    assert all(r["verdict"] in ("reproduced", "not reproduced", "inconclusive") for r in rows)
    assert all(r["interval"].startswith("[") and r["reason"] for r in rows), rows
    # the synthetic weights grow by the same factor for every neuron, so early and final
    # norms rank alike: the alignment-norm claim's measured rho equals a direct computation
    records = rec.load_records(**files)
    rho = [rc.spearman_final_norm(r["dynamics"], 10) for r in records]
    assert f"{min(rho):.2f}-{max(rho):.2f}" in by["early_alignment_predicts_norm"]["measured"]
    # merging: the headline is the worst cell's mean change over its two seeds
    ctx = rc.CLAIMS.load(
        {**files, "stable_cells": cells}, {"d": 8, "sigma0": [1e-5, 1e-3], "early_step": 10}
    )
    result = rc.CLAIMS["merge_099_costs_nothing"].measure(ctx)
    cell_means = [
        np.mean([float(r["similarity"]["merge_relative_change"].sel(tau=0.99)) for r in runs])
        for _, _, runs in cm.cells(ctx["grid"])
    ]
    assert result.estimate.value == pytest.approx(min(cell_means))
    assert len(result.checks) == 4  # 2 sigma0 x 2 N


def _similarity(changes, gained, lost, n=1000, accuracy=0.8):
    """A record whose similarity cube holds only the merge numbers at tau 0.7."""
    sim = xr.Dataset(
        {
            "merge_relative_change": (("tau",), [changes]),
            "merge_gained": (("tau",), [gained]),
            "merge_lost": (("tau",), [lost]),
        },
        coords={"tau": [0.7]},
        attrs={"merge_n_samples": n, "merge_accuracy_original": accuracy},
    )
    return {"similarity": sim, "seed": 0}


def test_merge_change_interval_joins_seeds_and_paired_images():
    # no discordant image: the change is exactly zero whatever the number of images
    est, _ = cm.merge_change([_similarity(0.0, 0, 0), _similarity(0.0, 0, 0)], 0.7)
    assert (est.value, est.low, est.high) == (0.0, 0.0, 0.0)
    # 40 lost, 10 gained of 800 correct (two runs alike): -3.75 % each, no seed spread;
    # the pooled images give the interval: Wilson on 20 gained of 100 discordant pairs
    runs = [_similarity(-3.75, 10, 40), _similarity(-3.75, 10, 40)]
    est, per_run = cm.merge_change(runs, 0.7)
    wilson = sps.binomtest(20, 100).proportion_ci(0.95, method="wilson")
    assert est.value == pytest.approx(-3.75) and per_run == (-3.75, -3.75)
    assert est.low == pytest.approx((2 * wilson.low - 1) * 100 / 1600 * 100)
    assert est.high == pytest.approx((2 * wilson.high - 1) * 100 / 1600 * 100)
    assert est.high < -2.0  # so merge_070_hurts would be reproduced on these runs


def test_difference_without_spread_is_exact():
    est, per_seed = cm.difference([5, 5, 5], [3, 3, 3])
    assert (est.value, est.low, est.high) == (2.0, 2.0, 2.0) and per_seed == (2.0, 2.0, 2.0)
    est, _ = cm.difference([5, 6, 7], [3, 3, 4])
    assert est.low < est.value < est.high and est.method == "Welch t interval"
