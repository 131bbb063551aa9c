"""Scale schedules lambda_1..lambda_n of a residual stack x_i = x_{i-1} + lambda_i g_i(x_{i-1}).

A *power schedule* is lambda_i = c * n^(-beta) for every layer (docs/theory.md#residual-stacks):
beta = 0 (``const``), beta = 1/2 (``sqrt``, the i.i.d. critical scaling) and beta = 1
(``inv``, the 1/n module scaling principle). An *explicit schedule* lists lambda_i per
layer and only applies at depth n = len(list).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError

#: The named shortcuts and their exponents beta.
NAMED: dict[str, float] = {"const": 0.0, "sqrt": 0.5, "inv": 1.0}


@dataclass(frozen=True)
class Schedule:
    """A scale schedule: power ``c * n^(-beta)`` or an explicit per-layer list.

    Attributes
    ----------
    beta:
        The exponent (>= 0) of a power schedule; None for an explicit list.
    c:
        The constant c > 0 of a power schedule (1.0 for an explicit list).
    values:
        The per-layer scales of an explicit schedule; None for a power schedule.

    Examples
    --------
    >>> power(0.5, 2.0).scales(4).tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> explicit([0.1, 0.2]).scales(2).tolist()
    [0.1, 0.2]
    """

    beta: float | None = None
    c: float = 1.0
    values: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if (self.beta is None) == (self.values is None):
            raise ValueError("a schedule is either a power (beta) or an explicit list (values)")

    @property
    def is_power(self) -> bool:
        return self.beta is not None

    @property
    def label(self) -> str:
        """A short name: ``beta=0.5``, ``2*n^-0.5`` or ``list(n=3)``."""
        if self.beta is None:
            return f"list(n={len(self.values or ())})"
        b = f"{self.beta:g}"
        return f"beta={b}" if self.c == 1.0 else f"{self.c:g}*n^-{b}"

    def scales(self, n: int) -> np.ndarray:
        """The scales lambda_1..lambda_n as a float array.

        Raises
        ------
        UsageError
            When ``n`` < 1, or an explicit schedule is asked for another depth than its length.
        """
        if n < 1:
            raise UsageError(f"depth {n} is not positive; a depth >= 1 is required")
        if self.values is not None:
            if n != len(self.values):
                raise UsageError(
                    f"an explicit schedule of {len(self.values)} scales applies only at depth "
                    f"{len(self.values)}, not {n}"
                )
            return np.asarray(self.values, dtype=float)
        assert self.beta is not None
        return np.full(n, self.c * float(n) ** (-self.beta))


def power(beta: float, c: float = 1.0) -> Schedule:
    """The power schedule lambda_i = c * n^(-beta).

    Raises
    ------
    UsageError
        When beta < 0, c <= 0 or either is not finite.
    """
    if not math.isfinite(beta) or beta < 0:
        raise UsageError(f"beta {beta} is not allowed; a finite beta >= 0 is required")
    if not math.isfinite(c) or c <= 0:
        raise UsageError(f"c {c} is not allowed; a finite c > 0 is required")
    return Schedule(beta=float(beta), c=float(c))


def explicit(values) -> Schedule:
    """An explicit schedule with the given per-layer scales (each finite and >= 0).

    Raises
    ------
    UsageError
        When the list is empty or a value is negative or not finite.
    """
    vals = tuple(float(v) for v in values)
    if not vals:
        raise UsageError("an explicit schedule needs at least one scale")
    bad = [v for v in vals if not math.isfinite(v) or v < 0]
    if bad:
        raise UsageError(f"scale {bad[0]} is not allowed; every lambda_i must be finite and >= 0")
    return Schedule(values=vals)


def parse_schedule(text: str, c: float = 1.0) -> Schedule:
    """Parse ``const``, ``sqrt``, ``inv``, ``power:BETA`` or ``list:L1/L2/.../Ln``.

    ``c`` multiplies the named and power schedules.

    >>> parse_schedule("sqrt").beta
    0.5
    >>> parse_schedule("list:0.5/0.25").values
    (0.5, 0.25)

    Raises
    ------
    UsageError
        For any other text.
    """
    spec = text.strip()
    allowed = "allowed: const, sqrt, inv, power:BETA, list:L1/L2/.../Ln"
    if spec in NAMED:
        return power(NAMED[spec], c)
    head, _, rest = spec.partition(":")
    try:
        if head == "power" and rest:
            return power(float(rest), c)
        if head == "list" and rest:
            return explicit(float(v) for v in rest.split("/"))
    except ValueError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(f"schedule {text!r} has a value that is not a number; {allowed}") from None
    raise UsageError(f"unknown schedule {text!r}; {allowed}")
