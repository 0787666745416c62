# The selectivity study (class-selective units in early training): data -> train (one
# run per seed and regulariser setting) -> extract (SI, noise floor, CKA) / ablate, per
# group of checkpoints -> merge (the run's cube) -> figures. Ids, paths and the
# input/params functions are methods of the plan (workflow_scripts/selectivity/plan.py).
from workflow_scripts.selectivity.plan import build_plan as build_selectivity_plan
from workflow_scripts.selectivity.figure_specs import FIGURES as SELECTIVITY_FIGURES

SELECTIVITY = register_study("selectivity", build_selectivity_plan(config))
SELECTIVITY_PATHS = SELECTIVITY.paths
SELECTIVITY_RESOURCES = config["selectivity"]["resources"]


rule selectivity_data:
    output:
        SELECTIVITY_PATHS.data("{data_id}", "npz"),
    log:
        SELECTIVITY_PATHS.log("data", "{data_id}"),
    benchmark:
        SELECTIVITY_PATHS.benchmark("data", "{data_id}")
    wildcard_constraints:
        data_id=one_of(SELECTIVITY.datasets),
    localrule: True
    conda:
        CONDA_ENV
    params:
        spec=SELECTIVITY.data_params,
        code=stage_code("selectivity_data"),
    script:
        RUN_SCRIPT


rule selectivity_train:
    input:
        unpack(SELECTIVITY.train_inputs),
    output:
        checkpoints=directory(SELECTIVITY_PATHS.checkpoints("{run_id}")),
    log:
        SELECTIVITY_PATHS.log("train", "{run_id}"),
    benchmark:
        SELECTIVITY_PATHS.benchmark("train", "{run_id}")
    wildcard_constraints:
        run_id=one_of(SELECTIVITY.runs),
    priority: SELECTIVITY.train_priority
    conda:
        CONDA_ENV
    threads: SELECTIVITY_RESOURCES["train"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["train"]),
    params:
        spec=SELECTIVITY.train_params,
        device=SELECTIVITY.device,
        code=stage_code("selectivity_train"),
    script:
        RUN_SCRIPT


rule selectivity_extract:
    input:
        unpack(SELECTIVITY.extract_inputs),
    output:
        SELECTIVITY.part_file("{extract_id}", "{part}", "extract"),
    log:
        SELECTIVITY_PATHS.log("extract", "{extract_id}/{part}"),
    benchmark:
        SELECTIVITY_PATHS.benchmark("extract", "{extract_id}/{part}")
    wildcard_constraints:
        extract_id=one_of(SELECTIVITY.extracts),
        part=one_of(SELECTIVITY.parts),
    priority: SELECTIVITY.extract_priority
    conda:
        CONDA_ENV
    threads: SELECTIVITY_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["extract"]),
    params:
        spec=SELECTIVITY.extract_params,
        device=SELECTIVITY.device,
        code=stage_code("selectivity_extract"),
    script:
        RUN_SCRIPT


rule selectivity_ablate:
    input:
        unpack(SELECTIVITY.ablate_inputs),
    output:
        SELECTIVITY.part_file("{cube_id}", "{part}", "ablate"),
    log:
        SELECTIVITY_PATHS.log("ablate", "{cube_id}/{part}"),
    benchmark:
        SELECTIVITY_PATHS.benchmark("ablate", "{cube_id}/{part}")
    wildcard_constraints:
        cube_id=one_of(SELECTIVITY.ablated_cubes),
        part=one_of(SELECTIVITY.parts),
    priority: SELECTIVITY.ablate_priority
    conda:
        CONDA_ENV
    threads: SELECTIVITY_RESOURCES["ablate"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["ablate"]),
    params:
        spec=SELECTIVITY.ablate_params,
        device=SELECTIVITY.device,
        code=stage_code("selectivity_ablate"),
    script:
        RUN_SCRIPT


rule selectivity_merge:
    input:
        unpack(SELECTIVITY.merge_inputs),
    output:
        cube=SELECTIVITY_PATHS.cube("{cube_id}"),
    log:
        SELECTIVITY_PATHS.log("merge", "{cube_id}"),
    benchmark:
        SELECTIVITY_PATHS.benchmark("merge", "{cube_id}")
    wildcard_constraints:
        cube_id=one_of(SELECTIVITY.cubes),
    conda:
        CONDA_ENV
    threads: SELECTIVITY_RESOURCES["merge"]["threads"]
    resources:
        **job_resources(SELECTIVITY_RESOURCES["merge"]),
    params:
        spec=SELECTIVITY.merge_params,
        code=stage_code("selectivity_merge"),
    script:
        RUN_SCRIPT


rule selectivity_figure:
    input:
        unpack(SELECTIVITY.figure_inputs),
    output:
        report(
            SELECTIVITY_PATHS.figure("{fig}"),
            caption="../report/selectivity/figure.rst",
            category="selectivity: class-selective units in early training",
        ),
    log:
        SELECTIVITY_PATHS.log("figures", "{fig}"),
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
