# Shared by every study and naming none: config validation, the registry the studies'
# rules files fill, wildcard and resource helpers, per-stage code digests.
import re
import sys

from snakemake.exceptions import WorkflowError

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.entry import stage_code
from workflow_scripts.store import paths
from workflow_scripts.study import all_targets, variant

try:
    validate_config(config)
except ConfigError as err:
    raise WorkflowError(str(err)) from None

CONDA_ENV = "../envs/trainscope.yaml"
VARIANT = variant(config)
RUN_SCRIPT = "../workflow_scripts/run.py"
# study name -> its plan; rules/<study>.smk registers it, `rule all` builds its targets,
# the shared rules (rules/shared.smk) give it a claims table and a catalog entry
STUDIES = {}


def register_study(name, plan):
    STUDIES[name] = plan
    return plan


def study_targets():
    return all_targets(STUDIES, sys.argv)


def one_of(ids):
    """A wildcard regex matching exactly the known ids (unknown targets: no rule matches)."""
    return "|".join(re.escape(str(i)) for i in sorted(ids)) or "(?!)"


def by_attempt(amount):
    """Resource callable: a retried job (out of memory or time) asks for more."""
    return lambda wildcards, attempt: int(amount) * attempt


def job_resources(res):
    """A stage's config resources {gpu, threads, mem_mb, runtime} as rule resources."""
    return {
        "gpu": res.get("gpu", 0),
        "mem_mb": by_attempt(res["mem_mb"]),
        "runtime": by_attempt(res["runtime"]),
    }


def refresh_catalog():
    from workflow_scripts.store.catalog import refresh
    from workflow_scripts.study import catalog_artifacts

    refresh(catalog_artifacts(STUDIES))


# -- input/params functions of the shared rules (rules/shared.smk)


def default_study_figure(wildcards):
    return STUDIES[config["default_study"]].paths.figure(f"fig{wildcards.n}")


def claims_inputs(wildcards):
    return STUDIES[wildcards.study].claims_inputs()


def claims_options(wildcards):
    return STUDIES[wildcards.study].claims_options()


def claims_code(wildcards):
    return stage_code("claims_table", f"workflow_scripts.{wildcards.study}.claims")
