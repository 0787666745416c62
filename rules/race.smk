# The race study ("It's not a lottery, it's a race"): data -> stacked training ->
# IMP rounds -> cubes (dynamics, similarity, stable cells) -> figures, Table 1 and
# the task table (accuracy, loss-drop step: how hard the task is).
# Ids, paths and the input/params functions are methods of the plan
# (workflow_scripts/race/plan.py).
from workflow_scripts.race.plan import build_plan as build_race_plan

RACE = register_study("race", build_race_plan(config))
RACE_RESOURCES = config["race"]["resources"]
RACE_CATEGORY = "race: it's not a lottery, it's a race"


rule race_data:
    output:
        RACE.data_file("{data_id}"),
    log:
        RACE.paths.log("data", "{data_id}"),
    benchmark:
        RACE.paths.benchmark("data", "{data_id}")
    wildcard_constraints:
        data_id=one_of(RACE.datasets),
    localrule: True
    conda:
        CONDA_ENV
    params:
        spec=RACE.data_params,
        code=stage_code("race_data"),
    script:
        RUN_SCRIPT


rule race_train:
    input:
        unpack(RACE.train_inputs),
    output:
        directory(RACE.stack_dir("{stack_id}")),
    log:
        RACE.paths.log("train", "{stack_id}"),
    benchmark:
        RACE.paths.benchmark("train", "{stack_id}")
    wildcard_constraints:
        stack_id=one_of(RACE.stacks),
    priority: RACE.train_priority
    conda:
        CONDA_ENV
    threads: RACE_RESOURCES["train"]["threads"]
    resources:
        **job_resources(RACE_RESOURCES["train"]),
    params:
        spec=RACE.train_params,
        device=RACE.device,
        code=stage_code("race_train"),
    script:
        RUN_SCRIPT


rule race_imp_round:
    input:
        unpack(RACE.imp_round_inputs),
    output:
        run=RACE.imp_file("{imp_id}", "{r}"),
        masks=RACE.imp_file("{imp_id}", "{r}", "masks"),
    log:
        RACE.paths.log("imp", "{imp_id}/round{r}"),
    benchmark:
        RACE.paths.benchmark("imp", "{imp_id}/round{r}")
    wildcard_constraints:
        imp_id=one_of(RACE.imp),
        r=one_of(range(1, RACE.rounds + 1)),
    priority: RACE.imp_round_priority
    conda:
        CONDA_ENV
    threads: RACE_RESOURCES["imp"]["threads"]
    resources:
        **job_resources(RACE_RESOURCES["imp"]),
    params:
        spec=RACE.imp_round_params,
        device=RACE.device,
        code=stage_code("race_imp_round"),
    script:
        RUN_SCRIPT


rule race_extract:
    input:
        unpack(RACE.extract_inputs),
    output:
        **RACE.cube_files("{cube_id}"),
    log:
        RACE.paths.log("extract", "{cube_id}"),
    benchmark:
        RACE.paths.benchmark("extract", "{cube_id}")
    wildcard_constraints:
        cube_id=one_of(RACE.cubes),
    conda:
        CONDA_ENV
    threads: RACE_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(RACE_RESOURCES["extract"]),
    params:
        spec=RACE.extract_params,
        code=stage_code("race_extract"),
    script:
        RUN_SCRIPT


rule race_stable_cells:
    input:
        unpack(RACE.stable_cells_inputs),
    output:
        stable_cells=RACE.stable_cells_file("{stable_id}"),
    log:
        RACE.paths.log("stable_cells", "{stable_id}"),
    benchmark:
        RACE.paths.benchmark("stable_cells", "{stable_id}")
    wildcard_constraints:
        stable_id=one_of(RACE.stable_cells),
    priority: RACE.stable_cells_priority
    conda:
        CONDA_ENV
    threads: RACE_RESOURCES["stable_cells"]["threads"]
    resources:
        **job_resources(RACE_RESOURCES["stable_cells"]),
    params:
        spec=RACE.stable_cells_params,
        device=RACE.device,
        code=stage_code("race_stable_cells"),
    script:
        RUN_SCRIPT


rule race_figure:
    input:
        unpack(RACE.figure_inputs),
    output:
        report(
            RACE.paths.figure("{fig}"),
            caption="../report/race/figure.rst",
            category=RACE_CATEGORY,
        ),
    log:
        RACE.paths.log("figures", "{fig}"),
    wildcard_constraints:
        fig=one_of(RACE.figures),
    localrule: True
    conda:
        CONDA_ENV
    params:
        options=RACE.figure_options,
        code=stage_code("race_figure"),
    script:
        RUN_SCRIPT


rule race_table:
    input:
        unpack(RACE.table_inputs),
    output:
        csv=report(
            RACE.paths.table("table1", "csv"),
            caption="../report/race/table1.rst",
            category=RACE_CATEGORY,
        ),
        tex=RACE.paths.table("table1", "tex"),
        task=report(
            RACE.paths.table("task", "csv"),
            caption="../report/race/task.rst",
            category=RACE_CATEGORY,
        ),
    log:
        RACE.paths.log("figures", "table1"),
    localrule: True
    conda:
        CONDA_ENV
    params:
        options=RACE.table_options,
        code=stage_code("race_table"),
    script:
        RUN_SCRIPT
