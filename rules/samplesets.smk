# The samplesets study (evolution of sample-set clusters): data split -> training
# (checkpoints) -> cubes (counts and metrics; binary activations of named runs) ->
# figures and the grid table. Ids, paths and the input/params functions are methods of
# the plan (workflow_scripts/samplesets/plan.py).
from workflow_scripts.samplesets.plan import FIGURES as SAMPLESETS_FIGURES
from workflow_scripts.samplesets.plan import build_plan as build_samplesets_plan

SAMPLESETS = register_study("samplesets", build_samplesets_plan(config))
SAMPLESETS_RESOURCES = config["samplesets"]["resources"]


rule samplesets_data:
    output:
        "results/samplesets/data/{data_id}.npz",
    log:
        "results/logs/samplesets/data/{data_id}.log",
    benchmark:
        "results/benchmarks/samplesets/data/{data_id}.tsv"
    wildcard_constraints:
        data_id=one_of([SAMPLESETS.data_id]),
    localrule: True
    conda:
        CONDA_ENV
    params:
        spec=SAMPLESETS.data_spec,
        code=stage_code("samplesets_data"),
    script:
        RUN_SCRIPT


rule samplesets_train:
    input:
        data=SAMPLESETS.train_data,
    output:
        directory("results/samplesets/runs/{run_id}"),
    log:
        "results/logs/samplesets/train/{run_id}.log",
    benchmark:
        "results/benchmarks/samplesets/train/{run_id}.tsv"
    wildcard_constraints:
        run_id=one_of(SAMPLESETS.runs),
    conda:
        CONDA_ENV
    threads: SAMPLESETS_RESOURCES["train"]["threads"]
    resources:
        **job_resources(SAMPLESETS_RESOURCES["train"]),
    params:
        spec=SAMPLESETS.train_spec,
        device=config["device"],
        code=stage_code("samplesets_train"),
    script:
        RUN_SCRIPT


rule samplesets_extract:
    input:
        unpack(SAMPLESETS.extract_inputs),
    output:
        "results/samplesets/cubes/{cube_id}.nc",
    log:
        "results/logs/samplesets/extract/{cube_id}.log",
    benchmark:
        "results/benchmarks/samplesets/extract/{cube_id}.tsv"
    wildcard_constraints:
        cube_id=one_of(SAMPLESETS.cubes),
    conda:
        CONDA_ENV
    threads: SAMPLESETS_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(SAMPLESETS_RESOURCES["extract"]),
    params:
        spec=SAMPLESETS.extract_spec,
        device=config["device"],
        code=stage_code("samplesets_extract"),
    script:
        RUN_SCRIPT


rule samplesets_activations:
    input:
        unpack(SAMPLESETS.activations_inputs),
    output:
        "results/samplesets/activations/{act_id}.nc",
    log:
        "results/logs/samplesets/activations/{act_id}.log",
    benchmark:
        "results/benchmarks/samplesets/activations/{act_id}.tsv"
    wildcard_constraints:
        act_id=one_of(SAMPLESETS.activations),
    conda:
        CONDA_ENV
    threads: SAMPLESETS_RESOURCES["activations"]["threads"]
    resources:
        **job_resources(SAMPLESETS_RESOURCES["activations"]),
    params:
        spec=SAMPLESETS.activations_spec,
        device=config["device"],
        code=stage_code("samplesets_activations"),
    script:
        RUN_SCRIPT


rule samplesets_table:
    input:
        unpack(SAMPLESETS.table_inputs),
    output:
        report(
            "results/tables/samplesets/grid.csv",
            caption="../report/samplesets/grid_table.rst",
            category="samplesets: sample-set clusters",
        ),
    log:
        "results/logs/samplesets/table/grid.log",
    localrule: True
    conda:
        CONDA_ENV
    params:
        code=stage_code("samplesets_table"),
    script:
        RUN_SCRIPT


rule samplesets_figure:
    input:
        unpack(SAMPLESETS.figure_inputs),
    output:
        report(
            "results/figs/samplesets/{fig}.pdf",
            caption="../report/samplesets/figure.rst",
            category="samplesets: sample-set clusters",
        ),
    log:
        "results/logs/samplesets/figures/{fig}.log",
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
