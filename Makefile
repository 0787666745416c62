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
	$(VENV)/bin/pytest -n $(CORES) --dist loadgroup -m "not claims"

# every study built at default size, its claims checked on the cubes (needs `make data`)
claims: $(STAMP)
	$(VENV)/bin/pytest -m claims

# the four studies' default-size claims builds, as CI runs them (see .ci/run; needs `make
# data`): 14.9 min from scratch on the idle 2-core machine (samplesets, wtm and race alone
# took 25-32 min before jobs were forked from a warm interpreter, 9.4 min after)
claims-ci: $(STAMP) data
	$(VENV)/bin/pytest -m claims tests/samplesets tests/wtm tests/race tests/selectivity

# every bench/bench_*.py (ratios against the targets in bench/targets.py); not bench/gpu.sh,
# which is for a GPU machine (it runs a CPU dry mode elsewhere: tests/bench)
bench: $(STAMP)
	$(VENV)/bin/python bench/bench_wtm.py
	$(VENV)/bin/python bench/bench_race.py
	$(VENV)/bin/python bench/bench_parse.py
	$(VENV)/bin/python bench/bench_samplesets.py
	$(VENV)/bin/python bench/bench_selectivity.py
	$(VENV)/bin/python bench/bench_trainers.py
	$(VENV)/bin/python bench/bench_peers.py
	$(VENV)/bin/python bench/bench_jobcost.py
	$(VENV)/bin/python bench/bench_metrics.py

lint: $(STAMP)
	$(VENV)/bin/snakemake --lint
