"""A residual branch given as sympy expressions: exact derivatives, numpy evaluation.

``SympyModule(exprs, symbols)`` is g(x) = (exprs[0], ..., exprs[d-1]) as functions of
``symbols = (x_1, ..., x_d)``. Its m-th derivative tensor
``D^m g_i[j_1..j_m] = d^m g_i / dx_{j_1} ... dx_{j_m}`` is differentiated by sympy once per
sorted index tuple (the tensor is symmetric) and evaluated with numpy; Taylor mode goes
through :func:`residual_expansion.models.adapters.common.taylor_via_derivatives`.
:meth:`SympyModule.exact_tensor` gives the same tensors as exact sympy numbers at an
exact point, for the exact route (:mod:`residual_expansion.models.adapters.exact`).

Reference: docs/theory.md#residual-stacks; models/protocol.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from residual_expansion.errors import UsageError
from residual_expansion.models.adapters.common import taylor_via_derivatives


@dataclass(frozen=True, eq=False)
class SympyModule:
    """g(x) = exprs(x) for sympy expressions of the input symbols.

    Arguments
    ---------
    exprs: d sympy expressions (or anything ``sympy.sympify`` accepts).
    symbols: the d input symbols x_1..x_d, in coordinate order.
    name: a label for messages and tables.

    Raises
    ------
    UsageError
        When the lengths differ, a symbol repeats, or an expression uses another free symbol.

    >>> x = sympy.symbols("x1:3")
    >>> g = SympyModule((sympy.sin(x[0] + x[1]), x[0] * x[1]), x)
    >>> g.value(np.zeros(2)).tolist(), g.degree
    ([0.0, 0.0], None)
    >>> g.derivative(np.zeros(2), [np.array([1.0, 0.0]), np.array([0.0, 1.0])]).tolist()
    [0.0, 1.0]
    """

    exprs: tuple[Any, ...]
    symbols: tuple[Any, ...]
    name: str = "sympy"

    def __post_init__(self) -> None:
        exprs = tuple(sympy.sympify(e) for e in self.exprs)
        syms = tuple(self.symbols)
        if len(exprs) != len(syms) or not syms:
            raise UsageError(f"exprs has {len(exprs)} entries and symbols {len(syms)}; a module R^d -> R^d "
                             "needs d of each, d >= 1")
        if len(set(syms)) != len(syms) or not all(isinstance(s, sympy.Symbol) for s in syms):
            raise UsageError("symbols must be distinct sympy Symbols")
        extra = set().union(*(e.free_symbols for e in exprs)) - set(syms)
        if extra:
            raise UsageError(f"exprs use free symbols {sorted(map(str, extra))} that are not among symbols")
        object.__setattr__(self, "exprs", exprs)
        object.__setattr__(self, "symbols", syms)

    @property
    def dim(self) -> int:
        return len(self.symbols)

    @cached_property
    def degree(self) -> int | None:
        """The total degree when every component is a polynomial in the symbols, else None."""
        deg = 0
        for e in self.exprs:
            if not e.is_polynomial(*self.symbols):
                return None
            if e != 0:
                deg = max(deg, sympy.Poly(e, *self.symbols).total_degree())
        return deg

    # ------------------------------------------------------------ symbolic tensors

    def _index_tuples(self, m: int) -> list[tuple[int, ...]]:
        return list(itertools.combinations_with_replacement(range(self.dim), m))

    def _symbolic(self, m: int) -> list[list[sympy.Expr]]:
        """[[d^m g_i / dx_J for J in sorted index tuples] for i], J in ``combinations_with_replacement`` order."""
        cache = self.__dict__.setdefault("_tensor_cache", {})
        if m not in cache:
            if m == 0:
                cache[0] = [[e] for e in self.exprs]
            else:  # one more derivative of the (m-1)-tensor entry J[:-1] (J sorted)
                prev = self._symbolic(m - 1)
                pos = {J: i for i, J in enumerate(self._index_tuples(m - 1))}
                cache[m] = [[sympy.diff(row[pos[J[:-1]]], self.symbols[J[-1]]) for J in self._index_tuples(m)]
                            for row in prev]
        return cache[m]

    def exact_tensor(self, m: int, point: Sequence[Any]) -> list[list[sympy.Expr]]:
        """The sorted-index entries of D^m g at an exact point (sympy numbers)."""
        subs = dict(zip(self.symbols, (sympy.nsimplify(p) if isinstance(p, float) else sympy.sympify(p)
                                       for p in point)))
        return [[e.xreplace(subs) for e in row] for row in self._symbolic(m)]

    def _numeric(self, m: int):
        cache = self.__dict__.setdefault("_lambda_cache", {})
        if m not in cache:
            flat = [e for row in self._symbolic(m) for e in row]
            fn = sympy.lambdify(self.symbols, flat, modules="numpy")
            tuples = self._index_tuples(m)
            pos = {J: i for i, J in enumerate(tuples)}
            full = np.zeros((self.dim,) * m, dtype=int)
            for J in itertools.product(range(self.dim), repeat=m):
                full[J] = pos[tuple(sorted(J))]
            cache[m] = (fn, len(tuples), full)
        return cache[m]

    def tensor(self, m: int, x: np.ndarray) -> np.ndarray:
        """D^m g(x) as a numpy array of shape (..., d, d, ..., d) (m trailing input axes)."""
        x = np.asarray(x, dtype=float)
        fn, count, full = self._numeric(m)
        vals = fn(*(x[..., j] for j in range(self.dim)))
        batch = x.shape[:-1]
        flat = np.stack([np.broadcast_to(np.asarray(v, dtype=float), batch) for v in vals], axis=-1)
        flat = flat.reshape((*batch, self.dim, count))
        return flat[..., full] if m else flat[..., 0]

    # ------------------------------------------------------------ the protocol

    def value(self, x: np.ndarray) -> np.ndarray:
        """g(x), shape (..., d) -> (..., d)."""
        return self.tensor(0, x)

    def derivative(self, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """g^(m)(x)[v_1, ..., v_m] = sum_J D^m g[:, J] prod_j v_j[J_j]."""
        t = self.tensor(len(vectors), x)
        for v in vectors:
            t = t @ np.asarray(v, dtype=float)
        return t

    def magnitude(self, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """|D^m g(x)|[|v_1|, ..., |v_m|]: the derivative tensor contracted in absolute values
        (the scale of the sum behind :meth:`derivative`, for rounding tolerances)."""
        t = np.abs(self.tensor(len(vectors), x))
        for v in vectors:
            t = t @ np.abs(np.asarray(v, dtype=float))
        return t

    def taylor(self, series: np.ndarray) -> np.ndarray:
        """Taylor mode through the derivative tensors (Faa di Bruno)."""
        return taylor_via_derivatives(self, series)

    def vjp(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        """(Dg(x))^T u, batched over leading axes."""
        J = self.tensor(1, x)
        return np.einsum("...ij,...i->...j", J, np.asarray(cotangent, dtype=float))


def sympy_stack(matrices: Sequence[tuple[Any, Any]], activation: Any, dim: int) -> tuple[SympyModule, ...]:
    """Modules g_i(x) = activation(W_i x + b_i) from exact (W_i, b_i) pairs (entries made exact).

    Floats are converted exactly (``sympy.Rational(float)``), so a stack drawn as floats
    for JAX or numpy has the *same* weights here.

    >>> g, = sympy_stack([([[0.5, 0], [0, 1]], [0, 0.25])], sympy.sin, 2)
    >>> g.exprs
    (sin(x1/2), sin(x2 + 1/4))
    """
    xs = sympy.symbols(f"x1:{dim + 1}")
    out = []
    for W, b in matrices:
        W = sympy.Matrix([[sympy.Rational(float(w)) if isinstance(w, (float, np.floating)) else sympy.sympify(w)
                           for w in row] for row in np.asarray(W, dtype=object).tolist()])
        b = sympy.Matrix([sympy.Rational(float(v)) if isinstance(v, (float, np.floating)) else sympy.sympify(v)
                          for v in np.asarray(b, dtype=object).tolist()])
        z = W * sympy.Matrix(xs) + b
        out.append(SympyModule(tuple(activation(zi) for zi in z), xs))
    return tuple(out)


__all__ = ["SympyModule", "sympy_stack"]
