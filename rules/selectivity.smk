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
    log:
        "results/logs/selectivity/data/{data_id}.log",
    benchmark:
        "results/benchmarks/selectivity/data/{data_id}.tsv"
    wildcard_constraints:
        data_id=one_of(SELECTIVITY.data),
    localrule: True
    conda:
        CONDA_ENV
    params:
        spec=SELECTIVITY.data_spec,
        code=stage_code("selectivity_data"),
    script:
        RUN_SCRIPT


rule selectivity_train:
    input:
        unpack(SELECTIVITY.train_inputs),
    output:
        checkpoints=directory("results/selectivity/runs/{run_id}/checkpoints"),
    log:
        "results/logs/selectivity/train/{run_id}.log",
    benchmark:
        "results/benchmarks/selectivity/train/{run_id}.tsv"
    wildcard_constraints:
        run_id=one_of(SELECTIVITY.runs),
    conda:
        CONDA_ENV
    threads: SELECTIVITY_RESOURCES["train"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["train"]),
    params:
        spec=SELECTIVITY.train_spec,
        device=config["device"],
        code=stage_code("selectivity_train"),
    script:
        RUN_SCRIPT


rule selectivity_extract:
    input:
        unpack(SELECTIVITY.extract_inputs),
    output:
        "results/selectivity/parts/{extract_id}/{part}.extract.nc",
    log:
        "results/logs/selectivity/extract/{extract_id}/{part}.log",
    benchmark:
        "results/benchmarks/selectivity/extract/{extract_id}/{part}.tsv"
    wildcard_constraints:
        extract_id=one_of(SELECTIVITY.extracts),
        part=one_of(SELECTIVITY.parts),
    conda:
        CONDA_ENV
    threads: SELECTIVITY_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["extract"]),
    params:
        spec=SELECTIVITY.extract_spec,
        device=config["device"],
        code=stage_code("selectivity_extract"),
    script:
        RUN_SCRIPT


rule selectivity_ablate:
    input:
        unpack(SELECTIVITY.ablate_inputs),
    output:
        "results/selectivity/parts/{cube_id}/{part}.ablate.nc",
    log:
        "results/logs/selectivity/ablate/{cube_id}/{part}.log",
    benchmark:
        "results/benchmarks/selectivity/ablate/{cube_id}/{part}.tsv"
    wildcard_constraints:
        cube_id=one_of(SELECTIVITY.ablated_cubes),
        part=one_of(SELECTIVITY.parts),
    conda:
        CONDA_ENV
    threads: SELECTIVITY_RESOURCES["ablate"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["ablate"]),
    params:
        spec=SELECTIVITY.ablate_spec,
        device=config["device"],
        code=stage_code("selectivity_ablate"),
    script:
        RUN_SCRIPT


rule selectivity_merge:
    input:
        unpack(SELECTIVITY.merge_inputs),
    output:
        cube="results/selectivity/cubes/{cube_id}.nc",
    log:
        "results/logs/selectivity/merge/{cube_id}.log",
    benchmark:
        "results/benchmarks/selectivity/merge/{cube_id}.tsv"
    wildcard_constraints:
        cube_id=one_of(SELECTIVITY.cubes),
    conda:
        CONDA_ENV
    threads: SELECTIVITY_RESOURCES["merge"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["merge"]),
    params:
        spec=SELECTIVITY.merge_spec,
        code=stage_code("selectivity_merge"),
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
    log:
        "results/logs/selectivity/figures/{fig}.log",
    wildcard_constraints:
        fig=one_of(SELECTIVITY_FIGURES),
    localrule: True
    conda:
        CONDA_ENV
    params:
        options=SELECTIVITY.figure_options,
        code=stage_code("selectivity_figure"),
    script:
        RUN_SCRIPT
