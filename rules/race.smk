# The race study ("It's not a lottery, it's a race"): data -> stacked training ->
# IMP rounds -> cubes (dynamics, similarity, stable cells) -> figures and Table 1.
# Artifact ids come from workflow_scripts.race.plan (hash of resolved parameters).
from pathlib import Path

from workflow_scripts.race.plan import FIGURES as RACE_FIGURE_NAMES
from workflow_scripts.race.plan import build_plan as build_race_plan
from workflow_scripts.race.plan import figure_records as race_figure_records
from workflow_scripts.race.plan import figure_reference_problems as race_reference_problems
from workflow_scripts.race.plan import data_file as race_data_file
from workflow_scripts.race.plan import extract_inputs as race_extract_inputs
from workflow_scripts.race.plan import imp_inputs as race_imp_inputs
from workflow_scripts.figures.race import record_paths as race_record_paths

RACE = build_race_plan(config)
RACE_PROBLEMS = race_reference_problems(RACE, config["race"])
if RACE_PROBLEMS:
    raise WorkflowError("invalid configuration:\n  " + "\n  ".join(RACE_PROBLEMS))
RACE_RES = config["race"]["resources"]
RACE_FIGS = config["race"]["figures"]
RACE_RESUME_EVERY = config["race"]["train"]["resume_every"]
RACE_CODE = {
    "data": code_digest("race/data.py", "race/entry.py"),
    "train": code_digest("race/data.py", "race/train.py", "race/entry.py"),
    "imp": code_digest("race/train.py", "race/imp.py", "race/entry.py"),
    "extract": code_digest("race/extract.py", "race/run_extract.py", "race/metrics", "race/entry.py"),
    "figures": code_digest("figures/race.py", "race/run_figures.py", "race/entry.py"),
}
RACE_FIGURES = expand("results/figs/race/{fig}.pdf", fig=RACE_FIGURE_NAMES)
RACE_TABLES = ["results/tables/race/table1.csv", "results/tables/race/table1.tex"]
RACE_ROUNDS = [str(r) for r in range(1, RACE.rounds + 1)]


rule race_data:
    output:
        "results/race/data/{data_id}.pt",
    params:
        spec=lambda wc: RACE.datasets[wc.data_id],
        code=RACE_CODE["data"],
    wildcard_constraints:
        data_id=one_of(RACE.datasets),
    log:
        "results/logs/race/data/{data_id}.log",
    benchmark:
        "results/benchmarks/race/data/{data_id}.tsv"
    localrule: True
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


