"""Panels and scales the race figures share: alignment scatters, clustered similarity
matrices, the log N axis, init-scale names."""

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import NullFormatter, NullLocator

INIT_NAMES = {1e-5: "small init", 1e-3: "medium init"}
CMAP_NORM = "rocket_r"  # darker = larger final norm, as in the paper
CMAP_SIM = "vlag"


def init_name(sigma):
    for s, name in INIT_NAMES.items():
        if np.isclose(sigma, s):
            return f"{name} ($\\sigma_0$={sigma:g})"
    return f"$\\sigma_0$={sigma:g}"


def log_norm(values):
    """A log colour scale over the positive finite values (None when there are none)."""
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
    return ax.scatter(
        cos[ok][order],
        y[ok][order],
        c=np.clip(colour[ok][order], norm.vmin, None) if norm is not None else "0.3",
        cmap=cmap,
        norm=norm,
        s=s,
        edgecolors="0.45",
        linewidths=0.25,
    )


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
    ax.set_xlabel(f"{k} clusters ($\\tau$={tau:g})", fontsize="small")
    return im


def colorbar(fig, mappable, ax, label):
    if mappable is not None and mappable.norm is not None:
        fig.colorbar(mappable, ax=ax, label=label, fraction=0.05, pad=0.02)


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
