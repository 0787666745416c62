"""Extraction (class means, SI, floor, CKA, accuracy), ablation curves and the merge,
against plain reference computations without hooks."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from workflow_scripts.metrics.ablation import random_order, units_to_zero
from workflow_scripts.metrics.cka import MinibatchCKA, gram
from workflow_scripts.metrics.selectivity_index import si_from_means
from workflow_scripts.selectivity import ablate as ablation
from workflow_scripts.selectivity import extract as extraction
from workflow_scripts.selectivity import network
from workflow_scripts.selectivity.data import make_splits
from workflow_scripts.selectivity.images import open_images
from workflow_scripts.selectivity.merge import merge
from workflow_scripts.selectivity.specs import AblationOptions
from workflow_scripts.selectivity.train import train_run
from workflow_scripts.store.checkpoints import checkpoint_path, load_checkpoint
from workflow_scripts.store.cube import open_cube

from .helpers import EXTRACT, NARROW, data_spec, train_spec


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny trained run: (checkpoints dir, data spec, splits)."""
    from ..fake_data import write_learnable_fashion_mnist

    root = tmp_path_factory.mktemp("sel_extract")
    write_learnable_fashion_mnist(root, per_class_train=40, per_class_test=20)
    spec = data_spec(root)
    splits = make_splits(spec)
    torch.set_num_threads(1)
    train_run(
        open_images(splits, spec, "train"),
        10,
        1,
        train_spec(),
        root / "run",
        "cpu",
        show_progress=False,
    )
    return root / "run", spec, splits


def model_at(ckpt, step):
    state = load_checkpoint(checkpoint_path(ckpt, step))
    return extraction.load_model(state, NARROW, 10, 1, "cpu")


def sets(trained, *which):
    _, spec, splits = trained
    return [open_images(splits, spec, w) for w in which]


def block_outputs(model, x):
    """Every block's output and the FC input, by running the layers by hand."""
    outs, h = [], network.stem(model, x)
    for m in (4, 5, 6, 7):
        for block in network.module_layer(model, m):
            h = block(h)
            outs.append(h)
    return outs, torch.flatten(model.avgpool(h), 1)


@torch.no_grad()
@pytest.mark.parametrize("precision, cka_tolerance", [("float64", 1e-12), ("float32", 1e-6)])
def test_measure_matches_a_plain_reference(trained, precision, cka_tolerance):
    """Both CKA precisions against a float64 reference: float32 products of centred
    features (the default) within 1e-6, float64 products to rounding."""
    ckpt, _, splits = trained
    probe, bn = sets(trained, "probe", "bn")
    model = model_at(ckpt, 7)  # e1: 7 batches per epoch
    extraction.prepare_bn(model, "recompute", bn, 20, "cpu")
    floor = extraction.floor_shuffle(probe.labels.numpy(), 0)
    m = extraction.measure(model, probe, 10, 20, floor, "cpu", cka_precision=precision)

    xs, ys = zip(*probe.batches(np.arange(len(probe)), 20))
    x, y = torch.cat(xs), torch.cat(ys)
    outs, fc_in = block_outputs(model, x)
    acts = torch.cat([o.mean(dim=(2, 3)) for o in outs], dim=1).double()
    means = torch.stack([acts[y == c].mean(0) for c in range(10)])
    np.testing.assert_allclose(m["class_mean"], means.T.numpy(), rtol=1e-4, atol=1e-6)
    si, dead = si_from_means(means)
    np.testing.assert_allclose(m["si"], si.numpy(), rtol=1e-4, atol=1e-6)
    yf = torch.as_tensor(floor)
    assert sorted(floor.tolist()) == sorted(y.tolist())  # same class counts
    fmeans = torch.stack([acts[yf == c].mean(0) for c in range(10)])
    np.testing.assert_allclose(
        m["si_floor"], si_from_means(fmeans)[0].numpy(), rtol=1e-4, atol=1e-6
    )
    assert m["accuracy"] == pytest.approx(float((model(x).argmax(1) == y).float().mean()))
    ref = MinibatchCKA(len(outs) + 1)
    for b in range(0, len(y), 20):
        ref.add([gram(o[b : b + 20]) for o in outs] + [gram(fc_in[b : b + 20])])
    np.testing.assert_allclose(m["cka"], ref.value().numpy(), rtol=0, atol=cka_tolerance)
    assert m["cka"].min() < 0.9  # layers differ: the comparison is not of ones
    assert m["cka_batches"] == 3 and np.allclose(np.diag(m["cka"]), 1)
    assert float(np.mean(m["si_floor"])) < float(np.mean(m["si"]))


