"""Race Fig. 4: the norm grows with the early alignment."""

import matplotlib.pyplot as plt
import numpy as np

from ... import plotting
from ..records import first, time_index
from .panels import colorbar, init_name, log_norm, scatter_alignment


def fig4(records, options, out):
    """a(t) vs cos(delta(t)) at t = 0 and ``early_step``, all neurons; colour = final a;
    rows sigma0, columns N x {t=0, early} (``figure_specs.Fig4Options``)."""
    o = options
    steps = [0, o.early_step]
    fig, axes = plt.subplots(
        len(o.sigmas),
        len(o.Ns) * len(steps),
        squeeze=False,
        figsize=(2.1 * len(o.Ns) * len(steps), 2.2 * len(o.sigmas) + 0.5),
        layout="constrained",
    )
    for row, sigma in enumerate(o.sigmas):
        sc = None
        recs = [first(records, "fig4", sigma0=sigma, N=N, seed=o.seed) for N in o.Ns]
        norm = log_norm(np.concatenate([r["dynamics"]["final_norm_product"].values for r in recs]))
        for c, (N, rec) in enumerate(zip(o.Ns, recs)):
            dyn = rec["dynamics"]
            final = dyn["final_norm_product"].values
            for k, step in enumerate(steps):
                ax = axes[row, c * len(steps) + k]
                i = time_index(dyn, step)
                sc = scatter_alignment(
                    ax, dyn["cos_delta"].values[i], dyn["norm_product"].values[i], final, norm, s=5
                )
                ax.set_yscale("log")
                ax.set_title(f"N = {N}, t = {int(dyn['time'].values[i])}", fontsize="small")
                ax.set_xlabel("cos($\\delta_\\alpha$(t))")
        axes[row, 0].set_ylabel(f"{init_name(sigma)}\n$a_\\alpha(t)$")
        colorbar(fig, sc, axes[row, :], "final $a_\\alpha$")
    plotting.save_figure(fig, out)
