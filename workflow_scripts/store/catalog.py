"""Find and open results by what they are, not by their hashed paths.

Every artifact a study plans is listed in ``results/index.csv`` (study, kind, id, path,
format, labels, resolved parameters), rebuilt after every successful Snakemake run
(the Snakefile's ``onsuccess``) and by ``python -m workflow_scripts.store index``;
never edited by hand. Rows whose files were deleted are dropped at each rebuild, rows
of artifacts built under other configurations stay as long as their files exist.

    from workflow_scripts.store import catalog
    catalog.find(study=STUDY, kind="cube", N=800, sigma0=1e-5)       # a pandas table
    ds = catalog.open(study=STUDY, kind="cube", N=800, sigma0=1e-5, seed=0)
    ds = catalog.open_many(study=STUDY, kind="cube", N=800, sigma0=1e-5, concat_dim="seed")

(README's cube section shows it on the studies' own labels.)

A query key matches a label of the artifact (the study's names: ``N``, ``seed``,
``sigma_train``...) or, failing that, any resolved parameter whose dotted path ends
with it (``lr`` matches ``train.lr``); numbers compare with a relative tolerance.
"""

import csv
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .atomic import atomic_path

INDEX = Path("results") / "index.csv"
COLUMNS = ("study", "kind", "id", "path", "format", "labels", "params")


@dataclass(frozen=True)
class Artifact:
    study: str
    kind: str  # data, run, cube, eval, imp, table, figure, claims, ...
    id: str
    path: str  # relative to the working directory
    format: str  # netcdf, torch, npz, csv, checkpoint_dir, pdf
    labels: dict = field(default_factory=dict)  # the few parameters a reader asks by
    params: dict = field(default_factory=dict)  # the fully resolved parameters


class CatalogError(LookupError):
    pass


# ---------------------------------------------------------------------------------
# the index


def read_index(root="."):
    path = Path(root) / INDEX
    if not path.is_file():
        return []
    with path.open(newline="") as fh:  # (this module's open() reads artifacts)
        rows = list(csv.DictReader(fh))
    return [
        Artifact(**{**r, "labels": json.loads(r["labels"]), "params": json.loads(r["params"])})
        for r in rows
    ]


def refresh(artifacts, root="."):
    """Merge the planned artifacts that exist on disk into the index; drop rows whose
    files are gone. Returns the number of rows written."""
    root = Path(root)
    rows = {a.path: a for a in read_index(root)}
    rows.update({a.path: a for a in artifacts})
    kept = sorted(
        (a for a in rows.values() if (root / a.path).exists()),
        key=lambda a: (a.study, a.kind, a.path),
    )
    with atomic_path(root / INDEX) as tmp:
        with Path(tmp).open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            for a in kept:
                row = asdict(a)
                row["labels"] = json.dumps(a.labels, sort_keys=True)
                row["params"] = json.dumps(a.params, sort_keys=True)
                writer.writerow(row)
    return len(kept)


# ---------------------------------------------------------------------------------
# queries


def _flat(params, prefix=""):
    for key, value in params.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flat(value, f"{path}.")
        else:
            yield path, value


def _equal(got, want):
    if isinstance(got, bool) or isinstance(want, bool):
        return got == want
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=0.0)
    if isinstance(got, (list, tuple)):
        return (
            isinstance(want, (list, tuple))
            and len(got) == len(want)
            and all(_equal(g, w) for g, w in zip(got, want))
        )
    return got == want


def _matches(artifact, query):
    for key, want in query.items():
        if key in artifact.labels:
            if not _equal(artifact.labels[key], want):
                return False
            continue
        values = [
            v for path, v in _flat(artifact.params) if path == key or path.endswith(f".{key}")
        ]
        if not any(_equal(v, want) for v in values):
            return False
    return True


def matching(study=None, kind=None, root=".", **query):
    rows = read_index(root)
    if not rows:
        raise CatalogError(
            f"no index at {Path(root) / INDEX}: build something first, or run "
            "`python -m workflow_scripts.store index`"
        )
    return [
        a
        for a in rows
        if (study is None or a.study == study)
        and (kind is None or a.kind == kind)
        and _matches(a, query)
    ]


