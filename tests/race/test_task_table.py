"""The race task table (``race/task.py``) on hand-made dynamics cubes with known numbers."""

import csv
import math

import numpy as np
import pytest
import xarray as xr

from workflow_scripts.race.task import FIELDS, loss_drop_step, task_rows, task_table

DENSE = [0, 50, 100, 150, 200]


def _dyn(times, loss, final_accuracy):
    acc = np.linspace(0.5, final_accuracy, len(times))
    return xr.Dataset(
        {
            "train_loss": ("time", np.asarray(loss, dtype=np.float64)),
            "test_accuracy": ("time", acc),
        },
        coords={"time": np.asarray(times, dtype=np.int64)},
    )


def _record(sigma0, N, seed, times, loss, final_accuracy):
    return {
        "run_id": f"s{sigma0}-N{N}-seed{seed}",
        "sigma0": sigma0,
        "N": N,
        "seed": seed,
        "dynamics": _dyn(times, loss, final_accuracy),
    }


# half the initial loss 0.8 is 0.4 (exact in binary, so "at most half" is tested at equality)
DROPS_AT_150 = [0.8, 0.6, 0.41, 0.4, 0.1]  # 0.41 is above half: the drop is at 150, not 100
DROPS_AT_50 = [0.8, 0.3, 0.2, 0.15, 0.1]
NEVER = [0.8, 0.7, 0.6, 0.5, 0.45]


@pytest.fixture
def records():
    return [
        # sigma0 1e-5, N 200: three seeds, two of which drop (at 150 and 50)
        _record(1e-5, 200, 0, DENSE, DROPS_AT_150, 0.8),
        _record(1e-5, 200, 1, DENSE, DROPS_AT_50, 0.9),
        _record(1e-5, 200, 2, DENSE, NEVER, 0.7),
        # sigma0 1e-3, N 200: one seed, dense up to 1000 then log-spaced dumps
        _record(
            1e-3,
            200,
            0,
            [0, 500, 1000, 1274, 1623, 2000],
            [0.6, 0.5, 0.4, 0.31, 0.29, 0.2],
            0.75,
        ),
        # sigma0 1e-3, N 800: no seed's loss halves
        _record(1e-3, 800, 0, DENSE, NEVER, 0.6),
        _record(1e-3, 800, 1, DENSE, NEVER, 0.62),
    ]


def test_loss_drop_step_is_the_first_dump_at_half_the_initial_loss():
    assert loss_drop_step(_dyn(DENSE, DROPS_AT_150, 0.9)) == 150
    assert loss_drop_step(_dyn(DENSE, DROPS_AT_50, 0.9)) == 50
    assert math.isnan(loss_drop_step(_dyn(DENSE, NEVER, 0.9)))
    # a log-spaced dump: the coordinate's step, not the index
    assert loss_drop_step(_dyn([0, 1000, 1274, 1623], [0.6, 0.4, 0.31, 0.29], 0.9)) == 1623
    # a diverged (NaN) loss is not a drop
    assert math.isnan(loss_drop_step(_dyn(DENSE, [0.8, np.nan, np.nan, 0.5, 0.6], 0.9)))


def test_loss_drop_step_needs_the_loss_at_step_0():
    with pytest.raises(ValueError, match="run r7: its first dumped step is 50, not 0"):
        loss_drop_step(_dyn([50, 100], [0.8, 0.1], 0.9), run_id="r7")


def test_task_rows_per_cell(records):
    rows = {(r["sigma0"], r["N"]): r for r in task_rows(records)}
    assert list(rows) == [(1e-5, 200), (1e-3, 200), (1e-3, 800)]

    three = rows[(1e-5, 200)]
    assert three["n_seeds"] == 3 and three["n_loss_dropped"] == 2
    # median and range over the two runs that drop (150 and 50)
    assert three["loss_drop_step_median"] == 100
    assert (three["loss_drop_step_min"], three["loss_drop_step_max"]) == (50, 150)
    # final accuracies 0.8, 0.9, 0.7: mean 0.8, sd 0.1; t(0.975, 2 dof) = 4.302653
    half_width = 4.302653 * 0.1 / math.sqrt(3)
    assert three["test_accuracy_mean"] == pytest.approx(0.8)
    assert three["test_accuracy_low"] == pytest.approx(0.8 - half_width, abs=1e-6)
    assert three["test_accuracy_high"] == pytest.approx(0.8 + half_width, abs=1e-6)
    assert three["train_loss_start_mean"] == pytest.approx(0.8)
    assert three["train_loss_end_mean"] == pytest.approx((0.1 + 0.1 + 0.45) / 3)

    one = rows[(1e-3, 200)]
    assert one["n_seeds"] == 1 and one["loss_drop_step_median"] == 1623
    assert one["test_accuracy_mean"] == pytest.approx(0.75)
    # one seed: nothing is known of the spread
    assert (one["test_accuracy_low"], one["test_accuracy_high"]) == (-math.inf, math.inf)

    never = rows[(1e-3, 800)]
    assert never["n_loss_dropped"] == 0
    assert all(math.isnan(never[f"loss_drop_step_{s}"]) for s in ("median", "min", "max"))
    assert never["test_accuracy_mean"] == pytest.approx(0.61)


def test_task_table_writes_one_csv_row_per_cell(records, tmp_path):
    out = tmp_path / "tables" / "task.csv"
    task_table(records, out)
    with open(out) as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == FIELDS
        rows = list(reader)
    assert [(float(r["sigma0"]), int(r["N"])) for r in rows] == [
        (1e-5, 200),
        (1e-3, 200),
        (1e-3, 800),
    ]
    assert rows[0]["loss_drop_step_median"] == "100" and rows[0]["n_loss_dropped"] == "2"
    assert float(rows[0]["test_accuracy_low"]) == pytest.approx(0.551586, abs=1e-6)
    assert (rows[1]["test_accuracy_low"], rows[1]["test_accuracy_high"]) == ("-inf", "inf")
    assert rows[2]["loss_drop_step_median"] == "nan"
    assert not list(out.parent.glob(".*tmp"))  # written atomically
