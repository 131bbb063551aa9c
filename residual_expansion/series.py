"""Truncated power series arithmetic, the one implementation every route uses.

A truncated series s(lambda) = sum_{k<K} s[k] lambda^k is stored by its coefficients with
the power of lambda on the leading axis (the project's convention):

* exact coefficients (ints, Fractions, sympy ring elements) in Python lists: :func:`mul`
  and :func:`pow_table` (the exact composition routes of the theorem, the exact route of
  user modules);
* float64 coefficients in numpy arrays of shape (K, ...): :func:`coefficient`, one
  coefficient of a product at a time, as the Taylor-mode recurrences of the activations
  and normalization layers need (each new coefficient depends on the previous ones).

Reference: the Cauchy product; Griewank and Walther, *Evaluating Derivatives*, ch. 13.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def mul(a: Sequence[Any], b: Sequence[Any], zero: Any = 0) -> list[Any]:
    """The product of two truncated series of the same length, truncated to that length (exact).

    ``zero`` is the ring's zero (ints stay ints with the default); zero coefficients are skipped.

    >>> mul([1, 2, 3], [1, 1, 0])
    [1, 3, 5]
    """
    n = len(a)
    out = [zero] * n
    for i, ai in enumerate(a):
        if ai:
            for j in range(n - i):
                if b[j]:
                    out[i + j] += ai * b[j]
    return out


def pow_table(series: Sequence[Any], m_max: int, one: Any = 1,
              product: Callable[[Sequence[Any], Sequence[Any]], list[Any]] | None = None) -> list[list[Any]]:
    """[s^0, s^1, ..., s^m_max] as truncated series of the same length as ``series``.

    ``one`` is the ring's unit (its zero is ``one - one``); ``product`` multiplies two
    truncated series (default :func:`mul` with that zero).

    >>> pow_table([0, 1, 2], 2)
    [[1, 0, 0], [0, 1, 2], [0, 0, 1]]
    """
    n = len(series)
    zero = one - one
    times = product or (lambda a, b: mul(a, b, zero))
    table = [[one] + [zero] * (n - 1)]
    for _ in range(m_max):
        table.append(times(table[-1], series))
    return table


def coefficient(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """Coefficient k of the product of two numpy series: sum_{i=0..k} a[i] b[k-i] (elementwise over the other axes).

    >>> coefficient(np.array([1.0, 2.0]), np.array([3.0, 4.0]), 1).item()
    10.0
    """
    return np.einsum("i...,i...->...", a[: k + 1], b[k::-1])


__all__ = ["mul", "pow_table", "coefficient"]
