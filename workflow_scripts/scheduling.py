"""Snakemake priorities on one scale for every study: a job's estimated seconds.

Snakemake starts the ready job of highest priority first. When every study gives its long
rules their estimated run time (seconds on one idle core at default size) as priority, the
longest jobs of the whole build start first, whichever study they belong to (the
longest-processing-time rule), and the build ends on short jobs with both cores busy.
The ordering matters, not the seconds: a study estimates them from a cost model
(samplesets) or from the medians its default build measured (``results/benchmarks``).
"""


def priority(seconds):
    """A Snakemake priority (a non-negative int) from estimated seconds."""
    return max(0, int(round(seconds)))
