"""``schema``: print the JSON Schema of a command's ``--format json`` output."""

from __future__ import annotations

import argparse
import json

# Kept literal so that registering the parser imports nothing; a test checks it against
# residual_expansion.schemas.SCHEMA_MAJOR.
SCHEMA_COMMANDS = ("verify", "expand", "counts", "series", "paths", "crosscheck", "scaling", "lesion")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of a command's JSON output",
        description="Print the JSON Schema (draft 2020-12) that COMMAND's --format json output follows; "
                    "the output's \"schema\" field names it, e.g. residual-expansion/verify/1.",
    )
    p.add_argument("name", metavar="COMMAND", choices=SCHEMA_COMMANDS,
                   help=f"one of {', '.join(SCHEMA_COMMANDS)}")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.schemas import load_schema

    print(json.dumps(load_schema(args.name), indent=2))
    return 0
