"""Taylor coefficients of the composed residual stack, computed without trees.

These are the ground truths the closed form (:mod:`residual_expansion.theorem.expansion`) is
checked against. None of them enumerates trees; each expands the actual composition
``x_i = x_{i-1} + lambda_i g_i(x_{i-1})`` as a truncated power series in the scales.

Three routes:

* :func:`sympy_series_coefficients`: ``sympy.series`` of the nested composition of
  undefined scalar functions ``g_i(x)`` in one ``lambda`` (slow: seconds at depth 6).
* :func:`generic_taylor_coefficients`: the same series by truncated power-series
  arithmetic in a polynomial ring over Q whose generators stand for the derivatives
  ``g_i^{(m)}(x)`` and the per-layer scales ``lambda_i``. Taylor's formula
  ``g_i(x + d) = sum_m g_i^{(m)}(x) d^m / m!`` is applied layer by layer.
* :func:`instance_taylor_coefficients`: vector-valued polynomial modules with rational
  coefficients, composed exactly at a point (exact integers and Fractions throughout).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import factorial

import sympy
from sympy.polys.domains import QQ
from sympy.polys.rings import PolyElement, PolyRing, ring

from residual_expansion import series
from residual_expansion.theorem.instances import PolyMap, Vector


# --- route 1: sympy.series of the nested composition ---------------------------------

def module_functions(depth: int, tied: bool = False) -> tuple[sympy.FunctionClass, ...]:
    """Undefined sympy functions g_1..g_n (or g, n times, when tied)."""
    if tied:
        return (sympy.Function("g"),) * depth
    return tuple(sympy.Function(f"g{i}") for i in range(1, depth + 1))


def sympy_series_coefficients(depth: int, order: int, x: sympy.Symbol, lam: sympy.Symbol,
                              tied: bool = False) -> tuple[sympy.Expr, ...]:
    """Coefficients of lambda^1..lambda^K of x_n, by ``sympy.series`` (uniform lambda).

    Builds ``x_n`` as a nested sympy expression, calls ``series(x_n, lam, 0, K+1)``, and
    applies ``.doit()`` so that sympy's ``Subs(Derivative(g(_xi), _xi), _xi, x)`` become
    ``Derivative(g(x), x)``.

    >>> x, lam = sympy.symbols("x lambda")
    >>> sympy_series_coefficients(2, 2, x, lam)
    (g1(x) + g2(x), g1(x)*Derivative(g2(x), x))
    """
    funcs = module_functions(depth, tied)
    h: sympy.Expr = x
    for g in funcs:
        h = h + lam * g(h)
    s = sympy.series(h, lam, 0, order + 1).removeO().doit()
    s = sympy.expand(s)
    return tuple(sympy.expand(s.coeff(lam, k)) for k in range(1, order + 1))


# --- route 2: truncated power series in a polynomial ring ---------------------------

@dataclass(frozen=True)
class GenericRing:
    """Polynomial ring over Q with generators lambda_i and G[i][m] = g_i^{(m)}(x).

    ``G[i][m]`` for layer i = 1..n (index i - 1) and derivative order m = 0..K - 1.
    """

    ring: PolyRing
    lambdas: tuple[PolyElement, ...]
    G: tuple[tuple[PolyElement, ...], ...]


def generic_ring(depth: int, order: int) -> GenericRing:
    """The ring of :func:`generic_taylor_coefficients` for depth n and order K."""
    names = [f"lambda_{i}" for i in range(1, depth + 1)]
    names += [f"g{i}_{m}" for i in range(1, depth + 1) for m in range(order)]
    R, *gens = ring(names, QQ)
    lambdas = tuple(gens[:depth])
    rest = gens[depth:]
    G = tuple(tuple(rest[(i * order):(i + 1) * order]) for i in range(depth))
    return GenericRing(R, lambdas, G)


def generic_taylor_coefficients(gr: GenericRing, order: int) -> tuple[PolyElement, ...]:
    """Homogeneous parts of degree 1..K in the lambdas of x_n - x, for scalar modules.

    With ``d = x_{i-1} - x = sum_k d_k`` (d_k homogeneous of degree k in the lambdas),

        x_i - x = d + lambda_i * sum_{m<K} G[i][m] d^m / m!     (truncated at degree K),

    which is Taylor's formula for g_i around x, applied to the actual composition. No
    trees are involved.

    >>> gr = generic_ring(2, 2)
    >>> [str(p) for p in generic_taylor_coefficients(gr, 2)]
    ['lambda_1*g1_0 + lambda_2*g2_0', 'lambda_1*lambda_2*g1_0*g2_1']
    """
    depth = len(gr.lambdas)
    zero = gr.ring.zero
    d = [zero] * (order + 1)  # d[k], k = 0..K; d[0] = 0
    for i in range(depth):
        powers = series.pow_table(d, order - 1, one=gr.ring.one)
        g_of = [zero] * order  # degree 0..K-1 parts of g_i(x + d)
        for m in range(order):
            coef = gr.G[i][m] * QQ(1, factorial(m))
            for k in range(order):
                if powers[m][k]:
                    g_of[k] += coef * powers[m][k]
        d = [d[0]] + [d[k] + gr.lambdas[i] * g_of[k - 1] for k in range(1, order + 1)]
    return tuple(d[1:])


# --- route 3: polynomial instances, exact rationals ---------------------------------

def instance_taylor_coefficients(modules: Sequence[PolyMap], scales: Sequence[Fraction],
                                 x0: Vector, order: int) -> tuple[Vector, ...]:
    """T_1..T_K with x_n(lambda) = x0 + sum_k lambda^k T_k + O(lambda^(K+1)), exactly.

    Layer i maps the truncated series ``h(lambda)`` to ``h + lambda * scales[i] * g_i(h)``;
    ``g_i(h)`` is evaluated by polynomial arithmetic on truncated series (exact).

    >>> from residual_expansion.theorem.instances import PolyMap
    >>> sq = PolyMap(1, ({(2,): Fraction(1)},))          # g(y) = y^2
    >>> instance_taylor_coefficients([sq, sq], [Fraction(1), Fraction(1)], (Fraction(1),), 2)
    ((Fraction(2, 1),), (Fraction(2, 1),))
    """
    dim = len(x0)
    h = [tuple(x0)] + [(0,) * dim for _ in range(order)]
    for g, s in zip(modules, scales):
        gh = g.on_series(h, order - 1)  # degrees 0..K-1
        h = [h[0]] + [tuple(h[k][j] + s * gh[k - 1][j] for j in range(dim)) for k in range(1, order + 1)]
    return tuple(h[1:])
