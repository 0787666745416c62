# The samplesets study (evolution of sample-set clusters): data split -> training
# (checkpoints) -> cubes (counts and metrics; binary activations of named runs) ->
# figures and the grid table. Ids, paths and the input/params functions are methods of
# the plan (workflow_scripts/samplesets/plan.py). Priorities: the estimated seconds of the
# job (samplesets/cost.py), so the longest jobs start first.
from workflow_scripts.samplesets.plan import build_plan as build_samplesets_plan
from workflow_scripts.samplesets.figure_specs import FIGURES as SAMPLESETS_FIGURES

SAMPLESETS = register_study("samplesets", build_samplesets_plan(config))
SAMPLESETS_RESOURCES = config["samplesets"]["resources"]


rule samplesets_data:
    output:
        SAMPLESETS.paths.data("{data_id}", "npz"),
    log:
        SAMPLESETS.paths.log("data", "{data_id}"),
    benchmark:
        SAMPLESETS.paths.benchmark("data", "{data_id}")
    wildcard_constraints:
        data_id=one_of(SAMPLESETS.datasets),
    localrule: True
    conda:
        CONDA_ENV
    params:
        spec=SAMPLESETS.data_params,
        code=stage_code("samplesets_data"),
    script:
        RUN_SCRIPT


rule samplesets_train:
    input:
        unpack(SAMPLESETS.train_inputs),
    output:
        directory(SAMPLESETS.paths.checkpoints("{run_id}")),
    log:
        SAMPLESETS.paths.log("train", "{run_id}"),
    benchmark:
        SAMPLESETS.paths.benchmark("train", "{run_id}")
    wildcard_constraints:
        run_id=one_of(SAMPLESETS.runs),
    priority: SAMPLESETS.train_priority
    conda:
        CONDA_ENV
    threads: SAMPLESETS_RESOURCES["train"]["threads"]
    resources:
        **job_resources(SAMPLESETS_RESOURCES["train"]),
    params:
        spec=SAMPLESETS.train_params,
        device=SAMPLESETS.device,
        code=stage_code("samplesets_train"),
    script:
        RUN_SCRIPT


rule samplesets_extract:
    input:
        unpack(SAMPLESETS.extract_inputs),
    output:
        SAMPLESETS.paths.cube("{cube_id}"),
    log:
        SAMPLESETS.paths.log("extract", "{cube_id}"),
    benchmark:
        SAMPLESETS.paths.benchmark("extract", "{cube_id}")
    wildcard_constraints:
        cube_id=one_of(SAMPLESETS.cubes),
    priority: SAMPLESETS.extract_priority
    conda:
        CONDA_ENV
    threads: SAMPLESETS_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(SAMPLESETS_RESOURCES["extract"]),
    params:
        spec=SAMPLESETS.extract_params,
        device=SAMPLESETS.device,
        code=stage_code("samplesets_extract"),
    script:
        RUN_SCRIPT


rule samplesets_activations:
    input:
        unpack(SAMPLESETS.activations_inputs),
    output:
        SAMPLESETS.activations_file("{act_id}"),
    log:
        SAMPLESETS.paths.log("activations", "{act_id}"),
    benchmark:
        SAMPLESETS.paths.benchmark("activations", "{act_id}")
    wildcard_constraints:
        act_id=one_of(SAMPLESETS.activations),
    priority: SAMPLESETS.activations_priority
    conda:
        CONDA_ENV
    threads: SAMPLESETS_RESOURCES["activations"]["threads"]
    resources:
        **job_resources(SAMPLESETS_RESOURCES["activations"]),
    params:
        spec=SAMPLESETS.activations_params,
        device=SAMPLESETS.device,
        code=stage_code("samplesets_activations"),
    script:
        RUN_SCRIPT


rule samplesets_table:
    input:
        unpack(SAMPLESETS.table_inputs),
    output:
        report(
            SAMPLESETS.paths.table("{table}"),
            caption="../report/samplesets/grid_table.rst",
            category="samplesets: sample-set clusters",
        ),
    log:
        SAMPLESETS.paths.log("table", "{table}"),
    wildcard_constraints:
        table=one_of(SAMPLESETS.tables),
    localrule: True
    conda:
        CONDA_ENV
    params:
        options=SAMPLESETS.table_options,
        code=stage_code("samplesets_table"),
    script:
        RUN_SCRIPT


rule samplesets_figure:
    input:
        unpack(SAMPLESETS.figure_inputs),
    output:
        report(
            SAMPLESETS.paths.figure("{fig}"),
            caption="../report/samplesets/figure.rst",
            category="samplesets: sample-set clusters",
        ),
    log:
        SAMPLESETS.paths.log("figures", "{fig}"),
    wildcard_constraints:
        fig=one_of(SAMPLESETS_FIGURES),
    localrule: True
    conda:
        CONDA_ENV
    params:
        options=SAMPLESETS.figure_options,
        code=stage_code("samplesets_figure"),
    script:
        RUN_SCRIPT
