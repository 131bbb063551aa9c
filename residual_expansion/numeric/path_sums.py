"""Path sums of a residual stack by dynamic programming over layers (NUM-LINEAR, NUM-PL).

When every module has vanishing second derivatives at the input x (linear, affine, and
piecewise-linear modules away from their kinks) the closed form keeps only the chain
trees, one per computation path ``s_1 < ... < s_k`` (Veit's paths, docs/theory.md#linear-modules):

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

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import comb

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.families import module_at
from residual_expansion.numeric.taylor import chain_terms, closed_form, gamma, rounding_length
from residual_expansion.theorem.expansion import Term
from residual_expansion.theorem.trees import LabeledTree


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




# --------------------------------------------------------------------------- stacks

#: Paths the enumeration route evaluates: all of them up to this many, else a seeded sample of this size.
PATH_SAMPLE = 256


def dp_rounding_length(stack, order: int) -> int:
    """L = 2n + K (d + h + 2): rounding steps behind one path-sum coefficient of :func:`stack_path_sums`.

    Each Jacobian entry is an inner product of length h (the module's derivative), each of
    the <= K factors of a path one matrix-vector product of length d, and the recurrence
    adds n times; n more carry the forward pass into the comparison. See proofs/numeric.md.
    """
    return 2 * stack.depth + order * (stack.dim + stack.width + 2)


def stack_jacobians(stack) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(v, J, |v|~, |J|~) of every module at the stack's input x, through the Module protocol.

    ``J_r[:, j] = g_r'(x)[e_j]`` (d derivative calls per module); the magnitudes come from
    the module's ``magnitude`` when it has one, else absolute values.
    """
    x = stack.x
    eye = np.eye(stack.dim)
    vals, jacs, avals, ajacs = [], [], [], []
    for module in stack.modules:
        point = module_at(module, x, 1)
        vals.append(np.asarray(point.derivative([]), dtype=float))
        jacs.append(np.stack([point.derivative([e]) for e in eye], axis=1))
        if hasattr(point, "magnitude"):
            avals.append(np.asarray(point.magnitude([]), dtype=float))
            ajacs.append(np.stack([point.magnitude([e]) for e in eye], axis=1))
        else:
            avals.append(np.abs(vals[-1]))
            ajacs.append(np.abs(jacs[-1]))
    return np.array(vals), np.array(jacs), np.array(avals), np.array(ajacs)


def stack_path_sums(stack, order: int | None = None) -> PathSums:
    """:func:`path_sums` of a residual stack: T_0..T_K of its chain terms at ``stack.x``.

    >>> from residual_expansion.models.families import make_stack
    >>> s = make_stack("linear", depth=3, dim=2, seed=0)
    >>> ps = stack_path_sums(s)
    >>> from residual_expansion.numeric.taylor import truncation
    >>> bool(np.allclose(truncation(ps.coefficients, 1.0), s.forward(1.0))), ps.paths
    (True, 7)
    """
    v, J, av, aJ = stack_jacobians(stack)
    return path_sums(stack.x, v, J, av, aJ, order)


@dataclass(frozen=True)
class EnumerationCheck:
    """The path sums against the tree evaluator on enumerated chain trees (all paths, or a sample).

    Attributes
    ----------
    mode: "all" (every path; per-order sums compared) or "sample" (per-path products compared).
    paths: number of paths enumerated; seed: the sample's seed (None for "all").
    worst: the largest deviation / tolerance (deviation ||a - b||_inf, tolerance 2 gamma_L ||M||_inf).
    passed: worst <= 1.
    """

    mode: str
    paths: int
    seed: int | None
    worst: float
    passed: bool


def _chain_term(path: Sequence[int]):
    tree = LabeledTree(path[0])
    for s in path[1:]:
        tree = LabeledTree(s, (tree,))
    return Term(len(path), tree, Fraction(1))


def check_enumeration(stack, sums: PathSums, seed: int, chain_terms_of=None,
                      sample: int = PATH_SAMPLE) -> EnumerationCheck:
    """Compare the path sums with the tree evaluator (:func:`~residual_expansion.numeric.taylor.closed_form`).

    Up to ``sample`` paths (2^n - 1 <= sample): every chain term (``chain_terms_of(n)``,
    default all paths), summed by order, against ``sums``. Beyond: ``sample`` paths drawn by
    :func:`sample_paths` from ``seed``; their products by :func:`path_term` (the recurrence on
    each path's layers), summed by order, against the tree evaluator on their chain trees. Tolerance 2 gamma_L times the magnitude, L the sum of both
    routes' lengths (:func:`dp_rounding_length`, :func:`~residual_expansion.numeric.taylor.rounding_length`).
    """
    n = stack.depth
    K = sums.coefficients.shape[0] - 1
    if (1 << n) - 1 <= sample:
        terms = tuple(chain_terms(n) if chain_terms_of is None else chain_terms_of(n))
        cf = closed_form(stack, terms, K)
        per_order = max([sum(1 for t in terms if t.order == k) for k in range(1, K + 1)] + [1])
        tol = 2 * gamma(dp_rounding_length(stack, K) + rounding_length(stack, K, per_order))
        worst = 0.0
        for k in range(1, K + 1):
            dev = float(np.max(np.abs(cf.coefficients[k] - sums.coefficients[k])))
            scale = float(np.max(np.maximum(cf.magnitudes[k], sums.magnitudes[k])))
            worst = max(worst, dev / (tol * scale) if scale > 0 else (0.0 if dev == 0 else float("inf")))
        return EnumerationCheck("all", len(terms), None, worst, bool(worst <= 1.0))
    v, J, av, aJ = stack_jacobians(stack)
    paths = sample_paths(n, sample, seed)
    cf = closed_form(stack, tuple(_chain_term(p) for p in paths), K)  # one memoised tree evaluation
    mine = np.zeros_like(cf.coefficients)
    mags = np.zeros_like(cf.magnitudes)
    for path in paths:
        mine[len(path)] += path_term(v, J, path)
        mags[len(path)] += path_term(av, aJ, path)
    per_order = max(sum(1 for p in paths if len(p) == k) for k in range(1, K + 1))
    tol = 2 * gamma(dp_rounding_length(stack, K) + rounding_length(stack, K, per_order))
    worst = 0.0
    for k in range(1, K + 1):
        dev = float(np.max(np.abs(cf.coefficients[k] - mine[k])))
        scale = float(np.max(np.maximum(cf.magnitudes[k], mags[k])))
        worst = max(worst, dev / (tol * scale) if scale > 0 else (0.0 if dev == 0 else float("inf")))
    return EnumerationCheck("sample", len(paths), seed, worst, bool(worst <= 1.0))


__all__ = ["PATH_SAMPLE", "EnumerationCheck", "PathSums", "check_enumeration", "dp_rounding_length", "path_sums",
           "path_term", "sample_paths", "stack_jacobians", "stack_path_sums"]
