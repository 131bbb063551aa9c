"""Cross-check the closed form against forward passes of real modules, in float64.

:func:`crosscheck` builds a seeded residual stack (:mod:`residual_expansion.models.families`) and
checks three things:

1. *coefficients* (claim NUM-COEF): the closed form's T_k (sum over labeled trees of
   ``c_t F(t)(x)``) equals Taylor mode's T_k for k = 1..K, to ``2 gamma_L`` relative to the
   magnitude ``M_k`` (:func:`residual_expansion.numeric.taylor.coefficient_tolerance`);
2. *remainder* (NUM-REMAINDER): ``R_K(lambda) = ||x_n(lambda) - sum_{k<=K} lambda^k T_k||``
   has log-log slope within 0.25 of K + 1 on a window where it is neither rounding nor
   dominated by higher terms (or vanishes to rounding when the series terminates, K >= n);
3. *exactness* (NUM-LINEAR, NUM-PL) for linear, affine and piecewise-linear stacks: the
   order-n closed form (its 2^n - 1 surviving chain terms) equals the forward pass to
   rounding, at any lambda for linear/affine, inside the certified sign radius for
   piecewise-linear activations.

Reference: docs/theory.md#the-residual-expansion-theorem and docs/theory.md#linear-modules; proofs/numeric.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.families import ResidualStack, make_stack
from residual_expansion.models.normalization import PreNorm
from residual_expansion.numeric.path_sums import dp_rounding_length, stack_path_sums
from residual_expansion.theorem.budget import NUMERIC_LIMIT, check_budget
from residual_expansion.theorem.expansion import expand
from residual_expansion.numeric.taylor import (
    FIT_POINTS,
    RemainderFit,
    Window,
    asymptotic_window,
    chain_terms,
    closed_form,
    coefficient_tolerance,
    exact_window,
    forward_length,
    gamma,
    relative_errors,
    remainder,
    remainder_fit,
    rounding_bound,
    rounding_length,
    sign_radius,
    signs_unchanged,
    taylor_coefficients,
    truncation,
)

DEFAULT_DIM = 16
#: Exactness sums the 2^n - 1 paths by a recurrence over layers (numeric/path_sums.py), fast at any
#: depth; beyond this one it is skipped: the componentwise rounding bound at lambda = 2 then grows
#: past a 1% error in one order's path sum (tests: corrupted sums FAIL up to here).
MAX_PATH_DEPTH = 24
#: lambdas at which linear and affine stacks are checked exact (lambda = 1 included).
LINEAR_LAMBDAS = (0.5, 1.0, 2.0)
#: Fractions of the sign radius at which piecewise-linear stacks are checked exact.
RADIUS_FRACTIONS = (0.125, 0.25, 0.5, 0.9)


def radius_lambdas(radius: float | None) -> tuple[float, ...]:
    """Where exactness is checked: fractions of a finite sign radius, else :data:`LINEAR_LAMBDAS`."""
    if radius is None or not np.isfinite(radius):
        return LINEAR_LAMBDAS
    return tuple(f * radius for f in RADIUS_FRACTIONS)


def expansion_terms(depth: int, order: int, degree: int | None = None) -> tuple:
    """The closed form's terms up to order K: ``expand(depth, order, degree=degree).terms`` (coefficient 1/sigma(t)).

    With ``degree`` = p only trees whose nodes have at most p children (the others vanish
    for modules of polynomial degree p).
    """
    return expand(depth, order, uniform=True, degree=degree).terms


@dataclass(frozen=True)
class CoefficientComparison:
    """Taylor mode against the closed form, order by order.

    Attributes
    ----------
    order: K.
    terms, subtrees: closed-form terms summed and distinct subtrees evaluated.
    relative_errors: e_k = ||T_k(Taylor) - T_k(closed)||_inf / ||M_k||_inf, k = 1..K.
    tolerance: 2 gamma_L.
    condition: ||M_k||_inf / ||T_k||_inf (how much smaller the values are than their magnitudes).
    passed: every e_k <= tolerance.
    """

    order: int
    terms: int
    subtrees: int
    relative_errors: tuple[float, ...]
    tolerance: float
    condition: tuple[float, ...]
    passed: bool


def compare_coefficients(stack: ResidualStack, order: int, terms: Sequence) -> tuple[CoefficientComparison, Any]:
    """Compare Taylor mode's T_1..T_K with the closed form over ``terms``; also return the closed-form values."""
    taylor = taylor_coefficients(stack, order)
    cf = closed_form(stack, terms, order)
    per_order = max(sum(1 for t in terms if t.order == k) for k in range(1, order + 1)) if order else 0
    tol = coefficient_tolerance(stack, order, per_order)
    errs = relative_errors(taylor, cf.coefficients, cf.magnitudes)
    cond = []
    for k in range(1, order + 1):
        value = float(np.max(np.abs(taylor[k]))) if stack.dim else 0.0
        mag = float(np.max(cf.magnitudes[k])) if stack.dim else 0.0
        cond.append(mag / value if value > 0 else float("inf") if mag > 0 else 1.0)
    ok = all(e <= tol for e in errs)
    return CoefficientComparison(order, cf.terms, cf.subtrees, errs, tol, tuple(cond), ok), cf


