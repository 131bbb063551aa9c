"""Numeric routes to the expansion coefficients of real modules, and the remainder of the truncation.

For a residual stack with uniform scale lambda, x_n(lambda) = sum_k lambda^k T_k(x). Two
independent float64 routes compute T_0..T_K:

* :func:`taylor_coefficients` (Taylor mode): push truncated power series in lambda through
  the forward pass, ``X_i = X_{i-1} + lambda g_i(X_{i-1})``; sums and matrix products act
  coefficient-wise, activations by their ODE recurrences (see
  :mod:`residual_expansion.models.activations`). Uses no trees and no derivative formulas.
* :func:`closed_form` (the Residual Expansion Theorem): ``T_k = sum_{|t| = k} c_t F(t)(x)``
  over the given terms, with ``F(t) = g_r^(m)(x)[F(t_1), ..., F(t_m)]`` evaluated from the
  exact derivative formulas, memoised by subtree. It also returns the *magnitude*
  ``M_k = sum |c_t| |F|(t)`` (the same sum in absolute values) that scales its rounding error.

:func:`coefficient_tolerance` derives the float64 tolerance of their difference;
:func:`remainder_fit` measures ``R_K(lambda) = ||x_n(lambda) - sum_{k<=K} lambda^k T_k||`` on a
lambda window chosen by :func:`asymptotic_window` and fits its log-log slope (K + 1 expected);
:func:`sign_radius` certifies, for piecewise-linear activations, the lambda up to which no
pre-activation changes sign (where the expansion is an exact polynomial identity);
:func:`chain_terms` lists Veit et al.'s 2^n - 1 computation paths as chain-tree terms, the whole
closed form of linear, affine and piecewise-linear stacks.

Reference: docs/theory.md#the-residual-expansion-theorem and docs/theory.md#linear-modules; proofs/numeric.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from fractions import Fraction
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.families import ResidualStack, module_at

#: Unit roundoff of float64 (2^-53).
UNIT_ROUNDOFF = 2.0 ** -53
#: Points of the lambda grid on which the remainder slope is fitted.
FIT_POINTS = 12
#: The window keeps the next terms below this fraction of the leading remainder term.
ASYMPTOTIC_RATIO = 0.1
#: The window keeps the leading remainder term at least this many times the rounding floor.
FLOOR_MARGIN = 1e2
#: The window must span at least this factor in lambda for a meaningful fit.
MIN_WINDOW = 4.0


# ---------------------------------------------------------------- Taylor mode


def propagate(stack: ResidualStack, order: int, kinks: bool = False) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The one Taylor-mode forward pass: X_i = X_{i-1} + lambda g_i(X_{i-1}) on truncated series.

    ``X_i[k] = X_{i-1}[k] + G_i[k-1]`` with G_i = ``g_i.taylor(X_{i-1}[:K])`` (the module's
    own Taylor rule: for the families ``Z = C X + c``, ``H = phi(Z)`` by the activation's ODE
    recurrence, ``G = B H + b``; cost O(n K (K h + d h))).

    Arguments
    ---------
    stack: the residual stack (uniform lambda).
    order: K >= 0.
    kinks: also return, per module with ``kinks``, the series of its kink arguments
        along X_{i-1} (K + 1 coefficients), for :func:`sign_radius`.

    Returns
    -------
    (X, kink_series): X of shape (K + 1, d), row k = T_k; kink_series a tuple (empty
    unless ``kinks``).
    """
    X = np.zeros((order + 1, stack.dim))
    X[0] = stack.x
    found = []
    with np.errstate(over="ignore", invalid="ignore"):
        for module in stack.modules:
            if kinks and hasattr(module, "kinks"):
                found.append(module.kinks(X))
            if order > 0:
                X[1:] += module.taylor(X[:order])
    return X, tuple(found)


