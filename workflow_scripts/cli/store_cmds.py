"""``trainscope ls`` and ``trainscope index``: the catalog (results/index.csv)."""

from pathlib import Path

from .output import OK, USAGE, add_format_options, command, fail, print_frame, print_json


def parse_value(text):
    """A KEY=VALUE value: an int, a float, else YAML (``linear``, ``true``, ``[1, 2]``)."""
    import yaml

    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return yaml.safe_load(text)


def query_of(words):
    """(study, kind, {key: value}) of ``[STUDY [KIND]] KEY=VALUE ...``, or a usage error."""
    positional = [w for w in words if "=" not in w]
    if len(positional) > 2:
        raise ValueError("at most a study and a kind before the KEY=VALUE filters")
    pairs = (w.split("=", 1) for w in words if "=" in w)
    query = {k: parse_value(v) for k, v in pairs}
    return (positional + [None, None])[:2] + [query]


def run_ls(args):
    from ..store import catalog

    try:
        study, kind, query = query_of(args.words)
    except ValueError as exc:
        return fail(f"trainscope ls: {exc}", USAGE)
    try:
        found = catalog.matching(study, kind, root=args.directory, **query)
    except catalog.CatalogError as exc:
        return fail(str(exc))
    if not found:
        return fail("no artifact matches")
    if args.json:
        from dataclasses import asdict

        print_json([asdict(a) for a in found])
        return OK
    print_frame(catalog.find(study, kind, root=args.directory, **query), args)
    return OK


def add_ls(sub):
    parser = command(
        sub,
        "ls",
        run_ls,
        "list the artifacts of results/index.csv that match",
        "List the artifacts of results/index.csv that match: a study, a kind (data, run, "
        "cube, figure, table, claims, ...) and KEY=VALUE filters on their labels or on any "
        "resolved parameter (values read as YAML: N=800 sigma0=1e-5 activation=linear). "
        "--json also gives every artifact's resolved parameters.",
    )
    parser.add_argument("words", nargs="*", metavar="[STUDY [KIND]] [KEY=VALUE ...]")
    add_format_options(parser)


def run_index(args):
    from ..config_check import load_config
    from ..store import catalog
    from ..study import build_plans, catalog_artifacts

    n = catalog.refresh(
        catalog_artifacts(build_plans(load_config(*args.configfile))), root=args.directory
    )
    print(f"{Path(args.directory) / catalog.INDEX}: {n} artifacts")
    return OK


def add_index(sub):
    parser = command(
        sub,
        "index",
        run_index,
        "rebuild results/index.csv from the studies' plans",
        "Rebuild results/index.csv from the studies' plans for config.yaml plus the overlays "
        "given (as Snakemake does after every successful run that built something). Rows "
        "of artifacts built under other configurations stay while their files exist.",
    )
    parser.add_argument("--configfile", nargs="*", default=[], metavar="FILE")
