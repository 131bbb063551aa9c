"""Numeric claims: the closed form against forward passes of real modules, in float64.

* NUM-COEF: closed-form coefficients = Taylor-mode coefficients, order by order, within 2 gamma_L M_k.
* NUM-REMAINDER: the truncation error after order K decays like lambda^(K+1).
* NUM-LINEAR: linear and affine modules: the order-n closed form (2^n paths) is exact at any lambda.
* NUM-PL: ReLU modules: the order-n closed form is exact below the certified sign radius.

Each check is a pure function taking the closed form under test as a parameter
(``terms_of(depth, order)`` or ``paths_of(depth)``), so tests can pass corrupted closed forms
and see FAIL. Default configuration: mlp modules, tanh, d = h = 16, weights from ``seed``.
Sizes: the closed form has N(n, <=K) terms; when that exceeds :data:`TERM_BUDGET` the order
is lowered to the largest that fits and the evidence says so (``order_used``, ``note``);
when even order 1 does not fit the check is SKIPped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from residual_expansion.claims.base import SKIP, Claim, Outcome, verdict

PROOF = "proofs/numeric.md"
FAMILY = "mlp"
ACTIVATION = "tanh"
DIM = 16
#: Closed-form terms one check may evaluate (about 0.3 s at d = 16).
TERM_BUDGET = 6000


def _expansion_terms(depth: int, order: int) -> Sequence:
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.numeric.crosscheck import expansion_terms

    return expansion_terms(depth, order)


def _chain_terms(depth: int) -> Sequence:
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.numeric.taylor import chain_terms

    return chain_terms(depth)


def _order_within_budget(depth: int, order: int) -> tuple[int, dict[str, Any]]:
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.theorem.budget import affordable_order, closed_form_terms

    used = affordable_order(depth, order, TERM_BUDGET)
    info: dict[str, Any] = {"order_used": used}
    if used < order:
        info["note"] = (f"order lowered from {order} to {used}: the closed form to order {used + 1} has "
                        f"{closed_form_terms(depth, used + 1)} terms, beyond the budget of {TERM_BUDGET}")
    return used, info


def _size(depth: int, order: int) -> str:
    return f"n={depth}, K={order}, {FAMILY}/{ACTIVATION}, d={DIM}"


def _budgeted_stack(method: str, depth: int, order: int, seed: int):
    """The order the closed-form budget allows, its evidence and the seeded stack of the
    NUM-COEF / NUM-REMAINDER family, or the SKIP outcome when not even order 1 fits."""
    from residual_expansion.models.families import make_stack  # numpy-heavy: only when the claim runs

    used, info = _order_within_budget(depth, order)
    if used == 0:
        return Outcome(method, _size(depth, order), SKIP,
                       {"reason": f"depth {depth} has more than {TERM_BUDGET} closed-form terms even at order 1"})
    return used, info, make_stack(FAMILY, depth, DIM, activation_name=ACTIVATION, seed=seed)


def check_coefficients(depth: int, order: int, seed: int,
                       terms_of: Callable[[int, int], Sequence] = _expansion_terms) -> Outcome:
    """NUM-COEF: Taylor-mode T_k against the closed form over ``terms_of(depth, K)``, k = 1..K."""
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.numeric.crosscheck import compare_coefficients

    method = "Taylor-mode series through the forward pass vs memoised closed-form sum (float64)"
    budgeted = _budgeted_stack(method, depth, order, seed)
    if isinstance(budgeted, Outcome):
        return budgeted
    used, info, stack = budgeted
    cmp, _ = compare_coefficients(stack, used, tuple(terms_of(depth, used)))
    worst = max(cmp.relative_errors)
    evidence = {
        **info,
        "terms": cmp.terms,
        "subtrees": cmp.subtrees,
        "largest_relative_error": worst,
        "tolerance": cmp.tolerance,
        "error_over_tolerance": worst / cmp.tolerance,
        "per_order_relative_error": ", ".join(f"{e:.3g}" for e in cmp.relative_errors),
        "condition": ", ".join(f"{c:.3g}" for c in cmp.condition),
    }
    return Outcome(method, _size(depth, used), verdict(cmp.passed), evidence)


def check_remainder(depth: int, order: int, seed: int,
                    terms_of: Callable[[int, int], Sequence] = _expansion_terms) -> Outcome:
    """NUM-REMAINDER: slope of log ||x_n(lambda) - order-K closed form|| against log lambda is K + 1 (+-0.25)."""
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.numeric.taylor import (
        SLOPE_TOLERANCE, asymptotic_window, closed_form, exact_window, remainder_fit, rounding_length,
    )

    method = "forward pass minus closed form on an automatic lambda window, log-log least squares"
    budgeted = _budgeted_stack(method, depth, order, seed)
    if isinstance(budgeted, Outcome):
        return budgeted
    used, info, stack = budgeted
    terms = tuple(terms_of(depth, used))
    # A terminating series (one layer, K >= n) must vanish to rounding on [0.1, 1] instead.
    window = exact_window() if stack.terminates and used >= depth else asymptotic_window(stack, used)
    if window.reason:
        return Outcome(method, _size(depth, used), SKIP, {**info, "reason": window.reason})
    cf = closed_form(stack, terms, used)
    per_order = max([sum(1 for t in terms if t.order == k) for k in range(1, used + 1)] + [1])
    fit = remainder_fit(stack, cf.coefficients, used, window=window, magnitudes=cf.magnitudes,
                        length=rounding_length(stack, used, per_order))
    evidence = {
        **info,
        "slope": fit.slope if fit.slope is not None else ("exact" if fit.exact else "none"),
        "expected_slope": fit.expected_slope,
        "tolerance": float(max(fit.tolerances)) if fit.exact and fit.tolerances else SLOPE_TOLERANCE,
        "lambda_window": f"[{window.lo:.3g}, {window.hi:.3g}]",
        "points": len(fit.lambdas),
        "remainder_range": (f"[{min(fit.remainders):.3g}, {max(fit.remainders):.3g}]" if fit.remainders else "none"),
    }
    if fit.reason:
        evidence["reason"] = fit.reason
    return Outcome(method, _size(depth, used), verdict(fit.passed), evidence)


def _path_sums(stack) -> Any:
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.numeric.path_sums import stack_path_sums

    return stack_path_sums(stack)


def _enumeration_evidence(enum) -> dict[str, Any]:
    what = (f"all {enum.paths} paths" if enum.mode == "all"
            else f"{enum.paths} paths sampled uniformly, seed {enum.seed}")
    return {"enumerated": what, "enumeration deviation/tolerance": enum.worst}


def check_linear(depth: int, order: int, seed: int,
                 paths_of: Callable[[int], Sequence] = _chain_terms,
                 sums_of: Callable[[Any], Any] = _path_sums) -> Outcome:
    """NUM-LINEAR: for linear and affine stacks the path sums T_1..T_n plus x equal x_n(lambda) at lambda = 0.5, 1, 2.

    Routes: the 2^n - 1 path sums by the layer recurrence (``sums_of(stack)``) against the
    forward pass; the recurrence against the tree evaluator on enumerated chain trees
    (``paths_of(n)``: all paths up to 2^n - 1 <= 256, else a seeded sample of 256 paths).
    """
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.numeric.crosscheck import LINEAR_LAMBDAS, MAX_PATH_DEPTH, check_exactness
    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric.path_sums import check_enumeration

    method = "path sums by layer recurrence (Veit's 2^n paths) vs forward pass (float64), vs enumerated paths"
    size = f"n={depth}, order n, linear+affine, d={DIM}"
    if depth > MAX_PATH_DEPTH:
        return Outcome(method, size, SKIP, {"reason": f"depth {depth} is beyond {MAX_PATH_DEPTH}: there the rounding "
                                                      "bound at lambda = 2 no longer resolves a 1% error in one order"})
    evidence: dict[str, Any] = {"lambdas": ", ".join(f"{x:g}" for x in LINEAR_LAMBDAS)}
    ok = True
    for family in ("linear", "affine"):
        stack = make_stack(family, depth, DIM, seed=seed)
        sums = sums_of(stack)
        ex = check_exactness(stack, LINEAR_LAMBDAS, sums=sums)
        enum = check_enumeration(stack, sums, seed, paths_of)
        ok = ok and ex.passed and enum.passed
        evidence[f"{family}_paths"] = ex.paths
        evidence[f"{family}_largest_residual"] = max(ex.residuals)
        evidence[f"{family}_tolerance_at_1"] = ex.tolerances[LINEAR_LAMBDAS.index(1.0)]
        evidence[f"{family}_residual_over_tolerance"] = max(r / t for r, t in zip(ex.residuals, ex.tolerances))
        evidence.update({f"{family}_{k}": v for k, v in _enumeration_evidence(enum).items()})
    return Outcome(method, size, verdict(ok), evidence)


def check_piecewise_linear(depth: int, order: int, seed: int,
                           paths_of: Callable[[int], Sequence] = _chain_terms,
                           sums_of: Callable[[Any], Any] = _path_sums) -> Outcome:
    """NUM-PL: for a ReLU mlp stack the path sums equal x_n(lambda) below the certified sign radius.

    Routes as in :func:`check_linear`: layer recurrence vs forward pass, and vs enumerated paths.
    """
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.numeric.crosscheck import MAX_PATH_DEPTH, check_exactness, radius_lambdas
    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric.path_sums import check_enumeration
    from residual_expansion.numeric.taylor import sign_radius

    method = "path sums by layer recurrence (2^n paths) vs forward pass at fractions of the certified sign radius"
    size = f"n={depth}, order n, mlp/relu, d={DIM}"
    if depth > MAX_PATH_DEPTH:
        return Outcome(method, size, SKIP, {"reason": f"depth {depth} is beyond {MAX_PATH_DEPTH} "
                                                      "(the checks of NUM-LINEAR stop there)"})
    stack = make_stack("mlp", depth, DIM, activation_name="relu", seed=seed)
    radius = sign_radius(stack)
    if radius == 0.0:
        return Outcome(method, size, SKIP, {"reason": "a pre-activation is exactly 0 at lambda = 0"})
    lams = radius_lambdas(radius)
    sums = sums_of(stack)
    ex = check_exactness(stack, lams, sums=sums)
    enum = check_enumeration(stack, sums, seed, paths_of)
    evidence = {
        "sign_radius": radius,
        "lambdas": ", ".join(f"{x:.3g}" for x in lams),
        "signs_unchanged": ex.signs_unchanged,
        "paths": ex.paths,
        "largest_residual": max(ex.residuals),
        "tolerance": min(ex.tolerances),
        "residual_over_tolerance": max(r / t for r, t in zip(ex.residuals, ex.tolerances)),
        **_enumeration_evidence(enum),
    }
    return Outcome(method, size, verdict(ex.passed and enum.passed), evidence)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="NUM-COEF",
        statement="For real modules the closed form's order-k coefficient sum_{|t|=k} F(t)(x)/sigma(t) equals "
                  "Taylor-mode propagation through the forward pass, k = 1..K, within 2 gamma_L M_k in float64",
        hypotheses="mlp modules W2 tanh(W1 x + b1) + b2, independent seeded weights, d = h = 16, uniform lambda",
        proof=PROOF,
        check=check_coefficients,
    ),
    Claim(
        id="NUM-REMAINDER",
        statement="||x_n(lambda) - (x + sum_{k<=K} lambda^k T_k)|| decays like lambda^(K+1): fitted log-log slope "
                  "within 0.25 of K+1 on a window above rounding and inside the asymptotic range",
        hypotheses="smooth (tanh) mlp modules, d = 16; window chosen from Taylor-mode coefficient sizes",
        proof=PROOF,
        check=check_remainder,
    ),
    Claim(
        id="NUM-LINEAR",
        statement="For linear and affine modules the order-n closed form (Veit's 2^n paths) equals the forward "
                  "pass to rounding at every lambda (checked at 0.5, 1, 2)",
        hypotheses="g_i(x) = A_i x (+ b_i), independent seeded A_i, d = 16, n <= 24",
        proof=PROOF,
        check=check_linear,
    ),
    Claim(
        id="NUM-PL",
        statement="For ReLU modules the order-n closed form (its chain terms) equals the forward pass to rounding "
                  "for every lambda below the certified radius where no pre-activation changes sign",
        hypotheses="mlp modules W2 relu(W1 x + b1) + b2, no pre-activation exactly 0 at lambda = 0, n <= 24",
        proof=PROOF,
        check=check_piecewise_linear,
    ),
)
