"""Table 1 of the race paper (merging clusters): a CSV and a LaTeX table from the cubes.

Beside the paper's k (clusters over all neurons, the neurons left after merging) it
shows k_large, the number of those clusters that contain a neuron with a >=
rel_threshold of the largest (the merged neurons that carry weight; k_large <= k): most
of the k clusters are lone low-norm neurons that carry no weight (docs/studies/race.md)."""

from pathlib import Path

import numpy as np

from ..store.atomic import atomic_path
from .records import merge_rows, write_rows_csv


def _pm(mean, std, fmt, signed=False):
    m = format(mean, ("+" if signed else "") + fmt)
    return m + ("^{*}" if not np.isfinite(std) else f" \\pm {format(std, fmt)}")


def table1(records, options, out_csv, out_tex):
    """CSV (one row per sigma0 x N x tau) and a LaTeX table laid out like the paper's
    (``options``: ``figure_specs.Table1Options``)."""
    rows = merge_rows(records)
    fields = [
        "sigma0",
        "N",
        "tau",
        "n_seeds",
        "k_mean",
        "k_std",
        "k_large_mean",
        "k_large_std",
        "delta_acc_mean",
        "delta_acc_std",
    ]
    write_rows_csv(rows, fields, out_csv)
    taus = sorted({r["tau"] for r in rows})
    rel = 100 * options.rel_threshold
    lines = [
        r"\begin{tabular}{ll" + "rrr" * len(taus) + "}",
        r"\toprule",
        " & & " + " & ".join(f"\\multicolumn{{3}}{{c}}{{$\\tau={t:.2f}$}}" for t in taus) + r" \\",
        r"$\sigma_0$ & $N$ & "
        + " & ".join(["$k$ & $k_{\\mathrm{large}}$ & $\\Delta$acc (\\%)"] * len(taus))
        + r" \\",
        r"\midrule",
    ]
    for sigma in sorted({r["sigma0"] for r in rows}):
        first = True
        for N in sorted({r["N"] for r in rows if r["sigma0"] == sigma}):
            cells = []
            for t in taus:
                r = next(x for x in rows if x["sigma0"] == sigma and x["N"] == N and x["tau"] == t)
                cells += [
                    f"${_pm(r['k_mean'], r['k_std'], '.1f')}$",
                    f"${_pm(r['k_large_mean'], r['k_large_std'], '.1f')}$",
                    f"${_pm(r['delta_acc_mean'], r['delta_acc_std'], '.1f', signed=True)}$",
                ]
            exp = int(np.round(np.log10(sigma))) if sigma > 0 else 0
            label = f"$10^{{{exp}}}$" if first else ""
            lines.append(f"{label} & {N} & " + " & ".join(cells) + r" \\")
            first = False
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"% k: clusters over all neurons (= neurons after merging); k_large: those of them"
        f" that contain a neuron with a >= {rel:g} % of the largest; Delta acc: relative change in"
        r" accuracy after merging (%), mean +- std over seeds; * single seed.",
    ]
    with atomic_path(out_tex) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")
    return rows
