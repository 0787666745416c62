# The winner-take-most study: data -> train -> extract (cubes) / noise eval -> figures.
# Ids, paths and the input/params functions are methods of the plan
# (workflow_scripts/wtm/plan.py).
from workflow_scripts.wtm.plan import FIGURES as WTM_FIGURES
from workflow_scripts.wtm.plan import build_plan as build_wtm_plan

WTM = register_study("wtm", build_wtm_plan(config))
WTM_RESOURCES = config["wtm"]["resources"]


rule wtm_data:
    output:
        "results/wtm/data/{data_id}/{split}.npz",
    log:
        "results/logs/wtm/data/{data_id}/{split}.log",
    benchmark:
        "results/benchmarks/wtm/data/{data_id}/{split}.tsv"
    wildcard_constraints:
        data_id=one_of(WTM.datasets),
        split="train|test",
    localrule: True
    conda:
        CONDA_ENV
    params:
        spec=WTM.data_spec,
        code=stage_code("wtm_data"),
    script:
        RUN_SCRIPT


rule wtm_train:
    input:
        data=WTM.train_data,
    output:
        checkpoints=directory("results/wtm/runs/{run_id}/checkpoints"),
    log:
        "results/logs/wtm/train/{run_id}.log",
    benchmark:
        "results/benchmarks/wtm/train/{run_id}.tsv"
    wildcard_constraints:
        run_id=one_of(WTM.runs),
    conda:
        CONDA_ENV
    threads: WTM_RESOURCES["train"]["threads"]
    resources:
        **job_resources(WTM_RESOURCES["train"]),
    params:
        spec=WTM.train_spec,
        device=config["device"],
        code=stage_code("wtm_train"),
    script:
        RUN_SCRIPT


rule wtm_extract:
    input:
        unpack(WTM.extract_inputs),
    output:
        cube="results/wtm/cubes/{cube_id}.nc",
    log:
        "results/logs/wtm/extract/{cube_id}.log",
    benchmark:
        "results/benchmarks/wtm/extract/{cube_id}.tsv"
    wildcard_constraints:
        cube_id=one_of(WTM.cubes),
    conda:
        CONDA_ENV
    threads: WTM_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(WTM_RESOURCES["extract"]),
    params:
        spec=WTM.extract_spec,
        code=stage_code("wtm_extract"),
    script:
        RUN_SCRIPT


rule wtm_noise_eval:
    input:
        unpack(WTM.noise_eval_inputs),
    output:
        cube="results/wtm/evals/{eval_id}.nc",
    log:
        "results/logs/wtm/noise_eval/{eval_id}.log",
    benchmark:
        "results/benchmarks/wtm/noise_eval/{eval_id}.tsv"
    wildcard_constraints:
        eval_id=one_of(WTM.evals),
    conda:
        CONDA_ENV
    threads: 1
    resources:
        **job_resources(WTM_RESOURCES["extract"]),
    params:
        spec=WTM.noise_eval_spec,
        code=stage_code("wtm_noise_eval"),
    script:
        RUN_SCRIPT


rule wtm_figure:
    input:
        unpack(WTM.figure_inputs),
    output:
        report(
            "results/figs/wtm/{fig}.pdf",
            caption="../report/wtm/figure.rst",
            category="wtm: winner-take-most",
        ),
    log:
        "results/logs/wtm/figures/{fig}.log",
    wildcard_constraints:
        fig=one_of(WTM_FIGURES),
    localrule: True
    conda:
        CONDA_ENV
    params:
        options=WTM.figure_options,
        code=stage_code("wtm_figure"),
    script:
        RUN_SCRIPT
