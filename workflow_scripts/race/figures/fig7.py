"""Race Fig. 7: stable cells against N."""

import matplotlib.pyplot as plt

from ... import plotting
from ..records import stable_cell_table
from .panels import n_axis

ALIGNMENTS = {
    1: ("c = label 1 (signed data $+\\tilde X$)", "tab:red"),
    -1: ("c = label 0 ($-\\tilde X$)", "tab:blue"),
}


def fig7(records, options, out):
    """Stable cells (Algorithm 1) vs N, both output alignments, mean +- std over probe
    seeds (``figure_specs.Fig7Options``)."""
    o = options
    rows = stable_cell_table(records)
    fig, ax = plt.subplots(figsize=(3.8, 3.0), layout="constrained")
    for a, (label, colour) in ALIGNMENTS.items():
        sub = [r for r in rows if r["alignment"] == a]
        ax.errorbar(
            [r["N"] for r in sub],
            [r["mean"] for r in sub],
            yerr=[r["std"] for r in sub],
            marker="o",
            ms=4,
            capsize=2,
            color=colour,
            label=label,
        )
    n_axis(ax, sorted({r["N"] for r in rows}))
    ax.set_ylabel("stable cells")
    ax.set_title(
        f"M = {o.n_probes} probes, $T_{{max}}$ = {o.t_max}, p = {o.patience}", fontsize="small"
    )
    ax.legend(frameon=False, fontsize="small")
    plotting.save_figure(fig, out)
