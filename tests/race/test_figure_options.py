"""Each figure's options are resolved once, by the plan; the figure job, its caption, the
catalog and the claims read that one resolved value."""

import copy
from types import SimpleNamespace

import jinja2
import pytest

from workflow_scripts.config_check import validate_config
from workflow_scripts.race.figure_specs import FIGURES, TABLES, Fig4Options
from workflow_scripts.race.plan import build_plan
from workflow_scripts.specs import from_params, params
from workflow_scripts.study import REPO

from ..configs import SMOKE, study_config

CAPTIONS = REPO / "report" / "race"


@pytest.fixture
def config():
    return study_config(SMOKE)


def caption(name, options, fig=None):
    smk = SimpleNamespace(
        wildcards=SimpleNamespace(fig=fig), params=SimpleNamespace(options=options), config={}
    )
    text = jinja2.Template((CAPTIONS / name).read_text()).render(snakemake=smk)
    return " ".join(text.split())


def test_unset_options_take_one_default_everywhere(config):
    """fig4/fig5 without early_step: the dataclass default, in the figure options, the
    claims options and the caption alike (they used to say 50, 50, 50 and 500)."""
    for fig in ("fig4", "fig5"):
        config["race"]["figures"][fig].pop("early_step")
    plan = build_plan(config)
    default = Fig4Options.__dataclass_fields__["early_step"].default
    assert plan.figures["fig4"].early_step == plan.figures["fig5"].early_step == default
    assert plan.claims_options()["early_step"] == default
    assert plan.claims_options()["pruning_step"] == default
    options = plan.figure_options(SimpleNamespace(fig="fig4"))
    assert f"t = {default}," in caption("figure.rst", options, "fig4")


def test_fig5_shows_every_imp_sparsity_unless_told(config):
    config["race"]["imp"]["sparsities"] = [0.3, 0.6]
    config["race"]["figures"]["fig1"].pop("sparsity")
    config["race"]["figures"]["fig5"].pop("sparsities")
    validate_config(config)  # the checks read the resolved options: no complaint
    plan = build_plan(config)
    assert plan.figures["fig5"].sparsities == (0.3, 0.6)
    assert plan.figures["fig1"].sparsity == 0.6  # the middle one
    text = caption("figure.rst", plan.figure_options(SimpleNamespace(fig="fig5")), "fig5")
    assert "per target sparsity 0.3, 0.6" in text


def test_grid_dependent_defaults_are_resolved_in_the_plan(config):
    for fig in ("fig1", "fig3", "fig4", "fig5"):
        config["race"]["figures"][fig] = {}
    plan = build_plan(config)
    grid = config["race"]["grid"]
    f1, f3, f4 = plan.figures["fig1"], plan.figures["fig3"], plan.figures["fig4"]
    assert (f1.sigma0, f1.N, f1.seed) == (grid["sigma0"][0], grid["n_train"][0], 0)
    steps = next(iter(plan.runs.values()))["train"].checkpoint_steps
    third = len(steps) // 3
    assert f1.early_steps == (steps[0], steps[third // 2], steps[third])
    assert f1.pruning_step == f1.early_steps[-1]
    assert f3.sigmas == f4.sigmas == tuple(sorted(grid["sigma0"]))
    assert f4.Ns == tuple(sorted(grid["n_train"])) and f3.d == config["race"]["train"]["hidden"]
    assert f3.snapshot_titles == ("init", "before loss drop", "end")


def test_the_figure_job_the_catalog_and_the_caption_get_the_same_options(config):
    plan = build_plan(config)
    rows = {(a.kind, a.id): a for a in plan.artifacts()}
    for fig, cls in FIGURES.items():
        options = plan.figure_options(SimpleNamespace(fig=fig))
        assert options == params(plan.figures[fig])
        assert from_params(cls, options) == plan.figures[fig]  # what the job rebuilds
        assert rows[("figure", fig)].params == options
        assert rows[("figure", fig)].labels == {"figure": fig, "variant": "smoke"}
    assert rows[("table", "table1")].params == plan.table_options()
    assert from_params(TABLES["table1"], plan.table_options()) == plan.tables["table1"]


def test_captions_state_the_resolved_values(config):
    """Smoke: d = 16, 200 probes, 2 seeds; nothing from config.yaml's default sizes."""
    plan = build_plan(config)

    def fig(name):
        return caption("figure.rst", plan.figure_options(SimpleNamespace(fig=name)), name)

    assert "One run (N = 20, d = 16, init std 1e-05, seed 0)" in fig("fig1")
    assert "50 % target sparsity, 3 rounds" in fig("fig1")
    assert "widths d = 8, 16" in fig("fig3") and "over 2 seeds" in fig("fig3")
    assert "t = 20, one panel per init std (1e-05, 0.001) and N (20, 40), d = 16" in fig("fig4")
    assert "Algorithm 1: 200 probes" in fig("fig7") and "over 1 probe seeds" in fig("fig7")
    table = caption("table1.rst", plan.table_options())
    assert "mean +- std over 2 seeds" in table and "(d = 16)" in table
    assert "tau in 0.7 / 0.95 / 0.99" in table
    other = copy.deepcopy(config)
    other["race"]["extract"]["rel_threshold"] = 0.05
    text = caption("table1.rst", build_plan(other).table_options())
    assert "a >= 5.0 % of the largest" in text
    task = caption("task.rst", plan.table_options())
    assert "(d = 16), over 2 seeds" in task
    assert "source classes 0 + 5 vs 1 + 8" in task
