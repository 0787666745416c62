"""Race Fig. 5: the early alignment predicts which neurons IMP prunes."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ..records import first, time_index
from .panels import colorbar, init_name, log_norm, scatter_alignment


def fig5(records, options, out):
    """IMP-pruned weights per neuron vs cos(delta) at ``early_step``, columns N x
    sparsity, rows sigma0; colour = final a (``figure_specs.Fig5Options``)."""
    o = options
    cols = [(N, s) for N in o.Ns for s in o.sparsities]
    fig, axes = plt.subplots(
        len(o.sigmas),
        len(cols),
        squeeze=False,
        figsize=(2.1 * len(cols), 2.2 * len(o.sigmas) + 0.5),
        layout="constrained",
    )
    for row, sigma in enumerate(o.sigmas):
        sc = None
        recs = {N: first(records, "fig5", sigma0=sigma, N=N, seed=o.seed) for N in o.Ns}
        norm = log_norm(
            np.concatenate([r["dynamics"]["final_norm_product"].values for r in recs.values()])
        )
        for c, (N, s) in enumerate(cols):
            ax = axes[row, c]
            dyn = recs[N]["dynamics"]
            pruned = (recs[N].get("pruned") or {}).get(s)
            i = time_index(dyn, o.early_step)
            ax.set_title(f"N = {N}, {s:.0%} sparsity", fontsize="small")
            ax.set_xlabel(f"cos($\\delta_\\alpha$(t={int(dyn['time'].values[i])}))")
            if pruned is None:
                ax.text(0.5, 0.5, "no IMP masks", ha="center", va="center", transform=ax.transAxes)
                continue
            final = dyn["final_norm_product"].values
            sc = scatter_alignment(ax, dyn["cos_delta"].values[i], pruned, final, norm, s=5)
        axes[row, 0].set_ylabel(f"{init_name(sigma)}\npruned weights / neuron")
        colorbar(fig, sc, axes[row, :], "final $a_\\alpha$")
    plotting.save_figure(fig, out)
