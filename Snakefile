# trainscope: neuron-level training dynamics as an incremental artifact store.
#   snakemake --cores 8 results/figs/fig4.pdf      figure 4 of the default study
#   snakemake --cores 8                            every figure of every study
#   snakemake --report report.html                 the figures built so far, captioned
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
include: "rules/figures.smk"


rule all:
    default_target: True
    input:
        all_targets(WTM_FIGURES, RACE_FIGURES, RACE_TABLES),
