"""``trainscope``: the command line of the artifact store.

    trainscope ls [STUDY [KIND]] [KEY=VALUE ...]   artifacts of results/index.csv
    trainscope show ID-or-PATH                     one artifact: content, parameters, provenance
    trainscope claims [STUDY] [--variant V]        the claims tables
    trainscope index [--configfile FILE ...]       rebuild results/index.csv
    trainscope docs-figures --results results      figure PDFs -> PNGs for the docs

Exit status: 0 ok, 1 nothing found or failure, 2 usage error (argparse's). Listings take
``--json`` or ``--csv``. ``-d DIR`` runs in another working directory (where
``results/`` and ``.snakemake/`` are). ``python -m workflow_scripts.store`` is an alias.
"""

import argparse
import sys

from . import claims_cmd, docs_figures, show, store_cmds

# each adds its subparser, whose ``run(args)`` returns the exit status
COMMANDS = (store_cmds.add_ls, show.add, claims_cmd.add, store_cmds.add_index, docs_figures.add)


def build_parser(prog="trainscope"):
    parser = argparse.ArgumentParser(
        prog=prog,
        description="find, inspect and summarise what the trainscope workflow built",
        epilog="exit status: 0 ok, 1 nothing found or failure, 2 usage error",
    )
    parser.add_argument(
        "-d",
        "--directory",
        default=".",
        metavar="DIR",
        help="the workflow's working directory (holds results/ and .snakemake/); default .",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command(sub)
    return parser


def main(argv=None, prog="trainscope"):
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # `trainscope ls ... | head`
        sys.stderr.close()
        return 0
