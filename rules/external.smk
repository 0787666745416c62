# The external study (runs this workflow did not train): per (run, checkpoint) a measure job
# (selectivity, sample sets, CKA: one pass) and an ablate job, per (run, metric) a light
# merge into the run's cube, per (run, metric) a figure. Ids, paths and the input/params
# functions are methods of the plan (workflow_scripts/external/plan.py).
from workflow_scripts.external.plan import build_plan as build_external_plan
from workflow_scripts.external.figure_specs import FIGURES as EXTERNAL_FIGURES

EXTERNAL = register_study("external", build_external_plan(config))
EXTERNAL_RESOURCES = config["external"]["resources"]


rule external_measure:
    input:
        unpack(EXTERNAL.measure_inputs),
    output:
        EXTERNAL.part("{measure_id}", "{ckpt}", "measure"),
    log:
        EXTERNAL.paths.log("measure", "{measure_id}/{ckpt}"),
    benchmark:
        EXTERNAL.paths.benchmark("measure", "{measure_id}/{ckpt}")
    wildcard_constraints:
        measure_id=one_of(EXTERNAL.measures),
        ckpt=one_of(EXTERNAL.labels),
    conda:
        CONDA_ENV
    threads: EXTERNAL_RESOURCES["measure"]["threads"]
    resources:
        **job_resources(EXTERNAL_RESOURCES["measure"]),
    params:
        spec=EXTERNAL.measure_params,
        device=EXTERNAL.device,
        code=stage_code("external_measure"),
    script:
        RUN_SCRIPT


rule external_ablate:
    input:
        unpack(EXTERNAL.ablate_inputs),
    output:
        EXTERNAL.part("{ablate_id}", "{ckpt}", "ablation"),
    log:
        EXTERNAL.paths.log("ablate", "{ablate_id}/{ckpt}"),
    benchmark:
        EXTERNAL.paths.benchmark("ablate", "{ablate_id}/{ckpt}")
    wildcard_constraints:
        ablate_id=one_of(EXTERNAL.ablates),
        ckpt=one_of(EXTERNAL.labels),
    conda:
        CONDA_ENV
    threads: EXTERNAL_RESOURCES["ablate"]["threads"]
    resources:
        **job_resources(EXTERNAL_RESOURCES["ablate"]),
    params:
        spec=EXTERNAL.ablate_params,
        device=EXTERNAL.device,
        code=stage_code("external_ablate"),
    script:
        RUN_SCRIPT


rule external_merge:
    input:
        unpack(EXTERNAL.merge_inputs),
    output:
        EXTERNAL.paths.cube("{cube_id}", "{metric}"),
    log:
        EXTERNAL.paths.log("merge", "{cube_id}.{metric}"),
    benchmark:
        EXTERNAL.paths.benchmark("merge", "{cube_id}.{metric}")
    wildcard_constraints:
        cube_id=one_of({c["cube_id"] for c in EXTERNAL.cubes.values()}),
        metric=one_of({c["metric"] for c in EXTERNAL.cubes.values()}),
    conda:
        CONDA_ENV
    threads: EXTERNAL_RESOURCES["merge"]["threads"]
    resources:
        **job_resources(EXTERNAL_RESOURCES["merge"]),
    params:
        spec=EXTERNAL.merge_params,
        code=stage_code("external_merge"),
    script:
        RUN_SCRIPT


rule external_figure:
    input:
        unpack(EXTERNAL.figure_inputs),
    output:
        report(
            EXTERNAL.figure("{run}", "{fig}"),
            caption="../report/external/figure.rst",
            category="external: runs this workflow did not train",
        ),
    log:
        EXTERNAL.paths.log("figures", f"{VARIANT}/{{run}}/{{fig}}"),
    wildcard_constraints:
        run=one_of(EXTERNAL.runs),
        fig=one_of(EXTERNAL_FIGURES),
    localrule: True
    conda:
        CONDA_ENV
    params:
        options=EXTERNAL.figure_options,
        code=stage_code("external_figure"),
    script:
        RUN_SCRIPT
