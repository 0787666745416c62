"""The claims table on disk (CSV) and its rendering into README.md.

``python -m workflow_scripts.claims.table readme [--results results] [--readme README.md]``
replaces, for every ``results/claims/<study>.csv``, the block between
``<!-- claims:<study> -->`` and ``<!-- /claims:<study> -->`` in the README by a Markdown
table of that file: the README's "which claims reproduce" tables are copied from what
the workflow built, never typed by hand.

A build of another configuration (an overlay, in its own working directory) fills the
blocks ``<!-- claims:<study>:<variant> -->`` instead: ``readme --results <dir>/results
--variant hard --built-with "--configfile configs/race_hard.yaml"``.
"""

import argparse
import csv
import re
from pathlib import Path

from ..store.atomic import atomic_path

FIELDS = (
    "study",
    "size",
    "claim",
    "figure",
    "statement",
    "measured",
    "threshold",
    "verdict",
    "note",
)


def write_table(rows, path):
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)


def read_table(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def markdown(rows, built_with=None):
    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ")

    size = ", ".join(sorted({r["size"] for r in rows}))
    source = f"`results/claims/{rows[0]['study']}.csv`"
    if built_with:
        source += f" of a build with `{built_with}`"
    lines = [
        f"Built by the workflow at size **{size}** ({source}):",
        "",
        "| claim | figure | paper | measured here | threshold | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        verdict = f"**{r['verdict']}**" + (f" ({cell(r['note'])})" if r.get("note") else "")
        lines.append(
            f"| {cell(r['claim'])} | {cell(r['figure'])} | {cell(r['statement'])} | "
            f"{cell(r['measured'])} | {cell(r['threshold'])} | {verdict} |"
        )
    return "\n".join(lines)


def update_readme(readme, tables, variant=None, built_with=None):
    """Replace each study's marked block (``claims:<study>``, or ``claims:<study>:<variant>``
    for a variant); return the blocks found."""
    text = Path(readme).read_text()
    done = []
    for study, rows in tables.items():
        name = f"{study}:{variant}" if variant else study
        pattern = re.compile(
            rf"(<!-- claims:{re.escape(name)} -->\n).*?"
            rf"(<!-- /claims:{re.escape(name)} -->)",
            re.S,
        )
        if pattern.search(text):
            table = markdown(rows, built_with)
            text = pattern.sub(lambda m, table=table: m.group(1) + table + "\n" + m.group(2), text)
            done.append(name)
    with atomic_path(readme) as tmp:
        Path(tmp).write_text(text)
    return done


def main(argv=None):
    parser = argparse.ArgumentParser(description="copy the built claims tables into README.md")
    sub = parser.add_subparsers(dest="cmd", required=True)
    cmd = sub.add_parser("readme")
    cmd.add_argument("--results", default="results")
    cmd.add_argument("--readme", default="README.md")
    cmd.add_argument("--variant", help="fill the <!-- claims:<study>:<variant> --> blocks")
    cmd.add_argument("--built-with", help="how that build was configured (shown above the table)")
    args = parser.parse_args(argv)
    tables = {p.stem: read_table(p) for p in sorted(Path(args.results, "claims").glob("*.csv"))}
    done = update_readme(args.readme, tables, args.variant, args.built_with)
    print(f"updated {args.readme}: {', '.join(done) or 'no marked blocks found'}")


if __name__ == "__main__":
    main()
