"""The figures plot the cubes' numbers: cubes made by the real job functions (measure,
ablate, merge) in-process, each figure's drawn data compared with numbers computed from
the cube."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from workflow_scripts import specs
from workflow_scripts.external import extract, figures, merge
from workflow_scripts.external.plan import build_plan
from workflow_scripts.metrics.datasets import normalised_auc
from workflow_scripts.store.cube import open_cube

from ..configs import study_config
from .helpers import MLP, MLP_LAYERS, MLP_PROBE, fashion, saver, train_plain


@pytest.fixture(scope="module")
def cubes(tmp_path_factory):
    root = tmp_path_factory.mktemp("external_figures")
    torch.set_num_threads(1)
    data = fashion(root / "data")
    train_plain(MLP, data, [0, 5, 20], saver(root / "ckpt", "bare"))
    run = {"model": MLP, "checkpoints": str(root / "ckpt" / "*.pt"), "layers": MLP_LAYERS,
           "probe": MLP_PROBE}  # fmt: skip
    config = study_config(
        "configs/smoke.yaml", {"data_dir": str(data), "external": {"runs": {"r": run}}}
    )
    plan = build_plan(config)
    ids, out = plan.ids["r"], {}
    for c in plan.runs["r"].checkpoints:
        w = SimpleNamespace(measure_id=ids["measure"], ablate_id=ids["ablate"], ckpt=c.label)
        part = root / plan.part(ids["measure"], c.label, "measure")
        extract.measure_checkpoint(plan.measure_params(w), part, str(data))
        extract.ablate_checkpoint(
            plan.ablate_params(w),
            part,
            root / plan.part(ids["ablate"], c.label, "ablation"),
            str(data),
        )
    for metric in plan.runs["r"].metrics:
        w = SimpleNamespace(cube_id=ids["cube"], metric=metric)
        parts = [root / p for p in plan.merge_inputs(w)["parts"]]
        merge.merge(parts, metric, "step", root / plan.cube("r", metric), {"run": "r"})
        out[metric] = open_cube(root / plan.cube("r", metric)).load()
    return plan, out


def drawn(monkeypatch, plan, cubes, fig):
    seen = {}
    monkeypatch.setattr(figures, "save_figure", lambda f, path: seen.update(fig=f))
    options = specs.params(plan.options_of("r", fig))
    getattr(figures, fig)({"cube": cubes[fig]}, options, "unused.pdf")
    return seen["fig"]


def test_selectivity_lines_are_the_layer_means_of_live_units(monkeypatch, cubes):
    plan, c = cubes
    fig = drawn(monkeypatch, plan, c, "selectivity")
    ax = fig.axes[0]
    ds = c["selectivity"]
    for i, layer in enumerate(MLP_LAYERS):
        live = (ds["layer"] == layer) & ~ds["dead"].astype(bool)
        want = ds["si"].where(live).mean("unit").values
        floor = ds["si_floor"].where(live).mean("unit").values
        np.testing.assert_allclose(ax.lines[2 * i].get_ydata(), want, rtol=1e-6)
        np.testing.assert_allclose(ax.lines[2 * i + 1].get_ydata(), floor, rtol=1e-6)
        assert ax.lines[2 * i].get_label() == layer
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 5, 20])
    assert ax.get_xscale() == "symlog"


def test_sample_set_panels(monkeypatch, cubes):
    plan, c = cubes
    fig = drawn(monkeypatch, plan, c, "samplesets")
    ds = c["samplesets"]
    first = ds["layer"] == MLP_LAYERS[0]
    f = ds["activation_fraction"].where(first & ~ds["dead"].astype(bool)).mean("unit").values
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), f, rtol=1e-6)
    defined = first & ~ds["dead"].astype(bool) & ~ds["always_active"].astype(bool)
    u = ds["informativeness"].where(defined).mean("unit").values
    np.testing.assert_allclose(fig.axes[2].lines[0].get_ydata(), u, rtol=1e-6)
    bound = fig.axes[2].lines[-1].get_ydata()
    assert bound[0] == pytest.approx(float(ds.attrs["max_informativeness"]))


def test_cka_panels_show_the_first_and_last_checkpoints(monkeypatch, cubes):
    plan, c = cubes
    fig = drawn(monkeypatch, plan, c, "cka")
    images = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(images) == 3  # 3 checkpoints, up to 4 panels
    np.testing.assert_allclose(images[-1], c["cka"]["cka"].isel(time=-1).values)
    assert figures.panel_times(np.arange(10), 4) == [0, 3, 6, 9]


def test_ablation_auc_lines(monkeypatch, cubes):
    plan, c = cubes
    fig = drawn(monkeypatch, plan, c, "ablation")
    ds = c["ablation"]
    auc = normalised_auc(ds["ablation_accuracy"])
    ax = fig.axes[0]
    for i, group in enumerate(ds["group"].values):
        sel = auc.sel(group=group, order="selective").isel(draw=0).values
        rand = auc.sel(group=group, order="random").mean("draw").values
        np.testing.assert_allclose(ax.lines[2 * i].get_ydata(), sel)
        np.testing.assert_allclose(ax.lines[2 * i + 1].get_ydata(), rand)
    acc = ds["ablation_accuracy"].sel(order="random", draw=1).isel(group=0, time=-1).values
    assert auc.sel(order="random", draw=1).isel(group=0, time=-1) == pytest.approx(
        (acc / acc.max() * 100).sum()
    )
