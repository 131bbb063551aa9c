"""residual-expansion: a symbolic-numeric verifier for the theory of deep residual networks.

A residual stack ``x_i = x_{i-1} + lambda_i g_i(x_{i-1})`` unrolls into a sum over
computation paths (labeled rooted trees of modules). This package expands it exactly,
counts its paths, checks the closed form against independent computations, and renders
the results for papers. See ``python -m residual_expansion --help``.
"""

__version__ = "0.1.0"
