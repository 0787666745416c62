"""What the shared code knows of a study: found by convention, never by name.

A study ``<s>`` is a schema ``schemas/<s>.schema.yaml``, a config block ``<s>:``, a
package ``workflow_scripts/<s>/``, a rules file ``rules/<s>.smk``, captions under
``report/<s>/``, a docs page and tests under ``tests/<s>/`` (docs: architecture, "Adding a
study"; ``STUDY_FILES`` lists them and the contract test checks it). Its package provides:

- ``plan.py``: ``build_plan(config)`` returning a ``Plan`` (below); no torch, matplotlib
  or seaborn import;
- ``checks.py``: ``config_problems(config)``, the cross-field problems of a schema-valid
  config (messages naming the keys), checked before any job runs;
- ``specs.py``: the frozen dataclasses of its resolved parameters;
- ``figure_specs.py``: ``FIGURES``, each figure's name -> its options dataclass (every
  default there), in a module of its own so that editing a figure default reruns only
  the figures (no training or extraction stage imports it);
- ``stages.py``: the adapters the rules run (``workflow_scripts.entry``);
- ``figures.py``: one plotting function per name of ``FIGURES``;
- ``claims.py``: ``CLAIMS``, the paper's claims as functions on cubes.
"""

import importlib
from pathlib import Path
from typing import Protocol

from .store.paths import DEFAULT_VARIANT, StudyPaths, claims_table

REPO = Path(__file__).resolve().parents[1]
SCHEMA_DIR = REPO / "schemas"
SHARED_SCHEMAS = ("config", "common")
# the files a study adds (``{s}``: its name); no shared file needs an edit, except the
# Snakefile's one include line and a block in each size's config
STUDY_FILES = (
    "schemas/{s}.schema.yaml",
    "rules/{s}.smk",
    "workflow_scripts/{s}/__init__.py",
    "workflow_scripts/{s}/plan.py",
    "workflow_scripts/{s}/checks.py",
    "workflow_scripts/{s}/specs.py",
    "workflow_scripts/{s}/figure_specs.py",
    "workflow_scripts/{s}/stages.py",
    "workflow_scripts/{s}/figures.py",
    "workflow_scripts/{s}/claims.py",
    "report/{s}/figure.rst",
    "docs/studies/{s}.md",
    "tests/{s}/__init__.py",
)
SHARED_EDITS = ("Snakefile", "config.yaml", "configs/smoke.yaml", "configs/paper.yaml")


class Plan(Protocol):
    """The one interface of every study's plan (``<study>/plan.py``), with fixed names.

    Ids are readable labels plus a hash of the resolved parameters (``store.ids``);
    records are the study's own (dicts or dataclasses). Input and params functions of the
    rules take the job's ``wildcards``.
    """

    config: dict
    paths: StudyPaths
    device: str  # "cpu" or "cuda", resolved once (runtime.plan_device)
    datasets: dict  # data_id -> data spec
    runs: dict  # run_id -> run record
    cubes: dict  # cube_id -> cube record
    cube_of: dict  # run_id -> cube_id (the run's main cube)

    def figure_inputs(self, wildcards) -> dict: ...

    def figure_options(self, wildcards) -> dict: ...

    def claims_inputs(self) -> dict: ...

    def claims_options(self) -> dict: ...

    def targets(self) -> list: ...

    def artifacts(self) -> list: ...


def study_names(schema_dir=SCHEMA_DIR):
    names = (p.name.split(".")[0] for p in Path(schema_dir).glob("*.schema.yaml"))
    return sorted(n for n in names if n not in SHARED_SCHEMAS)


def study_module(study, name):
    return importlib.import_module(f"workflow_scripts.{study}.{name}")


def build_plans(config):
    return {s: study_module(s, "plan").build_plan(config) for s in study_names() if s in config}


def variant(config):
    return config.get("variant", DEFAULT_VARIANT)


def all_targets(plans, argv=()):
    """What ``rule all`` builds: each study's targets and claims table.

    ``snakemake --report`` needs every report-marked output of its DAG on disk; for a
    report of what has been built so far, only the targets that exist are asked for
    then (Snakemake offers no setting for this; its command line is the only signal).
    """
    targets = [t for plan in plans.values() for t in [*plan.targets(), plan.paths.claims()]]
    return [t for t in targets if Path(t).exists()] if report_mode(argv) else targets


def report_mode(argv):
    return any(a == "--report" or a.startswith("--report=") for a in argv)


def catalog_artifacts(plans):
    """Everything the studies plan, plus the claims table each study gets (catalog)."""
    from .store.catalog import Artifact

    out = [a for plan in plans.values() for a in plan.artifacts()]
    out += [
        Artifact(
            name,
            "claims",
            name,
            claims_table(name, plan.paths.variant),
            "csv",
            {"variant": plan.paths.variant},
            plan.claims_options(),
        )
        for name, plan in plans.items()
    ]
    return out
