"""Conventions every command shares: output options, progress, repeated options, JSON schema tags.

Every command that prints results calls :func:`add_output_options` in its ``register``
(``--format text|markdown|latex|json``, ``--standalone``, ``--quiet``) and prints through
:func:`emit`; a JSON document is tagged by :func:`tag` with
``"schema": "residual-expansion/<command>/<major>"``; long loops report progress through
:func:`progress` (tqdm on stderr, silent when stderr is not a terminal or with
``--quiet``). The parser built in :mod:`residual_expansion.cli` makes a repeated option an
error, except list options (comma lists, ``append``), which accumulate.

Exit status, for every command: 0 when every check passes (or the command checks
nothing), 1 when a check fails, 2 on bad input (one line on stderr).

This module imports nothing heavy, so that registering the parsers stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO
from residual_expansion.errors import UsageError
from residual_expansion.render.latex import requirements_comment, standalone
from residual_expansion.schemas import schema_id, tag  # noqa: F401  (re-exported for the commands)

#: The output formats of every command that prints results.
FORMATS: tuple[str, ...] = ("text", "markdown", "latex", "json")

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_output_options(parser: argparse.ArgumentParser, *, formats: tuple[str, ...] = FORMATS,
                       progress: bool = True) -> None:
    """Add ``--format``, ``--standalone`` and (with ``progress``) ``--quiet`` to ``parser``."""
    parser.add_argument("--format", choices=formats, default="text",
                        help=f"output format: {', '.join(formats)} (default text)")
    parser.add_argument("--standalone", action="store_true",
                        help="with --format latex: a complete document (documentclass, packages) "
                             "that compiles with pdflatex as it is")
    if progress:
        add_quiet_option(parser)


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--quiet`` (no progress bar on stderr)."""
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar on stderr (it is also off when stderr is not a terminal)")


#: Figure sizes of ``--figsize``: columns of a two-column paper (render/figures.py WIDTHS).
FIGURE_SIZES: tuple[str, ...] = ("one", "two")


def add_figsize_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--figsize one|two`` to a command that writes figures (the width of a paper column)."""
    parser.add_argument("--figsize", choices=FIGURE_SIZES, default=None,
                        help="figure width: one (3.25 in, one column) or two (6.75 in, two columns) of a paper, "
                             "fonts 8 pt at that size (default: one column for a single panel, two for "
                             "side-by-side panels); the file format follows the extension: .png, .pdf, .svg, .eps")


def check_figsize(args: argparse.Namespace, *outputs: str) -> None:
    """Reject ``--figsize`` when none of the figure options ``outputs`` (``plot``, ...) is given.

    Raises
    ------
    UsageError
        When ``figsize`` is set without a figure to size.

    >>> check_figsize(argparse.Namespace(figsize="one", plot="f.pdf"), "plot")
    >>> check_figsize(argparse.Namespace(figsize="one", plot=None), "plot")
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: figsize applies only with a figure: give plot
    """
    if getattr(args, "figsize", None) is not None and not any(getattr(args, o, None) for o in outputs):
        raise UsageError(f"figsize applies only with a figure: give {' or '.join(outputs)}",
                         parameters=("figsize", *outputs))


def check_output_options(args: argparse.Namespace) -> None:
    """Reject ``--standalone`` without ``--format latex``.

    Raises
    ------
    UsageError
        When ``standalone`` is set and ``format`` is not ``latex``.

    >>> check_output_options(argparse.Namespace(format="latex", standalone=True))
    >>> check_output_options(argparse.Namespace(format="json", standalone=True))
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: --standalone applies to --format latex only (got --format json)
    """
    if getattr(args, "standalone", False) and getattr(args, "format", "text") != "latex":
        raise UsageError(f"--standalone applies to --format latex only (got --format {args.format})")


def emit(args: argparse.Namespace, text: str, *, title: str = "") -> None:
    """Print ``text`` to stdout; LaTeX with ``--standalone`` is wrapped in a complete document,
    without it starts with a comment naming the packages it needs."""
    if getattr(args, "format", None) == "latex":
        text = standalone(text, title=title) if getattr(args, "standalone", False) else (
            requirements_comment() + "\n" + text)
    print(text)


def emit_stream(args: argparse.Namespace, write: Callable[[TextIO], None], *, title: str = "") -> None:
    """Like :func:`emit`, for output written piece by piece: ``write(sys.stdout)``."""
    latex = getattr(args, "format", None) == "latex"
    if latex:
        if getattr(args, "standalone", False):
            head, tail = standalone("\0", title=title).split("\0")
            sys.stdout.write(head)
            write(sys.stdout)
            sys.stdout.write(tail.lstrip("\n") + "\n")
            return
        sys.stdout.write(requirements_comment() + "\n")
    write(sys.stdout)


def progress(total: int | None, *, desc: str, quiet: bool = False, unit: str = "it"):
    """A tqdm progress bar on stderr; disabled with ``quiet`` or when stderr is not a terminal.

    Use as a context manager; ``bar.update(n)`` advances it.

    >>> with progress(3, desc="demo", quiet=True) as bar:
    ...     bar.update(3)
    ...     bar.disable
    True
    """
    from tqdm import tqdm  # start-up: tqdm is loaded only by commands that show a progress bar

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                disable=quiet or not sys.stderr.isatty(), dynamic_ncols=True)


class StoreOnce(argparse.Action):
    """``store``, but giving the same option twice is an error (never a silent overwrite)."""

    def __call__(self, parser, namespace, values, option_string=None):
        seen = getattr(namespace, "_given_options", set())
        if self.dest in seen:
            parser.error(f"{option_string} given twice; give it once")
        namespace._given_options = seen | {self.dest}
        setattr(namespace, self.dest, values)


class Accumulate(argparse.Action):
    """A comma-list option given twice accumulates: ``--depths 2,3 --depths 4`` is ``(2, 3, 4)``."""

    def __call__(self, parser, namespace, values, option_string=None):
        seen = getattr(namespace, "_given_options", set())
        if self.dest in seen:
            values = tuple(getattr(namespace, self.dest)) + tuple(values)
        namespace._given_options = seen | {self.dest}
        setattr(namespace, self.dest, values)


def enforce_single_options(parser: argparse.ArgumentParser) -> None:
    """Make every ``store`` option of ``parser`` (and its subcommands) error when repeated.

    Options whose type is a comma list (:func:`residual_expansion.cli.args.comma_list`)
    accumulate instead; ``append`` options already accumulate.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                enforce_single_options(sub)
        elif type(action) is argparse._StoreAction and action.option_strings:
            action.__class__ = Accumulate if getattr(action.type, "accumulates", False) else StoreOnce
