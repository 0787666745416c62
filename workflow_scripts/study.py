"""What the shared code knows of a study: found by convention, never by name.

A study ``<s>`` is a schema ``schemas/<s>.schema.yaml``, a config block ``<s>:``, a
package ``workflow_scripts/<s>/`` and a rules file ``rules/<s>.smk`` (README, "Adding a
study"). Its package provides:

- ``plan.py``: ``build_plan(config)`` returning the study's plan, and
  ``config_problems(config)`` returning the cross-field problems of a schema-valid
  config (messages naming the keys), checked before any job runs. The plan object
  answers ``targets()`` (what ``rule all`` builds), ``claims_inputs()`` and
  ``claims_options()`` (the named files and the options ``results/claims/<s>.csv`` is
  computed from) and ``artifacts()`` (every file it plans, for the catalog). No torch, matplotlib or seaborn import.
- ``stages.py``: the adapters the rules run (``workflow_scripts.entry``).
- ``claims.py``: ``CLAIMS``, the paper's claims as functions on cubes.
"""

import copy
import importlib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA_DIR = REPO / "schemas"
SHARED_SCHEMAS = ("config", "common")


def study_names(schema_dir=SCHEMA_DIR):
    names = (p.name.split(".")[0] for p in Path(schema_dir).glob("*.schema.yaml"))
    return sorted(n for n in names if n not in SHARED_SCHEMAS)


def plan_module(study):
    return importlib.import_module(f"workflow_scripts.{study}.plan")


def build_plans(config):
    return {s: plan_module(s).build_plan(config) for s in study_names() if s in config}


def merge(base, overlay):
    """Overlay a config on another, as Snakemake merges --configfile files."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(*overlays, validate=True):
    """config.yaml with the overlays applied in order (file paths), validated."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for overlay in overlays:
        config = merge(config, yaml.safe_load(Path(overlay).read_text()) or {})
    if validate:
        from .config_check import validate_config

        validate_config(config)
    return config


def claims_table(study):
    """The claims table every study gets from the shared rule ``claims_table``."""
    return f"results/claims/{study}.csv"


def all_targets(plans, argv=()):
    """What ``rule all`` builds: each study's targets and claims table.

    ``snakemake --report`` needs every report-marked output of its DAG on disk; for a
    report of what has been built so far, only the targets that exist are asked for
    then (Snakemake offers no setting for this; its command line is the only signal).
    """
    targets = [t for name, plan in plans.items() for t in [*plan.targets(), claims_table(name)]]
    return [t for t in targets if Path(t).exists()] if report_mode(argv) else targets


def report_mode(argv):
    return any(a == "--report" or a.startswith("--report=") for a in argv)


def catalog_artifacts(plans):
    """Everything the studies plan, plus the claims table each study gets (catalog)."""
    from .store.catalog import Artifact

    out = [a for plan in plans.values() for a in plan.artifacts()]
    out += [
        Artifact(name, "claims", name, claims_table(name), "csv", {}, plan.claims_options())
        for name, plan in plans.items()
    ]
    return out
