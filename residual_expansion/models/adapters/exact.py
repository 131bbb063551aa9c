"""The exact route: the closed form against the composed stack, in exact arithmetic.

For modules given as sympy expressions (:class:`SympyModule`) and an exact point x0, both
sides of the Residual Expansion Theorem at order K are computed exactly:

* **composition** (no trees): at lambda = 0 every x_{i-1} equals x0, so the series of
  x_n(lambda) only needs each module's Taylor polynomial at x0,
  ``P_i(e) = sum_{m<K} (1/m!) d^m/dt^m g_i(x0 + t e)|_{t=0}`` (a polynomial in a
  displacement e, differentiated along a line), and the truncated composition
  ``X_i(lambda) = X_{i-1}(lambda) + lambda P_i(X_{i-1}(lambda) - x0)``;
* **closed form** (trees): ``T_k = sum_{|t| = k} (1/sigma(t)) F(t)(x0)`` with
  ``F(t) = g_r^(m)(x0)[F(t_1), ..., F(t_m)]`` contracted from the partial-derivative
  tensors d^m g_r / dx_{j_1} ... dx_{j_m} at x0 (memoised by subtree).

Every number is an exact sympy number (rationals and values such as sin(3/4)); both sides
are mapped into one polynomial ring (or rational-function field) over Q whose generators
are those transcendental values, and compared there. Equal ring elements are equal
numbers, so a PASS proves x_n(lambda) = x0 + sum_{k<=K} lambda^k T_k + O(lambda^(K+1)) for
that stack at that point; a FAIL names the lowest order and coordinate that differ (it is
a difference of ring elements: an identity such as sin^2 + cos^2 = 1 between the
generators would show as a FAIL, never as a false PASS).

Reference: docs/theory.md#the-residual-expansion-theorem (the theorem) and proofs/ (the induction).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import factorial
from typing import Any

import numpy as np
import sympy
from sympy.polys.fields import sfield
from sympy.polys.rings import sring

from residual_expansion import series
from residual_expansion.errors import UsageError
from residual_expansion.models.adapters.common import as_module, stack_dim
from residual_expansion.models.adapters.sympy_module import SympyModule
from residual_expansion.theorem.expansion import expand


@dataclass(frozen=True)
class ExactCheck:
    """What :func:`exact_check` found.

    Attributes
    ----------
    depth, order, dim: n, K, d.
    point: x0 as strings of exact numbers.
    terms, subtrees: closed-form terms summed and distinct subtrees evaluated.
    generators: transcendental values the comparison ring is built on (0: all rational).
    mismatches: (order k, coordinate j) pairs where the two sides differ, lowest first.
    first_mismatch: for the lowest mismatch, (composition, closed form) as strings, else None.
    passed: no mismatch.
    """

    depth: int
    order: int
    dim: int
    point: tuple[str, ...]
    terms: int
    subtrees: int
    generators: int
    mismatches: tuple[tuple[int, int], ...]
    first_mismatch: tuple[str, str] | None
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"depth": self.depth, "order": self.order, "dim": self.dim, "point": list(self.point),
                "terms": self.terms, "subtrees": self.subtrees, "generators": self.generators,
                "mismatches": [list(m) for m in self.mismatches],
                "first_mismatch": list(self.first_mismatch) if self.first_mismatch else None,
                "pass": self.passed}

    def _repr_markdown_(self) -> str:
        # renderers import the result types, not the reverse: a result loads its renderer on display
        from residual_expansion.render.notebook import exact_markdown

        return exact_markdown(self)


def exact_point(dim: int, seed: int = 0) -> tuple[sympy.Rational, ...]:
    """A seeded exact point: coordinates j/8 with j uniform in -8..8 (numpy ``default_rng(seed)``).

    >>> exact_point(3, seed=0)
    (3/4, 1/4, 0)
    """
    rng = np.random.default_rng(seed)
    return tuple(sympy.Rational(int(j), 8) for j in rng.integers(-8, 9, dim))


def _line_taylor(module: SympyModule, point: Sequence[sympy.Expr], order: int, e: Sequence[sympy.Symbol]):
    """{monomial exponents in e: coefficient} of P(e) = sum_{m<K} (1/m!) d^m/dt^m g(x0 + t e)|_{t=0}, per coordinate."""
    t = sympy.Symbol("t_line")
    subs = {s: p + t * ei for s, p, ei in zip(module.symbols, point, e)}
    out = []
    for expr in module.exprs:
        f = expr.xreplace(subs)
        poly: dict[tuple[int, ...], sympy.Expr] = {}
        for m in range(order):
            dm = f.diff(t, m).xreplace({t: 0}) / factorial(m) if m else f.xreplace({t: 0})
            dm = sympy.expand(dm)
            if dm == 0:
                continue
            for monom, c in sympy.Poly(dm, *e).as_dict(native=False).items():
                poly[monom] = poly.get(monom, 0) + c
        out.append(poly)
    return out


def _ring(exprs: list[sympy.Expr]):
    """One ring (or field) over Q holding every expression; returns (domain elements, generator count)."""
    if not exprs:
        return [], 0
    try:
        R, elems = sring(exprs, domain=sympy.QQ)
    except Exception:  # not polynomial in its transcendental values (e.g. sigmoid): rational functions
        R, elems = sfield(exprs, domain=sympy.QQ)
    return list(elems), len(R.gens)


def exact_check(
    modules: Sequence[Any],
    order: int,
    point: Sequence[Any] | None = None,
    *,
    seed: int = 0,
    terms_of: Callable[[int, int], Sequence] | None = None,
) -> ExactCheck:
    """Check the expansion of the stack ``modules`` at order K exactly (see the module docstring).

    Arguments
    ---------
    modules: g_1..g_n as :class:`SympyModule` (or ``sympy.Lambda``), one dim d.
    order: K >= 1.
    point: x0, exact numbers (default :func:`exact_point` of ``seed``); floats are made exact.
    terms_of: ``terms_of(n, K)`` gives the closed form's terms (default the theorem's,
        ``expand(n, K, uniform=True).terms``); tests pass corrupted ones to see FAIL.

    Returns
    -------
    :class:`ExactCheck`.

    Raises
    ------
    UsageError
        No modules, modules of different dims or not sympy, order < 1, a point of the wrong length.

    >>> x = sympy.symbols("x1:3")
    >>> g = SympyModule((sympy.sin(x[1]), x[0] ** 2), x)
    >>> r = exact_check([g, g, g], order=3, point=(sympy.Rational(1, 2), 1))
    >>> r.passed, r.terms, r.mismatches
    (True, 11, ())
    """
    if not modules:
        raise UsageError("modules must hold at least one module")
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise UsageError(f"order must be a positive integer, got {order!r}")
    mods = _sympy_modules(modules)
    d = mods[0].dim
    n, K = len(mods), order
    if point is None:
        point = exact_point(d, seed)
    if len(point) != d:
        raise UsageError(f"point has {len(point)} coordinates, the modules have dim {d}")
    x0 = tuple(sympy.Rational(p) if isinstance(p, (float, Fraction)) else sympy.sympify(p) for p in point)
    terms = tuple(terms_of(n, K) if terms_of is not None else expand(n, K, uniform=True).terms)
    numbers = _exact_numbers(mods, x0, K, terms)
    X = _composed_series(numbers, K, d)
    T, subtrees = _closed_form_series(numbers, terms, n, K, d)
    mismatches = tuple((k, j) for k in range(1, K + 1) for j in range(d) if X[k][j] != T[k][j])
    first = None
    if mismatches:
        k, j = mismatches[0]
        first = (str(X[k][j].as_expr()), str(T[k][j].as_expr()))
    return ExactCheck(n, K, d, tuple(str(p) for p in x0), len(terms), subtrees, numbers.generators, mismatches,
                      first, not mismatches)


def _sympy_modules(modules: Sequence[Any]) -> list[SympyModule]:
    """The modules as :class:`SympyModule` (``sympy.Lambda`` converted), checked non-empty and of one dim."""
    mods = []
    for i, m in enumerate(modules, start=1):
        if isinstance(m, sympy.Lambda):
            m = as_module(m, name=f"modules[{i - 1}]")
        if not isinstance(m, SympyModule):
            raise UsageError(f"modules[{i - 1}] is a {type(m).__name__}; the exact route needs sympy modules "
                             "(SympyModule or sympy.Lambda)")
        mods.append(m)
    stack_dim(mods)  # UsageError when the dims differ
    return mods


@dataclass(frozen=True)
class _ExactNumbers:
    """Every exact number both routes need, as elements of one ring (or field) over Q.

    ``x0`` the point; ``line[r][j]`` the monomial -> coefficient map of coordinate j of
    g_r(x0 + e) truncated at total degree K - 1; ``tensors[(r, m)]`` the rows of g_r^(m)(x0)
    (one entry per sorted index tuple); ``zero`` the ring's 0; ``generators`` its generator count.
    """

    x0: list
    line: list
    tensors: dict
    zero: Any
    generators: int


def _exact_numbers(mods: list[SympyModule], x0: tuple, K: int, terms: Sequence) -> _ExactNumbers:
    """Gather the line Taylor polynomials and the derivative tensors the terms use, then put them in one ring."""
    d, n = len(x0), len(mods)
    e = sympy.symbols(f"e_1:{d + 1}")
    line = [_line_taylor(m, x0, K, e) for m in mods]
    needed_m: dict[int, set[int]] = {}
    for term in terms:
        for v in _nodes(term.tree):
            needed_m.setdefault(v.label, set()).add(len(v.children))
    tensors = {(r, m): mods[r - 1].exact_tensor(m, x0) for r, ms in needed_m.items() for m in ms if r <= n}
    flat: list[sympy.Expr] = list(x0)
    for poly in (p for layer in line for p in layer):
        flat.extend(poly.values())
    for rows in tensors.values():
        for row in rows:
            flat.extend(row)
    elems, generators = _ring(flat)
    it = iter(elems)
    x0_r = [next(it) for _ in range(d)]
    zero = x0_r[0] - x0_r[0]
    line_r = [[{mon: next(it) for mon in poly} for poly in layer] for layer in line]
    tensors_r = {key: [[next(it) for _ in row] for row in rows] for key, rows in tensors.items()}
    return _ExactNumbers(x0_r, line_r, tensors_r, zero, generators)


def _composed_series(numbers: _ExactNumbers, K: int, d: int) -> list[list]:
    """Route 1: X[k][j], the coefficient of lambda^k of x_n(lambda)_j by composing truncated series."""
    zero = numbers.zero
    X = [list(numbers.x0)] + [[zero] * d for _ in range(K)]
    for layer in numbers.line:
        delta = [[X[k][j] if k else zero for k in range(K)] for j in range(d)]  # series of X - x0, length K
        powers = [[_one_series(zero, K)] for _ in range(d)]
        G = [[zero] * K for _ in range(d)]
        for j_out, poly in enumerate(layer):
            for mon, c in poly.items():
                prod_series = _one_series(zero, K)
                for j, p in enumerate(mon):
                    while len(powers[j]) <= p:
                        powers[j].append(series.mul(powers[j][-1], delta[j], zero))
                    if p:
                        prod_series = series.mul(prod_series, powers[j][p], zero)
                for k in range(K):
                    if prod_series[k] != zero:
                        G[j_out][k] = G[j_out][k] + c * prod_series[k]
        for k in range(1, K + 1):
            for j in range(d):
                X[k][j] = X[k][j] + G[j][k - 1]
    return X


def _closed_form_series(numbers: _ExactNumbers, terms: Sequence, n: int, K: int, d: int) -> tuple[list[list], int]:
    """Route 2: T[k][j] = sum over the order-k terms of coefficient * F(tree)_j (the closed form over labeled
    trees, F(tree) = g_r^(m)(x0)[F(child_1), ..., F(child_m)]); also the number of distinct subtrees."""
    zero, tensors_r = numbers.zero, numbers.tensors
    index = {m: {J: i for i, J in enumerate(itertools.combinations_with_replacement(range(d), m))}
             for m in range(K)}
    cache: dict = {}

    def F(t) -> list:
        if t in cache:
            return cache[t]
        m = len(t.children)
        if t.label > n or (t.label, m) not in tensors_r:
            raise UsageError(f"term tree {t} has label {t.label} beyond the depth {n}")
        rows = tensors_r[(t.label, m)]
        args = [F(c) for c in t.children]
        out = []
        for row in rows:
            acc = zero
            for J in itertools.product(range(d), repeat=m):
                c = row[index[m][tuple(sorted(J))]]
                if c == zero:
                    continue
                for a, j in zip(args, J):
                    c = c * a[j]
                    if c == zero:
                        break
                acc = acc + c
            out.append(acc)
        cache[t] = out
        return out

    T = [[zero] * d for _ in range(K + 1)]
    for term in terms:
        if not 1 <= term.order <= K:
            continue
        coef = sympy.QQ(term.coefficient.numerator, term.coefficient.denominator) if isinstance(
            term.coefficient, Fraction) else sympy.QQ(int(term.coefficient))
        f = F(term.tree)
        for j in range(d):
            T[term.order][j] = T[term.order][j] + coef * f[j]
    return T, len(cache)


def _nodes(tree):
    yield tree
    for c in tree.children:
        yield from _nodes(c)


def _one_series(zero, K: int) -> list:
    return [zero + 1] + [zero] * (K - 1)


__all__ = ["ExactCheck", "exact_point", "exact_check"]