def taylor_coefficients(stack: ResidualStack, order: int) -> np.ndarray:
    """T_0..T_K of x_n(lambda) = sum_k lambda^k T_k by Taylor-mode propagation (uniform lambda).

    See :func:`propagate`.

    Arguments
    ---------
    stack: the residual stack.
    order: K >= 0.

    Returns
    -------
    Array of shape (K + 1, d); row k is T_k (row 0 is x).

    Raises
    ------
    UsageError
        When order is negative.

    >>> from residual_expansion.models.families import make_stack
    >>> s = make_stack("linear", depth=2, dim=2, seed=0)
    >>> T = taylor_coefficients(s, 2)
    >>> a1, a2 = (g.outer for g in s.modules)
    >>> bool(np.allclose(T[2], a2 @ a1 @ s.x))
    True
    """
    if order < 0:
        raise UsageError(f"order must be >= 0, got {order}")
    return propagate(stack, order)[0]


# ---------------------------------------------------------------- closed form


@dataclass(frozen=True, eq=False)
class ClosedFormValues:
    """The closed form evaluated numerically.

    Attributes
    ----------
    coefficients: shape (K + 1, d); row k = sum over the terms of order k of c_t F(t)(x), row 0 = x.
    magnitudes: shape (K + 1, d); row k = sum |c_t| |F|(t), the absolute-value evaluation
        (row 0 = |x|). Bounds the scale of the rounding error of row k.
    terms: number of terms summed.
    subtrees: number of distinct subtrees evaluated (memoised).
    """

    coefficients: np.ndarray
    magnitudes: np.ndarray
    terms: int
    subtrees: int


def closed_form(stack: ResidualStack, terms: Iterable, order: int | None = None) -> ClosedFormValues:
    """Evaluate T_k = sum_{terms of order k} coefficient * F(tree)(x) numerically.

    ``F(t)(x) = g_r^(m)(x)[F(t_1)(x), ..., F(t_m)(x)]`` with r = t.label, every derivative at
    the input x, through the module protocol (``derivative``, or the module frozen at x by
    ``at``). Values are memoised by subtree, so each distinct subtree costs one derivative
    evaluation. The magnitudes repeat the recursion with the modules' ``magnitude``.

    Arguments
    ---------
    stack: the residual stack (its derivatives are taken at ``stack.x``).
    terms: objects with ``order``, ``tree`` (a LabeledTree: ``label``, ``children``) and
        ``coefficient`` (e.g. ``expand(n, K).terms``, or a corrupted copy in tests).
    order: K (default: the largest term order); terms above K are ignored.

    Returns
    -------
    :class:`ClosedFormValues`.

    Raises
    ------
    UsageError
        When a tree label exceeds the depth of the stack.

    >>> from residual_expansion.theorem.expansion import expand
    >>> from residual_expansion.models.families import make_stack
    >>> s = make_stack("mlp", depth=3, dim=4, seed=0)
    >>> cf = closed_form(s, expand(3, 3).terms)
    >>> bool(np.allclose(cf.coefficients, taylor_coefficients(s, 3)))
    True
    """
    terms = tuple(terms)
    K = max((t.order for t in terms), default=0) if order is None else order
    terms = tuple(t for t in terms if t.order <= K)
    m_max = max(max((_max_children(t.tree) for t in terms), default=0), 1)
    points: dict = {}
    memo: dict = {}

    def point(label: int):
        if not 1 <= label <= stack.depth:
            raise UsageError(f"tree label {label} is outside the layers 1..{stack.depth} of the stack")
        p = points.get(label)
        if p is None:
            p = points[label] = module_at(stack.modules[label - 1], stack.x, m_max)
        return p

    def F(tree) -> tuple[np.ndarray, np.ndarray]:
        hit = memo.get(tree)
        if hit is not None:
            return hit
        p = point(tree.label)
        kids = [F(child) for child in tree.children]
        value = p.derivative([v for v, _ in kids])
        magnitude = p.magnitude([m for _, m in kids])
        memo[tree] = (value, magnitude)
        return value, magnitude

    coeffs = np.zeros((K + 1, stack.dim))
    mags = np.zeros((K + 1, stack.dim))
    coeffs[0] = stack.x
    mags[0] = np.abs(stack.x)
    with np.errstate(over="ignore", invalid="ignore"):
        for term in terms:
            value, magnitude = F(term.tree)
            c = float(term.coefficient)
            coeffs[term.order] += c * value
            mags[term.order] += abs(c) * magnitude
    return ClosedFormValues(coeffs, mags, len(terms), len(memo))


