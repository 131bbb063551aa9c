"""Decimal strings of huge integers in sub-quadratic time.

Python's own ``str(int)`` is quadratic in the number of digits (CPython 3.11), so the
exact path counts of ``paths --format json`` (about 0.3 n decimal digits each, n + 1 of
them) cost seconds at depth 30,000. :func:`decimal_string` hands large integers to GMP
through gmpy2 (``mpz.digits()``, sub-quadratic); measured on the 30,001 binomial
coefficients C(30000, k) (docs/benchmarks.md): ``str`` 2.6 ms, gmpy2 0.33 ms for the
9,000-digit middle coefficient. Without gmpy2 the result is the same, from ``str``.
"""

from __future__ import annotations

import sys

try:  # a core dependency (pyproject.toml); the fallback keeps a bare install working
    from gmpy2 import mpz as _mpz
except ImportError:  # pragma: no cover - exercised by monkeypatching _mpz in the tests
    _mpz = None

#: Below this many bits ``str`` is as fast as GMP (the conversion overhead dominates).
SMALL_BITS = 2048


def decimal_string(x: int) -> str:
    """``str(x)`` for a Python int of any size, without the 4300-digit limit, in sub-quadratic time.

    Arguments
    ---------
    x: an int (bool is refused: it is not a count).

    Returns
    -------
    The decimal digits, with a leading ``-`` when negative; equal to ``str(x)``.

    Raises
    ------
    TypeError
        When ``x`` is not an int.

    >>> decimal_string(2**100), decimal_string(-7), decimal_string(0)
    ('1267650600228229401496703205376', '-7', '0')
    >>> len(decimal_string(10**5000))
    5001
    """
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"x must be an int, got {type(x).__name__}")
    if x.bit_length() <= SMALL_BITS:
        return str(x)
    if _mpz is not None:
        return _mpz(x).digits()
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(x)
    finally:
        sys.set_int_max_str_digits(previous)


def fraction_string(numerator: int, denominator: int) -> str:
    """``"p/q"`` as ``str(Fraction(p, q))`` writes it (``"p"`` when q = 1), via :func:`decimal_string`.

    >>> fraction_string(3, 4), fraction_string(5, 1)
    ('3/4', '5')
    """
    if denominator == 1:
        return decimal_string(numerator)
    return f"{decimal_string(numerator)}/{decimal_string(denominator)}"
