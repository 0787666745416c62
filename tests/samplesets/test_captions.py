"""Captions read the resolved options only (never the config): numbers follow them."""

from types import SimpleNamespace

import jinja2
import pytest

from workflow_scripts.samplesets import plan as sp
from workflow_scripts.study import REPO

from ..configs import study_config

REPORT = REPO / "report" / "samplesets"


def render(name, options, **wildcards):
    template = jinja2.Template((REPORT / name).read_text())
    smk = SimpleNamespace(
        wildcards=SimpleNamespace(**wildcards), params=SimpleNamespace(options=options), config={}
    )
    return " ".join(template.render(snakemake=smk).split())


@pytest.fixture(scope="module")
def plan():
    return sp.build_plan(study_config("configs/smoke.yaml"))


def test_the_onset_share_and_the_setup_come_from_the_options(plan):
    options = plan.figure_options(SimpleNamespace(fig="fig3"))
    text = render("figure.rst", options, fig="fig3")
    assert "at least 5 % of its total drop" in text and "``3x16_ce``" in text
    assert "mean over 2 seeds" in text and "batch 60, 5 epochs" in text
    other = {**options, "onset_fraction": 0.1, "setup": {**options["setup"], "epochs": 2.5}}
    text = render("figure.rst", other, fig="fig3")
    assert "at least 10 % of its total drop" in text and "batch 60, 2.5 epochs" in text


def test_the_grid_table_caption_reads_its_options(plan):
    options = plan.table_options(SimpleNamespace(table="grid"))
    text = render("grid_table.rst", options, table="grid")
    assert "(depth, width, loss: 3x16_ce, 2x16_mse)" in text
    assert "over 2 seeds after 5 epochs on fashion_mnist" in text and "stays 5 %" in text
    text = render("grid_table.rst", {**options, "onset_fraction": 0.2}, table="grid")
    assert "stays 20 %" in text
