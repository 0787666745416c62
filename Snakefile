# trainscope: neuron-level training dynamics as an incremental artifact store.
#   snakemake --cores 8 results/figs/fig4.pdf      figure 4 of the default study
#   snakemake --cores 8                            every figure, table and claims table
#   snakemake --report report.html                 what has been built so far, captioned
# A study plugs in with one include line below (README: "Adding a study").
import os

from snakemake.utils import min_version

min_version("9.0")


# config.yaml beside this file, whatever the working directory (-d); overlays given
# with --configfile are merged on top of it
configfile: os.path.join(workflow.basedir, "config.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/wtm.smk"
include: "rules/race.smk"
include: "rules/samplesets.smk"
include: "rules/selectivity.smk"
include: "rules/external.smk"
include: "rules/shared.smk"


rule all:
    default_target: True
    input:
        study_targets(),


# results/index.csv: every built artifact with its parameters (workflow_scripts.store.catalog)
onsuccess:
    refresh_catalog()
