"""What every adapter shares: Taylor mode from derivatives, the protocol check, :func:`as_module`.

Taylor mode from derivatives (Faa di Bruno for a series without constant drift): with
X(lambda) = sum_k X_k lambda^k, the coefficient of lambda^k (k >= 1) of g(X(lambda)) is

    sum_{m=1..k} (1/m!) sum_{k_1 + ... + k_m = k, k_j >= 1} g^(m)(X_0)[X_{k_1}, ..., X_{k_m}]

(expand g(X_0 + D) = sum_m g^(m)(X_0)[D, ..., D] / m! multilinearly in D = sum_{k>=1} X_k lambda^k).

Reference: docs/theory.md#residual-stacks; models/protocol.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from math import factorial
from typing import Any

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.protocol import Module

_METHODS = ("value", "derivative", "taylor", "vjp")


def compositions(k: int, m: int) -> Iterator[tuple[int, ...]]:
    """Ordered tuples of m positive integers adding up to k.

    >>> list(compositions(3, 2))
    [(1, 2), (2, 1)]
    """
    if m == 0:
        if k == 0:
            yield ()
        return
    for first in range(1, k - m + 2):
        for rest in compositions(k - first, m - 1):
            yield (first, *rest)


def taylor_via_derivatives(module: Any, series: np.ndarray) -> np.ndarray:
    """Coefficients of g(X(lambda)) from ``module.derivative`` (formula in the module docstring).

    Arguments
    ---------
    module: anything with ``derivative(x, vectors)`` for x of shape (d,).
    series: shape (K, ..., d), ``series[k]`` the coefficient of lambda^k.

    Returns
    -------
    Array of the same shape: the first K coefficients of g(X(lambda)).

    >>> class Square:                      # g(x) = x * x, elementwise
    ...     def derivative(self, x, vs):
    ...         return x * x if not vs else 2 * x * vs[0] if len(vs) == 1 else 2 * vs[0] * vs[1] if len(vs) == 2 else 0 * x
    >>> s = np.array([[1.0], [2.0], [0.0]])  # X = 1 + 2 lambda: X^2 = 1 + 4 lambda + 4 lambda^2
    >>> taylor_via_derivatives(Square(), s)[:, 0].tolist()
    [1.0, 4.0, 4.0]
    """
    series = np.asarray(series, dtype=float)
    K = series.shape[0]
    batch = series.shape[1:-1]
    flat = series.reshape(K, -1, series.shape[-1])
    out = np.zeros_like(flat)
    for b in range(flat.shape[1]):
        xs = flat[:, b, :]
        out[0, b] = module.derivative(xs[0], [])
        for k in range(1, K):
            acc = np.zeros(flat.shape[-1])
            for m in range(1, k + 1):
                part = np.zeros(flat.shape[-1])
                for comp in compositions(k, m):
                    part = part + np.asarray(module.derivative(xs[0], [xs[j] for j in comp]), dtype=float)
                acc = acc + part / factorial(m)
            out[k, b] = acc
    return out.reshape((K, *batch, series.shape[-1]))


def check_module(module: Any, dim: int | None = None, *, name: str = "module") -> Any:
    """Check that ``module`` implements the Module protocol with consistent shapes; return it.

    Calls ``value`` on a (d,) and a (2, d) input, ``derivative`` with one vector, ``taylor``
    on a (2, d) series and ``vjp``, and checks every result's shape and finiteness type.

    Raises
    ------
    UsageError
        A missing method or attribute, a ``dim`` other than the expected one, or a result
        of the wrong shape; the message names ``name``.

    >>> from residual_expansion.models.adapters import SympyModule
    >>> import sympy
    >>> x = sympy.symbols("x1:3")
    >>> check_module(SympyModule((x[1], -x[0]), x), 2).dim
    2
    """
    missing = [m for m in ("dim", "degree", *_METHODS) if not hasattr(module, m)]
    if missing:
        raise UsageError(f"{name} is a {type(module).__name__}, not a Module: it lacks {', '.join(missing)} "
                         "(see residual_expansion.models.protocol)")
    d = module.dim
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise UsageError(f"{name}.dim must be a positive int, got {d!r}")
    if dim is not None and d != dim:
        raise UsageError(f"{name} has dim {d}, expected {dim}")
    rng = np.random.default_rng(12345)
    x = rng.standard_normal(d) / 2
    checks = (
        ("value(x)", lambda: module.value(x), (d,)),
        ("value(batch)", lambda: module.value(np.stack([x, -x])), (2, d)),
        ("derivative(x, [v])", lambda: module.derivative(x, [x]), (d,)),
        ("taylor(series)", lambda: module.taylor(np.stack([x, x])), (2, d)),
        ("vjp(x, u)", lambda: module.vjp(x, x), (d,)),
    )
    for label, call, shape in checks:
        try:
            out = np.asarray(call())
        except UsageError:
            raise
        except Exception as exc:  # a user's module may raise anything: report it in one line
            raise UsageError(f"{name}.{label} raised {type(exc).__name__}: {exc}") from exc
        if out.shape != shape:
            raise UsageError(f"{name}.{label} returned shape {out.shape}, expected {shape}")
    return module


def as_module(obj: Any, dim: int | None = None, *, name: str = "module") -> Module:
    """A Module from a protocol object, a :class:`SympyModule`, a ``sympy.Lambda`` or a JAX function.

    A plain callable is taken as a function written with ``jax.numpy`` mapping shape (d,) to
    (d,) and wrapped in :class:`residual_expansion.models.adapters.jax_module.JaxModule`
    (needs ``dim`` and the ``jax`` extra).

    Raises
    ------
    UsageError
        When ``obj`` is none of these, or fails :func:`check_module`.

    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> as_module(sympy.Lambda((x, y), sympy.Matrix([y, x**2]))).degree
    2
    """
    # sympy is slow to import: loaded only where sympy objects are built (tests/test_startup.py)
    import sympy

    from residual_expansion.models.adapters.sympy_module import SympyModule

    if isinstance(obj, sympy.Lambda):
        args = obj.variables
        body = obj.expr
        exprs = tuple(body) if isinstance(body, (sympy.MatrixBase, sympy.Tuple, tuple, list)) else (body,)
        obj = SympyModule(exprs, tuple(args))
    elif all(hasattr(obj, m) for m in _METHODS):
        pass
    elif callable(obj):
        if dim is None:
            raise UsageError(f"{name} is a plain function; its dim must be given")
        # optional extra (jax): imported only when a JAX module is used
        from residual_expansion.models.adapters.jax_module import JaxModule

        obj = JaxModule(obj, dim)
    else:
        raise UsageError(f"{name} is a {type(obj).__name__}: expected a Module, a SympyModule, a sympy.Lambda "
                         "or a function written with jax.numpy")
    return check_module(obj, dim, name=name)


def stack_dim(modules: Sequence[Any]) -> int:
    """The common dim of a sequence of Modules (UsageError when they differ)."""
    dims = {m.dim for m in modules}
    if len(dims) != 1:
        raise UsageError(f"modules must share one dim, got dims {sorted(dims)}")
    return dims.pop()


__all__ = ["compositions", "taylor_via_derivatives", "check_module", "as_module", "stack_dim"]
