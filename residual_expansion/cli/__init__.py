"""Command line: ``python -m residual_expansion <command> ...`` (same as ``residual-expansion``).

The CLI only parses, calls the library and prints. Each command lives in its own module
of this package with two functions: ``register(subparsers)`` adds its parser (and must
not import heavy libraries), ``run(args) -> int`` does the work and returns the exit
status. Bad input, from argparse or from the library (:class:`UsageError`), becomes one
line on stderr and exit status 2.

Conventions shared by every command live in :mod:`residual_expansion.cli.common`:
``--format text|markdown|latex|json`` (``--standalone`` for a complete LaTeX document),
``--quiet``, a repeated option is an error unless it is a list (then it accumulates), and
the exit status is 0 when every check passes, 1 when one fails, 2 on bad input.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from residual_expansion import __version__
from residual_expansion.cli.common import enforce_single_options
from residual_expansion.errors import InconsistencyError, UsageError

PROG = "residual-expansion"

# Command modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "verify",
    "expand",
    "counts",
    "series",
    "paths",
    "crosscheck",
    "scaling",
    "lesion",
    "schema",
)


#: Python parameter names whose flag is not ``--`` + the name with ``_`` -> ``-``.
FLAG_NAMES: dict[str, str] = {
    "family": "--module",
    "activation_name": "--activation",
    "kind": "--model",
    "s": "--weight-scale",
    "ids": "--claims",
}


def flag(parameter: str) -> str:
    """The command-line flag of a Python parameter.

    >>> flag("lambda_range"), flag("family")
    ('--lambda-range', '--module')
    """
    return FLAG_NAMES.get(parameter, "--" + parameter.replace("_", "-"))


def cli_message(exc: UsageError) -> str:
    """The library's message with every parameter it names (``exc.parameters``) replaced by its flag.

    >>> cli_message(UsageError("use order 6 or less", parameters=("order",)))
    'use --order 6 or less'
    """
    text = str(exc)
    for name in getattr(exc, "parameters", ()):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", flag(name), text)
    return text


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) and exit status 2, and a word
    starting with ``-`` then a digit or ``.digit`` is a value (``--scales -1,0``), never an option."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?[0-9]")

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Symbolic-numeric verifier for the Residual Expansion Theorem of deep residual networks.",
    )

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"residual_expansion.cli.{name}_command").register(sub)
    enforce_single_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {cli_message(exc)}", file=sys.stderr)
        return 2
    except InconsistencyError as exc:  # a wrong result, reported like a FAIL
        print(f"{PROG} {args.command}: FAIL: internal inconsistency: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
