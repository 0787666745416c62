"""trainscope: the Python code that the Snakemake rules run.

Subpackages, one job each:
- ``store``: artifact ids, atomic writes, checkpoint and cube I/O, errors.
- ``wtm``: the winner-take-most study (data, model, training, extraction, metrics).
- ``figures``: shared figure style and one module per study.
"""

__version__ = "0.1.0"
