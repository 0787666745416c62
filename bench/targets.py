"""The speed targets the bench scripts print against (issue 18's table), in one place.

Each entry: (comparison, target). ``judge(key, value)`` is the text a bench prints after a
measured ratio: ``target >= 0.75: met`` or ``... missed``.
"""

import operator

TARGETS = {
    "wtm_a": (">=", 0.75),  # full-batch training step GFLOP/s vs torch.mm peak
    "wtm_b": ("<=", 1.3),  # training + dumps + extraction vs training alone
    "wtm_c": (">=", 0.8),  # cube write vs a plain sequential write
    "race": (">=", 8.0),  # stacked low-rank trainer vs the plain loop, speed-up
    "samplesets_a": ("<=", 1.1),  # training + extraction vs training alone
    "samplesets_b": (">=", 0.5),  # activation cube write vs packing + raw write
    "selectivity_a": ("<=", 1.1),  # training with the regulariser vs without, time
    "selectivity_b": ("<=", 1.3),  # measurement pass vs a plain evaluation, time
    "selectivity_c": (">=", 0.9),  # ResNet-50 GPU throughput with hooks vs without
    "parse": ("<=", 3.0),  # snakemake -n over every target, seconds
    "trainers": ("<=", 1.1),  # a study trainer vs the plain loop, time (bench_trainers)
    "metrics_a": (
        "<=",
        1.5,
    ),  # measurement pass with every hook vs plain evaluation (bench_metrics)
}
_OPS = {">=": operator.ge, "<=": operator.le}


def met(key, value):
    op, target = TARGETS[key]
    return bool(_OPS[op](value, target))


def judge(key, value):
    """'target >= 0.75: met' (or 'missed') for the measured ``value``."""
    op, target = TARGETS[key]
    return f"target {op} {target:g}: {'met' if met(key, value) else 'missed'}"