@dataclass(frozen=True)
class ExactnessCheck:
    """The order-n closed form (chain terms) against the forward pass at a few lambdas.

    Attributes
    ----------
    lambdas, residuals, tolerances: ``||x_n(lambda) - sum_k lambda^k T_k||_inf`` and its rounding bound.
    signs_unchanged: for piecewise-linear stacks, whether the forward passes kept the
        pre-activation signs of lambda = 0 (None otherwise).
    paths: 2^n - 1 chain terms summed.
    passed: every residual below its tolerance (and signs unchanged).
    """

    lambdas: tuple[float, ...]
    residuals: tuple[float, ...]
    tolerances: tuple[float, ...]
    signs_unchanged: bool | None
    paths: int
    passed: bool


def check_exactness(stack: ResidualStack, lambdas: Sequence[float], terms: Sequence | None = None,
                    sums: Any = None) -> ExactnessCheck:
    """Sum the chain terms to order n and compare with the forward pass.

    Default: the path sums of :func:`~residual_expansion.numeric.path_sums.stack_path_sums`
    (a recurrence over layers, O(n^2 d^2), any depth), or ``sums`` when given; with
    ``terms``, the tree evaluator over those chain terms (:func:`chain_terms` enumerates 2^n - 1).
    """
    if terms is None:
        sums = stack_path_sums(stack) if sums is None else sums
        coefficients, magnitudes, count = sums.coefficients, sums.magnitudes, sums.paths
        length = dp_rounding_length(stack, stack.depth)
    else:
        terms = tuple(terms)
        cf = closed_form(stack, terms, stack.depth)
        coefficients, magnitudes, count = cf.coefficients, cf.magnitudes, len(terms)
        per_order = max([sum(1 for t in terms if t.order == k) for k in range(1, stack.depth + 1)] + [1])
        length = rounding_length(stack, stack.depth, per_order)
    res, tols = [], []
    for lam in lambdas:
        res.append(remainder(stack, coefficients, lam))
        tols.append(rounding_bound(stack, lam, magnitudes, length))
    signs = None if stack.smooth else signs_unchanged(stack, lambdas)
    ok = all(np.isfinite(r) and r <= t for r, t in zip(res, tols)) and signs is not False
    return ExactnessCheck(tuple(float(x) for x in lambdas), tuple(res), tuple(tols), signs, count, ok)


@dataclass(frozen=True)
class CrossCheck:
    """Everything :func:`crosscheck` found; ``to_dict`` gives the JSON of the command."""

    depth: int
    order: int
    module: str
    activation: str | None
    dim: int
    width: int | None
    seed: int
    coefficients: CoefficientComparison
    fit: RemainderFit
    radius: float | None
    exactness: ExactnessCheck | None
    passed: bool
    curves: tuple[tuple[float, ...], tuple[tuple[float, ...], ...]] | None = None

    def _repr_markdown_(self) -> str:
        # presentation on demand: notebooks only
        from residual_expansion.render.notebook import crosscheck_markdown

        return crosscheck_markdown(self)

    def to_dict(self) -> dict[str, Any]:
        fit = self.fit
        out: dict[str, Any] = {
            "depth": self.depth,
            "order": self.order,
            "module": self.module,
            "activation": self.activation,
            "per_order_relative_error": list(self.coefficients.relative_errors),
            "tolerance": self.coefficients.tolerance,
            "remainder_slope": fit.slope,
            "expected_slope": fit.expected_slope,
            "pass": self.passed,
            "dim": self.dim,
            "width": self.width,
            "seed": self.seed,
            "terms": self.coefficients.terms,
            "condition": list(self.coefficients.condition),
            "coefficients_pass": self.coefficients.passed,
            "lambda_range": [fit.window.lo, fit.window.hi],
            "lambda_range_automatic": fit.window.automatic,
            "lambdas": list(fit.lambdas),
            "remainders": list(fit.remainders),
            "remainder_exact": fit.exact,
            "remainder_pass": fit.passed,
            "remainder_note": fit.reason,
            "sign_radius": self.radius,
        }
        if self.exactness is not None:
            ex = self.exactness
            out["exactness"] = {
                "paths": ex.paths,
                "lambdas": list(ex.lambdas),
                "residuals": list(ex.residuals),
                "tolerances": list(ex.tolerances),
                "signs_unchanged": ex.signs_unchanged,
                "pass": ex.passed,
            }
        return out