# Explicit only (`snakemake --cores 1 race_install_fashion_mnist`): gunzips the idx files
# of Debian's dataset-fashion-mnist into <data_dir>/FashionMNIST/raw/. No other rule
# depends on it, so a missing data set is reported, never fetched silently.
rule race_install_fashion_mnist:
    output:
        expand(
            "{data_dir}/FashionMNIST/raw/{name}",
            data_dir=config["data_dir"],
            name=[
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte",
            ],
        ),
    params:
        # <data_dir>/FashionMNIST/raw/<file> -> <data_dir>; the Debian location is the
        # default of workflow_scripts.race.data.IDX_SOURCES
        data_dir=lambda wc, output: str(Path(output[0]).parents[2]),
        source="fashion_mnist",
    log:
        "results/logs/race/install_fashion_mnist.log",
    localrule: True
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule race_train:
    input:
        data=lambda wc: race_data_file(RACE.stacks[wc.stack_id]["data_id"]),
    output:
        directory("results/race/stacks/{stack_id}"),
    params:
        runs=lambda wc: RACE.stacks[wc.stack_id]["runs"],
        hidden=lambda wc: RACE.stacks[wc.stack_id]["hidden"],
        train=lambda wc: RACE.stacks[wc.stack_id]["train"],
        resume_every=RACE_RESUME_EVERY,
        device=config["device"],
        code=RACE_CODE["train"],
    wildcard_constraints:
        stack_id=one_of(RACE.stacks),
    threads: RACE_RES["train"]["threads"]
    resources:
        gpu=RACE_RES["train"].get("gpu", 0),
        mem_mb=by_attempt(RACE_RES["train"]["mem_mb"]),
        runtime=by_attempt(RACE_RES["train"]["runtime"]),
    log:
        "results/logs/race/train/{stack_id}.log",
    benchmark:
        "results/benchmarks/race/train/{stack_id}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule race_imp_round:
    input:
        unpack(lambda wc: race_imp_inputs(RACE, wc.imp_id, wc.r)),
    output:
        run="results/race/imp/{imp_id}/round{r}.pt",
        masks="results/race/imp/{imp_id}/masks{r}.pt",
    params:
        imp_id=lambda wc: wc.imp_id,
        run_id=lambda wc: RACE.imp[wc.imp_id]["run_id"],
        round=lambda wc: int(wc.r),
        spec=lambda wc: {k: v for k, v in RACE.imp[wc.imp_id]["spec"].items() if k != "run"},
        train=lambda wc: RACE.imp[wc.imp_id]["train"],
        resume_every=RACE_RESUME_EVERY,
        device=config["device"],
        code=RACE_CODE["imp"],
    wildcard_constraints:
        imp_id=one_of(RACE.imp),
        r="|".join(RACE_ROUNDS),
    threads: RACE_RES["imp"]["threads"]
    resources:
        gpu=RACE_RES["imp"].get("gpu", 0),
        mem_mb=by_attempt(RACE_RES["imp"]["mem_mb"]),
        runtime=by_attempt(RACE_RES["imp"]["runtime"]),
    log:
        "results/logs/race/imp/{imp_id}/round{r}.log",
    benchmark:
        "results/benchmarks/race/imp/{imp_id}/round{r}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule race_extract:
    input:
        unpack(lambda wc: race_extract_inputs(RACE, wc.cube_id)),
    output:
        dynamics="results/race/cubes/{cube_id}.dynamics.nc",
        similarity="results/race/cubes/{cube_id}.similarity.nc",
    params:
        run_id=lambda wc: RACE.cubes[wc.cube_id]["run_id"],
        options=lambda wc: RACE.cubes[wc.cube_id]["options"],
        config=lambda wc: RACE.cubes[wc.cube_id]["config"],
        code=RACE_CODE["extract"],
    wildcard_constraints:
        cube_id=one_of(RACE.cubes),
    threads: RACE_RES["extract"]["threads"]
    resources:
        mem_mb=by_attempt(RACE_RES["extract"]["mem_mb"]),
        runtime=by_attempt(RACE_RES["extract"]["runtime"]),
    log:
        "results/logs/race/extract/{cube_id}.log",
    benchmark:
        "results/benchmarks/race/extract/{cube_id}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule race_stable_cells:
    input:
        data=lambda wc: race_data_file(RACE.stable[wc.stable_id]["data_id"]),
    output:
        stable_cells="results/race/cubes/{stable_id}.stable_cells.nc",
    params:
        data_id=lambda wc: RACE.stable[wc.stable_id]["data_id"],
        options=lambda wc: RACE.stable[wc.stable_id]["options"],
        config=lambda wc: RACE.stable[wc.stable_id]["config"],
        device=config["device"],
        code=RACE_CODE["extract"],
    wildcard_constraints:
        stable_id=one_of(RACE.stable),
    threads: RACE_RES["stable_cells"]["threads"]
    resources:
        gpu=RACE_RES["stable_cells"].get("gpu", 0),
        mem_mb=by_attempt(RACE_RES["stable_cells"]["mem_mb"]),
        runtime=by_attempt(RACE_RES["stable_cells"]["runtime"]),
    log:
        "results/logs/race/stable_cells/{stable_id}.log",
    benchmark:
        "results/benchmarks/race/stable_cells/{stable_id}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule race_figure:
    input:
        lambda wc: race_record_paths(race_figure_records(RACE, wc.fig)),
    output:
        report(
            "results/figs/race/{fig}.pdf",
            caption="../report/race/figure.rst",
            category="race: it's not a lottery, it's a race",
        ),
    params:
        runs=lambda wc: race_figure_records(RACE, wc.fig),
        options=lambda wc: RACE_FIGS[wc.fig],
        code=RACE_CODE["figures"],
    wildcard_constraints:
        fig=one_of(RACE_FIGURE_NAMES),
    log:
        "results/logs/race/figures/{fig}.log",
    localrule: True
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule race_table:
    input:
        race_record_paths(race_figure_records(RACE, "table1")),
    output:
        csv=report(
            "results/tables/race/table1.csv",
            caption="../report/race/table1.rst",
            category="race: it's not a lottery, it's a race",
        ),
        tex="results/tables/race/table1.tex",
    params:
        figure="table1",
        runs=race_figure_records(RACE, "table1"),
        options=RACE_FIGS["table1"],
        code=RACE_CODE["figures"],
    log:
        "results/logs/race/figures/table1.log",
    localrule: True
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT
