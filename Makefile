# Two entry points for a newcomer (see README): `make fig4` and `make test`.
# Both create the project's virtual environment first if it is missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
CORES ?= 2
STAMP := $(VENV)/.installed-stamp

.PHONY: setup fig4 figures data test claims claims-ci bench lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# torch/torchvision are pinned in pyproject.toml to releases that pip finds locally
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

setup: $(STAMP)

fig4: $(STAMP)
	$(VENV)/bin/snakemake --cores $(CORES) results/figs/fig4.pdf

figures: $(STAMP)
	$(VENV)/bin/snakemake --cores $(CORES)

# Debian's Fashion-MNIST into data/ (the offline default of race, samplesets, selectivity)
data: $(STAMP)
	$(VENV)/bin/snakemake --cores 1 datasets_install_fashion_mnist

# everything but the default-size claims builds
test: $(STAMP)
	$(VENV)/bin/pytest -m "not claims"

# every study built at default size, its claims checked on the cubes (needs `make data`)
claims: $(STAMP)
	$(VENV)/bin/pytest -m claims

# the claims builds CI can afford on 2 cores (see .ci/run): samplesets, the cheapest
# default-size build (~2150 s of single-thread jobs, ~18 min on 2 cores); wtm's five seeds
# (~4500 s), race's grid (~2300-8000 s) and selectivity (~7300 s) are left to `make claims`
claims-ci: $(STAMP)
	$(VENV)/bin/pytest -m claims tests/samplesets

bench: $(STAMP)
	$(VENV)/bin/python bench/bench_wtm.py
	$(VENV)/bin/python bench/bench_race.py
	$(VENV)/bin/python bench/bench_parse.py
	$(VENV)/bin/python bench/bench_samplesets.py
	$(VENV)/bin/python bench/bench_selectivity.py

lint: $(STAMP)
	$(VENV)/bin/snakemake --lint
