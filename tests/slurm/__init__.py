# A package, so that pytest imports this directory's conftest.py as `slurm.conftest`
# and leaves the module name `conftest` to tests/conftest.py (which other tests import).
