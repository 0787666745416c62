"""The claims table on disk (CSV) and its rendering into the docs and README.md.

``python -m workflow_scripts.claims.table readme [--results results] [--readme README.md]
[--docs docs]`` copies what the workflow built into marked Markdown blocks, so that no
claims table and no count of reproduced claims is ever typed by hand:

- in every page under ``docs/`` (the study pages ``docs/studies/<study>.md``) and in the
  README, the block between ``<!-- claims:<study> -->`` and ``<!-- /claims:<study> -->``
  becomes a Markdown table of ``results/claims/<study>.csv``;
- the block ``<!-- claims:<study>:<variant> -->`` takes the table of a variant's build,
  ``results/variants/<variant>/claims/<study>.csv`` (every variant found is filled);
- the block ``<!-- status -->`` ... ``<!-- /status -->`` (README.md, docs/index.md)
  becomes one row per study: the paper (from the study page's front matter ``paper:``),
  the figures built, the size, the reproduced / not reproduced / inconclusive counts of
  its default claims table and a link to its page.

``--variant V`` fills only the ``claims:<study>:V`` blocks; a variant built in its own
working directory (the older way) is read with ``--results <dir>/results --variant V
--built-with "--configfile configs/....yaml"`` when ``<dir>/results/variants/V`` is absent.
"""

import argparse
import csv
import os
import re
from collections import Counter
from pathlib import Path

import yaml

from ..store.atomic import atomic_path

FIELDS = (
    "study",
    "size",
    "claim",
    "figure",
    "statement",
    "measured",
    "estimate",  # the claim's headline figure (claims.Result.estimate)
    "interval",  # its 95 % interval
    "n",  # the seeds / images behind it
    "threshold",
    "verdict",  # reproduced / not reproduced / inconclusive / not measured
    "reason",  # which checks decided the verdict, and how
    "note",
)
# how the table's columns are headed in Markdown; columns not named here (added to the
# CSV later) are shown under their own name, before the verdict
HEADINGS = {"statement": "paper", "measured": "measured here", "interval": "95 % interval"}
# size: above the table; reason and note: with the verdict
NOT_SHOWN = {"study", "size", "note", "verdict", "reason"}
VERDICTS = ("reproduced", "not reproduced", "inconclusive")


def write_table(rows, path):
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)