@torch.no_grad()
def test_batchnorm_choices_differ_at_an_early_checkpoint(trained):
    ckpt, _, _ = trained
    probe, bn = sets(trained, "probe", "bn")
    floor = extraction.floor_shuffle(probe.labels.numpy(), 0)
    si = {}
    for mode in ("recompute", "running", "batch"):
        model = model_at(ckpt, 2)
        extraction.prepare_bn(model, mode, bn, 20, "cpu")
        si[mode] = extraction.measure(model, probe, 10, 20, floor, "cpu")["si"]
    assert not np.allclose(si["recompute"], si["running"])
    assert not np.allclose(si["batch"], si["running"])


def test_extract_part_cube(trained, tmp_path):
    ckpt, _, splits = trained
    probe, bn = sets(trained, "probe", "bn")
    out = tmp_path / "part.extract.nc"
    extraction.extract(
        ckpt,
        [0, 5, 14],
        probe,
        bn,
        NARROW,
        10,
        1,
        splits["classes"],
        EXTRACT,
        out,
        {"title": "test"},
    )
    ds = open_cube(out)
    assert ds["class_mean"].dims == ("checkpoint", "unit", "class")
    assert ds["cka"].dims == ("checkpoint", "layer", "layer2")
    assert ds["checkpoint"].values.tolist() == [0, 5, 14]
    assert ds["epoch"].values.tolist() == pytest.approx([0, 5 / 7, 2])
    assert set(np.unique(ds["module"].values)) == {4, 5, 6, 7}
    assert ds["class"].values.tolist()[1] == "Trouser"
    assert ds.sizes["unit"] == 2 * (4 + 8 + 16 + 32) and ds.sizes["layer"] == 9
    # SI is the index of the stored class means; the training statistics are the ones
    # the trainer recorded in each checkpoint
    means = torch.as_tensor(ds["class_mean"].values, dtype=torch.float64).transpose(1, 2)
    np.testing.assert_allclose(ds["si"].values, si_from_means(means)[0].numpy(), atol=1e-6)
    for step in (5, 14):
        state = load_checkpoint(checkpoint_path(ckpt, step))
        row = ds.sel(checkpoint=step)
        assert float(row["train_accuracy"]) == pytest.approx(state["train_accuracy"], rel=1e-6)
        assert float(row["lr"]) == pytest.approx(state["lr"])
    assert np.isnan(ds["train_accuracy"].values[0]) and ds["train_accuracy"].values[-1] > 0.3
    assert ds["checkpoint"].attrs.get("units") == "batches"


def test_a_step_the_run_lacks_is_named(trained, tmp_path):
    ckpt, _, splits = trained
    probe, bn = sets(trained, "probe", "bn")
    with pytest.raises(FileNotFoundError, match=r"step\(s\) \[6\]"):
        extraction.extract(
            ckpt, [5, 6], probe, bn, NARROW, 10, 1, splits["classes"], EXTRACT,
            tmp_path / "x.nc", {"title": "test"},
        )  # fmt: skip
    assert not (tmp_path / "x.nc").exists()


