"""The wtm paper's claims, checked on cubes built at the default size (config.yaml).

Builds every wtm target once (a few minutes on 2 cores). Set TRAINSCOPE_CLAIMS_WORKDIR
to a directory to reuse (and incrementally update) a build between test sessions.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from .snakemake_runner import WTM_FIGURES, run_snakemake
from workflow_scripts.store.cube import open_cube
from workflow_scripts.wtm import metrics

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def default_results(tmp_path_factory):
    workdir = os.environ.get("TRAINSCOPE_CLAIMS_WORKDIR")
    workdir = Path(workdir) if workdir else tmp_path_factory.mktemp("default")
    workdir.mkdir(parents=True, exist_ok=True)
    run_snakemake(workdir, *WTM_FIGURES, configfiles=(), timeout=3600)
    return workdir / "results" / "wtm"


def cube(results, name):
    (path,) = (results / "cubes").glob(f"{name}-*.nc")
    return open_cube(path)


def test_wtm_spread_grows_in_the_negative_derivative_class(default_results):
    spread = metrics.wtm_spread(cube(default_results, "good"), n_neurons=5, k=3)
    neg, pos = spread["negative"], spread["positive"]
    growth_neg = float(neg.isel(epoch=-1).mean() / neg.isel(epoch=0).mean())
    growth_pos = float(pos.isel(epoch=-1).mean() / pos.isel(epoch=0).mean())
    assert growth_neg > 3.0, growth_neg
    assert growth_neg > 2 * growth_pos, (growth_neg, growth_pos)
    # in every one of the 5 most influential neurons, not only on average
    assert (neg.isel(epoch=-1) > 2 * neg.isel(epoch=0)).all()


def test_ablations_reach_clearly_lower_test_accuracy(default_results):
    full = metrics.final_test_accuracy(cube(default_results, "good"))
    for name in ("linear", "one_neuron", "low_noise"):
        ablated = metrics.final_test_accuracy(cube(default_results, name))
        assert ablated < full - 0.03, (name, ablated, full)


def test_difficult_group_share_of_the_loss_rises_and_dominates(default_results):
    share, _ = metrics.loss_share(cube(default_results, "good"), fraction=0.25)
    assert float(share.isel(epoch=0)) == pytest.approx(0.25, abs=0.05)  # at init ~ its size
    assert float(share.isel(epoch=-1)) > float(share.isel(epoch=0)) + 0.15
    crossed = metrics.first_epoch_above(share, 0.5)
    assert crossed is not None and crossed <= 50, crossed


def test_moderate_training_noise_generalises_better_than_high(default_results):
    acc = {}
    for path in (default_results / "evals").glob("*.nc"):
        ds = open_cube(path)
        acc[float(ds.attrs["sigma_train"])] = ds["test_accuracy"].values
        sigma_test = ds["sigma_test"].values
    assert set(acc) >= {0.4, 1.2}
    # better on (almost) every test noise level, and clearly better on average
    assert np.mean(acc[0.4] >= acc[1.2]) >= 0.9
    assert acc[0.4].mean() > acc[1.2].mean() + 0.03
    assert acc[0.4][np.argmin(abs(sigma_test - 0.4))] > acc[1.2][np.argmin(abs(sigma_test - 0.4))] + 0.05
