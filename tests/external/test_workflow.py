"""End to end at smoke size: checkpoints written here by a plain PyTorch loop, in every
supported format, for a small MLP and a small torchvision ResNet; Snakemake builds the
cubes and figures; the numbers are checked against independent computations from the
checkpoint files and the probe images; reruns follow the checkpoint files."""

import shutil

import numpy as np
import pytest
import torch
import yaml

from workflow_scripts.external.plan import build_plan
from workflow_scripts.store import catalog
from workflow_scripts.store.cube import open_cube

from ..configs import study_config
from ..snakemake_runner import SMOKE, planned_jobs, run_snakemake
from .helpers import MLP, MLP_LAYERS, MLP_PROBE, RESNET, RESNET_PROBE, fashion, saver, train_plain

pytestmark = pytest.mark.workflow
FORMATS = ("dict", "lightning", "open_lth", "safetensors", "compiled_ddp")
SAVE_AT = [0, 10, 30]  # 10 steps per epoch: epochs 0, 1, 3


def run_entry(model, checkpoints, probe, layers, **extra):
    return {"model": model, "checkpoints": checkpoints, "probe": {**probe, "n": 0},
            "layers": layers, **extra}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("external_workflow")
    torch.set_num_threads(1)
    data = fashion(root / "data")
    ck = root / "ckpt"
    savers = {f: saver(ck / f, f) for f in ("bare", *FORMATS)}
    train_plain(MLP, data, SAVE_AT, lambda *a: [s(*a) for s in savers.values()])
    train_plain(RESNET, data, SAVE_AT, saver(ck / "resnet", "torchvision"))
    shutil.copytree(ck / "bare", ck / "dup")
    shutil.copy(ck / "dup" / "step_30.pt", ck / "dup" / "step_35.pt")  # same weights, later step
    runs = {
        "mlp": run_entry(MLP, str(ck / "bare" / "step_*.pt"), MLP_PROBE, MLP_LAYERS,
                         ablation={"groups": {"first": ["1"], "both": ["1", "3"]}}),
        "resnet": run_entry(RESNET, str(ck / "resnet" / "model_*.pth"), RESNET_PROBE,
                            ["layer1.0", "layer2.0", "layer4.0"], cka_layers=["layer1.0", "layer4.0", "avgpool"],
                            ablation={"groups": {"early": ["layer1.0", "layer2.0"], "late": ["layer4.0"]}}),
        "dup": run_entry(MLP, str(ck / "dup" / "*.pt"), MLP_PROBE, MLP_LAYERS, metrics=["cka"]),
    }  # fmt: skip
    patterns = {"dict": "*.tar", "lightning": "*.ckpt", "open_lth": "", "safetensors": "*.safetensors",
                "compiled_ddp": "*.pt"}  # fmt: skip
    for f, pattern in patterns.items():
        where = str(ck / f / pattern) if pattern else str(ck / f)  # open_lth: the run directory
        runs[f"mlp_{f}"] = run_entry(MLP, where, MLP_PROBE, MLP_LAYERS, metrics=["selectivity"])
    overlay = root / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"data_dir": str(data), "external": {"runs": runs}}))
    plan = build_plan(study_config(SMOKE, overlay))
    run_snakemake(root, *targets(plan), configfiles=(SMOKE, overlay), timeout=3000)
    return root, plan, overlay


def targets(plan):
    """Every figure of the full runs; the cubes only of the others (fewer jobs)."""
    full = [plan.figure(r, fig) for r in ("mlp", "resnet") for fig in plan.figures_of(plan.runs[r])]
    others = [plan.cube(r, m) for r, run in plan.runs.items() if r not in ("mlp", "resnet")
              for m in run.metrics]  # fmt: skip
    return full + others


def cube(built, run, metric):
    root, plan, _ = built
    return open_cube(root / plan.cube(run, metric)).load()


def probe_arrays(root):
    """The test split read from the idx files with numpy alone (magic, sizes, bytes)."""
    raw = root / "data" / "FashionMNIST" / "raw"
    x = np.frombuffer((raw / "t10k-images-idx3-ubyte").read_bytes()[16:], np.uint8)
    y = np.frombuffer((raw / "t10k-labels-idx1-ubyte").read_bytes()[8:], np.uint8).astype(int)
    x = (torch.as_tensor(x.reshape(-1, 28, 28).copy()).float() / 255.0 - 0.3) / 0.4
    return x, y


def class_means(h, y):
    return np.stack([h[y == c].mean(0) for c in range(10)])


def si_of(means):
    top = means.max(0)
    rest = (means.sum(0) - top) / (len(means) - 1)
    return (top - rest) / (top + rest + 1e-6)


def test_every_format_gives_the_same_numbers(built):
    ref = cube(built, "mlp", "selectivity")
    assert ref["time"].values.tolist() == SAVE_AT and ref.attrs["time_unit"] == "step"
    for f in FORMATS:
        other = cube(built, f"mlp_{f}", "selectivity")
        np.testing.assert_array_equal(other["si"].values, ref["si"].values, err_msg=f)
        np.testing.assert_array_equal(other["accuracy"].values, ref["accuracy"].values, err_msg=f)
        assert other["weights_sha256"].values.tolist() == ref["weights_sha256"].values.tolist()
        want = [0.0, 1.0, 3.0] if f == "open_lth" else SAVE_AT  # open_lth names give epochs
        assert other["time"].values.tolist() == want, f
    assert ref["accuracy"].values[-1] > 0.5 > ref["accuracy"].values[0]  # it learned


