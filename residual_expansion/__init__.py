"""residual-expansion: a symbolic-numeric verifier for the theory of deep residual networks.

A residual stack ``x_i = x_{i-1} + lambda_i g_i(x_{i-1})`` unrolls into a sum over
computation paths (labeled rooted trees of modules). This package expands it exactly,
counts its paths, checks the closed form against independent computations, and renders
the results for papers. See ``python -m residual_expansion --help``.

For notebooks, ``import residual_expansion as rx`` gives the main functions and types
(:data:`__all__`); they are loaded on first use, so importing the package (and the
command line's ``--help``) stays light.

>>> import residual_expansion as rx
>>> rx.expand(3, 3).counts()
(3, 3, 5)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it (imported on first attribute access).
_EXPORTS: dict[str, str] = {
    # the theorem
    "expand": "residual_expansion.theorem.expansion",
    "Expansion": "residual_expansion.theorem.expansion",
    "Term": "residual_expansion.theorem.expansion",
    "count_labeled_trees": "residual_expansion.theorem.trees",
    "labeled_trees": "residual_expansion.theorem.trees",
    "LabeledTree": "residual_expansion.theorem.trees",
    "RootedTree": "residual_expansion.theorem.trees",
    "closed_form_terms": "residual_expansion.theorem.budget",
    # paths
    "path_statistics": "residual_expansion.paths.polynomial",
    "PathStatistics": "residual_expansion.paths.polynomial",
    # models
    "Module": "residual_expansion.models.protocol",
    "ResidualStack": "residual_expansion.models.families",
    "Perceptron": "residual_expansion.models.families",
    "make_stack": "residual_expansion.models.families",
    "derivative_from_taylor": "residual_expansion.models.families",
    "activation": "residual_expansion.models.activations",
    "Init": "residual_expansion.models.weights",
    # numeric
    "crosscheck": "residual_expansion.numeric.crosscheck",
    "CrossCheck": "residual_expansion.numeric.crosscheck",
    "taylor_coefficients": "residual_expansion.numeric.taylor",
    # scaling
    "run_sweep": "residual_expansion.scaling.sweep",
    "Sweep": "residual_expansion.scaling.sweep",
    "Model": "residual_expansion.scaling.montecarlo",
    # claims and output
    "ClaimResult": "residual_expansion.claims.base",
    "run_claims": "residual_expansion.api",
    "render": "residual_expansion",  # the callable package residual_expansion.render
    "UsageError": "residual_expansion.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'residual_expansion' has no attribute {name!r}")
    if name == "render":  # a subpackage that is also callable (see residual_expansion/render/__init__.py)
        return importlib.import_module("residual_expansion.render")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
