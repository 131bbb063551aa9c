"""Normalization layers as modules of the one model world (models/protocol.py).

N(x) = sqrt(d) y / ||y|| with y = x (RMSNorm) or y = x - mean(x) (LayerNorm), no gain or bias;
||N(x)||^2 = d. N is smooth away from y = 0, so a normalized branch is a smooth module there
and the Residual Expansion Theorem applies to it (docs/theory.md; proofs/normalization.md).

* :class:`PreNorm` wraps any branch module g into the module g(N(x)): the pre-normalized
  residual step is x + lambda g(N(x)). Values, Taylor-mode propagation, vector-Jacobian
  products and (by polarization of Taylor series) every derivative; degree None.
* :class:`PostNorm` is the post-normalized step x -> N(x + lambda g(x)). It is not of the
  form x + lambda g~(x) with g~ independent of lambda, so it is a *step*, not a Module:
  ``step(x, lam)``, ``taylor(series)`` (the series of N(X + lambda g(X)) in lambda) and ``vjp``.

Taylor mode: with Y the series of y, the series of ||Y||^2 is a Cauchy product and its
power -1/2 follows the recurrence k s_0 r_k = sum_{j=1..k} ((p + 1) j - k) s_j r_(k-j),
p = -1/2 (the series of s^p from s r' = p s' r; Griewank and Walther, ch. 13).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.families import derivative_from_taylor
from residual_expansion.series import coefficient

NORM_KINDS = ("rms", "ln")


def _check_kind(kind: str) -> None:
    if kind not in NORM_KINDS:
        raise UsageError(f"kind must be one of {', '.join(NORM_KINDS)}, got {kind!r}")


def _centre(x: np.ndarray, kind: str) -> np.ndarray:
    return x - x.mean(axis=-1, keepdims=True) if kind == "ln" else x


def norm_value(x: np.ndarray, kind: str = "rms") -> np.ndarray:
    """N(x) along the trailing axis.

    >>> norm_value(np.array([1.0, 3.0]), "ln").tolist()
    [-1.0, 1.0]

    Raises
    ------
    UsageError
        For a kind other than ``rms`` or ``ln``, or y = 0 (N is not defined there).
    """
    _check_kind(kind)
    y = _centre(np.asarray(x, dtype=float), kind)
    r = np.linalg.norm(y, axis=-1, keepdims=True)
    if np.any(r == 0):
        raise UsageError("x must not be 0 (for LayerNorm: not constant); the normalization is undefined there")
    return math.sqrt(y.shape[-1]) * y / r


def norm_taylor(series: np.ndarray, kind: str = "rms") -> np.ndarray:
    """The first K coefficients of N(X(lambda)) for X = sum_k series[k] lambda^k, shape (K, ..., d).

    >>> X = np.array([[3.0, 4.0], [1.0, 0.0]])           # x + lambda e_1
    >>> N = norm_taylor(X)
    >>> bool(np.allclose(N[0], norm_value(X[0])))
    True

    Raises
    ------
    UsageError
        For a bad kind or a zero leading coefficient.
    """
    _check_kind(kind)
    X = np.asarray(series, dtype=float)
    K = X.shape[0]
    Y = _centre(X, kind)
    s = np.stack([np.sum(coefficient(Y, Y, k), axis=-1) for k in range(K)])
    if np.any(s[0] == 0):
        raise UsageError("the leading coefficient must not be 0; the normalization is undefined there")
    p = -0.5
    r = np.zeros_like(s)
    r[0] = s[0] ** p
    for k in range(1, K):
        acc = sum(((p + 1.0) * j - k) * s[j] * r[k - j] for j in range(1, k + 1))
        r[k] = acc / (k * s[0])
    d = X.shape[-1]
    return math.sqrt(d) * np.stack([sum(Y[i] * r[k - i][..., None] for i in range(k + 1)) for k in range(K)])


def norm_vjp(x: np.ndarray, cotangent: np.ndarray, kind: str = "rms") -> np.ndarray:
    """(dN/dx)^T u = C (sqrt(d) / ||y||) (u - yhat <yhat, u>), yhat = y / ||y||, C the centring (LayerNorm) or I.

    >>> bool(np.allclose(norm_vjp(np.array([2.0, 0.0]), np.array([1.0, 0.0])), 0.0))
    True
    """
    _check_kind(kind)
    x = np.asarray(x, dtype=float)
    y = _centre(x, kind)
    r = np.linalg.norm(y, axis=-1, keepdims=True)
    yh = y / r
    u = np.asarray(cotangent, dtype=float)
    w = math.sqrt(x.shape[-1]) / r * (u - yh * np.sum(yh * u, axis=-1, keepdims=True))
    return _centre(w, kind)


class _Normalized:
    """What the pre- and post-normalized wrappers share: the branch g, the norm kind, the dim."""

    def __init__(self, branch, kind: str = "rms") -> None:
        _check_kind(kind)
        self.branch = branch
        self.kind = kind

    @property
    def dim(self) -> int:
        return int(self.branch.dim)


class PreNorm(_Normalized):
    """The module x -> g(N(x)) for a branch module g (so the residual step is x + lambda g(N(x))).

    >>> class Lin:
    ...     dim, degree = 2, 1
    ...     def value(self, x): return 2.0 * x
    ...     def taylor(self, s): return 2.0 * s
    ...     def vjp(self, x, u): return 2.0 * u
    ...     def derivative(self, x, vs): return 2.0 * (vs[0] if vs else x) if len(vs) <= 1 else 0 * x
    >>> m = PreNorm(Lin(), "rms")
    >>> m.value(np.array([3.0, 4.0])).round(6).tolist(), m.degree
    ([1.697056, 2.262742], None)
    """

    @property
    def degree(self) -> int | None:
        return None

    @property
    def smooth(self) -> bool:
        """False when the branch is only piecewise smooth (N itself is smooth away from 0)."""
        return bool(getattr(self.branch, "smooth", True))

    @property
    def width(self) -> int:
        return int(getattr(self.branch, "width", self.dim))

    def value(self, x: np.ndarray) -> np.ndarray:
        return self.branch.value(norm_value(x, self.kind))

    def taylor(self, series: np.ndarray) -> np.ndarray:
        return self.branch.taylor(norm_taylor(series, self.kind))

    def kinks(self, series: np.ndarray) -> np.ndarray:
        """The branch's kink arguments along N(X(lambda)) (only for piecewise-smooth branches).

        Raises
        ------
        UsageError
            When the branch has no kinks.
        """
        if not hasattr(self.branch, "kinks"):
            raise UsageError("the branch module has no kinks (it is smooth)")
        return self.branch.kinks(norm_taylor(series, self.kind))

    def vjp(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        return norm_vjp(x, self.branch.vjp(norm_value(x, self.kind), cotangent), self.kind)

    def derivative(self, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """g(N(.))^(m)(x)[v_1, ..., v_m] by polarization of the Taylor series (models.families.derivative_from_taylor)."""
        return derivative_from_taylor(self, np.asarray(x, dtype=float), [np.asarray(v, dtype=float) for v in vectors])


class PostNorm(_Normalized):
    """The post-normalized step x -> N(x + lambda g(x)) around a branch module g.

    >>> class Zero:
    ...     dim, degree = 2, 0
    ...     def value(self, x): return 0.0 * x
    ...     def taylor(self, s): return 0.0 * s
    ...     def vjp(self, x, u): return 0.0 * u
    >>> PostNorm(Zero()).step(np.array([3.0, 4.0]), 0.5).round(6).tolist()
    [0.848528, 1.131371]
    """

    def step(self, x: np.ndarray, lam: float) -> np.ndarray:
        """N(x + lambda g(x))."""
        return norm_value(x + lam * self.branch.value(x), self.kind)

    def taylor(self, series: np.ndarray) -> np.ndarray:
        """The first K coefficients in lambda of N(X + lambda g(X)), X = sum_k series[k] lambda^k."""
        X = np.asarray(series, dtype=float)
        G = self.branch.taylor(X)
        Y = X.copy()
        Y[1:] = Y[1:] + G[:-1]
        return norm_taylor(Y, self.kind)

    def vjp(self, x: np.ndarray, lam: float, cotangent: np.ndarray) -> np.ndarray:
        """(d step / dx)^T u = w + lambda (dg/dx)^T w, w = (dN/dy)^T u at y = x + lambda g(x)."""
        y = x + lam * self.branch.value(x)
        w = norm_vjp(y, cotangent, self.kind)
        return w + lam * self.branch.vjp(x, w)


__all__ = ["NORM_KINDS", "norm_value", "norm_taylor", "norm_vjp", "PreNorm", "PostNorm"]
