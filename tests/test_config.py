from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.wtm.plan import build_plan

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"


def load(*overlays):
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for overlay in overlays:
        update_config(config, yaml.safe_load((REPO / overlay).read_text()))
    return config


@pytest.mark.parametrize("overlays", [(), ("configs/smoke.yaml",), ("configs/paper.yaml",)])
def test_default_and_overlays_are_valid(overlays):
    validate_config(load(*overlays), SCHEMAS)


BAD = [
    (lambda c: c["wtm"]["train"].update(colour="red"), "unknown config key wtm.train.colour"),
    (lambda c: c.update(extra=1), "unknown config key extra"),
    (lambda c: c["wtm"]["runs"]["good"].update(sigma_train=-0.4), "wtm.runs.good.sigma_train"),
    (lambda c: c["wtm"]["data"].update(train_per_pattern=-3), "wtm.data.train_per_pattern"),
    (lambda c: c["wtm"]["data"].update(n_features="500"), "wtm.data.n_features"),
    (lambda c: c.update(default_study="lottery"), "default_study"),
    (lambda c: c["wtm"]["train"].update(optimizer="adam"), "wtm.train.optimizer"),
    (lambda c: c["wtm"]["train"].pop("lr"), "missing config key wtm.train.lr"),
    (lambda c: c["wtm"]["figures"]["fig2"].update(run="nope"), "wtm.figures.fig2"),
    (lambda c: c["wtm"]["extract"].update(sigma_test=-1), "wtm.extract.sigma_test"),
]


@pytest.mark.parametrize("mutate,message", BAD, ids=[m for _, m in BAD])
def test_bad_values_are_rejected_naming_the_key(mutate, message):
    config = load()
    mutate(config)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        validate_config(config, SCHEMAS)


def test_plan_ids_follow_parameters():
    base = build_plan(load())
    # the 'good' run and the sigma_train 0.4 run of the noise sweep are one run
    good = base.named_runs["good"]
    assert any(e["run_id"] == good for e in base.evals.values())
    changed_config = load()
    changed_config["wtm"]["runs"]["bad"]["sigma_train"] = 1.1
    changed = build_plan(changed_config)
    assert changed.named_runs["bad"] != base.named_runs["bad"]
    for name in ("good", "linear", "one_neuron", "low_noise"):
        assert changed.named_runs[name] == base.named_runs[name]
        assert changed.run_cube[name] == base.run_cube[name]
    # different parameters never share an id
    specs = {}
    for plan in (base, changed, build_plan(load("configs/smoke.yaml"))):
        for run_id, run in plan.runs.items():
            assert specs.setdefault(run_id, run["spec"]) == run["spec"]