def _max_children(tree) -> int:
    return max([len(tree.children)] + [_max_children(c) for c in tree.children])


# ---------------------------------------------------------------- tolerance


def rounding_length(stack: ResidualStack, order: int, terms_per_order: int = 1) -> int:
    """L = n + K (max(d, h) + 2K + 4) + N: a bound on the rounding steps behind one coefficient.

    n steps carry the forward-pass error into z_r (Taylor mode: n accumulations); each of the
    <= K nodes of a tree adds an inner product of length max(d, h) (one matrix-vector
    product), up to K elementwise products and the evaluation of phi^(m) (Taylor mode: the
    ODE recurrences, O(K) per order); summing the N = ``terms_per_order`` trees of one order
    adds N - 1 more. See proofs/numeric.md.
    """
    return stack.depth + order * (max(stack.dim, stack.width) + 2 * order + 4) + terms_per_order


def gamma(length: int) -> float:
    """gamma_L = L u / (1 - L u), Higham's bound on L accumulated roundings (u = 2^-53)."""
    lu = length * UNIT_ROUNDOFF
    if lu >= 1:
        return float("inf")
    return lu / (1.0 - lu)


def coefficient_tolerance(stack: ResidualStack, order: int, terms_per_order: int = 1) -> float:
    """The tolerance of ``||T_k(Taylor) - T_k(closed form)||_inf / ||M_k||_inf``: 2 gamma_L.

    Each route's error is at most gamma_L times the magnitude M_k (proofs/numeric.md), so
    their difference is at most 2 gamma_L M_k; L = :func:`rounding_length`.

    >>> from residual_expansion.models.families import make_stack
    >>> f"{coefficient_tolerance(make_stack('mlp', depth=8, dim=16), 4, 728):.2e}"
    '1.88e-13'
    """
    return 2.0 * gamma(rounding_length(stack, order, terms_per_order))


def relative_errors(reference: np.ndarray, other: np.ndarray, magnitudes: np.ndarray) -> tuple[float, ...]:
    """e_k = ||reference_k - other_k||_inf / ||M_k||_inf for k = 1..K (0 where M_k = 0 and they agree)."""
    out = []
    for k in range(1, reference.shape[0]):
        diff = float(np.max(np.abs(reference[k] - other[k]))) if reference.shape[1] else 0.0
        scale = float(np.max(magnitudes[k])) if magnitudes.shape[1] else 0.0
        if not np.isfinite(diff):
            out.append(float("inf"))
        elif scale == 0.0:
            out.append(0.0 if diff == 0.0 else float("inf"))
        else:
            out.append(diff / scale)
    return tuple(out)


# ---------------------------------------------------------------- remainder


def truncation(coefficients: np.ndarray, lam: float) -> np.ndarray:
    """sum_{k} lambda^k T_k (Horner)."""
    acc = np.array(coefficients[-1], dtype=float)
    for row in coefficients[-2::-1]:
        acc = acc * lam + row
    return acc


def remainder(stack: ResidualStack, coefficients: np.ndarray, lam: float) -> float:
    """||x_n(lambda) - sum_k lambda^k T_k||_inf, the forward pass against the truncated series."""
    with np.errstate(over="ignore", invalid="ignore"):
        r = float(np.max(np.abs(stack.forward(lam) - truncation(coefficients, lam))))
    return r


def absolute_forward(stack: ResidualStack, lam: float) -> np.ndarray:
    """The forward pass in absolute values, x~_i = x~_{i-1} + |lambda| g~_i(x~_{i-1}).

    g~ is the module's ``bound`` (families: |B| phi~(|C| x~ + |c|) + |b|, phi~ bounding |phi|
    and its rounding); for a module without one, |g(x~)| (a heuristic scale). Scales the
    rounding error of x_n(lambda).
    """
    xa = np.abs(stack.x)
    lam = abs(lam)
    with np.errstate(over="ignore", invalid="ignore"):
        for module in stack.modules:
            step = module.bound(xa) if hasattr(module, "bound") else np.abs(module.value(xa))
            xa = xa + lam * step
    return xa


