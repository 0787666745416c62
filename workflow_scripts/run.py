"""The one script every rule runs: dispatch to the entry point of the rule's stage.

Snakemake's ``script:`` directive executes a file outside of any package, so the
stage modules (which use package-relative imports) are imported from here by name.
Each entry point is ``main(snakemake)``: it reads input/output/params/log only.
"""

import importlib

ENTRY_POINTS = {
    "wtm_data": "workflow_scripts.wtm.data",
    "wtm_train": "workflow_scripts.wtm.train",
    "wtm_extract": "workflow_scripts.wtm.extract",
    "wtm_noise_eval": "workflow_scripts.wtm.evaluate",
    "wtm_figure": "workflow_scripts.figures.wtm",
    # the race module's main dispatches on the rule name itself
    **{rule: "workflow_scripts.race.entry" for rule in (
        "race_data", "race_install_fashion_mnist", "race_train", "race_imp_round",
        "race_extract", "race_stable_cells", "race_figure", "race_table")},
}


def run(smk):
    try:
        module_name = ENTRY_POINTS[smk.rule]
    except KeyError:
        raise SystemExit(f"no entry point for rule {smk.rule!r} in workflow_scripts/run.py") from None
    importlib.import_module(module_name).main(smk)


if "snakemake" in globals():
    run(snakemake)  # noqa: F821 - injected by Snakemake's script directive