@torch.no_grad()
def ablated_accuracy_by_hooks(model, images, module, zero, batch=20):
    """Reference: one full forward per mask, channels zeroed by forward hooks."""
    blocks = list(network.module_layer(model, module))
    hooks = [
        b.register_forward_hook(lambda _m, _i, out, z=z: out * z[None, :, None, None])
        for b, z in zip(blocks, zero)
    ]
    correct = n = 0
    for x, y in images.batches(np.arange(len(images)), batch):
        correct += int((model(x).argmax(1) == y).sum())
        n += len(y)
    for h in hooks:
        h.remove()
    return correct / n


def test_ablation_curves_match_full_forwards_with_hooks(trained):
    ckpt, _, _ = trained
    images, bn = sets(trained, "ablate", "bn")
    model = model_at(ckpt, 14)
    extraction.prepare_bn(model, "recompute", bn, 20, "cpu")
    module, block, _ = map(np.asarray, network.unit_coords(model))
    si = np.random.default_rng(0).random(len(module))
    spec = AblationOptions(modules=(5, 7), fractions=(0.0, 0.25, 0.5, 1.0), draws=10, seed=3)
    acc, base = ablation.ablation_curves(model, images, si, module, block, spec, 20, "cpu")
    assert acc.shape == (2, 2, 4, 10)
    assert np.isnan(acc[:, 0, :, 1:]).all() and not np.isnan(acc[:, 1]).any()
    assert (acc[:, :, 0, 0] == base).all()
    for mi, m in enumerate(spec.modules):
        c = 8 if m == 5 else 32
        top = [np.argsort(-si[(module == m) & (block == b)], kind="stable") for b in (0, 1)]
        for fi, f in enumerate(spec.fractions):
            k = units_to_zero(f, c)
            zero = [torch.ones(c) for _ in range(2)]
            for z, t in zip(zero, top):
                z[t[:k]] = 0
            assert acc[mi, 0, fi, 0] == pytest.approx(
                ablated_accuracy_by_hooks(model, images, m, zero), abs=1e-9
            )
        # random draw 4: the permutation fixed by (seed, draw, module, block)
        zero = [torch.ones(c) for _ in range(2)]
        for b, z in enumerate(zero):
            z[random_order(3, 4, m, b, c)[: c // 2]] = 0
        assert acc[mi, 1, 2, 4] == pytest.approx(
            ablated_accuracy_by_hooks(model, images, m, zero), abs=1e-9
        )
    # every channel of a module zeroed: no class information passes
    assert np.nanmax(acc[:, :, 3]) <= 0.2


def test_merge_orders_dedupes_and_joins_ablation(trained, tmp_path):
    ckpt, _, splits = trained
    probe, bn, images = sets(trained, "probe", "bn", "ablate")
    spec = AblationOptions(modules=(4, 5, 6, 7), fractions=(0.0, 0.5), draws=10, seed=0)
    parts = {"late": [7, 14], "early": [0, 5, 7]}  # e1 in both parts
    for name, steps in parts.items():
        extraction.extract(
            ckpt,
            steps,
            probe,
            bn,
            NARROW,
            10,
            1,
            splits["classes"],
            EXTRACT,
            tmp_path / f"{name}.extract.nc",
            {"t": 1},
        )
        with open_cube(tmp_path / f"{name}.extract.nc") as part:
            ablation.ablate(
                ckpt,
                steps,
                part,
                images,
                bn,
                NARROW,
                10,
                1,
                EXTRACT,
                spec,
                tmp_path / f"{name}.ablate.nc",
                {"t": 1},
            )
    merge(
        [tmp_path / "late.extract.nc", tmp_path / "early.extract.nc"],
        [tmp_path / "late.ablate.nc", tmp_path / "early.ablate.nc"],
        tmp_path / "cube.nc",
        {"seed": 0, "alpha": 0.0, "onset": 0.0, "onset_unit": "batches", "role": "baseline"},
    )
    ds = open_cube(tmp_path / "cube.nc")
    assert ds["checkpoint"].values.tolist() == [0, 5, 7, 14]
    assert ds["ablation_accuracy"].dims == (
        "checkpoint",
        "ablated_module",
        "order",
        "fraction",
        "draw",
    )
    assert np.isnan(ds["ablation_accuracy"].sel(checkpoint=0)).all()  # init: not ablated
    assert ds["ablation_k"].sel(ablated_module=7, fraction=0.5) == 16
    late = open_cube(tmp_path / "late.extract.nc")
    np.testing.assert_array_equal(ds["si"].sel(checkpoint=14), late["si"].sel(checkpoint=14))
    # the ablation-set accuracy with nothing ablated, and the probe accuracy: both sets
    # are held out; they are different images
    assert 0 < float(ds["ablation_base_accuracy"].sel(checkpoint=14)) <= 1


def test_unablated_curves_are_normalised_to_their_maximum(trained, tmp_path):
    from workflow_scripts.selectivity import metrics

    ckpt, _, splits = trained
    probe, bn, images = sets(trained, "probe", "bn", "ablate")
    extraction.extract(
        ckpt,
        [14],
        probe,
        bn,
        NARROW,
        10,
        1,
        splits["classes"],
        replace(EXTRACT, bn="running"),
        tmp_path / "p.nc",
        {"t": 1},
    )
    spec = AblationOptions(modules=(4, 7), fractions=(0.0, 0.25, 0.75), draws=10, seed=0)
    with open_cube(tmp_path / "p.nc") as part:
        ablation.ablate(
            ckpt,
            [14],
            part,
            images,
            bn,
            NARROW,
            10,
            1,
            replace(EXTRACT, bn="running"),
            spec,
            tmp_path / "a.nc",
            {"t": 1},
        )
    ds = open_cube(tmp_path / "a.nc")
    norm = metrics.normalised_ablation(ds)
    assert float(norm.max()) == pytest.approx(100.0)
    auc = metrics.ablation_auc(ds)
    assert auc.dims == ("checkpoint", "ablated_module", "order")
    assert float(auc.max()) <= 300.0 + 1e-6


def test_test_accuracy_and_ablation_only_at_the_chosen_checkpoints(trained, tmp_path):
    """The regulariser runs' test accuracy at their last checkpoint only; ablation at the
    checkpoints ``ablation.checkpoints`` names (NaN rows elsewhere, as at the init)."""
    ckpt, spec, splits = trained
    probe, bn, images, test = sets(trained, "probe", "bn", "ablate", "test")
    assert len(test) == 200  # n_test 0: the whole (fake) test split, 20 per class
    extraction.extract(
        ckpt, [7, 14], probe, bn, NARROW, 10, 1, splits["classes"], EXTRACT,
        tmp_path / "p.nc", {"t": 1}, test_images=test, test_steps={14},
    )  # fmt: skip
    ds = open_cube(tmp_path / "p.nc")
    assert ds["test_images"].values.tolist() == [0, 200]
    assert np.isnan(ds["test_accuracy"].sel(checkpoint=7))
    model = model_at(ckpt, 14)
    extraction.prepare_bn(model, "recompute", bn, 20, "cpu")
    correct, n = extraction.plain_accuracy(model, test, 20, "cpu")
    assert float(ds["test_accuracy"].sel(checkpoint=14)) == correct / n > 0.3
    spec = AblationOptions(modules=(4, 7), fractions=(0.0, 0.5), draws=10, seed=0)
    ablation.ablate(
        ckpt, [7, 14], ds, images, bn, NARROW, 10, 1, EXTRACT, spec, tmp_path / "a.nc",
        {"t": 1}, ablated={14},
    )  # fmt: skip
    a = open_cube(tmp_path / "a.nc")
    assert np.isnan(a["ablation_accuracy"].sel(checkpoint=7)).all()
    assert not np.isnan(a["ablation_accuracy"].sel(checkpoint=14, order="random")).any()
