"""The claims table's logic on small synthetic cubes: one row per claim, "not measured"
only where the inputs cannot measure a claim by design (with the reason), any other
error fails the table."""

import pytest

from workflow_scripts.claims import NOT_MEASURED, NotMeasured
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
    assert {r["verdict"] for r in rows} <= {"reproduced", "not reproduced"}
    assert all(r["measured"] for r in rows)


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