def forward_length(stack: ResidualStack) -> int:
    """n (max(d, h) + 4): rounding steps of the forward pass (per layer two inner products and a few elementwise ops)."""
    return stack.depth * (max(stack.dim, stack.width) + 4)


def rounding_bound(stack: ResidualStack, lam: float, magnitudes: np.ndarray, length: int) -> float:
    """A bound on the rounding error of R_K(lambda) = ||x_n(lambda) - sum_k lambda^k T_k||_inf.

    ``2 gamma_L (||x~_n(lambda)||_inf + sum_k |lambda|^k ||M_k||_inf)``: the forward pass
    (scaled by its absolute-value version :func:`absolute_forward`) and the truncated series
    (scaled by the closed form's magnitudes M_k), L = forward length + ``length``.
    """
    scale = float(np.max(absolute_forward(stack, lam)))
    scale += float(truncation(np.max(magnitudes, axis=1), abs(lam)))
    return 2.0 * gamma(forward_length(stack) + length + magnitudes.shape[0]) * scale


def floor_estimate(stack: ResidualStack, lam: float) -> float:
    """The typical size of the rounding error of R_K(lambda): u (n + max(d, h)) max(||x||, ||x_n(lambda)||)_inf.

    Each of the n layers adds relative errors of about u times an inner-product length to
    x_i; this is the norm-wise (not the worst-case componentwise) estimate, used only to
    place the fitting window, never as a pass/fail tolerance.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        scale = max(float(np.max(np.abs(stack.x))), float(np.max(np.abs(stack.forward(lam)))))
    return UNIT_ROUNDOFF * (stack.depth + max(stack.dim, stack.width)) * scale


@dataclass(frozen=True)
class Window:
    """A lambda window for the remainder fit.

    Attributes
    ----------
    lo, hi: the window.
    automatic: True when chosen by :func:`asymptotic_window`.
    reason: empty when the window is usable; else why no meaningful window exists.
    """

    lo: float
    hi: float
    automatic: bool
    reason: str = ""


def asymptotic_window(stack: ResidualStack, order: int, cap: float | None = None) -> Window:
    """Choose [lo, hi] where R_K(lambda) ~ ||T_{K+1}|| lambda^(K+1) is neither rounding nor higher terms.

    With a_j = ||T_j||_inf from Taylor mode (independent of the closed form under test):

    * hi = ASYMPTOTIC_RATIO * min_{j=1..3} (a_{K+1} / a_{K+1+j})^(1/j): the next terms are at
      most ~10% of the leading one, so the local slope stays within ~0.1 of K + 1;
    * lo solves a_{K+1} lo^(K+1) = FLOOR_MARGIN * floor, floor the typical rounding error of
      the remainder (:func:`floor_estimate`), so rounding moves log R by ~1e-2;
    * ``cap`` (e.g. half the sign radius of a piecewise-linear stack) bounds hi.

    The window is refused (``reason`` set) when hi < MIN_WINDOW * lo.
    """
    T = taylor_coefficients(stack, order + 4)
    a = np.max(np.abs(T), axis=1)
    lead = a[order + 1]
    if not np.isfinite(a).all():
        return Window(0.0, 0.0, True, f"the Taylor coefficients overflow by order {order + 4}")
    if lead == 0.0:
        return Window(0.0, 0.0, True, f"T_{order + 1} vanishes: the remainder has no lambda^{order + 1} term")
    ratios = [(lead / a[order + 1 + j]) ** (1.0 / j) for j in (1, 2, 3) if a[order + 1 + j] > 0]
    hi = ASYMPTOTIC_RATIO * min(ratios) if ratios else 1.0
    if cap is not None:
        hi = min(hi, cap)
    floor = floor_estimate(stack, hi)
    lo = (FLOOR_MARGIN * floor / lead) ** (1.0 / (order + 1))
    if not hi >= MIN_WINDOW * lo:
        return Window(lo, hi, True,
                      f"no lambda window at order {order}: rounding dominates below {lo:.3g} and the series "
                      f"stops being asymptotic above {hi:.3g}")
    return Window(lo, hi, True)


@dataclass(frozen=True)
class RemainderFit:
    """The remainder R_K(lambda) on a grid and its log-log slope.

    Attributes
    ----------
    order: K.
    lambdas, remainders: the grid and R_K there.
    slope: least-squares slope of log R against log lambda (None when not fitted).
    expected_slope: K + 1.
    window: the lambda window.
    exact: True when the series terminates (polynomial stack, K >= n): then R_K must vanish to
        rounding, checked against ``tolerances``.
    tolerances: per lambda, the rounding bound of R_K (exact case only; empty otherwise).
    passed: |slope - (K + 1)| <= 0.25, or (exact) every R_K below its tolerance.
    reason: why the fit failed or was not possible ("" otherwise).
    """

    order: int
    lambdas: tuple[float, ...]
    remainders: tuple[float, ...]
    slope: float | None
    expected_slope: int
    window: Window
    exact: bool
    tolerances: tuple[float, ...]
    passed: bool
    reason: str = ""


SLOPE_TOLERANCE = 0.25


def remainder_fit(
    stack: ResidualStack,
    coefficients: np.ndarray,
    order: int,
    *,
    window: Window,
    magnitudes: np.ndarray,
    length: int,
    points: int = FIT_POINTS,
) -> RemainderFit:
    """Fit the slope of log R_K(lambda) = log ||x_n(lambda) - sum_{k<=K} lambda^k T_k|| on ``window``.

    ``coefficients`` holds the T_k under test (rows 0..K), ``magnitudes`` their rounding
    magnitudes and ``length`` their rounding length (:func:`rounding_length`). When the
    stack's series terminates at order n and K >= n the remainder must vanish to rounding
    instead (``exact``), below :func:`rounding_bound` at every lambda.
    """
    exact = stack.terminates and order >= stack.depth
    if window.reason:
        return RemainderFit(order, (), (), None, order + 1, window, exact, (), False, window.reason)
    lams = np.geomspace(window.lo, window.hi, points)
    rems = np.array([remainder(stack, coefficients[: order + 1], lam) for lam in lams])
    # Rounding bounds decide the exact case only (the slope fit relies on the window instead).
    tols = (np.array([rounding_bound(stack, lam, magnitudes[: order + 1], length) for lam in lams])
            if exact else np.zeros(0))
    if not np.isfinite(rems).all():
        bad = lams[~np.isfinite(rems)][0]
        return RemainderFit(order, tuple(lams), tuple(rems), None, order + 1, window, exact, tuple(tols), False,
                            f"the forward pass explodes at lambda = {bad:.3g}")
    if exact:
        ok = bool(np.all(rems <= tols))
        return RemainderFit(order, tuple(lams), tuple(rems), None, order + 1, window, True, tuple(tols), ok,
                            "" if ok else "the terminating series misses the forward pass beyond rounding")
    if np.any(rems <= 0.0):
        return RemainderFit(order, tuple(lams), tuple(rems), None, order + 1, window, False, tuple(tols), False,
                            "the remainder is exactly zero somewhere on the window")
    slope = float(np.polyfit(np.log(lams), np.log(rems), 1)[0])
    ok = abs(slope - (order + 1)) <= SLOPE_TOLERANCE
    return RemainderFit(order, tuple(lams), tuple(rems), slope, order + 1, window, False, tuple(tols), ok,
                        "" if ok else f"slope {slope:.3f} is not within {SLOPE_TOLERANCE} of {order + 1}")


def exact_window(cap: float | None = None) -> Window:
    """The window [0.1, 1] (capped) for a terminating series: any lambda works, lambda = 1 included."""
    hi = 1.0 if cap is None else min(1.0, cap)
    return Window(hi / 10.0, hi, True)


# ---------------------------------------------------------------- piecewise linear


def sign_radius(stack: ResidualStack) -> float:
    """A certified lower bound on the lambda up to which no kink argument changes sign.

    For piecewise-linear modules (their ``kinks``: the pre-activations), as long as every
    pre-activation keeps its sign at lambda = 0, x_i(lambda) and z_i(lambda) = C_i
    x_{i-1}(lambda) + c_i are polynomials of degree <= i - 1 in lambda, whose coefficients
    Taylor mode (:func:`propagate`, to order n - 1) gives exactly. A polynomial
    p_0 + sum_{k>=1} p_k lambda^k keeps the sign of p_0 on [0, r] when
    sum_{k>=1} |p_k| r^k < |p_0|; the radius is the least such r over every component of
    every layer (found by bisection on this increasing function), halved: on [0, r/2] every
    pre-activation keeps at least half of |p_0| (proofs/numeric.md section 6), so float64
    rounding of the forward pass cannot flip a sign at the returned radius. Returns 0 when
    a pre-activation is exactly 0 at lambda = 0, inf when nothing depends on lambda.
    """
    n = stack.depth
    _, kinks = propagate(stack, n - 1, kinks=True)
    Z = np.concatenate([z.reshape(n, -1) for z in kinks] + [np.zeros((n, 0))], axis=1)
    p0 = np.abs(Z[0])
    if np.any(p0 == 0.0):
        return 0.0
    tail = np.abs(Z[1:])
    if not np.any(tail):
        return float("inf")

    def excess(r: float) -> bool:
        powers = r ** np.arange(1, n, dtype=float)
        return bool(np.any(np.tensordot(powers, tail, axes=1) >= p0 * (1.0 - 1e-12)))

    lo, hi = 0.0, 1.0
    while not excess(hi):
        lo, hi = hi, 2.0 * hi
        if hi > 1e300:
            return float("inf")
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if excess(mid):
            hi = mid
        else:
            lo = mid
    return 0.5 * lo  # margin |p_0|/2 against rounding (proofs/numeric.md section 6)


def signs_unchanged(stack: ResidualStack, lams: Iterable[float]) -> bool:
    """True when the forward pass at every lambda has the kink-argument signs of lambda = 0."""
    ref = [np.sign(z) for z in stack.kink_values(0.0)]
    return all(all(np.array_equal(np.sign(z), r) for z, r in zip(stack.kink_values(lam), ref)) for lam in lams)


# ---------------------------------------------------------------- Veit paths (chains)


def veit_paths(depth: int) -> tuple[tuple[int, ...], ...]:
    """All 2^n - 1 non-empty computation paths: subsets {s_1 < ... < s_k} of {1..n}.

    >>> veit_paths(2)
    ((1,), (2,), (1, 2))
    """
    return tuple(c for k in range(1, depth + 1) for c in itertools.combinations(range(1, depth + 1), k))


def chain_terms(depth: int) -> tuple:
    """The terms of the closed form that survive when g^(m) = 0 for m >= 2: one per path.

    A path s_1 < ... < s_k is the chain tree g_{s_k}' ... g_{s_2}' g_{s_1} (sigma = 1), so
    its term is ``Term(k, chain, 1)``. For linear, affine and piecewise-linear modules every
    other tree has a node with >= 2 children and F = 0 there (docs/theory.md#linear-modules), so these
    2^n - 1 terms are the whole order-n closed form.

    >>> [str(t.tree) for t in chain_terms(2)]
    ['g1', 'g2', "g2' g1"]
    """
    # theorem.expansion imports sympy: loaded only when chain terms are built
    from residual_expansion.theorem.expansion import Term
    from residual_expansion.theorem.trees import LabeledTree

    out = []
    for path in veit_paths(depth):
        tree = LabeledTree(path[0])
        for s in path[1:]:
            tree = LabeledTree(s, (tree,))
        out.append(Term(len(path), tree, Fraction(1)))
    return tuple(out)