def _sign_radius_cap(stack: ResidualStack, lambda_range: tuple[float, float] | None
                     ) -> tuple[float | None, float | None]:
    """The sign radius of a piecewise-linear stack and half of it (the cap of the lambda window);
    (None, None) for a smooth stack.

    Raises
    ------
    UsageError
        When a pre-activation is exactly 0 at lambda = 0, or ``lambda_range`` reaches past the radius.
    """
    if stack.smooth:
        return None, None
    radius = sign_radius(stack)
    if radius == 0.0:
        raise UsageError("a pre-activation is exactly 0 at lambda = 0, so the piecewise-linear "
                         "expansion holds for no lambda > 0; try another seed", parameters=("seed",))
    if lambda_range is not None and lambda_range[1] > radius:
        raise UsageError(f"lambda_range reaches {lambda_range[1]:g}, past the sign radius {radius:.3g} "
                         f"of this {stack.activation} stack (no pre-activation may change sign)",
                         parameters=("lambda_range",))
    return radius, (0.5 * radius if np.isfinite(radius) else None)


def crosscheck(
    depth: int,
    order: int,
    family: str,
    *,
    activation: str | None = None,
    dim: int = DEFAULT_DIM,
    width: int | None = None,
    lambda_range: tuple[float, float] | None = None,
    seed: int = 0,
    terms_of: Callable[..., Sequence] = expansion_terms,
    max_terms: int = NUMERIC_LIMIT,
    curves: bool = False,
    norm: str = "none",
    modules: Sequence[Any] | None = None,
) -> CrossCheck:
    """Cross-check the closed form of a seeded stack of ``family`` modules at depth n, order K.

    Arguments
    ---------
    depth, order: n >= 1, K >= 1.
    family, activation, dim, width, seed: the stack (see :func:`make_stack`).
    modules: your own g_1..g_n (any :class:`~residual_expansion.models.protocol.Module`,
        e.g. from :func:`residual_expansion.models.adapters.loader.load_stack`) instead of a
        family; ``family`` is then only their label, x ~ N(0, I_d) is drawn from ``seed``
        (as for the families) and ``activation``, ``width`` must be None.
    lambda_range: (lo, hi) for the remainder fit; default chosen by
        :func:`asymptotic_window` (capped at half the sign radius for piecewise-linear activations).
    terms_of: ``terms_of(n, K, p)`` gives the closed form's terms for modules of degree p
        (None: any; tests pass corrupted ones). The stack's degree prunes the closed
        form: linear and affine stacks keep only chain trees.
    max_terms: refuse closed forms with more terms (counted after pruning).
    curves: also compute R_k(lambda) for k = 1..K on a wide grid (for plots).
    norm: ``none``, or ``pre-rms`` / ``pre-ln``: every module g becomes g(N(x))
        (:class:`residual_expansion.models.normalization.PreNorm`), a smooth module away from
        0, so the theorem applies to it; the module label becomes ``FAMILY+NORM``.

    Returns
    -------
    :class:`CrossCheck`; ``passed`` requires the coefficients to agree, the remainder slope
    (or exact vanishing) to hold, and, where computed, the exactness check.

    Raises
    ------
    UsageError
        Bad sizes or options, a closed form beyond ``max_terms``, a lambda range that is not
        0 < lo < hi (or, piecewise linear, reaches past the sign radius), or no lambda window
        where the remainder can be measured and nothing else to check.

    >>> r = crosscheck(4, 2, "mlp", dim=4)
    >>> r.passed, r.fit.expected_slope
    (True, 3)
    """
    if depth < 1 or order < 1:
        raise UsageError(f"depth and order must be positive, got depth {depth}, order {order}",
                         parameters=("depth", "order"))
    if lambda_range is not None:
        lo, hi = lambda_range
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
            raise UsageError(f"lambda_range must satisfy 0 < lo < hi, got {lo},{hi}", parameters=("lambda_range",))
    if modules is None:
        stack = make_stack(family, depth, dim, width=width, activation_name=activation, seed=seed)
    else:
        stack = user_stack(modules, depth, dim, seed, family)
        if activation is not None or width is not None:
            raise UsageError("activation and width apply to the families, not to your own modules",
                             parameters=("activation", "width"))
    label = family
    if norm != "none":
        stack = prenormalized(stack, norm)
        label = f"{family}+{norm}"
    check_budget(depth, order, max_terms, max_children=stack.degree)
    radius, cap = _sign_radius_cap(stack, lambda_range)

    terms = tuple(terms_of(depth, order, stack.degree))
    comparison, cf = compare_coefficients(stack, order, terms)

    exact_mode = stack.terminates and order >= depth
    if lambda_range is not None:
        window = Window(lambda_range[0], lambda_range[1], False)
    elif exact_mode:
        window = exact_window(cap)
    else:
        window = asymptotic_window(stack, order, cap)

    exactness = None
    if stack.terminates and depth <= MAX_PATH_DEPTH:
        lams = radius_lambdas(radius)
        exactness = check_exactness(stack, lams)

    if window.reason and exactness is None:
        raise UsageError(f"{window.reason}; lower order or give lambda_range", parameters=("order", "lambda_range"))
    per_order = max(sum(1 for t in terms if t.order == k) for k in range(1, order + 1))
    fit = remainder_fit(stack, cf.coefficients, order, window=window, magnitudes=cf.magnitudes,
                        length=rounding_length(stack, order, per_order))
    remainder_ok = fit.passed or (bool(window.reason) and exactness is not None)
    passed = comparison.passed and remainder_ok and (exactness is None or exactness.passed)

    curve_data = None
    if curves:
        curve_data = remainder_curves(stack, cf.coefficients, order, window)
    return CrossCheck(depth, order, label, stack.activation, dim, (width or dim) if family == "mlp" else None, seed, comparison, fit, radius, exactness,
                      passed, curve_data)


