# Shared by every study: config validation, the conda env, resource scaling, wildcard
# helpers, and each study's artifact plan and input functions (rules stay declarative).
import os
import re
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.runtime import code_digest
from workflow_scripts.wtm.plan import build_plan

try:
    validate_config(config, Path(workflow.basedir) / "schemas")
except ConfigError as err:
    raise WorkflowError(str(err)) from None

CONDA_ENV = "../envs/trainscope.yaml"
RUN_SCRIPT = "../workflow_scripts/run.py"


def one_of(ids):
    """A wildcard regex matching exactly the known ids (unknown targets: no rule matches)."""
    return "|".join(re.escape(i) for i in sorted(ids)) or "(?!)"


# `snakemake --report` needs every report-marked output in its DAG on disk. For a
# report of what has been built so far, `all` then asks only for targets that exist
# (Snakemake offers no report setting for this; its command line is the only signal).
REPORT_BUILT_ONLY = "--report" in sys.argv


def all_targets(*groups):
    targets = [t for group in groups for t in group]
    return [t for t in targets if os.path.exists(t)] if REPORT_BUILT_ONLY else targets


def by_attempt(amount):
    """Resource callable: a retried job (out of memory or time) asks for more."""
    return lambda wildcards, attempt: int(amount) * attempt


# ---- wtm: the artifact plan (ids = hash of resolved parameters) and input functions
WTM = build_plan(config)
WTM_RES = config["wtm"]["resources"]
WTM_FIGS = config["wtm"]["figures"]
# code digests as params: Snakemake does not track imported modules, so a change to a
# stage's code changes this param and reruns exactly that stage and what follows
WTM_CODE = {
    "data": code_digest("wtm/data.py"),
    "train": code_digest("wtm/data.py", "wtm/train.py", "wtm/model.py", "wtm/layca.py"),
    "extract": code_digest(
        "wtm/data.py", "wtm/extract.py", "wtm/evaluate.py", "wtm/model.py", "wtm/train.py"
    ),
    "figures": code_digest("figures/style.py", "figures/wtm.py", "wtm/metrics.py"),
}
WTM_FIGURE_NAMES = ["fig1", "fig2", "fig3", "fig4", "noise_generalization"]
WTM_FIGURES = expand("results/figs/wtm/{fig}.pdf", fig=WTM_FIGURE_NAMES)


def wtm_data_file(data_id, split):
    return f"results/wtm/data/{data_id}/{split}.npz"


def wtm_checkpoints(run_id):
    return f"results/wtm/runs/{run_id}/checkpoints"


def wtm_cube(name):
    return f"results/wtm/cubes/{WTM.run_cube[name]}.nc"


def wtm_figure_inputs(wildcards):
    """Cubes a figure reads, keyed so the figure code can find each run by name."""
    opts = WTM_FIGS[wildcards.fig]
    if wildcards.fig == "noise_generalization":
        return {"evals": [f"results/wtm/evals/{e}.nc" for e in sorted(WTM.evals)]}
    names = opts["runs"] if "runs" in opts else [opts["run"]]
    return {name: wtm_cube(name) for name in names}
