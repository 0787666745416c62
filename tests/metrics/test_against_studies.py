"""The shared metrics give the studies' own numbers on the same checkpoints (so the
studies can switch to them): selectivity's ``extract.measure`` and ``ablate.ablation_curves``.
(samplesets has switched: its cubes were compared before and after, equal.)"""

import copy

import numpy as np

from workflow_scripts.metrics.ablation import Group, ablation_curves
from workflow_scripts.metrics.measure import measure
from workflow_scripts.metrics.selectivity_index import floor_shuffle
from workflow_scripts.selectivity import ablate as study_ablate
from workflow_scripts.selectivity import extract as study_extract
from workflow_scripts.selectivity import network
from workflow_scripts.selectivity.specs import AblationOptions

BLOCKS = [f"layer{m}.{b}" for m in range(1, 5) for b in range(2)]


def test_selectivity_floor_accuracy_and_cka_equal_the_study_measure(resnet, probe, one_thread):
    floor = study_extract.floor_shuffle(probe.labels.numpy(), 3)
    ref = study_extract.measure(resnet, probe, 10, 50, floor, "cpu")
    m = measure(
        resnet,
        probe.plain(50),
        n_classes=10,
        layers=BLOCKS,
        cka_layers=BLOCKS + ["avgpool"],  # avgpool's output is the FC input the study hooks
        floor_labels=floor_shuffle(probe.labels.numpy(), 3),
        batch_size=50,
        cka_precision="float64",
    )
    for key in ("class_mean", "si", "si_floor"):
        np.testing.assert_array_equal(m.selectivity[key], ref[key], err_msg=key)
    np.testing.assert_array_equal(m.selectivity["dead"], ref["dead"].astype(bool))
    assert m.accuracy == ref["accuracy"] and m.accuracy > 0.2  # trained: above chance
    np.testing.assert_array_equal(m.cka, ref["cka"])
    assert m.cka_batches == ref["cka_batches"] == 4  # the short last batch left out
    assert ref["si"].std() > 0.01  # the units differ: the comparison is not of constants


def test_ablation_curves_equal_the_study_ablation(resnet, probe, one_thread):
    module, block, _ = network.unit_coords(resnet)
    unit_module, unit_block = np.asarray(module), np.asarray(block)
    si = np.random.default_rng(0).random(len(module)).astype(np.float32)
    spec = AblationOptions(modules=(4, 5, 6, 7), fractions=(0, 0.25, 0.5, 0.75), draws=3, seed=2)
    ref, base = study_ablate.ablation_curves(
        copy.deepcopy(resnet), probe, si, unit_module, unit_block, spec, 50, "cpu"
    )
    groups = [
        Group(f"layer{m - 3}", (f"layer{m - 3}.0", f"layer{m - 3}.1"), m) for m in spec.modules
    ]
    per_layer = {
        f"layer{m - 3}.{b}": si[(unit_module == m) & (unit_block == b)]
        for m in spec.modules
        for b in (0, 1)
    }
    out = ablation_curves(
        copy.deepcopy(resnet),
        probe.plain(50),
        groups,
        per_layer,
        fractions=spec.fractions,
        draws=spec.draws,
        seed=spec.seed,
    )
    assert out["base_accuracy"] == base > 0.2
    np.testing.assert_array_equal(out["accuracy"], ref)
    assert set(out["mode"].values()) == {"stacked"}
    # the curves fall: zeroing three quarters of every block of a module costs accuracy
    assert np.nanmean(ref[:, :, -1]) < base
