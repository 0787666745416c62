"""Figures of "It's not a lottery, it's a race", from the cubes only.

Every figure takes ``records`` (``race.records``: one dict per run, labels plus opened
cubes), the figure's ``opts`` from the config (every option has a default here) and
the output path. Plotting only: loading, selection and the numbers behind the claims
live in ``race.records`` and ``race.claims``.
"""

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.ticker import NullFormatter, NullLocator  # noqa: E402

from ..plotting import save_figure  # noqa: E402
from .records import first as _first  # noqa: E402
from .records import (
    largest_cluster,
    rel_threshold,
    select,  # noqa: E402
    sorted_unique,
    stable_cell_table,
    time_index,
)

INIT_NAMES = {1e-5: "small init", 1e-3: "medium init"}
CMAP_NORM = "rocket_r"  # darker = larger final norm, as in the paper
CMAP_SIM = "vlag"


def _init_name(sigma):
    for s, name in INIT_NAMES.items():
        if np.isclose(sigma, s):
            return f"{name} ($\\sigma_0$={sigma:g})"
    return f"$\\sigma_0$={sigma:g}"


def _norm(values):
    v = np.asarray(values, dtype=np.float64)
    pos = v[np.isfinite(v) & (v > 0)]
    if pos.size == 0:
        return None
    lo, hi = pos.min(), pos.max()
    return LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 10)


def scatter_alignment(ax, cos, y, colour, norm, cmap=CMAP_NORM, s=8):
    """Scatter y vs cos(delta) coloured by final norm (log colour scale); NaNs skipped."""
    cos, y, colour = (np.asarray(a, dtype=np.float64) for a in (cos, y, colour))
    ok = np.isfinite(cos) & np.isfinite(y)
    order = np.argsort(colour[ok])  # dark (large) points on top
    sc = ax.scatter(
        cos[ok][order],
        y[ok][order],
        c=np.clip(colour[ok][order], norm.vmin, None) if norm is not None else "0.3",
        cmap=cmap,
        norm=norm,
        s=s,
        edgecolors="0.45",
        linewidths=0.25,
    )
    return sc


