"""The generated ``<!-- figures:<study> -->`` block of a study page: each rendered
figure beside the claims of the paper it supports (the claims table's rows whose
``figure`` column names it)."""

import html
import os
from pathlib import Path

PLACEHOLDER = (
    "No figures rendered here yet: after a default build, `trainscope docs-figures "
    "--results results` renders them here, each beside the claims it supports."
)


def _claim(row):
    text = html.escape(row.get("statement", ""), quote=False)
    return f"- **{row['claim']}** ({row['verdict']}): {text}"


def gallery(study, figures, rows, page_dir, manifest):
    """Markdown of one study's figures (manifest entries) beside their claims."""
    shown = {f["figure"] for f in figures}
    first = figures[0]
    variant = manifest.get("variant", "default")
    lines = [
        f"Rendered by `trainscope docs-figures` from a build at size **{first['size']}**"
        + (f", variant `{variant}`" if variant != "default" else "")
        + f" (code {manifest['code_version']}; figures built {first['built']}).",
        "",
    ]
    for fig in figures:
        png = Path(os.path.relpath(Path(manifest["out"]) / fig["png"], page_dir)).as_posix()
        claims = [_claim(r) for r in rows if r.get("figure") == fig["figure"]]
        lines += [
            f"#### {fig['figure']}",
            "",
            '<div class="grid" markdown>',
            "",
            f"[![{study} {fig['figure']}]({png})]({png})",  # a click opens it full size
            "",
            "<div markdown>",
            "",
            *(claims or ["No claim of the paper is checked on this figure."]),
            "",
            "</div>",
            "",
            "</div>",
            "",
        ]
    others = [_claim(r) for r in rows if r.get("figure") not in shown]
    if others:
        lines += ["#### Claims shown by tables", "", *others, ""]
    return "\n".join(lines).rstrip()


def fill_pages(manifest, claims, out, docs):
    """Fill every study page's figures block; return the studies filled."""
    from ..claims.table import replace_block, write_text

    manifest = {**manifest, "out": str(out)}
    by_study = {}
    for fig in manifest["figures"]:
        by_study.setdefault(fig["study"], []).append(fig)
    filled = []
    for page in sorted(Path(docs, "studies").glob("*.md")):
        study = page.stem
        figures = by_study.get(study)
        block = (
            gallery(study, figures, claims.get(study, []), page.parent, manifest)
            if figures
            else PLACEHOLDER
        )
        text, found = replace_block(page.read_text(), f"figures:{study}", block)
        if found:
            write_text(page, text)
            filled.append(study)
    return filled
