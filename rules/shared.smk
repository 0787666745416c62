# Rules every registered study gets (included after the studies' rules files):
# <study>_all (every target of the study and its claims table: `snakemake --cores 2 <study>_all`),
# results/figs/fig<N>.pdf (figure N of default_study), results/claims/<study>.csv (both
# under results/variants/<variant>/ for a variant other than the default), and
# the explicit Fashion-MNIST install step. Names no study.


rule default_study_figure:
    input:
        default_study_figure,
    output:
        paths.default_figure("{n}", VARIANT),
    log:
        f"{paths.variant_root(VARIANT)}/logs/figs/fig{{n}}.log",
    wildcard_constraints:
        n=r"\d+",
    localrule: True
    conda:
        CONDA_ENV
    shell:
        "cp {input} {output} 2> {log}"


rule claims_table:
    input:
        unpack(claims_inputs),
    output:
        report(
            paths.claims_table("{study}", VARIANT),
            caption="../report/claims.rst",
            category="claims: which paper claims reproduce",
        ),
    log:
        f"{paths.variant_root(VARIANT)}/logs/claims/{{study}}.log",
    wildcard_constraints:
        study=one_of(STUDIES),
    localrule: True
    conda:
        CONDA_ENV
    params:
        options=claims_options,
        size=config["size"],
        code=claims_code,
    script:
        RUN_SCRIPT


# Explicit only (`snakemake --cores 1 datasets_install_fashion_mnist`): gunzips the idx
# files of Debian's dataset-fashion-mnist into <data_dir>/FashionMNIST/raw/. No rule
# depends on it, so a missing data set is reported, never fetched behind your back.
rule datasets_install_fashion_mnist:
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
    log:
        "results/logs/datasets/install_fashion_mnist.log",
    localrule: True
    conda:
        CONDA_ENV
    params:
        code=stage_code("datasets_install_fashion_mnist"),
    script:
        RUN_SCRIPT


# <study>_all: one study, everything it builds (its figures, tables and claims table)
for _study, _plan in STUDIES.items():

    rule:
        name:
            f"{_study}_all"
        input:
            _plan.targets(),
            _plan.paths.claims(),
        localrule: True
