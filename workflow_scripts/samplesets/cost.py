"""Estimated seconds of the study's jobs on one idle core: their Snakemake priorities
(``workflow_scripts.scheduling``: one scale for every study).

Snakemake starts the ready job of highest priority first. With a job's estimated seconds
as its priority the longest jobs start first (the longest-processing-time rule), so the
build ends on short jobs and both cores stay busy to the end: without it the 2x320
trainings may run first and a 9x320 training (~4x longer) and its extraction last, alone.
The ordering matters, not the seconds: the estimates are multiply-adds at rates measured
on the project machine's idle core (9x320 CE training 7.2 ms per Adam step of batch 60,
1.75e8 multiply-adds: ~24 GMAC/s with backward, Adam and the Python loop; forward passes of
12000-sample chunks ~1.7x that) plus ~3 s to start a job (interpreter, torch, inputs).
"""

TRAIN_MAC_PER_S = 24e9
FORWARD_MAC_PER_S = 40e9
START_S = 3.0


def macs_per_sample(spec):
    """Multiply-adds of one sample's forward pass through a TrainSpec's MLP."""
    widths = [spec.n_in] + [spec.width] * (spec.depth - 1) + [spec.n_classes]
    return sum(a * b for a, b in zip(widths, widths[1:]))


def train_seconds(spec):
    """Forward + backward (~2x the forward) of every Adam step."""
    work = spec.total_steps * spec.batch_size * 3 * macs_per_sample(spec)
    return START_S + work / TRAIN_MAC_PER_S


def forward_seconds(spec, n_samples):
    """One forward pass of ``n_samples`` per checkpoint (extraction, activation cube)."""
    work = len(spec.checkpoint_steps) * n_samples * macs_per_sample(spec)
    return START_S + work / FORWARD_MAC_PER_S
