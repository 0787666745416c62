import pytest

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.study import REPO, study_names

from .configs import study_config


def load(*overlays):
    return study_config(*overlays, validate=False)


OVERLAYS = sorted(f"configs/{p.name}" for p in (REPO / "configs").glob("*.yaml"))


# the external study's overlays name checkpoint files a user creates first (its plan checks
# they exist): tests/external/test_configs.py validates them with their files present
SELF_CONTAINED = [o for o in OVERLAYS if not o.startswith("configs/external_")]


@pytest.mark.parametrize("overlay", [None, *SELF_CONTAINED])
def test_default_and_every_overlay_are_valid(overlay):
    validate_config(load(*([overlay] if overlay else [])))


def test_every_overlay_that_changes_results_names_its_own_variant():
    variants = [load(o)["variant"] for o in OVERLAYS]
    assert "default" not in variants and len(set(variants)) == len(variants)


BAD = [
    (lambda c: c["wtm"]["train"].update(colour="red"), "unknown config key wtm.train.colour"),
    (lambda c: c.update(extra=1), "unknown config key extra"),
    (lambda c: c["wtm"]["runs"]["good"].update(sigma_train=-0.4), "wtm.runs.good.sigma_train"),
    (lambda c: c["wtm"]["data"].update(train_per_pattern=-3), "wtm.data.train_per_pattern"),
    (lambda c: c["wtm"]["data"].update(n_features="500"), "wtm.data.n_features"),
    (lambda c: c.update(default_study="lottery"), "default_study"),
    (lambda c: c.update(size="huge"), "config key size"),
    (lambda c: c.update(variant="my variant"), "config key variant"),
    (lambda c: c.update(resume_every_s=-1), "config key resume_every_s"),
    (lambda c: c["wtm"]["train"].update(optimizer="adam"), "wtm.train.optimizer"),
    (lambda c: c["wtm"]["train"].pop("lr"), "missing config key wtm.train.lr"),
    (lambda c: c.pop("race"), "missing config key race"),
    (lambda c: c["wtm"]["figures"]["fig2"].update(run="nope"), "wtm.figures.fig2"),
    (lambda c: c["wtm"]["extract"].update(sigma_test=-1), "wtm.extract.sigma_test"),
    (lambda c: c["wtm"]["resources"]["train"].update(threads=0), "wtm.resources.train.threads"),
    (
        lambda c: c["race"]["resources"]["imp"].update(mem="2G"),
        "unknown config key race.resources.imp.mem",
    ),
    (lambda c: c["race"]["extract"].update(weighting="weighted"), "race.extract.weighting"),
    (lambda c: c["race"]["extract"].update(class_method="votes"), "race.extract.class_method"),
]


@pytest.mark.parametrize("mutate,message", BAD, ids=[m for _, m in BAD])
def test_bad_values_are_rejected_naming_the_key(mutate, message):
    config = load()
    mutate(config)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        validate_config(config)


def test_default_study_accepts_exactly_the_studies_that_exist():
    for name in study_names():
        config = load()
        config["default_study"] = name
        validate_config(config)
    config = load()
    config["default_study"] = "lottery"
    with pytest.raises(ConfigError, match="default_study: 'lottery' is not one of"):
        validate_config(config)
