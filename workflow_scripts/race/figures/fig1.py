"""Race Fig. 1: one run, from the loss to the neurons IMP prunes."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ..records import first, largest_cluster, time_index
from .panels import colorbar, init_name, log_norm, plot_similarity, scatter_alignment


def fig1(records, options, out):
    """(a) loss; (b) cos-sim matrices by cluster; (c) a vs cos(delta) early, largest cluster;
    (d) IMP-pruned weights per neuron vs early cos(delta), largest cluster
    (``figure_specs.Fig1Options``)."""
    o = options
    rec = first(records, "fig1", sigma0=o.sigma0, N=o.N, seed=o.seed)
    dyn, sim = rec["dynamics"], rec["similarity"]
    members = largest_cluster(sim, o.tau, large_only=o.large_only)
    final = dyn["final_norm_product"].values
    norm = log_norm(final[members])
    early = list(o.early_steps)
    n_snap = sim.sizes["snapshot"]
    fig = plt.figure(figsize=(2.2 * max(n_snap + 1, len(early) + 1), 4.8), layout="constrained")
    top, bottom = fig.subfigures(2, 1)
    ax_top = top.subplots(1, n_snap + 1, gridspec_kw={"width_ratios": [1.6] + [1] * n_snap})
    ax_a = ax_top[0]
    ax_a.plot(dyn["time"].values, dyn["train_loss"].values, color="0.2")
    ax_a.set_xlabel("t (SGD steps)")
    ax_a.set_ylabel("training loss")
    ax_a.set_title("(a)", loc="left", fontsize="small")
    im = None
    for j in range(n_snap):
        im = plot_similarity(ax_top[j + 1], sim, j, o.tau)
    ax_top[1].text(0, 1.12, "(b)", transform=ax_top[1].transAxes, fontsize="small")
    if im is not None:
        top.colorbar(im, ax=ax_top[1:], label="cos sim", fraction=0.03, pad=0.02)
    ax_bot = bottom.subplots(1, len(early) + 1)
    sc = None
    for j, step in enumerate(early):
        ax = ax_bot[j]
        i = time_index(dyn, step)
        sc = scatter_alignment(
            ax,
            dyn["cos_delta"].values[i, members],
            dyn["norm_product"].values[i, members],
            final[members],
            norm,
        )
        ax.set_yscale("log")
        ax.set_xlabel(f"cos($\\delta_\\alpha$(t={int(dyn['time'].values[i])}))")
        if j == 0:
            ax.set_ylabel("$a_\\alpha(t)$")
            ax.set_title(
                f"(c) largest cluster ({len(members)} neurons)", loc="left", fontsize="small"
            )
    ax_d = ax_bot[-1]
    pruned = (rec.get("pruned") or {}).get(o.sparsity)
    i = time_index(dyn, o.pruning_step)
    if pruned is not None:
        sc = scatter_alignment(
            ax_d,
            dyn["cos_delta"].values[i, members],
            np.asarray(pruned)[members],
            final[members],
            norm,
        )
        ax_d.set_ylabel(f"pruned weights (IMP {o.sparsity:.0%})")
    else:
        ax_d.text(0.5, 0.5, "no IMP masks", ha="center", va="center", transform=ax_d.transAxes)
    ax_d.set_xlabel(f"cos($\\delta_\\alpha$(t={int(dyn['time'].values[i])}))")
    ax_d.set_title("(d)", loc="left", fontsize="small")
    colorbar(bottom, sc, ax_bot, "final $a_\\alpha$")
    fig.suptitle(
        f"N = {rec['N']}, d = {rec['d']}, {init_name(rec['sigma0'])}",
        fontsize="small",
    )
    plotting.save_figure(fig, out)
