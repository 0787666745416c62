"""Command line of the store's catalog.

    python -m workflow_scripts.store ls [STUDY [KIND]] [KEY=VALUE ...]
    python -m workflow_scripts.store index [--configfile FILE ...]

``ls`` prints the artifacts in results/index.csv that match (values are read as YAML:
``N=800``, ``sigma0=1e-5``, ``activation=linear``). ``index`` rebuilds the index from
the studies' plans for config.yaml plus the overlays given (as Snakemake does after a
successful run); run it in the workflow's working directory.
"""

import argparse
import sys

import yaml

from . import catalog


def parse_value(text):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return yaml.safe_load(text)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m workflow_scripts.store", description="query or rebuild results/index.csv"
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("ls", help="list matching artifacts")
    ls.add_argument("words", nargs="*", help="[study [kind]] key=value ...")
    ix = sub.add_parser("index", help="rebuild results/index.csv from the plans")
    ix.add_argument("--configfile", nargs="*", default=[])
    args = parser.parse_args(argv)
    if args.cmd == "index":
        from ..config_check import load_config
        from ..study import build_plans, catalog_artifacts

        n = catalog.refresh(catalog_artifacts(build_plans(load_config(*args.configfile))))
        print(f"{catalog.INDEX}: {n} artifacts")
        return 0
    positional = [w for w in args.words if "=" not in w]
    if len(positional) > 2:
        parser.error("at most a study and a kind before the key=value filters")
    query = dict(w.split("=", 1) for w in args.words if "=" in w)
    query = {k: parse_value(v) for k, v in query.items()}
    try:
        table = catalog.find(*positional, **query)
    except catalog.CatalogError as exc:
        print(exc, file=sys.stderr)
        return 2
    if table.empty:
        print("no artifact matches", file=sys.stderr)
        return 1
    import pandas as pd

    with pd.option_context(
        "display.max_rows",
        None,
        "display.max_columns",
        None,
        "display.width",
        200,
        "display.max_colwidth",
        80,
    ):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
