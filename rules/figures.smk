# results/figs/fig<N>.pdf: figure N of config's default_study.


rule default_study_figure:
    input:
        lambda wc: f"results/figs/{config['default_study']}/fig{wc.n}.pdf",
    output:
        "results/figs/fig{n}.pdf",
    wildcard_constraints:
        n=r"\d+",
    log:
        "results/logs/figs/fig{n}.log",
    localrule: True
    conda:
        CONDA_ENV
    shell:
        "cp {input} {output} 2> {log}"
