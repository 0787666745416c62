"""Snakemake entry point of the race figures and Table 1: ``main(snakemake)``.

Contract with the rule:
- ``snakemake.wildcards.fig`` (or ``params.figure``): ``fig1``, ``fig3``, ``fig4``,
  ``fig5``, ``fig7`` or ``table1``.
- ``params.runs``: list of records (grid labels + artifact paths), see
  ``workflow_scripts.figures.race`` (``record_paths(runs)`` is the rule's input list).
- ``params.options``: the figure's options from the config.
- output: the PDF (``output[0]``); for ``table1`` the CSV (``output.csv`` or
  ``output[0]``) and optionally the LaTeX file (``output.tex``).
"""

import logging

from ..figures import race as figs
from ..runtime import setup_logging

log = logging.getLogger(__name__)


def main(snakemake):
    setup_logging(snakemake.log[0] if snakemake.log else None)
    params = snakemake.params
    name = getattr(params, "figure", None) or snakemake.wildcards.fig
    opts = dict(getattr(params, "options", None) or {})
    records = figs.load_records(params.runs)
    figs.apply_style()
    try:
        if name == "table1":
            out_csv = getattr(snakemake.output, "csv", None) or snakemake.output[0]
            figs.table1(records, opts, out_csv, getattr(snakemake.output, "tex", None))
        else:
            figs.FIGURES[name](records, opts, snakemake.output[0])
    finally:
        for rec in records:
            for key in figs.ARTIFACT_KEYS:
                if hasattr(rec.get(key), "close"):
                    rec[key].close()
    log.info("wrote %s", list(snakemake.output))
