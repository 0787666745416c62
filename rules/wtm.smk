# The winner-take-most study: data -> train -> extract (cubes) / noise eval -> figures.
# Ids, paths and the input/params functions are methods of the plan
# (workflow_scripts/wtm/plan.py).
from workflow_scripts.wtm.plan import build_plan as build_wtm_plan
from workflow_scripts.wtm.figure_specs import FIGURES as WTM_FIGURES

WTM = register_study("wtm", build_wtm_plan(config))
WTM_RESOURCES = config["wtm"]["resources"]


rule wtm_data:
    output:
        WTM.paths.data("{data_id}", "npz", split="{split}"),
    log:
        WTM.paths.log("data", "{data_id}/{split}"),
    benchmark:
        WTM.paths.benchmark("data", "{data_id}/{split}")
    wildcard_constraints:
        data_id=one_of(WTM.datasets),
        split="train|test",
    localrule: True
    conda:
        CONDA_ENV
    params:
        spec=WTM.data_params,
        code=stage_code("wtm_data"),
    script:
        RUN_SCRIPT


rule wtm_train:
    input:
        unpack(WTM.train_inputs),
    output:
        checkpoints=directory(WTM.paths.checkpoints("{run_id}")),
    log:
        WTM.paths.log("train", "{run_id}"),
    benchmark:
        WTM.paths.benchmark("train", "{run_id}")
    wildcard_constraints:
        run_id=one_of(WTM.runs),
    priority: WTM.train_priority
    conda:
        CONDA_ENV
    threads: WTM_RESOURCES["train"]["threads"]
    resources:
        **job_resources(WTM_RESOURCES["train"]),
    params:
        spec=WTM.train_params,
        device=WTM.device,
        code=stage_code("wtm_train"),
    script:
        RUN_SCRIPT


rule wtm_extract:
    input:
        unpack(WTM.extract_inputs),
    output:
        cube=WTM.paths.cube("{cube_id}"),
    log:
        WTM.paths.log("extract", "{cube_id}"),
    benchmark:
        WTM.paths.benchmark("extract", "{cube_id}")
    wildcard_constraints:
        cube_id=one_of(WTM.cubes),
    conda:
        CONDA_ENV
    threads: WTM_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(WTM_RESOURCES["extract"]),
    params:
        spec=WTM.extract_params,
        code=stage_code("wtm_extract"),
    script:
        RUN_SCRIPT


rule wtm_noise_eval:
    input:
        unpack(WTM.noise_eval_inputs),
    output:
        cube=WTM.eval_file("{eval_id}"),
    log:
        WTM.paths.log("noise_eval", "{eval_id}"),
    benchmark:
        WTM.paths.benchmark("noise_eval", "{eval_id}")
    wildcard_constraints:
        eval_id=one_of(WTM.evals),
    conda:
        CONDA_ENV
    threads: 1
    resources:
        **job_resources(WTM_RESOURCES["extract"]),
    params:
        spec=WTM.noise_eval_params,
        code=stage_code("wtm_noise_eval"),
    script:
        RUN_SCRIPT


rule wtm_figure:
    input:
        unpack(WTM.figure_inputs),
    output:
        report(
            WTM.paths.figure("{fig}"),
            caption="../report/wtm/figure.rst",
            category="wtm: winner-take-most",
        ),
    log:
        WTM.paths.log("figures", "{fig}"),
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
