"""``trainscope claims [STUDY] [--variant V]``: the claims tables in the terminal."""

import shutil
import textwrap
from pathlib import Path

from .output import OK, add_format_options, command, fail, print_frame

# long text columns: shown by --verbose, one per line; every other column (the claim, its
# figure, the verdict and whatever columns the table gains) goes in the compact table
LONG = ("statement", "measured", "threshold", "reason", "note")
HIDDEN = ("study", "size")


def claims_folder(root, variant):
    if variant in (None, "default"):
        return Path(root) / "results" / "claims"
    return Path(root) / "results" / "variants" / variant / "claims"


def load(root, study, variant):
    """{study: rows} of the claims tables built in ``root`` (one study, or all)."""
    from ..claims.table import read_table, read_tables

    folder = claims_folder(root, variant)
    if study:
        path = folder / f"{study}.csv"
        return {study: read_table(path)} if path.is_file() else {}
    return read_tables(folder)


def summary(study, rows, folder):
    from ..claims.table import verdict_counts

    counts = ", ".join(f"{n} {v}" for v, n in verdict_counts(rows).items())
    size = ", ".join(sorted({r.get("size", "") for r in rows}))
    return f"{study} (size {size}; {folder / f'{study}.csv'}): {counts}"


def print_verbose(rows):
    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    for r in rows:
        print(f"  {r['verdict'].upper()}: {r['claim']} ({r.get('figure', '')})")
        for key in [k for k in r if k not in HIDDEN + ("claim", "figure", "verdict")]:
            if r[key]:
                print(
                    textwrap.fill(
                        r[key], width, initial_indent=f"    {key}: ", subsequent_indent=" " * 6
                    )
                )


def run_claims(args):
    import pandas as pd

    tables = load(args.directory, args.study, args.variant)
    folder = claims_folder(args.directory, args.variant)
    if not tables:
        what = f"{args.study}.csv" if args.study else "*.csv"
        return fail(f"trainscope claims: no claims table {folder / what}: build it first")
    if args.json or args.csv:
        rows = [
            {**r, "variant": args.variant or "default"} for rows in tables.values() for r in rows
        ]
        print_frame(pd.DataFrame(rows), args)
        return OK
    for i, (study, rows) in enumerate(tables.items()):
        if not rows:  # the header only: a study that checks no claims
            print(("\n" if i else "") + f"{study} ({folder / f'{study}.csv'}): no claims to check")
            continue
        print(("\n" if i else "") + summary(study, rows, folder))
        if args.verbose:
            print_verbose(rows)
            continue
        short = [c for c in rows[0] if c not in LONG + HIDDEN + ("verdict",)]
        columns = [c for c in short if any(r.get(c) for r in rows)] + ["verdict"]  # not all-empty
        frame = pd.DataFrame(rows)[columns]
        print(textwrap.indent(frame.to_string(index=False), "  "))
    return OK


def add(sub):
    parser = command(
        sub,
        "claims",
        run_claims,
        "the claims tables: which of the papers' claims reproduce",
        "Print the claims tables the workflow built (results/claims/<study>.csv, or "
        "results/variants/<variant>/claims/<study>.csv): one line per claim with its "
        "figure and verdict; --verbose adds the paper's statement, what was measured and "
        "the threshold.",
    )
    parser.add_argument("study", nargs="?", help="one study (default: every table built)")
    parser.add_argument("--variant", help="a variant's build (default: the default build)")
    parser.add_argument("-v", "--verbose", action="store_true", help="every column")
    add_format_options(parser)
