"""The samplesets paper's claims on cubes built at the default size (config.yaml).

Builds the claims table (and what it needs: 9 runs, ~15-25 minutes on 2 cores) on
Fashion-MNIST from Debian's package (skipped when it is not installed). Set
TRAINSCOPE_CLAIMS_WORKDIR to a directory to reuse (and incrementally update) a build,
e.g. the repository itself after `snakemake --cores 2 results/claims/samplesets.csv`.
"""

import csv
import os
from pathlib import Path

import pytest

from workflow_scripts.datasets.idx import DEBIAN
from workflow_scripts.samplesets.claims import CLAIMS
from workflow_scripts.samplesets.plan import build_plan
from workflow_scripts.study import load_config

from ..snakemake_runner import run_snakemake

pytestmark = [pytest.mark.claims, pytest.mark.workflow]
CLAIMS_CSV = "results/claims/samplesets.csv"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    workdir = os.environ.get("TRAINSCOPE_CLAIMS_WORKDIR")
    workdir = Path(workdir) if workdir else tmp_path_factory.mktemp("samplesets_default")
    workdir.mkdir(parents=True, exist_ok=True)
    if not Path(DEBIAN["fashion_mnist"][1]).is_dir() and not (workdir / "data").is_dir():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    run_snakemake(workdir, "datasets_install_fashion_mnist", configfiles=(), timeout=600)
    run_snakemake(workdir, CLAIMS_CSV, configfiles=(), timeout=3600)
    plan = build_plan(load_config(validate=False))
    inputs = {
        role: [str(workdir / p) for p in paths] for role, paths in plan.claims_inputs().items()
    }
    table = {row["claim"]: row for row in csv.DictReader(open(workdir / CLAIMS_CSV))}
    return CLAIMS.load(inputs, plan.claims_options()), table


@pytest.mark.parametrize("key", [c.key for c in CLAIMS])
def test_claim_holds_at_default_size(ctx, key):
    context, table = ctx
    result = CLAIMS[key].measure(context)
    assert result.holds, result.values
    assert table[key]["verdict"] == "reproduced" and table[key]["size"] == "default"
