"""Argument types shared by the commands: each rejects bad input with one line naming the rule.

Numbers are parsed strictly (:mod:`residual_expansion.limits`): ASCII digits only (no
``1_0``, no Arabic-Indic digits), a bounded number of characters and of exponent digits,
finite values; list items may not be empty. Negative numbers are values, not options
(``--scales -1,0``); see :class:`residual_expansion.cli._Parser`.
"""

from __future__ import annotations

import argparse
from fractions import Fraction

from residual_expansion.errors import UsageError
from residual_expansion.limits import parse_float, parse_int, parse_rational


def _strict(parse, text: str):
    try:
        return parse(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    """A strictly positive integer (``--depth``, ``--order``, ``--samples``, ...).

    >>> positive_int("12")
    12
    """
    value = _strict(parse_int, text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive; a positive integer is required")
    return value


def nonnegative_int(text: str) -> int:
    """An integer >= 0 (``--seed``)."""
    value = _strict(parse_int, text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; an integer >= 0 is required")
    return value


def finite_float(text: str) -> float:
    """A finite real number such as ``0.5``, ``-2`` or ``1e-3``."""
    return _strict(parse_float, text)


def rational(text: str) -> Fraction:
    """An exact rational such as ``1/3``, ``0.25``, ``-2`` or ``2``."""
    return _strict(parse_rational, text)


def share(text: str) -> Fraction:
    """A share in (0, 1], exact: ``0.95``, ``19/20`` or ``1`` (``paths --share``)."""
    try:
        value = parse_rational(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {exc}; a share in (0, 1] such as 0.95 is required") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not in (0, 1]; a share such as 0.95 is required")
    return value


def float_pair(text: str) -> tuple[float, float]:
    """Two finite numbers ``lo,hi`` (``crosscheck --lambda-range``)."""
    values = comma_list(finite_float)(text)
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not two numbers lo,hi")
    return values


#: Items of one comma-separated list (each a depth, a scale, an exponent).
MAX_LIST_ITEMS = 10_000


def comma_list(item_type):
    """A comma-separated list whose items each pass ``item_type``; an empty item is an error.

    >>> comma_list(positive_int)("1,2,3")
    (1, 2, 3)
    """

    def parse(text: str) -> tuple:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) > MAX_LIST_ITEMS:
            raise argparse.ArgumentTypeError(f"{len(parts)} items are beyond the limit of {MAX_LIST_ITEMS} per list")
        if parts == [""]:
            raise argparse.ArgumentTypeError("empty list; give comma-separated values like 1,2,3")
        if "" in parts:
            raise argparse.ArgumentTypeError(f"{text!r} has an empty item; give comma-separated values like 1,2,3")
        return tuple(item_type(s) for s in parts)

    parse.accumulates = True  # a repeated option extends the list (cli.common.enforce_single_options)
    return parse


def float_grid(text: str) -> tuple[float, ...]:
    """Finite numbers as a comma list ``0.25,0.5,1`` or a range ``a:b:n`` (n evenly spaced
    values from a to b, both ends included; n >= 1, n = 1 gives a)."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"{text!r} is not a range a:b:n")
        lo, hi = finite_float(parts[0]), finite_float(parts[1])
        n = positive_int(parts[2])
        if n == 1:
            return (lo,)
        return tuple(lo + (hi - lo) * i / (n - 1) for i in range(n))
    return comma_list(finite_float)(text)
