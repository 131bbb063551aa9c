"""Bring your own module: adapters from sympy expressions, JAX functions and protocol objects.

Every adapter implements :class:`residual_expansion.models.protocol.Module`, so every
route of the project (cross-check, exact route, Monte Carlo) accepts a user's module:

* :class:`SympyModule` (``sympy_module``): d sympy expressions of the input symbols; exact
  derivatives, and the exact route :func:`residual_expansion.models.adapters.exact.exact_check`
  (a PASS is a proof of the expansion for that stack at that order);
* :class:`JaxModule` (``jax_module``, extra ``jax``): any function written with ``jax.numpy``;
  Taylor mode by ``jax.experimental.jet``, derivatives by nested ``jvp``, float64;
* any object with the protocol's methods: checked by :func:`check_module`.

:func:`as_module` turns one of these (or a plain callable, taken as a JAX function) into a
Module; :func:`residual_expansion.models.adapters.loader.load_stack` reads a
``FILE.py:NAME`` or ``package.module:NAME`` spec.

Reference: docs/api.md ("Your own modules"); docs/theory.md#residual-stacks.
"""

from residual_expansion.models.adapters.common import as_module, check_module, taylor_via_derivatives
from residual_expansion.models.adapters.sympy_module import SympyModule

__all__ = ["as_module", "check_module", "taylor_via_derivatives", "SympyModule"]