def find(study=None, kind=None, root=".", **query):
    """The matching artifacts as a pandas DataFrame: study, kind, id, path and one column
    per label (an empty table when nothing matches)."""
    import pandas as pd

    found = matching(study, kind, root, **query)
    return pd.DataFrame(
        [{"study": a.study, "kind": a.kind, "id": a.id, "path": a.path, **a.labels} for a in found],
        columns=None if found else ["study", "kind", "id", "path"],
    )


def _describe(study, kind, query):
    parts = [f"study={study}" if study else "", f"kind={kind}" if kind else ""]
    parts += [f"{k}={v}" for k, v in query.items()]
    return ", ".join(p for p in parts if p)


def one(study=None, kind=None, root=".", **query):
    found = matching(study, kind, root, **query)
    if not found:
        raise CatalogError(f"no artifact matches {_describe(study, kind, query)}")
    if len(found) > 1:
        listing = "\n  ".join(f"{a.study} {a.kind} {a.path} {a.labels}" for a in found[:10])
        raise CatalogError(
            f"{len(found)} artifacts match {_describe(study, kind, query)}; "
            f"narrow the query (open_many combines them):\n  {listing}"
        )
    return found[0]


def open_artifact(artifact, root="."):
    """The artifact's content: an xarray Dataset (netcdf), a dict (torch, npz), a pandas
    DataFrame (csv), a dict of checkpoints + history + spec (checkpoint_dir), or the
    path (pdf)."""
    path = Path(root) / artifact.path
    opener = OPENERS.get(artifact.format)
    if opener is None:
        raise CatalogError(f"no opener for format {artifact.format!r} ({path})")
    return opener(path)


def open(study=None, kind=None, root=".", **query):  # noqa: A001 - catalog.open reads well
    return open_artifact(one(study, kind, root, **query), root)


def open_many(study=None, kind=None, concat_dim="seed", root=".", **query):
    """Every matching netCDF cube, concatenated along a new dimension ``concat_dim``
    whose coordinate is each cube's value of that label (or parameter)."""
    import xarray as xr

    found = matching(study, kind, root, **query)
    if not found:
        raise CatalogError(f"no artifact matches {_describe(study, kind, query)}")
    values = []
    for a in found:
        if a.format != "netcdf":
            raise CatalogError(f"open_many combines cubes; {a.path} is {a.format}")
        vals = (
            [a.labels[concat_dim]]
            if concat_dim in a.labels
            else [v for p, v in _flat(a.params) if p == concat_dim or p.endswith(f".{concat_dim}")]
        )
        if len(vals) != 1:
            raise CatalogError(f"{a.path} has no single value of {concat_dim!r} to combine along")
        values.append(vals[0])
    if len(set(map(str, values))) != len(values):
        raise CatalogError(
            f"{len(found)} cubes match but their {concat_dim} values repeat "
            f"({values}): narrow the query"
        )
    order = sorted(range(len(found)), key=lambda i: values[i])
    datasets = [open_artifact(found[i], root).expand_dims({concat_dim: [values[i]]}) for i in order]
    # coords that differ between runs (e.g. each seed's output weights) gain concat_dim;
    # named explicitly because xarray's defaults are changing
    return xr.concat(
        datasets,
        dim=concat_dim,
        join="outer",
        data_vars="all",
        coords="different",
        compat="equals",
        combine_attrs="drop_conflicts",
    )


# ---------------------------------------------------------------------------------
# openers by format


def _netcdf(path):
    from .cube import open_cube

    return open_cube(path)


def _torch(path):
    from .checkpoints import load_checkpoint

    return load_checkpoint(path)


def _npz(path):
    import numpy as np

    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def _csv(path):
    import pandas as pd

    return pd.read_csv(path)


def _checkpoint_dir(path):
    from .checkpoints import load_checkpoint

    out = {"checkpoints": {p.stem: load_checkpoint(p) for p in sorted(path.glob("*.pt"))}}
    if (path / "spec.json").is_file():
        out["spec"] = json.loads((path / "spec.json").read_text())
    if (path / "history.csv").is_file():
        out["history"] = _csv(path / "history.csv")
    return out


OPENERS = {
    "netcdf": _netcdf,
    "torch": _torch,
    "npz": _npz,
    "csv": _csv,
    "checkpoint_dir": _checkpoint_dir,
    "pdf": Path,
}
