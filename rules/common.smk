# Shared by every study: config validation, the conda env, resource scaling, the
# results/figs/fig<N>.pdf alias and wildcard helpers.
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.runtime import code_digest

try:
    validate_config(config, Path(workflow.basedir) / "schemas")
except ConfigError as err:
    raise WorkflowError(str(err)) from None

CONDA_ENV = "../envs/trainscope.yaml"
RUN_SCRIPT = "../workflow_scripts/run.py"


def one_of(ids):
    """A wildcard regex matching exactly the known ids (unknown targets: no rule matches)."""
    return "|".join(re.escape(i) for i in sorted(ids)) or "(?!)"


def by_attempt(amount):
    """Resource callable: a retried job (out of memory or time) asks for more."""
    return lambda wildcards, attempt: int(amount) * attempt


rule default_study_figure:
    input:
        lambda wc: f"results/figs/{config['default_study']}/fig{wc.n}.pdf",
    output:
        "results/figs/fig{n}.pdf",
    wildcard_constraints:
        n=r"\d+",
    log:
        "results/logs/figs/fig{n}.log",
    localrule: True
    conda:
        CONDA_ENV
    shell:
        "cp {input} {output} 2> {log}"
