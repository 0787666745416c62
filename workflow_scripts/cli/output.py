"""How the commands print: a table for people, ``--json`` / ``--csv`` for programs."""

import argparse
import json
import sys

OK, NOTHING, USAGE = 0, 1, 2


def add_format_options(parser):
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON (machine-readable)")
    fmt.add_argument("--csv", action="store_true", help="print CSV (machine-readable)")


def command(sub, name, run, help, description=None):
    """A subcommand whose ``run(args)`` returns the exit status."""
    parser = sub.add_parser(name, help=help, description=description or help)
    parser.set_defaults(run=run)
    # also accepted after the command name (`trainscope ls -d DIR ...`)
    parser.add_argument(
        "-d", "--directory", default=argparse.SUPPRESS, metavar="DIR", help="working directory"
    )
    return parser


def print_json(value, out=None):
    json.dump(value, out or sys.stdout, indent=2, default=str)
    (out or sys.stdout).write("\n")


def print_frame(frame, args, out=None):
    """A pandas DataFrame as a table, JSON records or CSV."""
    out = out or sys.stdout
    if getattr(args, "json", False):
        print_json(json.loads(frame.to_json(orient="records")), out)
    elif getattr(args, "csv", False):
        frame.to_csv(out, index=False)
    else:
        import pandas as pd

        with pd.option_context(
            "display.max_rows", None, "display.max_columns", None, "display.width", 200
        ):
            out.write(frame.to_string(index=False, max_colwidth=80) + "\n")


def fail(message, status=NOTHING):
    print(message, file=sys.stderr)
    return status