def plot_similarity(ax, sim, snapshot, tau, title=None):
    """Cosine-similarity matrix of one snapshot, neurons ordered by cluster at tau."""
    order = sim["order"].sel(tau=tau, method="nearest").values[snapshot]
    S = sim["cos_sim"].values[snapshot][np.ix_(order, order)]
    im = ax.imshow(np.ma.masked_invalid(S), vmin=-1, vmax=1, cmap=CMAP_SIM, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    k = int(sim["n_clusters"].sel(tau=tau, method="nearest").values[snapshot])
    step = int(sim["snapshot"].values[snapshot])
    ax.set_title(title or f"t = {step}", fontsize="small")
    ax.set_xlabel(f"{k} clusters ($\\tau$={tau:g})", fontsize="x-small")
    return im


def _colorbar(fig, mappable, ax, label):
    if mappable is not None and mappable.norm is not None:
        fig.colorbar(mappable, ax=ax, label=label, fraction=0.05, pad=0.02)


# ----------------------------------------------------------------------------------
# figures


def fig1(records, opts, out):
    """(a) loss; (b) cos-sim matrices by cluster; (c) a vs cos(delta) early, largest cluster;
    (d) IMP-pruned weights per neuron vs early cos(delta), largest cluster."""
    tau = float(opts.get("tau", 0.99))
    rec = _first(records, "fig1", sigma0=opts.get("sigma0"), N=opts.get("N"), seed=opts.get("seed"))
    dyn, sim = rec["dynamics"], rec["similarity"]
    members = largest_cluster(sim, tau, large_only=bool(opts.get("large_only", False)))
    final = dyn["final_norm_product"].values
    norm = _norm(final[members])
    early = opts.get("early_steps") or [
        int(s) for s in dyn["time"].values[np.linspace(0, len(dyn["time"]) // 3, 3).astype(int)]
    ]
    sparsity = float(opts.get("sparsity", 0.5))
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
        im = plot_similarity(ax_top[j + 1], sim, j, tau)
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
    pruned = rec.get("pruned", {}).get(sparsity) if rec.get("pruned") else None
    i = time_index(dyn, opts.get("pruning_step", early[-1]))
    if pruned is not None:
        sc = scatter_alignment(
            ax_d,
            dyn["cos_delta"].values[i, members],
            np.asarray(pruned)[members],
            final[members],
            norm,
        )
        ax_d.set_ylabel(f"pruned weights (IMP {sparsity:.0%})")
    else:
        ax_d.text(0.5, 0.5, "no IMP masks", ha="center", va="center", transform=ax_d.transAxes)
    ax_d.set_xlabel(f"cos($\\delta_\\alpha$(t={int(dyn['time'].values[i])}))")
    ax_d.set_title("(d)", loc="left", fontsize="small")
    _colorbar(bottom, sc, ax_bot, "final $a_\\alpha$")
    fig.suptitle(
        f"N = {rec.get('N')}, d = {rec.get('d', dyn.sizes['neuron'])}, "
        f"{_init_name(rec.get('sigma0', float('nan')))}",
        fontsize="small",
    )
    save_figure(fig, out)


def n_axis(ax, Ns):
    """Log-scaled N axis labelled with the N values themselves (no minor tick labels,
    which overlap as "2 x 10^2 3 x 10^2 ..." on a short log range)."""
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    if len(Ns):
        ax.set_xticks(list(Ns), [str(int(n)) for n in Ns])
        lo, hi = min(Ns), max(Ns)
        pad = (hi / lo) ** 0.08 if hi > lo else 1.5
        ax.set_xlim(lo / pad, hi * pad)
    ax.set_xlabel("N (training samples)")


def fig3(records, opts, out):
    """(a) clusters at tau (0.95) at the end vs N per d (mean over runs, small init): top,
    all neurons (the paper's count; dotted: d, every neuron its own cluster); bottom,
    neurons with a >= rel_threshold of the largest a; (b) clustering at init / before
    the loss drop / end, rows small / medium init."""
    tau = float(opts.get("tau", 0.95))
    sigma_a = float(opts.get("sigma0", 1e-5))
    rel = rel_threshold(records)
    fig = plt.figure(figsize=(10.5, 5.2), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.5])
    ax_all, ax_large = left.subplots(2, 1, sharex=True)
    sweep = select(records, sigma0=sigma_a)
    palette = sns.color_palette("viridis", n_colors=max(1, len(sorted_unique(sweep, "d"))))
    all_Ns = sorted_unique(sweep, "N")
    for colour, d in zip(palette, sorted_unique(sweep, "d")):
        for ax, var in ((ax_all, "n_clusters"), (ax_large, "n_clusters_large")):
            Ns, means, stds = [], [], []
            for N in sorted_unique(select(sweep, d=d), "N"):
                vals = [
                    float(r["dynamics"][var].sel(tau=tau, method="nearest").values[-1])
                    for r in select(sweep, d=d, N=N)
                ]
                Ns.append(N)
                means.append(np.mean(vals))
                stds.append(np.std(vals))
            ax.errorbar(
                Ns, means, yerr=stds, color=colour, marker="o", ms=3, capsize=2, label=f"d = {d}"
            )
        ax_all.axhline(d, color=colour, lw=0.6, ls=":")
    for ax in (ax_all, ax_large):
        n_axis(ax, all_Ns)
        ax.set_ylim(bottom=0)
    ax_all.set_xlabel("")
    ax_all.set_ylabel("clusters, all neurons")
    ax_large.set_ylabel(f"clusters, $a \\geq$ {100 * rel:g} % of max")
    ax_all.set_title(
        f"(a) end of training, $\\tau$ = {tau:g}, {_init_name(sigma_a)}; mean $\\pm$ std over runs",
        loc="left",
        fontsize="small",
    )
    ax_all.legend(frameon=False, fontsize="x-small", ncol=2)
    sigmas = opts.get("sigmas") or sorted_unique(records, "sigma0")
    names = opts.get("snapshot_titles", ["init", "before loss drop", "end"])
    axes = right.subplots(len(sigmas), len(names), squeeze=False)
    im = None
    for row, sigma in enumerate(sigmas):
        rec = _first(
            records,
            "fig3b",
            sigma0=float(sigma),
            N=opts.get("N"),
            d=opts.get("d"),
            seed=opts.get("seed"),
        )
        sim = rec["similarity"]
        for col, title in enumerate(names):
            if col < sim.sizes["snapshot"]:
                im = plot_similarity(
                    axes[row, col],
                    sim,
                    col,
                    tau,
                    title=f"{title} (t = {int(sim['snapshot'].values[col])})",
                )
            else:
                axes[row, col].axis("off")
        axes[row, 0].set_ylabel(_init_name(sigma), fontsize="small")
    axes[0, 0].set_title("(b) " + axes[0, 0].get_title(), fontsize="small")
    if im is not None:
        right.colorbar(im, ax=axes, label="cos sim", fraction=0.03)
    save_figure(fig, out)


def fig4(records, opts, out):
    """a(t) vs cos(delta(t)) at t = 0 and an early t, all neurons; colour = final a;
    rows sigma0, columns N x {t=0, early}."""
    steps = [0, int(opts.get("early_step", 50))]
    sigmas = opts.get("sigmas") or sorted_unique(records, "sigma0")
    Ns = opts.get("Ns") or sorted_unique(records, "N")
    fig, axes = plt.subplots(
        len(sigmas),
        len(Ns) * len(steps),
        squeeze=False,
        figsize=(2.1 * len(Ns) * len(steps), 2.2 * len(sigmas) + 0.5),
        layout="constrained",
    )
    for row, sigma in enumerate(sigmas):
        sc = None
        recs = [
            _first(records, "fig4", sigma0=float(sigma), N=N, seed=opts.get("seed")) for N in Ns
        ]
        norm = _norm(np.concatenate([r["dynamics"]["final_norm_product"].values for r in recs]))
        for c, (N, rec) in enumerate(zip(Ns, recs)):
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
        axes[row, 0].set_ylabel(f"{_init_name(sigma)}\n$a_\\alpha(t)$")
        _colorbar(fig, sc, axes[row, :], "final $a_\\alpha$")
    save_figure(fig, out)


def fig5(records, opts, out):
    """IMP-pruned weights per neuron vs early cos(delta), columns N x sparsity,
    rows sigma0; colour = final a."""
    step = int(opts.get("early_step", 50))
    sigmas = opts.get("sigmas") or sorted_unique(records, "sigma0")
    Ns = opts.get("Ns") or sorted_unique(records, "N")
    sparsities = [float(s) for s in opts.get("sparsities", [0.2, 0.5, 0.7])]
    cols = [(N, s) for N in Ns for s in sparsities]
    fig, axes = plt.subplots(
        len(sigmas),
        len(cols),
        squeeze=False,
        figsize=(2.1 * len(cols), 2.2 * len(sigmas) + 0.5),
        layout="constrained",
    )
    for row, sigma in enumerate(sigmas):
        sc = None
        norm = _norm(
            np.concatenate(
                [
                    _first(records, "fig5", sigma0=float(sigma), N=N, seed=opts.get("seed"))[
                        "dynamics"
                    ]["final_norm_product"].values
                    for N in Ns
                ]
            )
        )
        for c, (N, s) in enumerate(cols):
            ax = axes[row, c]
            rec = _first(records, "fig5", sigma0=float(sigma), N=N, seed=opts.get("seed"))
            dyn = rec["dynamics"]
            pruned = (rec.get("pruned") or {}).get(s)
            i = time_index(dyn, step)
            ax.set_title(f"N = {N}, {s:.0%} sparsity", fontsize="small")
            ax.set_xlabel(f"cos($\\delta_\\alpha$(t={int(dyn['time'].values[i])}))")
            if pruned is None:
                ax.text(0.5, 0.5, "no IMP masks", ha="center", va="center", transform=ax.transAxes)
                continue
            final = dyn["final_norm_product"].values
            sc = scatter_alignment(ax, dyn["cos_delta"].values[i], pruned, final, norm, s=5)
        axes[row, 0].set_ylabel(f"{_init_name(sigma)}\npruned weights / neuron")
        _colorbar(fig, sc, axes[row, :], "final $a_\\alpha$")
    save_figure(fig, out)


def fig7(records, opts, out):
    """Stable cells (Algorithm 1) vs N, both output alignments, mean +- std over seeds."""
    rows = stable_cell_table(records)
    fig, ax = plt.subplots(figsize=(3.8, 3.0), layout="constrained")
    labels = {1: "c = label 1 (signed data $+\\tilde X$)", -1: "c = label 0 ($-\\tilde X$)"}
    for a, colour in ((1, "tab:red"), (-1, "tab:blue")):
        sub = [r for r in rows if r["alignment"] == a]
        ax.errorbar(
            [r["N"] for r in sub],
            [r["mean"] for r in sub],
            yerr=[r["std"] for r in sub],
            marker="o",
            ms=4,
            capsize=2,
            color=colour,
            label=labels[a],
        )
    n_axis(ax, sorted({r["N"] for r in rows}))
    ax.set_ylabel("stable cells")
    opts_s = records[0]["stable_cells"].attrs.get("options") if records else None
    if opts_s:
        o = json.loads(opts_s)
        ax.set_title(
            f"M = {o['n_probes']} probes, $T_{{max}}$ = {o['t_max']}, p = {o['patience']}",
            fontsize="small",
        )
    ax.legend(frameon=False, fontsize="x-small")
    save_figure(fig, out)


FIGURES = {"fig1": fig1, "fig3": fig3, "fig4": fig4, "fig5": fig5, "fig7": fig7}