def test_selectivity_and_activation_fraction_of_chosen_units_by_hand(built):
    root, _, _ = built
    x, y = probe_arrays(root)
    state = torch.load(root / "ckpt" / "bare" / "step_30.pt", weights_only=True)
    h1 = torch.relu(x.flatten(1) @ state["0.weight"].T + state["0.bias"])
    h2 = torch.relu(h1 @ state["2.weight"].T + state["2.bias"])
    sel, sets = cube(built, "mlp", "selectivity"), cube(built, "mlp", "samplesets")
    for layer, h in (("1", h1.numpy()), ("3", h2.numpy())):
        for unit in (0, 3, 7):
            i = int(
                np.flatnonzero((sel["layer"].values == layer) & (sel["unit_index"].values == unit))[
                    0
                ]
            )
            means = class_means(h[:, unit], y)
            assert sel["si"].sel(time=30).values[i] == pytest.approx(
                si_of(means), rel=1e-4, abs=1e-5
            )
            active = np.mean([(h[y == c, unit] > 0).mean() for c in range(10)])
            assert sets["activation_fraction"].sel(time=30).values[i] == pytest.approx(
                active, abs=1e-9
            )
    assert sets["count"].sel(time=30).sum("class").max() <= len(y)
    assert 0.3 < float(sets.attrs["max_informativeness"]) < 0.31  # balanced 10 classes


def test_a_resnet_channel_by_hand_and_cka_of_a_layer_with_itself(built):
    from .helpers import tiny_resnet

    root, _, _ = built
    x, y = probe_arrays(root)
    net = tiny_resnet()
    net.load_state_dict(
        torch.load(root / "ckpt" / "resnet" / "model_3.pth", weights_only=False)["model"]
    )
    net.eval()
    with torch.no_grad():
        h = net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(x[:, None].expand(-1, 3, -1, -1))))))
    h = h.mean(dim=(2, 3)).numpy()  # a conv unit: its channel averaged over space
    sel = cube(built, "resnet", "selectivity")
    assert sel.attrs["time_unit"] == "epoch" and sel["time"].values.tolist() == [0.0, 1.0, 3.0]
    for channel in (0, 17, 63):
        i = int(
            np.flatnonzero(
                (sel["layer"].values == "layer1.0") & (sel["unit_index"].values == channel)
            )[0]
        )
        want = si_of(class_means(h[:, channel], y))
        assert sel["si"].sel(time=3.0).values[i] == pytest.approx(want, rel=1e-4, abs=1e-5)
    cka = cube(built, "resnet", "cka")["cka"]
    np.testing.assert_allclose(np.diagonal(cka.values, axis1=1, axis2=2), 1.0, atol=1e-6)
    np.testing.assert_allclose(cka.values, np.swapaxes(cka.values, 1, 2), atol=1e-12)
    abl = cube(built, "resnet", "ablation")
    assert abl["ablation_accuracy"].dims == ("time", "group", "order", "fraction", "draw")
    assert abl["units_zeroed"].sel(group="early").values.tolist() == [0, 48, 96]  # of 64 + 128


def test_identical_weights_under_two_steps_are_reported(built):
    root, plan, _ = built
    c = cube(built, "dup", "cka")
    assert c["time"].values.tolist() == [0, 10, 30, 35]
    assert np.isnan(c["duplicate_of"].values[:3]).all() and c["duplicate_of"].values[3] == 30
    assert yaml.safe_load(c.attrs["duplicate_weights"]) == [[30.0, 35.0]]
    assert c["file_sha256"].values[2] == c["file_sha256"].values[3]
    log = (root / plan.paths.log("merge", f"{plan.ids['dup']['cube']}.cka")).read_text()
    assert "identical weights at steps 30, 35" in log


def test_the_catalog_opens_a_run_metric_cube(built):
    root, _, _ = built
    ds = catalog.open("external", "cube", root=root, run="resnet", metric="ablation")
    assert "ablation_accuracy" in ds and ds.attrs["run"] == "resnet"
    figs = catalog.find("external", "figure", root=root, run="mlp")
    assert sorted(figs["figure"]) == ["ablation", "cka", "samplesets", "selectivity"]


def test_reruns_follow_the_checkpoint_files(built):
    root, plan, overlay = built
    targets = [plan.figure("mlp", fig) for fig in plan.figures_of(plan.runs["mlp"])]
    configs = (SMOKE, overlay)
    assert planned_jobs(root, *targets, configfiles=configs) == []
    # replacing one checkpoint reruns its two jobs, then the run's merges and figures
    torch.save(
        torch.load(root / "ckpt" / "bare" / "step_0.pt"), root / "ckpt" / "bare" / "step_10.pt"
    )
    jobs = planned_jobs(root, *targets, configfiles=configs)
    label = next(c.label for c in plan.runs["mlp"].checkpoints if c.step == 10)
    work = sorted(r for r, out in jobs if r in ("external_measure", "external_ablate"))
    assert work == ["external_ablate", "external_measure"]
    assert all(label in out for r, out in jobs if r in ("external_measure", "external_ablate"))
    merged = {out for r, out in jobs if r == "external_merge"}
    assert merged == {plan.cube("mlp", m) for m in ("selectivity", "samplesets", "cka", "ablation")}
    # adding one adds its own two jobs only
    run_snakemake(root, *targets, configfiles=configs)
    shutil.copy(root / "ckpt" / "bare" / "step_30.pt", root / "ckpt" / "bare" / "step_40.pt")
    jobs = planned_jobs(root, *targets, configfiles=configs)
    work = [out for r, out in jobs if r in ("external_measure", "external_ablate")]
    assert len(work) == 2 and all("step000000040-" in out for out in work)
