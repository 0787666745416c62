# The race study ("It's not a lottery, it's a race"): data -> stacked training ->
# IMP rounds -> cubes (dynamics, similarity, stable cells) -> figures and Table 1.
# Ids, paths and the input/params functions are methods of the plan
# (workflow_scripts/race/plan.py).
from workflow_scripts.race.plan import FIGURES as RACE_FIGURES
from workflow_scripts.race.plan import build_plan as build_race_plan

RACE = register_study("race", build_race_plan(config))
RACE_RESOURCES = config["race"]["resources"]


rule race_data:
    output:
        "results/race/data/{data_id}.pt",
    log:
        "results/logs/race/data/{data_id}.log",
    benchmark:
        "results/benchmarks/race/data/{data_id}.tsv"
    wildcard_constraints:
        data_id=one_of(RACE.datasets),
    localrule: True
    conda:
        CONDA_ENV
    params:
        spec=RACE.data_spec,
        code=stage_code("race_data"),
    script:
        RUN_SCRIPT


rule race_train:
    input:
        data=RACE.stack_data,
    output:
        directory("results/race/stacks/{stack_id}"),
    log:
        "results/logs/race/train/{stack_id}.log",
    benchmark:
        "results/benchmarks/race/train/{stack_id}.tsv"
    wildcard_constraints:
        stack_id=one_of(RACE.stacks),
    conda:
        CONDA_ENV
    threads: RACE_RESOURCES["train"]["threads"]
    resources:
        **job_resources(RACE_RESOURCES["train"]),
    params:
        spec=RACE.stack_spec,
        device=config["device"],
        code=stage_code("race_train"),
    script:
        RUN_SCRIPT


rule race_imp_round:
    input:
        unpack(RACE.imp_inputs),
    output:
        run="results/race/imp/{imp_id}/round{r}.pt",
        masks="results/race/imp/{imp_id}/masks{r}.pt",
    log:
        "results/logs/race/imp/{imp_id}/round{r}.log",
    benchmark:
        "results/benchmarks/race/imp/{imp_id}/round{r}.tsv"
    wildcard_constraints:
        imp_id=one_of(RACE.imp),
        r=one_of(range(1, RACE.rounds + 1)),
    conda:
        CONDA_ENV
    threads: RACE_RESOURCES["imp"]["threads"]
    resources:
        **job_resources(RACE_RESOURCES["imp"]),
    params:
        spec=RACE.imp_spec,
        device=config["device"],
        code=stage_code("race_imp_round"),
    script:
        RUN_SCRIPT


rule race_extract:
    input:
        unpack(RACE.extract_inputs),
    output:
        dynamics="results/race/cubes/{cube_id}.dynamics.nc",
        similarity="results/race/cubes/{cube_id}.similarity.nc",
    log:
        "results/logs/race/extract/{cube_id}.log",
    benchmark:
        "results/benchmarks/race/extract/{cube_id}.tsv"
    wildcard_constraints:
        cube_id=one_of(RACE.cubes),
    conda:
        CONDA_ENV
    threads: RACE_RESOURCES["extract"]["threads"]
    resources:
        **job_resources(RACE_RESOURCES["extract"]),
    params:
        spec=RACE.extract_spec,
        code=stage_code("race_extract"),
    script:
        RUN_SCRIPT


rule race_stable_cells:
    input:
        data=RACE.stable_cells_data,
    output:
        stable_cells="results/race/cubes/{stable_id}.stable_cells.nc",
    log:
        "results/logs/race/stable_cells/{stable_id}.log",
    benchmark:
        "results/benchmarks/race/stable_cells/{stable_id}.tsv"
    wildcard_constraints:
        stable_id=one_of(RACE.stable),
    conda:
        CONDA_ENV
    threads: RACE_RESOURCES["stable_cells"]["threads"]
    resources:
        **job_resources(RACE_RESOURCES["stable_cells"]),
    params:
        spec=RACE.stable_cells_spec,
        device=config["device"],
        code=stage_code("race_stable_cells"),
    script:
        RUN_SCRIPT


rule race_figure:
    input:
        unpack(RACE.figure_inputs),
    output:
        report(
            "results/figs/race/{fig}.pdf",
            caption="../report/race/figure.rst",
            category="race: it's not a lottery, it's a race",
        ),
    log:
        "results/logs/race/figures/{fig}.log",
    wildcard_constraints:
        fig=one_of(RACE_FIGURES),
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
        **RACE.table_inputs(),
    output:
        csv=report(
            "results/tables/race/table1.csv",
            caption="../report/race/table1.rst",
            category="race: it's not a lottery, it's a race",
        ),
        tex="results/tables/race/table1.tex",
    log:
        "results/logs/race/figures/table1.log",
    localrule: True
    conda:
        CONDA_ENV
    params:
        code=stage_code("race_table"),
    script:
        RUN_SCRIPT
