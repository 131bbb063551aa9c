"""The Module protocol: what every residual branch g_i of the one model world provides.

A residual stack is x_i = x_{i-1} + lambda_i g_i(x_{i-1}). Every route of the project
(the closed-form evaluation and Taylor-mode forward pass of the cross-check, the sign
radius, the batched Monte Carlo, reverse-mode gradients, normalization layers and the
modules a user brings) talks to a branch g through this protocol only.

Conventions: the trailing axis is the feature axis of size ``dim`` (d); any leading axes
are batch axes (samples, schedules). Taylor series are arrays whose *leading* axis is the
power of lambda: ``series[k]`` is the coefficient of lambda^k.

Required:

* ``dim``: the input and output dimension d.
* ``degree``: the polynomial degree p of g when it is a polynomial map (``0`` constant,
  ``1`` affine, ...), else ``None``. A module of degree p has g^(m) = 0 for m > p, so the
  closed form keeps only trees whose nodes have at most p children.
* ``value(x)``: g(x), shape (..., d) -> (..., d).
* ``derivative(x, vectors)``: the m-th derivative as a symmetric m-linear map,
  g^(m)(x)[v_1, ..., v_m], for x of shape (d,) and m = len(vectors) vectors of shape (d,);
  m = 0 gives g(x).
* ``taylor(series)``: Taylor-mode propagation. Given the truncated series
  X(lambda) = sum_{k<K} series[k] lambda^k, shape (K, ..., d), return the first K
  coefficients of g(X(lambda)), same shape.
* ``vjp(x, cotangent)``: the vector-Jacobian product (dg/dx (x))^T u, shapes (..., d).

Optional (checked with ``hasattr``):

* ``kinks(series)``: for piecewise-smooth modules (ReLU, leaky ReLU, abs), the Taylor
  series of every argument at which the module is not smooth, shape (K, ..., h); the
  sign radius certifies where none of them changes sign.
* ``magnitude(x, vectors)``: |g|^(m)(x)[|v_1|, ...], the same sum in absolute values
  (for rounding bounds); modules without it get a derived bound from ``derivative``.

Reference: docs/theory.md#residual-stacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Module(Protocol):
    """A residual branch g: R^d -> R^d (see the module docstring for the contract)."""

    @property
    def dim(self) -> int: ...

    @property
    def degree(self) -> int | None: ...

    def value(self, x: np.ndarray) -> np.ndarray: ...

    def derivative(self, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray: ...

    def taylor(self, series: np.ndarray) -> np.ndarray: ...

    def vjp(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray: ...


__all__ = ["Module"]
