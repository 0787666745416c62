"""``trainscope show ID-or-PATH``: one artifact's content, parameters and provenance."""

import json
import os
from dataclasses import asdict
from pathlib import Path

from .output import OK, command, fail, print_json
from .provenance import provenance

SHORT = 100  # characters of an attribute shown without --full


def find_artifacts(target, root):
    """The index rows whose id or path is ``target`` (a path may be absolute or relative
    to the working directory or to the current directory)."""
    from ..store.catalog import read_index

    rows = read_index(root)
    exact = [a for a in rows if a.id == target]
    if exact:
        return exact
    candidates = {Path(target).as_posix()}
    for base in (Path.cwd(), Path(root)):
        full = (base / target).resolve()
        candidates.add(Path(os.path.relpath(full, Path(root).resolve())).as_posix())
    return [a for a in rows if Path(a.path).as_posix() in candidates]


def _values(array, n=5):
    values = array.values.ravel()
    shown = [v.item() if hasattr(v, "item") else v for v in values[:n]]
    return shown + (["..."] if values.size > n else [])


def netcdf_content(path):
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return {
            "dims": dict(ds.sizes),
            "coords": {
                name: {"dims": list(c.dims), "dtype": str(c.dtype), "values": _values(c)}
                for name, c in ds.coords.items()
            },
            "variables": {
                name: {
                    "dims": list(v.dims),
                    "dtype": str(v.dtype),
                    "long_name": v.attrs.get("long_name", ""),
                    "units": v.attrs.get("units", ""),
                }
                for name, v in ds.data_vars.items()
            },
            "attrs": {k: v.item() if hasattr(v, "item") else v for k, v in ds.attrs.items()},
        }


def file_content(path, fmt):
    """What a reader needs to know of a file without loading it whole."""
    path = Path(path)
    if not path.exists():
        return {"missing": str(path)}
    if fmt == "netcdf":
        return netcdf_content(path)
    if path.is_dir():
        files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
        return {"files": files, "bytes": sum((path / f).stat().st_size for f in files)}
    content = {"bytes": path.stat().st_size}
    if fmt == "csv":
        import pandas as pd

        table = pd.read_csv(path)
        content.update(rows=len(table), columns=list(table.columns))
    elif fmt == "npz":
        import numpy as np

        with np.load(path) as f:
            content["arrays"] = {k: [list(f[k].shape), str(f[k].dtype)] for k in f.files}
    elif fmt == "pdf":
        import pymupdf

        with pymupdf.open(path) as doc:
            content["pages"] = doc.page_count
    return content


def describe(target, root):
    """Every view of ``target``: index rows (with content and provenance), or the file
    alone when the index does not list it; [] when neither exists."""
    found = find_artifacts(target, root)
    if found:
        return [
            {
                "artifact": asdict(a),
                "content": file_content(Path(root) / a.path, a.format),
                "built": provenance(root, a.path),
            }
            for a in found
        ]
    path = Path(target) if Path(target).exists() else Path(root) / target
    if not path.exists():
        return []
    rel = Path(os.path.relpath(path.resolve(), Path(root).resolve())).as_posix()
    fmt = {".nc": "netcdf", ".csv": "csv", ".npz": "npz", ".pdf": "pdf"}.get(path.suffix, "")
    return [{"artifact": None, "content": file_content(path, fmt), "built": provenance(root, rel)}]


def _short(value, full):
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if full or len(text) <= SHORT else text[: SHORT - 3] + "..."


def print_view(view, full):
    a, content, built = view["artifact"], view["content"], view["built"]
    if a:
        print(f"{a['study']} {a['kind']} {a['id']}\n  path: {a['path']} ({a['format']})")
        for key, value in a["labels"].items():
            print(f"  {key}: {value}")
    for key in ("missing", "bytes", "pages", "rows", "columns", "arrays", "files"):
        if key in content:
            print(f"  {key}: {_short(content[key], full)}")
    if "dims" in content:
        print("dims: " + ", ".join(f"{k}={v}" for k, v in content["dims"].items()))
        print("coords:")
        for name, c in content["coords"].items():
            print(f"  {name} ({', '.join(c['dims'])}) {c['dtype']}: {_short(c['values'], full)}")
        print("variables:")
        for name, v in content["variables"].items():
            unit = f" [{v['units']}]" if v["units"] else ""
            print(f"  {name} ({', '.join(v['dims'])}) {v['dtype']}: {v['long_name']}{unit}")
        print("attrs:")
        for key, value in content["attrs"].items():
            print(f"  {key}: {_short(value, full)}")
    if a:
        print("resolved parameters:")
        for line in json.dumps(a["params"], indent=2, sort_keys=True).splitlines():
            print(f"  {line}")
    if built is None:
        print("built: no Snakemake record (built elsewhere, or its metadata was cleaned)")
        return
    print(f"built by rule {built['rule']} with code digest {built['code_digest']}")
    print(f"  started {built['started']}, finished {built['finished']}")
    print("  from:" + ("" if built["inputs"] else " (no input files)"))
    for path in built["inputs"]:
        print(f"    {path}")
    for path in built["log"]:
        print(f"  log: {path}")


def run_show(args):
    views = describe(args.target, args.directory)
    if not views:
        return fail(
            f"trainscope show: no artifact with id or path {args.target!r} in "
            f"{Path(args.directory) / 'results' / 'index.csv'}, and no such file"
        )
    if args.json:
        print_json(views if len(views) > 1 else views[0])
        return OK
    for i, view in enumerate(views):
        if i:
            print()
        print_view(view, args.full)
    return OK


def add(sub):
    parser = command(
        sub,
        "show",
        run_show,
        "one artifact: dims, coords, attrs, parameters, what it was built from",
        "Show one artifact, by its id or its path: its catalog row (labels, fully resolved "
        "parameters), its content (a cube's dims, coords, variables and attributes; a "
        "table's columns; a folder's files) and what Snakemake recorded when it built it "
        "(rule, input files, the code digest of the stage, start and end times, log).",
    )
    parser.add_argument("target", metavar="ID-or-PATH")
    parser.add_argument("--json", action="store_true", help="print JSON (machine-readable)")
    parser.add_argument("--full", action="store_true", help="do not shorten long attributes")