def read_table(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def read_tables(claims_dir):
    """{study: rows} of every ``<study>.csv`` in a claims folder (empty if it is absent)."""
    return {p.stem: read_table(p) for p in sorted(Path(claims_dir).glob("*.csv"))}


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(rows, built_with=None, source=None):
    """The rows as a Markdown table: every column of the CSV but study / size / note
    (the size heads the table, the note follows the verdict)."""
    study = rows[0]["study"]
    size = ", ".join(sorted({r.get("size", "") for r in rows}))
    source = _source(study, built_with, source)
    # a column empty in every row (e.g. no interval for any claim) says nothing: left out
    columns = [c for c in rows[0] if c not in NOT_SHOWN and any(r.get(c) for r in rows)]
    columns.append("verdict")
    lines = [
        f"Built by the workflow at size **{size}** ({source}):",
        "",
        "| " + " | ".join(HEADINGS.get(c, c) for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for r in rows:
        cells = [_cell(r.get(c, "")) for c in columns[:-1]]
        why = "; ".join(_cell(r[k]) for k in ("reason", "note") if r.get(k))
        verdict = f"**{r['verdict']}**" + (f" ({why})" if why else "")
        lines.append("| " + " | ".join([*cells, verdict]) + " |")
    return "\n".join(lines)


def no_claims(study, built_with=None, source=None):
    """What stands for the table of a study whose claims table holds its header only (a
    study that checks no paper's claims)."""
    return f"Built by the workflow ({_source(study, built_with, source)}): no claims to check."


def _source(study, built_with=None, source=None):
    """Where a claims table was read, as shown above it."""
    shown = f"`{source or f'results/claims/{study}.csv'}`"
    return shown + (f" of a build with `{built_with}`" if built_with else "")


def replace_block(text, name, content):
    """``text`` with the block ``<!-- name -->`` ... ``<!-- /name -->`` holding ``content``,
    and whether the block was there."""
    pattern = re.compile(rf"(<!-- {re.escape(name)} -->\n).*?(<!-- /{re.escape(name)} -->)", re.S)
    if not pattern.search(text):
        return text, False
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text), True


def write_text(path, text):
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def update_readme(readme, tables, variant=None, built_with=None, sources=None):
    """Replace each study's marked block (``claims:<study>``, or ``claims:<study>:<variant>``
    for a variant) in one Markdown file; return the blocks found. ``sources``: the CSV
    path shown above each study's table."""
    text = Path(readme).read_text()
    done = []
    for study, rows in tables.items():
        name = f"{study}:{variant}" if variant else study
        source = (sources or {}).get(study)
        table = markdown(rows, built_with, source) if rows else no_claims(study, built_with, source)
        text, found = replace_block(text, f"claims:{name}", table)
        if found:
            done.append(name)
    if done:
        write_text(readme, text)
    return done


# ---------------------------------------------------------------------------------
# the status table


def front_matter(page):
    """The YAML front matter of a Markdown page (``---`` ... ``---`` at its top), or {}."""
    text = Path(page).read_text()
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    return (yaml.safe_load(match.group(1)) or {}) if match else {}


def _natural(name):
    """fig2 before fig10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def figure_names(folder):
    """The figure PDFs under a study's figures folder, named by their path in it without
    the suffix (``fig4``; ``<run>/<figure>`` for a study that draws one folder per run)."""
    return [p.relative_to(folder).with_suffix("").as_posix() for p in Path(folder).rglob("*.pdf")]


def verdict_counts(rows):
    counts = Counter(r["verdict"] for r in rows)
    return {v: counts.get(v, 0) for v in (*VERDICTS, *sorted(set(counts) - set(VERDICTS)))}


def status_markdown(tables, results, docs, page_dir):
    """One row per study (those with a page under ``docs/studies`` or a claims table):
    paper, figures built, size, claims counts by verdict, link to the study page
    (relative to ``page_dir``, the folder of the file that holds the block)."""
    pages = {p.stem: p for p in sorted(Path(docs, "studies").glob("*.md"))}
    studies = sorted(set(pages) | set(tables))
    extra = sorted({v for rows in tables.values() for v in verdict_counts(rows)} - set(VERDICTS))
    verdicts = [*VERDICTS, *extra]
    lines = [
        "| study | paper | figures | size | " + " | ".join(verdicts) + " | docs |",
        "|" + "---|" * (5 + len(verdicts)),
    ]
    for study in studies:
        paper = front_matter(pages[study]).get("paper", "") if study in pages else ""
        figs = sorted(figure_names(Path(results, "figs", study)), key=_natural)
        rows = tables.get(study)
        counts = verdict_counts(rows) if rows else {}
        size = ", ".join(sorted({r.get("size", "") for r in rows})) if rows else "not built"
        if rows == []:  # a table with its header only: the study checks no claims
            size = "built, no claims"
        link = ""
        if study in pages:
            link = f"[{study}]({Path(os.path.relpath(pages[study], page_dir)).as_posix()})"
        cells = [f"`{study}`", _cell(paper), ", ".join(figs) or "-", size]
        cells += [str(counts[v]) if rows and v in counts else "-" for v in verdicts]
        lines.append("| " + " | ".join([*cells, link]) + " |")
    return "\n".join(lines)


def update_status(path, tables, results, docs):
    """Fill the ``<!-- status -->`` block of one Markdown file; True if it has one."""
    text = Path(path).read_text()
    table = status_markdown(tables, results, docs, Path(path).parent)
    text, found = replace_block(text, "status", table)
    if found:
        write_text(path, text)
    return found


# ---------------------------------------------------------------------------------
# the command


def pages(readme, docs):
    found = sorted(Path(docs).rglob("*.md")) if Path(docs).is_dir() else []
    return ([Path(readme)] if Path(readme).is_file() else []) + found


def variant_sources(results, variant=None):
    """{variant: (claims folder, shown path prefix)}: the variants built in ``results``
    (``results/variants/<v>/claims``), or the one asked for."""
    root = Path(results, "variants")
    if variant:
        own = root / variant / "claims"
        if own.is_dir():
            return {variant: (own, f"results/variants/{variant}/claims")}
        return {variant: (Path(results, "claims"), "results/claims")}  # its own working dir
    return {
        d.parent.name: (d, f"results/variants/{d.parent.name}/claims")
        for d in sorted(root.glob("*/claims"))
        if d.is_dir()
    }


def refresh(results="results", readme="README.md", docs="docs", variant=None, built_with=None):
    """Fill every marked block; return {file: [blocks filled]}."""
    done = {}

    def fill(path, tables, name=None, shown="results/claims"):
        sources = {s: f"{shown}/{s}.csv" for s in tables}
        found = update_readme(path, tables, name, built_with, sources)
        done.setdefault(str(path), []).extend(found)

    default = read_tables(Path(results, "claims"))
    for path in pages(readme, docs):
        if variant is None:
            fill(path, default)
            if update_status(path, default, results, docs):
                done.setdefault(str(path), []).append("status")
        for name, (folder, shown) in variant_sources(results, variant).items():
            fill(path, read_tables(folder), name, shown)
    return {path: blocks for path, blocks in done.items() if blocks}


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="copy the built claims tables into the docs' and README.md's marked blocks"
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    cmd = sub.add_parser("readme", help="fill the claims and status blocks")
    cmd.add_argument("--results", default="results")
    cmd.add_argument("--readme", default="README.md")
    cmd.add_argument("--docs", default="docs", help="the docs folder (every page is filled)")
    cmd.add_argument("--variant", help="fill only the <!-- claims:<study>:<variant> --> blocks")
    cmd.add_argument("--built-with", help="how that build was configured (shown above the table)")
    args = parser.parse_args(argv)
    done = refresh(args.results, args.readme, args.docs, args.variant, args.built_with)
    for path, blocks in done.items():
        print(f"updated {path}: {', '.join(blocks)}")
    if not done:
        print("no marked blocks found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
