# The winner-take-most study: data -> train -> extract (cubes) -> figures.
# Ids and input functions live in common.smk.


rule wtm_data:
    output:
        "results/wtm/data/{data_id}/{split}.npz",
    params:
        spec=lambda wc: WTM.datasets[wc.data_id],
        code=WTM_CODE["data"],
    wildcard_constraints:
        data_id=one_of(WTM.datasets),
        split="train|test",
    log:
        "results/logs/wtm/data/{data_id}/{split}.log",
    benchmark:
        "results/benchmarks/wtm/data/{data_id}/{split}.tsv"
    localrule: True
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule wtm_train:
    input:
        data=lambda wc: wtm_data_file(WTM.runs[wc.run_id]["data_id"], "train"),
    output:
        checkpoints=directory("results/wtm/runs/{run_id}/checkpoints"),
    params:
        spec=lambda wc: WTM.runs[wc.run_id]["train"],
        device=config["device"],
        code=WTM_CODE["train"],
    wildcard_constraints:
        run_id=one_of(WTM.runs),
    threads: WTM_RES["train"]["threads"]
    resources:
        gpu=WTM_RES["train"].get("gpu", 0),
        mem_mb=by_attempt(WTM_RES["train"]["mem_mb"]),
        runtime=by_attempt(WTM_RES["train"]["runtime"]),
    log:
        "results/logs/wtm/train/{run_id}.log",
    benchmark:
        "results/benchmarks/wtm/train/{run_id}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule wtm_extract:
    input:
        checkpoints=lambda wc: wtm_checkpoints(WTM.cubes[wc.cube_id]["run_id"]),
        train_data=lambda wc: wtm_data_file(WTM.runs[WTM.cubes[wc.cube_id]["run_id"]]["data_id"], "train"),
        test_data=lambda wc: wtm_data_file(WTM.cubes[wc.cube_id]["test_data_id"], "test"),
    output:
        cube="results/wtm/cubes/{cube_id}.nc",
    params:
        run_id=lambda wc: WTM.cubes[wc.cube_id]["run_id"],
        activation=lambda wc: WTM.runs[WTM.cubes[wc.cube_id]["run_id"]]["train"]["activation"],
        neurons=lambda wc: WTM.cubes[wc.cube_id]["neurons"],
        train_per_pattern=lambda wc: WTM.cubes[wc.cube_id]["train_per_pattern"],
        config=lambda wc: WTM.cubes[wc.cube_id]["config"],
        code=WTM_CODE["extract"],
    wildcard_constraints:
        cube_id=one_of(WTM.cubes),
    threads: WTM_RES["extract"]["threads"]
    resources:
        mem_mb=by_attempt(WTM_RES["extract"]["mem_mb"]),
        runtime=by_attempt(WTM_RES["extract"]["runtime"]),
    log:
        "results/logs/wtm/extract/{cube_id}.log",
    benchmark:
        "results/benchmarks/wtm/extract/{cube_id}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule wtm_noise_eval:
    input:
        checkpoints=lambda wc: wtm_checkpoints(WTM.evals[wc.eval_id]["run_id"]),
        test_data=lambda wc: [wtm_data_file(t, "test") for t in WTM.evals[wc.eval_id]["test_data_ids"]],
    output:
        cube="results/wtm/evals/{eval_id}.nc",
    params:
        run_id=lambda wc: WTM.evals[wc.eval_id]["run_id"],
        activation=lambda wc: WTM.runs[WTM.evals[wc.eval_id]["run_id"]]["train"]["activation"],
        sigma_train=lambda wc: WTM.evals[wc.eval_id]["sigma_train"],
        seed=lambda wc: WTM.evals[wc.eval_id]["seed"],
        config=lambda wc: WTM.evals[wc.eval_id]["config"],
        code=WTM_CODE["extract"],
    wildcard_constraints:
        eval_id=one_of(WTM.evals),
    threads: 1
    resources:
        mem_mb=by_attempt(WTM_RES["extract"]["mem_mb"]),
        runtime=by_attempt(WTM_RES["extract"]["runtime"]),
    log:
        "results/logs/wtm/noise_eval/{eval_id}.log",
    benchmark:
        "results/benchmarks/wtm/noise_eval/{eval_id}.tsv"
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT


rule wtm_figure:
    input:
        unpack(wtm_figure_inputs),
    output:
        report(
            "results/figs/wtm/{fig}.pdf",
            caption="../report/wtm/figure.rst",
            category="wtm: winner-take-most",
        ),
    params:
        options=lambda wc: WTM_FIGS[wc.fig],
        code=WTM_CODE["figures"],
    wildcard_constraints:
        fig=one_of(WTM_FIGURE_NAMES),
    log:
        "results/logs/wtm/figures/{fig}.log",
    localrule: True
    conda:
        CONDA_ENV
    script:
        RUN_SCRIPT
