"""Race Fig. 3: how many clusters, against N and d, and how they form over time."""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ... import plotting
from ..records import first, select, sorted_unique
from .panels import init_name, n_axis, plot_similarity


def fig3(records, options, out):
    """(a) clusters at tau at the end vs N per d (mean over runs at init ``sigma0``): top,
    all neurons (the paper's count; dotted: d, every neuron its own cluster, drawn where
    it lies within the data's range: a d far above the counts would flatten them); bottom,
    the clusters that hold a neuron with a >= rel_threshold of the largest a; (b)
    clustering at the snapshots of one run per init scale (``figure_specs.Fig3Options``)."""
    o = options
    fig = plt.figure(figsize=(10.5, 5.2), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.5])
    ax_all, ax_large = left.subplots(2, 1, sharex=True)
    sweep = select(records, sigma0=o.sigma0)
    widths = sorted_unique(sweep, "d")
    palette = sns.color_palette("viridis", n_colors=max(1, len(widths)))
    highest = {ax_all: 0.0, ax_large: 0.0}
    for colour, d in zip(palette, widths):
        for ax, var in ((ax_all, "n_clusters"), (ax_large, "n_clusters_large")):
            Ns, means, stds = [], [], []
            for N in sorted_unique(select(sweep, d=d), "N"):
                vals = [
                    float(r["dynamics"][var].sel(tau=o.tau, method="nearest").values[-1])
                    for r in select(sweep, d=d, N=N)
                ]
                Ns.append(N)
                means.append(np.mean(vals))
                stds.append(np.std(vals))
            highest[ax] = max(highest[ax], *(m + s for m, s in zip(means, stds)))
            ax.errorbar(
                Ns, means, yerr=stds, color=colour, marker="o", ms=3, capsize=2, label=f"d = {d}"
            )
    for ax in (ax_all, ax_large):
        n_axis(ax, sorted_unique(sweep, "N"))
        ax.set_ylim(0, 1.15 * highest[ax] if highest[ax] > 0 else 1.0)
    top = ax_all.get_ylim()[1]
    for colour, d in zip(palette, widths):
        if d <= top:
            ax_all.axhline(d, color=colour, lw=0.6, ls=":")
    ax_all.set_xlabel("")
    ax_all.set_ylabel("clusters, all neurons")
    ax_large.set_ylabel(f"clusters with $a \\geq$ {100 * o.rel_threshold:g} % of max")
    above = [d for d in widths if d > top]
    if above:
        ax_all.text(
            0.98,
            0.97,
            f"saturation d = {', '.join(map(str, above))}: above the axis",
            transform=ax_all.transAxes,
            ha="right",
            va="top",
            fontsize="small",
            color="0.35",
        )
    ax_all.set_title(
        f"(a) end of training, $\\tau$ = {o.tau:g}, {init_name(o.sigma0)}; "
        "mean $\\pm$ std over runs",
        loc="left",
        fontsize="small",
    )
    ax_all.legend(frameon=False, fontsize="small", ncol=2)
    names = o.snapshot_titles
    axes = right.subplots(len(o.sigmas), len(names), squeeze=False)
    im = None
    for row, sigma in enumerate(o.sigmas):
        rec = first(records, "fig3b", sigma0=sigma, N=o.N, d=o.d, seed=o.seed)
        sim = rec["similarity"]
        for col, title in enumerate(names):
            if col < sim.sizes["snapshot"]:
                im = plot_similarity(
                    axes[row, col],
                    sim,
                    col,
                    o.tau,
                    title=f"{title} (t = {int(sim['snapshot'].values[col])})",
                )
            else:
                axes[row, col].axis("off")
        axes[row, 0].set_ylabel(init_name(sigma), fontsize="small")
    axes[0, 0].set_title("(b) " + axes[0, 0].get_title(), fontsize="small")
    if im is not None:
        right.colorbar(im, ax=axes, label="cos sim", fraction=0.03)
    plotting.save_figure(fig, out)
