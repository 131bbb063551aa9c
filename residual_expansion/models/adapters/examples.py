"""Example user stacks for the docs and tests: the same sin-MLP stack as JAX functions and as sympy.

``make(depth, dim, seed)`` returns functions ``lambda x: jnp.sin(W @ x + b)`` (needs the
``jax`` extra); ``sympy_make(depth, dim, seed)`` returns the *same* modules as sympy
expressions (weights are multiples of 1/4, exact in float64 and in sympy), for the exact
route. Use them as ``--module residual_expansion.models.adapters.examples:make``.

Reference: docs/api.md ("Your own modules").
"""

from __future__ import annotations

import numpy as np


def weights(depth: int, dim: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W_i, b_i) for i = 1..depth: entries k/4 with k uniform in -2..2 (``default_rng(seed)``).

    >>> W, b = weights(1, 2, 0)[0]
    >>> sorted(set((4 * W).ravel().tolist()) | set((4 * b).tolist())) <= [-2.0, -1.0, 0.0, 1.0, 2.0]
    True
    """
    rng = np.random.default_rng(seed)
    return [(rng.integers(-2, 3, (dim, dim)) / 4, rng.integers(-2, 3, dim) / 4) for _ in range(depth)]


def make(depth: int, dim: int, seed: int) -> list:
    """JAX functions x -> sin(W_i x + b_i), one per layer."""
    # optional extra (jax): imported only when a JAX module is used
    import jax.numpy as jnp

    def layer(W: np.ndarray, b: np.ndarray):
        return lambda x: jnp.sin(W @ x + b)

    return [layer(W, b) for W, b in weights(depth, dim, seed)]


def sympy_make(depth: int, dim: int, seed: int) -> list:
    """The same modules as :func:`make`, as exact sympy expressions (:class:`SympyModule`)."""
    # sympy is slow to import: loaded only where sympy objects are built (tests/test_startup.py)
    import sympy

    from residual_expansion.models.adapters.sympy_module import sympy_stack

    return list(sympy_stack(weights(depth, dim, seed), sympy.sin, dim))


__all__ = ["weights", "make", "sympy_make"]