def user_stack(modules: Sequence[Any], depth: int, dim: int, seed: int, label: str = "custom") -> ResidualStack:
    """A :class:`ResidualStack` of your own modules with input x ~ N(0, I_d) from ``default_rng(seed)``.

    Raises
    ------
    UsageError
        When the number of modules is not ``depth`` or a module's dim is not ``dim``.

    >>> from residual_expansion.models.families import make_stack
    >>> s = user_stack(make_stack("mlp", 2, 3, seed=4).modules, 2, 3, seed=4)
    >>> bool(np.array_equal(s.x, make_stack("mlp", 2, 3, seed=4).x))
    True
    """
    modules = tuple(modules)
    if len(modules) != depth:
        raise UsageError(f"modules has {len(modules)} entries, depth is {depth}", parameters=("depth",))
    bad = [i for i, m in enumerate(modules) if m.dim != dim]
    if bad:
        raise UsageError(f"modules[{bad[0]}] has dim {modules[bad[0]].dim}, dim is {dim}", parameters=("dim",))
    x = np.random.default_rng(seed).standard_normal(dim)
    return ResidualStack(modules, x, family=label, seed=seed)


def prenormalized(stack: ResidualStack, norm: str) -> ResidualStack:
    """The same stack with every module g replaced by g(N(x)) (``pre-rms`` or ``pre-ln``).

    >>> s = prenormalized(make_stack("res3", depth=2, dim=3, seed=0), "pre-ln")
    >>> s.degree is None, type(s.modules[0]).__name__
    (True, 'PreNorm')

    Raises
    ------
    UsageError
        For ``post-*`` (a post-normalized step N(x + lambda g(x)) is not of the residual form
        x + lambda g(x), so the closed form does not describe it) or another name.
    """
    if norm.startswith("post-"):
        raise UsageError(f"norm {norm} is not a residual step x + lambda g(x) (N(x + lambda g(x)) changes the "
                         "skip path too); the cross-check takes pre-rms or pre-ln", parameters=("norm",))
    if norm not in ("pre-rms", "pre-ln"):
        raise UsageError(f"unknown norm {norm!r}; allowed: none, pre-rms, pre-ln", parameters=("norm",))
    if not stack.smooth:
        raise UsageError(f"norm {norm} with the piecewise-linear activation {stack.activation}: the normalized "
                         "branch is piecewise smooth but not piecewise linear, so neither the smooth nor the "
                         "exact route applies; use a smooth activation", parameters=("norm", "activation"))
    kind = norm.split("-")[1]
    return ResidualStack(tuple(PreNorm(m, kind) for m in stack.modules), stack.x, family=stack.family,
                         activation=stack.activation, seed=stack.seed)


def remainder_curves(stack: ResidualStack, coefficients: np.ndarray, order: int, window: Window,
                     points: int = 4 * FIT_POINTS) -> tuple[tuple[float, ...], tuple[tuple[float, ...], ...]]:
    """R_k(lambda) for k = 1..K on a grid from 1/30 of the window's lower end to 4 times its upper end."""
    lo = window.lo / 30 if window.lo > 0 else 1e-4
    hi = window.hi * 4 if window.hi > 0 else 1.0
    lams = np.geomspace(lo, hi, points)
    rows = tuple(tuple(remainder(stack, coefficients[: k + 1], lam) for lam in lams) for k in range(1, order + 1))
    return tuple(lams), rows


__all__ = [
    "DEFAULT_DIM", "MAX_PATH_DEPTH", "CoefficientComparison", "ExactnessCheck", "CrossCheck",
    "expansion_terms", "compare_coefficients", "check_exactness",
    "crosscheck", "user_stack", "remainder_curves", "truncation", "gamma", "forward_length",
]
