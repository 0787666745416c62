"""``trainscope docs-figures``: a build's figure PDFs as PNGs beside the paper's claims.

Renders every ``<results>/figs/<study>/<fig>.pdf`` of the default variant (first page;
``--variant V``: ``<results>/variants/V/figs/...``, e.g. a smoke build's; a study that
draws one folder per run has ``<fig>`` = ``<run>/<figure>``) to ``<out>/<study>/<fig>.png``
with PyMuPDF, reduced to a 256-colour palette with Pillow
(figures are line art: the PNGs shrink ~3x and look the same), writes
``<out>/manifest.json`` (code version, size from the claims table, build date of each
figure) and fills the ``<!-- figures:<study> -->`` block of each study page
``<docs>/studies/<study>.md`` with every figure beside the claims whose ``figure``
column names it. The pages keep the placeholder until this runs, so the docs build
with or without rendered figures.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

from .output import OK, command, fail

DPI = 110


def render_png(pdf, png, dpi=DPI):
    """The first page of ``pdf`` as a palette PNG at ``dpi``; returns its size in bytes."""
    import pymupdf
    from PIL import Image

    from ..store.atomic import atomic_path

    with pymupdf.open(pdf) as doc:
        pix = doc[0].get_pixmap(dpi=dpi, alpha=False)
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    png.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(png) as tmp:
        image.quantize(colors=256, dither=Image.Dither.NONE).save(tmp, "PNG", optimize=True)
    return png.stat().st_size


def _stamp(seconds):
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def variant_root(results, variant):
    """Where a variant's figures, tables and claims tables are (docs: configuration)."""
    return Path(results) if variant == "default" else Path(results, "variants", variant)


def render_all(results, out, dpi=DPI, variant="default"):
    """Render every figure of one variant of a build; return the manifest (also written)
    and the claims tables."""
    from ..claims.table import figure_names, read_tables
    from ..runtime import code_version
    from ..store.atomic import atomic_path

    root, out = variant_root(results, variant), Path(out)
    claims = read_tables(root / "claims")
    # one build has one size (config key `size`): a study whose claims table holds no
    # claims (its header only), or that has none, is shown at the size the others give
    build_size = ", ".join(sorted({r.get("size", "") for rows in claims.values() for r in rows}))
    figures = []
    for study_dir in sorted(p for p in (root / "figs").glob("*") if p.is_dir()):
        study = study_dir.name
        names = sorted(figure_names(study_dir))
        rendered = {out / study / f"{name}.png" for name in names}
        for stale in (out / study).rglob("*.png"):
            if stale not in rendered:
                stale.unlink()
        rows = claims.get(study)
        sizes = ", ".join(sorted({r.get("size", "") for r in rows})) if rows else build_size
        for name in names:
            pdf, png = study_dir / f"{name}.pdf", out / study / f"{name}.png"
            figures.append(
                {
                    "study": study,
                    "figure": name,
                    "png": png.relative_to(out).as_posix(),
                    "pdf": pdf.as_posix(),
                    "size": sizes or "unknown (no claims table)",
                    "built": _stamp(pdf.stat().st_mtime),
                    "bytes": render_png(pdf, png, dpi),
                }
            )
    version = code_version()  # <package version>+<git describe: commit, -dirty if edited>
    manifest = {
        "code_version": version,
        "commit": version.partition("+")[2] or None,
        "rendered": _stamp(datetime.now(UTC).timestamp()),
        "results": str(results),
        "variant": variant,
        "dpi": dpi,
        "figures": figures,
    }
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "manifest.json") as tmp:
        Path(tmp).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest, claims


def run_docs_figures(args):
    from .gallery import fill_pages

    out = Path(args.out)
    docs = Path(args.docs) if args.docs else out.parent
    figs = variant_root(args.results, args.variant) / "figs"
    if not any(figs.glob("*/**/*.pdf")):
        return fail(f"trainscope docs-figures: no figure PDFs under {figs}/<study>/")
    manifest, claims = render_all(args.results, out, args.dpi, args.variant)
    filled = fill_pages(manifest, claims, out, docs)
    total = sum(f["bytes"] for f in manifest["figures"])
    print(f"{len(manifest['figures'])} figures, {total / 1e6:.1f} MB, in {out}")
    print(f"study pages filled: {', '.join(filled) or 'none (no <!-- figures:<study> --> block)'}")
    return OK


def add(sub):
    parser = command(
        sub,
        "docs-figures",
        run_docs_figures,
        "render a build's figures to PNG for the docs, beside the paper's claims",
        "Render every figure PDF of a build (default variant: <results>/figs/<study>/*.pdf) "
        "to <out>/<study>/<fig>.png, write <out>/manifest.json (code version, size, dates) "
        "and fill each study page's <!-- figures:<study> --> block with the figures beside "
        "the claims their rows name.",
    )
    parser.add_argument("--results", default="results", help="the build's results folder")
    parser.add_argument("--out", default="docs/figures", help="where the PNGs go")
    parser.add_argument("--docs", help="the docs folder (default: the parent of --out)")
    parser.add_argument("--dpi", type=int, default=DPI, help=f"resolution (default {DPI})")
    parser.add_argument(
        "--variant",
        default="default",
        help="the variant whose figures to render (default: default; the docs show it)",
    )
