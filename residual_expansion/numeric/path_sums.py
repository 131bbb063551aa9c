"""Path sums of a residual stack by dynamic programming over layers (NUM-LINEAR, NUM-PL).

When every module has vanishing second derivatives at the input x (linear, affine, and
piecewise-linear modules away from their kinks) the closed form keeps only the chain
trees, one per computation path ``s_1 < ... < s_k`` (Veit's paths, docs/theory.md 3.1):

    T_k = sum_{s_1 < ... < s_k} J_{s_k} ... J_{s_2} v_{s_1},    J_r = g_r'(x),  v_r = g_r(x).

Enumerating the 2^n - 1 paths costs 2^n products. The sums share their prefixes: with
``V_k(r)`` the sum over the paths of order k whose top layer is at most r,

    V_1(r) = V_1(r-1) + v_r,    V_k(r) = V_k(r-1) + J_r V_{k-1}(r-1)  (k >= 2),

and ``T_k = V_k(n)``: n steps of K matrix-vector products, O(n K d^2) in all. The same
recurrence with |J_r| (or the module's magnitude map) and |v_r| gives the magnitudes
``M_k`` that scale the rounding error (proofs/numeric.md).

The enumeration stays as an independent route: :func:`path_term` evaluates one path by
the recurrence restricted to its layers (its order-|path| coefficient is that path's
product alone), to be compared with the tree evaluator on the path's chain tree; at large
depth a seeded sample of paths is compared (:func:`sample_paths`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

import numpy as np

from residual_expansion.errors import UsageError


@dataclass(frozen=True)
class PathSums:
    """``T_k`` and ``M_k`` for k = 0..K (row 0: x and |x|), as the tree evaluator returns them.

    Attributes
    ----------
    coefficients: shape (K + 1, d); row k = T_k (row 0 = x).
    magnitudes: shape (K + 1, d); row k = the same sum in absolute values (row 0 = |x|).
    paths: the number of paths summed, sum_{k<=K} C(n, k).
    """

    coefficients: np.ndarray
    magnitudes: np.ndarray
    paths: int


def path_sums(x: np.ndarray, values: np.ndarray, jacobians: np.ndarray,
              abs_values: np.ndarray | None = None, abs_jacobians: np.ndarray | None = None,
              order: int | None = None) -> PathSums:
    """The path sums T_0..T_K by the layer recurrence (module docstring).

    Arguments
    ---------
    x: the input, shape (d,).
    values: v_r = g_r(x), shape (n, d).
    jacobians: J_r = g_r'(x), shape (n, d, d).
    abs_values, abs_jacobians: nonnegative bounds on |v_r| and |J_r| for the magnitudes
        (default: the absolute values of ``values`` and ``jacobians``).
    order: K (default n; at most n, the longest path).

    Returns
    -------
    :class:`PathSums`.

    Raises
    ------
    UsageError
        When the shapes disagree or order is not in 1..n.

    >>> J = np.array([[[2.0]], [[3.0]]]); v = np.array([[1.0], [5.0]])
    >>> path_sums(np.zeros(1), v, J).coefficients[:, 0].tolist()   # T_1 = v1 + v2, T_2 = J2 v1
    [0.0, 6.0, 3.0]
    """
    values = np.asarray(values, dtype=float)
    jacobians = np.asarray(jacobians, dtype=float)
    x = np.asarray(x, dtype=float)
    if values.ndim != 2 or jacobians.shape != (values.shape[0], values.shape[1], values.shape[1]) \
            or x.shape != (values.shape[1],):
        raise UsageError(f"values must have shape (n, d), jacobians (n, d, d) and x (d,); got "
                         f"{values.shape}, {jacobians.shape}, {x.shape}", parameters=("values", "jacobians"))
    n, d = values.shape
    K = n if order is None else order
    if not 1 <= K <= max(n, 1):
        raise UsageError(f"order must be in 1..{n}, got {order}", parameters=("order",))
    abs_values = np.abs(values) if abs_values is None else np.asarray(abs_values, dtype=float)
    abs_jacobians = np.abs(jacobians) if abs_jacobians is None else np.asarray(abs_jacobians, dtype=float)
    coef = _recurrence(values, jacobians, K)
    mag = _recurrence(abs_values, abs_jacobians, K)
    coef[0], mag[0] = x, np.abs(x)
    return PathSums(coef, mag, sum(comb(n, k) for k in range(1, K + 1)))


def _recurrence(values: np.ndarray, jacobians: np.ndarray, K: int) -> np.ndarray:
    """V_k(n), k = 0..K, with V_k(r) = V_k(r-1) + J_r V_{k-1}(r-1) and V_1 collecting v_r."""
    n, d = values.shape
    V = np.zeros((K + 1, d))
    with np.errstate(over="ignore", invalid="ignore"):
        for r in range(n):
            if K >= 2:
                step = V[1:K] @ jacobians[r].T  # J_r V_{k-1}(r-1), k = 2..K, from the old rows
                V[2:] += step
            V[1] += values[r]
    return V


def path_term(values: np.ndarray, jacobians: np.ndarray, path: Sequence[int]) -> np.ndarray:
    """The product ``J_{s_k} ... J_{s_2} v_{s_1}`` of one path (layers 1-based, increasing).

    Computed by :func:`path_sums` restricted to the path's layers: the only path of order
    |path| inside them is the path itself, so that coefficient is its product.

    >>> J = np.array([[[2.0]], [[3.0]], [[7.0]]]); v = np.array([[1.0], [5.0], [0.5]])
    >>> float(path_term(v, J, (1, 3))[0])   # J_3 v_1
    7.0
    """
    idx = [s - 1 for s in path]
    if not idx or any(b <= a for a, b in zip(idx, idx[1:])) or idx[0] < 0 or idx[-1] >= len(values):
        raise UsageError(f"path must be increasing layers in 1..{len(values)}, got {tuple(path)}",
                         parameters=("path",))
    sub_v, sub_j = np.asarray(values)[idx], np.asarray(jacobians)[idx]
    return _recurrence(sub_v, sub_j, len(idx))[len(idx)]


def sample_paths(depth: int, count: int, seed: int) -> tuple[tuple[int, ...], ...]:
    """``count`` distinct non-empty paths of a depth-n stack, uniform over the 2^n - 1, from ``seed``.

    All paths, in order, when ``count >= 2^n - 1``.

    >>> sample_paths(2, 10, 0)
    ((1,), (2,), (1, 2))
    >>> len(sample_paths(40, 5, 1)), sample_paths(40, 5, 1) == sample_paths(40, 5, 1)
    (5, True)
    """
    if depth < 1 or count < 1:
        raise UsageError(f"depth and count must be positive, got {depth}, {count}", parameters=("depth", "count"))
    total = (1 << depth) - 1
    if count >= total:
        import itertools

        return tuple(c for k in range(1, depth + 1) for c in itertools.combinations(range(1, depth + 1), k))
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    chosen: set[int] = set()
    while len(chosen) < count:
        # a uniform subset: one random bit per layer (rejecting the empty set)
        bits = rng.integers(0, 2, size=depth)
        mask = int(sum(1 << i for i in range(depth) if bits[i]))
        if mask:
            chosen.add(mask)
    return tuple(sorted((tuple(i + 1 for i in range(depth) if m >> i & 1) for m in chosen),
                        key=lambda p: (len(p), p)))


__all__ = ["PathSums", "path_sums", "path_term", "sample_paths"]
