"""A residual branch written with ``jax.numpy`` (extra ``jax``), evaluated in float64.

``JaxModule(fn, dim)`` wraps any function mapping an array of shape (d,) to (d,):

* ``value`` and ``vjp`` by ``jax.vmap`` / ``jax.vjp`` over the flattened batch axes;
* ``derivative(x, [v_1..v_m])`` by m nested forward-mode ``jax.jvp`` (the m-th directional
  derivative, a symmetric m-linear map);
* ``taylor(series)`` by JAX's Taylor mode ``jax.experimental.jet``: jet propagates
  *derivative* series (term k = k! times the power-series coefficient), so the input is
  scaled by k! and the output divided by k!. Where jet has no rule for a primitive the
  module falls back to :func:`residual_expansion.models.adapters.common.taylor_via_derivatives`
  (nested jvp) and records it in ``taylor_route``.

Every call runs inside ``jax.enable_x64(True)`` (a context manager: the global JAX
configuration is left as it was) and checks that the result is float64, so the float64
rounding analysis of the numeric claims applies (docs/numeric.md; proofs/numeric.md).

Reference: docs/theory.md#residual-stacks; models/protocol.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from math import factorial
from typing import Any

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.adapters.common import taylor_via_derivatives


def _jax():
    try:
        # optional extra (jax): imported only when a JAX module is used
        import jax
    except ImportError as exc:  # pragma: no cover - the test extra installs jax
        raise UsageError("JAX modules need the jax extra: pip install 'residual-expansion[jax]'") from exc
    return jax


@dataclass(frozen=True, eq=False)
class JaxModule:
    """g(x) = fn(x) for a function written with ``jax.numpy`` (shape (d,) -> (d,)).

    Arguments
    ---------
    fn: the function.
    dim: d.
    name: a label for messages.

    >>> import jax.numpy as jnp
    >>> g = JaxModule(lambda x: jnp.sin(x[::-1]), 2)
    >>> g.value(np.array([0.0, 0.5])).round(6).tolist()
    [0.479426, 0.0]
    >>> g.taylor(np.array([[0.0, 0.0], [1.0, 0.0]])).round(6).tolist()   # sin(lambda) = lambda + ...
    [[0.0, 0.0], [0.0, 1.0]]
    """

    fn: Callable[[Any], Any]
    dim: int
    name: str = "jax"
    _route: list = field(default_factory=list, repr=False)

    degree = None  #: unknown: a JAX function is treated as not polynomial

    @property
    def taylor_route(self) -> str:
        """``"jet"`` or ``"nested jvp"`` (after the first :meth:`taylor` call), else ``"unused"``."""
        return self._route[-1] if self._route else "unused"

    def _call(self, body: Callable[[Any, Any], Any]) -> np.ndarray:
        jax = _jax()
        with jax.enable_x64(True):
            out = body(jax, jax.numpy)
            arr = np.asarray(out)
        if arr.dtype != np.float64:
            raise UsageError(f"{self.name} returned {arr.dtype} values, not float64; build its arrays with "
                             "numpy or inside the factory (the loader enables float64 there)")
        return arr

    def _flat(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        x = np.asarray(x, dtype=float)
        return x.reshape(-1, x.shape[-1]), x.shape[:-1]

    @cached_property
    def _batched(self):
        """``jax.jit(jax.vmap(fn))``, compiled once per input shape (forward passes call it often)."""
        jax = _jax()
        return jax.jit(jax.vmap(self.fn))

    def value(self, x: np.ndarray) -> np.ndarray:
        """g(x), shape (..., d) -> (..., d)."""
        flat, batch = self._flat(x)
        out = self._call(lambda jax, jnp: self._batched(jnp.asarray(flat)))
        return out.reshape((*batch, out.shape[-1]))

    def _jitted(self, kind: str, m: int):
        """Compiled m-th nested ``jvp`` (``kind="jvp"``) or m-fold ``jacfwd`` (``"tensor"``), cached per m."""
        cache = self.__dict__.setdefault("_compiled", {})
        if (kind, m) not in cache:
            jax = _jax()
            if kind == "jvp":
                def nested(y, *vs):
                    f = self.fn
                    for w in vs:
                        f = (lambda g, w: (lambda z: jax.jvp(g, (z,), (w,))[1]))(f, w)
                    return f(y)

                cache[(kind, m)] = jax.jit(nested)
            else:
                f = self.fn
                for _ in range(m):
                    f = jax.jacfwd(f)
                cache[(kind, m)] = jax.jit(f)
        return cache[(kind, m)]

    def derivative(self, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """g^(m)(x)[v_1, ..., v_m] by m nested ``jax.jvp`` (m = 0: g(x)), compiled once per m."""
        fn = self._jitted("jvp", len(vectors))
        return self._call(lambda jax, jnp: fn(jnp.asarray(x, dtype=jnp.float64),
                                              *(jnp.asarray(v, dtype=jnp.float64) for v in vectors)))

    def tensor(self, m: int, x: np.ndarray) -> np.ndarray:
        """D^m g(x), shape (d, d, ..., d) (m input axes), by m nested ``jax.jacfwd``; kept per (m, x)."""
        x = np.asarray(x, dtype=float)
        cache = self.__dict__.setdefault("_tensors", {})
        key = (m, x.tobytes())
        if key not in cache:
            fn = self._jitted("tensor", m)
            if len(cache) > 64:
                cache.clear()
            cache[key] = self._call(lambda jax, jnp: fn(jnp.asarray(x, dtype=jnp.float64)))
        return cache[key]

    def magnitude(self, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """|D^m g(x)|[|v_1|, ..., |v_m|]: the derivative tensor contracted in absolute values.

        The scale of the sum behind g^(m)(x)[v_1, ..., v_m] (what the rounding tolerance
        multiplies); a black-box function has no rounding model beyond it.
        """
        t = np.abs(self.tensor(len(vectors), x))
        for v in reversed(vectors):
            t = t @ np.abs(np.asarray(v, dtype=float))
        return t

    def taylor(self, series: np.ndarray) -> np.ndarray:
        """First K coefficients of g(X(lambda)) by ``jax.experimental.jet`` (shape (K, ..., d))."""
        series = np.asarray(series, dtype=float)
        K = series.shape[0]
        if K == 1:
            return self.value(series[0])[None]
        flat = series.reshape(K, -1, series.shape[-1])
        scale = np.array([factorial(k) for k in range(K)], dtype=float)[:, None, None]

        def body(jax, jnp):
            # optional extra (jax): imported only when a JAX module is used
            from jax.experimental import jet

            def one(primal, terms):
                y, ys = jet.jet(self.fn, (primal,), (list(terms),))
                return jnp.concatenate([y[None], jnp.stack(ys)])

            scaled = jnp.asarray(flat * scale)
            terms = tuple(scaled[k] for k in range(1, K))
            return jax.vmap(one, in_axes=(0, 1))(scaled[0], jnp.stack(terms))

        try:
            out = self._call(body)
        except (NotImplementedError, KeyError, TypeError):
            self._route.append("nested jvp")

            return taylor_via_derivatives(self, series)
        self._route.append("jet")
        out = np.moveaxis(out, 1, 0) / scale
        return out.reshape(series.shape[:-1] + (out.shape[-1],))

    def vjp(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        """(Dg(x))^T u by ``jax.vjp``, batched over leading axes."""
        flat, batch = self._flat(x)
        u = np.asarray(cotangent, dtype=float).reshape(flat.shape)

        def body(jax, jnp):
            def one(y, w):
                return jax.vjp(self.fn, y)[1](w)[0]

            return jax.vmap(one)(jnp.asarray(flat), jnp.asarray(u))

        out = self._call(body)
        return out.reshape((*batch, out.shape[-1]))


__all__ = ["JaxModule"]
