"""The race paper's claims on cubes built at the default size (config.yaml).

Builds every race target and results/claims/race.csv once (about 20 minutes alone on
2 cores; needs Fashion-MNIST in <repo>/data/FashionMNIST/raw, see README). Set
TRAINSCOPE_CLAIMS_WORKDIR to a directory to reuse (and incrementally update) a build
between test sessions; TRAINSCOPE_RACE_OVERLAY may name extra overlays (comma
separated, e.g. configs/race_hard.yaml) for a build of another configuration. The
tests check what the claims table says against the claim functions, and what the
README states about the default build (which claims reproduce there and which do not,
with the measured reason).
"""

import os
from pathlib import Path

import pytest

from workflow_scripts.claims.table import read_table
from workflow_scripts.race.claims import CLAIMS
from workflow_scripts.race.plan import build_plan
from workflow_scripts.study import REPO, load_config

from ..snakemake_runner import run_snakemake, write_overlay

pytestmark = pytest.mark.claims

FIGS = ["fig1", "fig3", "fig4", "fig5", "fig7"]
TARGETS = [f"results/figs/race/{f}.pdf" for f in FIGS] + [
    "results/tables/race/table1.csv",
    "results/claims/race.csv",
]
DATA = REPO / "data"


def _overlays():
    extra = os.environ.get("TRAINSCOPE_RACE_OVERLAY", "")
    return [REPO / p if not Path(p).is_absolute() else Path(p) for p in extra.split(",") if p]


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    if not (DATA / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file():
        pytest.skip(
            f"Fashion-MNIST is not installed in {DATA}/FashionMNIST/raw "
            "(snakemake --cores 1 datasets_install_fashion_mnist)"
        )
    workdir = os.environ.get("TRAINSCOPE_CLAIMS_WORKDIR")
    workdir = Path(workdir) if workdir else tmp_path_factory.mktemp("race_default")
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = write_overlay(workdir / "data_dir.yaml", f"data_dir: {DATA}\n")
    configfiles = (data_dir, *_overlays())
    run_snakemake(workdir, *TARGETS, configfiles=configfiles, timeout=4 * 3600)
    return workdir, configfiles


@pytest.fixture(scope="module")
def ctx(default_build):
    workdir, configfiles = default_build
    plan = build_plan(load_config(*configfiles))
    inputs = {k: [str(workdir / p) for p in v] for k, v in plan.claims_inputs().items()}
    return CLAIMS.load(inputs, plan.claims_options())


def test_the_table_was_built_from_these_functions(default_build, ctx):
    rows = {r["claim"]: r for r in read_table(default_build[0] / "results/claims/race.csv")}
    assert list(rows) == [c.key for c in CLAIMS] and {r["size"] for r in rows.values()} == {
        "default"
    }
    for claim in CLAIMS:
        assert rows[claim.key]["verdict"] == claim.measure(ctx).verdict, claim.key


def test_the_claims_read_the_whole_default_grid_and_sweep(ctx):
    race = load_config()["race"]
    grid = race["grid"]
    assert len(ctx["grid"]) == len(grid["sigma0"]) * len(grid["n_train"]) * len(grid["seeds"])
    sweep = race["d_sweep"]
    assert len(ctx["sweep_runs"]) == len(sweep["hidden"]) * len(sweep["n_train"]) * len(
        sweep["seeds"]
    )
    assert len(ctx["cells"]) == len(grid["n_train"])


REPRODUCED_AT_DEFAULT = [
    "few_clusters",
    "medium_init_more_clusters",
    "early_alignment_predicts_norm",
    "early_alignment_predicts_pruning",
    "merge_099_costs_nothing",
    "merge_070_hurts",
]


@pytest.mark.parametrize("key", REPRODUCED_AT_DEFAULT)
def test_claims_that_reproduce_at_default_size(ctx, key):
    """README, race section: 6 of the 9 claims hold with centred inputs (the default)."""
    if _overlays():
        pytest.skip("another configuration (TRAINSCOPE_RACE_OVERLAY): see its claims table")
    result = CLAIMS[key].measure(ctx)
    assert result.holds, result.values


def test_table1_shows_both_cluster_counts(default_build):
    rows = read_table(default_build[0] / "results/tables/race/table1.csv")
    assert rows and all(float(r["k_large_mean"]) > 0 and float(r["k_mean"]) > 0 for r in rows)


def test_centred_inputs_give_several_stable_cells_that_do_not_grow(ctx):
    """README: Algorithm 1 finds 4-8 cells per sign with centred inputs (raw: 1 and 0),
    but their number does not grow with N on the easy grouping."""
    if _overlays():
        pytest.skip("another configuration (TRAINSCOPE_RACE_OVERLAY): see its claims table")
    result = CLAIMS["stable_cells"].measure(ctx)
    plus, minus = result.values["alignment +1 by N"], result.values["alignment -1 by N"]
    assert min(plus) >= 3 and min(minus) >= 3, result.values
    assert not result.holds
