"""Argument types shared by the commands: each rejects bad input with one line naming the rule."""

from __future__ import annotations

import argparse
from fractions import Fraction


def positive_int(text: str) -> int:
    """A strictly positive integer (``--depth``, ``--order``, ``--samples``, ...)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer; a positive integer is required") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive; a positive integer is required")
    return value


def nonnegative_int(text: str) -> int:
    """An integer >= 0 (``--seed``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer; an integer >= 0 is required") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; an integer >= 0 is required")
    return value


def finite_float(text: str) -> float:
    """A finite real number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not finite; a finite number is required")
    return value


def rational(text: str) -> Fraction:
    """An exact rational such as ``1/3``, ``0.25`` or ``2``."""
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a rational number like 1/3 or 0.25") from None


def share(text: str) -> Fraction:
    """A share in (0, 1], exact: ``0.95``, ``19/20`` or ``1`` (``paths --share``)."""
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; a share in (0, 1] such as 0.95 is required") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not in (0, 1]; a share such as 0.95 is required")
    return value


def float_pair(text: str) -> tuple[float, float]:
    """Two finite numbers ``lo,hi`` (``crosscheck --lambda-range``)."""
    values = comma_list(finite_float)(text)
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not two numbers lo,hi")
    return values


def comma_list(item_type):
    """A comma-separated list whose items each pass ``item_type``."""

    def parse(text: str) -> tuple:
        items = [s for s in (p.strip() for p in text.split(",")) if s]
        if not items:
            raise argparse.ArgumentTypeError("empty list; give comma-separated values like 1,2,3")
        return tuple(item_type(s) for s in items)

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
