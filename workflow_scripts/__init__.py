"""trainscope: the Python code that the Snakemake rules run.

Shared building blocks (they name no study): ``entry`` and ``run`` (which adapter a
rule runs, set-up once), ``study`` (what makes a study), ``config_check``, ``runtime``,
``progress``, ``store`` (ids, atomic writes, checkpoints, resume, cubes, catalog),
``datasets`` and ``models`` (registries), ``claims`` (claims tables), ``figures.style``.
Each study is a subpackage of its own (README, "Adding a study").
"""

__version__ = "0.1.0"
