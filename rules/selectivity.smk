# The selectivity study (class-selective units in early training): data -> train (one
# run per seed and regulariser setting) -> extract (SI, noise floor, CKA) / ablate, per
# group of checkpoints -> merge (the run's cube) -> figures. Ids, paths and the
# input/params functions are methods of the plan (workflow_scripts/selectivity/plan.py).
from workflow_scripts.selectivity.plan import FIGURES as SELECTIVITY_FIGURES
from workflow_scripts.selectivity.plan import build_plan as build_selectivity_plan

SELECTIVITY = register_study("selectivity", build_selectivity_plan(config))
SELECTIVITY_RESOURCES = config["selectivity"]["resources"]


rule selectivity_data:
    output:
        "results/selectivity/data/{data_id}.npz",
    params:
        spec=SELECTIVITY.data_spec,
        code=stage_code("selectivity_data"),
    wildcard_constraints:
        data_id=one_of(SELECTIVITY.data),
    log:
        "results/logs/selectivity/data/{data_id}.log",
    benchmark:
        "results/benchmarks/selectivity/data/{data_id}.tsv"
    localrule: True
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule selectivity_train:
    input:
        unpack(SELECTIVITY.train_inputs),
    output:
        checkpoints=directory("results/selectivity/runs/{run_id}/checkpoints"),
    params:
        spec=SELECTIVITY.train_spec,
        device=config["device"],
        code=stage_code("selectivity_train"),
    wildcard_constraints:
        run_id=one_of(SELECTIVITY.runs),
    threads: SELECTIVITY_RESOURCES["train"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["train"]),
    log:
        "results/logs/selectivity/train/{run_id}.log",
    benchmark:
        "results/benchmarks/selectivity/train/{run_id}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule selectivity_extract:
    input:
        unpack(SELECTIVITY.extract_inputs),
    output:
        "results/selectivity/parts/{extract_id}/{part}.extract.nc",
    params:
        spec=SELECTIVITY.extract_spec,
        device=config["device"],
        code=stage_code("selectivity_extract"),
    wildcard_constraints:
        extract_id=one_of(SELECTIVITY.extracts),
        part=one_of(SELECTIVITY.parts),
    threads: SELECTIVITY_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["extract"]),
    log:
        "results/logs/selectivity/extract/{extract_id}/{part}.log",
    benchmark:
        "results/benchmarks/selectivity/extract/{extract_id}/{part}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule selectivity_ablate:
    input:
        unpack(SELECTIVITY.ablate_inputs),
    output:
        "results/selectivity/parts/{cube_id}/{part}.ablate.nc",
    params:
        spec=SELECTIVITY.ablate_spec,
        device=config["device"],
        code=stage_code("selectivity_ablate"),
    wildcard_constraints:
        cube_id=one_of(SELECTIVITY.ablated_cubes),
        part=one_of(SELECTIVITY.parts),
    threads: SELECTIVITY_RESOURCES["ablate"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["ablate"]),
    log:
        "results/logs/selectivity/ablate/{cube_id}/{part}.log",
    benchmark:
        "results/benchmarks/selectivity/ablate/{cube_id}/{part}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule selectivity_merge:
    input:
        unpack(SELECTIVITY.merge_inputs),
    output:
        cube="results/selectivity/cubes/{cube_id}.nc",
    params:
        spec=SELECTIVITY.merge_spec,
        code=stage_code("selectivity_merge"),
    wildcard_constraints:
        cube_id=one_of(SELECTIVITY.cubes),
    threads: SELECTIVITY_RESOURCES["merge"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["merge"]),
    log:
        "results/logs/selectivity/merge/{cube_id}.log",
    benchmark:
        "results/benchmarks/selectivity/merge/{cube_id}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule selectivity_figure:
    input:
        unpack(SELECTIVITY.figure_inputs),
    output:
        report(
            "results/figs/selectivity/{fig}.pdf",
            caption="../report/selectivity/figure.rst",
            category="selectivity: class-selective units in early training",
        ),
    params:
        options=SELECTIVITY.figure_options,
        code=stage_code("selectivity_figure"),
    wildcard_constraints:
        fig=one_of(SELECTIVITY_FIGURES),
    log:
        "results/logs/selectivity/figures/{fig}.log",
    localrule: True
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT
