"""A user's residual stack, written as JAX functions and as the same sympy expressions.

    python -m residual_expansion crosscheck --module docs/examples/jax_stack.py:make --depth 6 --order 4 --dim 5
    python -m residual_expansion crosscheck --module docs/examples/jax_stack.py:make_sympy --exact --depth 6 --order 4 --dim 5

g_i(x) = sin(W_i x + b_i) with entries of W_i, b_i in {-1/2, -1/4, 0, 1/4, 1/2}: exact in
float64, so the JAX and the sympy stacks are the same functions.
"""

import numpy as np


def weights(depth, dim, seed):
    rng = np.random.default_rng(seed)
    return [(rng.integers(-2, 3, (dim, dim)) / 4, rng.integers(-2, 3, dim) / 4) for _ in range(depth)]


def make(depth, dim, seed):
    import jax.numpy as jnp

    return [(lambda W, b: (lambda x: jnp.sin(W @ x + b)))(W, b) for W, b in weights(depth, dim, seed)]


def make_sympy(depth, dim, seed):
    import sympy

    from residual_expansion.models.adapters.sympy_module import sympy_stack

    return sympy_stack(weights(depth, dim, seed), sympy.sin, dim)
