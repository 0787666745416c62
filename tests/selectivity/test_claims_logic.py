"""The claims table's logic on small synthetic cubes: one row per claim with its interval,
"not measured" only where the inputs cannot measure a claim by design (with the reason),
any other error fails the table; the figures the claims test (the seed-mean curve's peak,
the accuracy difference's interval) on cubes with known numbers."""

import numpy as np
import pytest

from workflow_scripts.claims import INCONCLUSIVE, NOT_MEASURED, NotMeasured, stats
from workflow_scripts.selectivity.claim_data import accuracy_difference
from workflow_scripts.selectivity.claims import CLAIMS
from workflow_scripts.selectivity.figure_specs import ClaimsOptions
from workflow_scripts.specs import params
from workflow_scripts.store.cube import COMPLETE_ATTR

from .fake_cubes import fake_cube

OPTIONS = ClaimsOptions(
    alpha=-3.0, modules=(4, 5, 6), onset_unit="batches", onsets=(0.0, 5.0), later_onset=10.0,
    seeds=(0,),
)  # fmt: skip


def write(ds, path):
    ds.attrs[COMPLETE_ATTR] = 1
    ds.to_netcdf(path, engine="h5netcdf")
    return str(path)


@pytest.fixture
def inputs(tmp_path):
    """The claims rule's inputs: 2 baseline runs, the regulariser runs of seed 0."""
    baseline = [write(fake_cube(s), tmp_path / f"b{s}.nc") for s in (0, 1)]
    regularised = [
        write(fake_cube(0, -3.0, o, ablate=False), tmp_path / f"r{o:g}.nc") for o in (0, 5, 10)
    ]
    return {"baseline": baseline, "regularised": regularised}


def test_every_claim_is_measured_on_complete_inputs(inputs):
    rows = CLAIMS.evaluate(inputs, params(OPTIONS), "smoke")
    assert [r["claim"] for r in rows] == [c.key for c in CLAIMS]
    assert {r["verdict"] for r in rows} <= {"reproduced", "not reproduced", INCONCLUSIVE}
    assert all(r["measured"] and r["interval"] and r["reason"] for r in rows)
    # one regulariser seed: no interval over seeds, so no regulariser claim can be decided
    by_claim = {r["claim"]: r for r in rows}
    assert by_claim["regularising_from_start_hurts"]["verdict"] != "reproduced"
    assert "1 seeds" in by_claim["regulariser_suppresses_selectivity"]["n"]


def test_a_claim_without_its_inputs_is_not_measured_with_the_reason(inputs, tmp_path):
    # no checkpoint in the first epoch (10 batches), module 7 not ablated
    early, ablation = {"checkpoint": [0, 20]}, {"ablated_module": [4, 5, 6]}
    inputs["baseline"] = [
        write(fake_cube(s).sel(**early, **ablation), tmp_path / f"short{s}.nc") for s in (0, 1)
    ]
    rows = {r["claim"]: r for r in CLAIMS.evaluate(inputs, params(OPTIONS), "smoke")}
    assert rows["module7_rises_and_stays"]["verdict"] == NOT_MEASURED
    assert "first epoch" in rows["module7_rises_and_stays"]["reason"]
    assert rows["fully_trained_ablation"]["verdict"] == NOT_MEASURED
    assert "[7] not ablated" in rows["fully_trained_ablation"]["reason"]
    assert rows["random_ablation_more_damaging_4_6"]["verdict"] != NOT_MEASURED
    ctx = CLAIMS.load(inputs, params(OPTIONS))
    with pytest.raises(NotMeasured, match="selectivity.ablation.modules"):
        CLAIMS["module7_selective_ablation_more_damaging"].measure(ctx)


def test_fig7_without_a_later_onset_is_not_measured(inputs):
    only_zero = params(ClaimsOptions(**{**params(OPTIONS), "onsets": (0.0,)}))
    rows = {r["claim"]: r for r in CLAIMS.evaluate(inputs, only_zero, "smoke")}
    assert rows["only_the_first_onset_hurts"]["verdict"] == NOT_MEASURED


def test_any_other_error_fails_the_table(inputs, tmp_path):
    broken = fake_cube(1).drop_vars("si_floor")
    inputs["baseline"][1] = write(broken, tmp_path / "broken.nc")
    with pytest.raises(KeyError, match="si_floor"):
        CLAIMS.evaluate(inputs, params(OPTIONS), "smoke")


def si_cube(seed, module_si):
    """A baseline cube whose every unit of module m has SI ``module_si[m]`` (a curve)."""
    ds = fake_cube(seed)
    si = np.stack([module_si[int(m)] for m in ds["module"].values], axis=1)
    return ds.assign(si=(("checkpoint", "unit"), si), si_floor=ds["si_floor"] * 0 + 0.01)


def test_the_spike_is_read_on_the_seed_mean_curve(tmp_path, inputs):
    """Two seeds peaking at different checkpoints: the mean of their maxima (0.3) is
    higher than the plotted mean ever gets (0.25); the claim reads the seed-mean peak."""
    flat = np.array([0.1, 0.1, 0.1, 0.1])
    curves = {0: np.array([0.1, 0.3, 0.2, 0.15]), 1: np.array([0.1, 0.2, 0.3, 0.15])}
    inputs["baseline"] = [
        write(si_cube(s, {4: curves[s], 5: curves[s], 6: curves[s], 7: flat}), tmp_path / f"{s}.nc")
        for s in (0, 1)
    ]
    ctx = CLAIMS.load(inputs, params(OPTIONS))
    result = CLAIMS["modules45_spike_and_recede"].measure(ctx)
    peak = result.values["module 4 peak (batch 5)"]  # the first of the two tied mean maxima
    assert peak == [0.3, 0.2]  # each seed at the seed-mean peak, not at its own maximum
    recession = next(c for c in result.checks if c.name == "module 4 peak - end")
    assert recession.estimate.value == pytest.approx(0.1)  # 0.25 - 0.15, not 0.3 - 0.15
    assert recession.per_seed == pytest.approx((0.15, 0.05))


def test_accuracy_difference_joins_the_seed_and_the_image_intervals():
    a, b = np.array([0.90, 0.91, 0.92]), np.array([0.88, 0.885, 0.89])
    wide = accuracy_difference(a, b, n_images=100)
    narrow = accuracy_difference(a, b, n_images=100_000)
    seeds = stats.paired_difference(a, b)
    assert wide.value == narrow.value == pytest.approx(0.025)
    # few images: the binomial error dominates; many: the spread over seeds does
    assert wide.low < seeds.low and wide.high > seeds.high
    assert (narrow.low, narrow.high) == pytest.approx((seeds.low, seeds.high))
    assert wide.low < 0 < narrow.low
