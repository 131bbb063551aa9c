"""Assertions a researcher calls from pytest: the expansion holds for a stack, path counts are right.

* :func:`assert_expansion_holds` checks the Residual Expansion Theorem to order K for a
  stack: exactly for sympy modules (:func:`residual_expansion.models.adapters.exact.exact_check`,
  a PASS is a proof for that stack), in float64 with a derived tolerance for numpy family
  stacks (Taylor mode against the closed form, as the NUM-COEF claim does).
* :func:`assert_path_counts` checks the path-length counts of an architecture along
  three routes (factored DP, unfactored DP, enumeration) and against counts you expect.

On failure they raise ``AssertionError`` with the *smallest* failing term: the tree of
lowest order (then canonical order) whose coefficient in your formula differs from the
theorem's, the lowest order k at which the two sides differ, the shortest path length
whose count differs. pytest shows the message as is.

Reference: docs/testing.md (worked examples); docs/docs/theory.md#the-residual-expansion-theorem and docs/theory.md#computation-path-dags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any



def _smallest_wrong_term(depth: int, order: int, terms: Sequence) -> str | None:
    """The smallest tree whose coefficient in ``terms`` differs from the theorem's 1/sigma(t)."""
    # deferred: a test suite importing these helpers loads only the route an assertion uses
    from residual_expansion.theorem.expansion import expand

    theirs: dict = {}
    for t in terms:
        if 1 <= t.order <= order:
            theirs[t.tree] = theirs.get(t.tree, Fraction(0)) + Fraction(t.coefficient)
    truth = {t.tree: t.coefficient for t in expand(depth, order, uniform=True).terms}
    wrong = [t for t in set(theirs) | set(truth) if theirs.get(t, Fraction(0)) != truth.get(t, Fraction(0))]
    if not wrong:
        return None
    t = min(wrong, key=lambda t: (t.order, t))
    return (f"smallest failing term: {t} (order {t.order}) has coefficient {theirs.get(t, Fraction(0))}, "
            f"the theorem gives 1/sigma = {truth.get(t, Fraction(0))}")


def assert_expansion_holds(
    stack: Any,
    order: int = 3,
    *,
    point: Sequence[Any] | None = None,
    seed: int = 0,
    terms_of: Callable[[int, int], Sequence] | None = None,
) -> Any:
    """Assert x_n(lambda) = x + sum_{k<=K} lambda^k T_k + O(lambda^(K+1)) with T_k from the closed form.

    Arguments
    ---------
    stack: a sequence of sympy modules (:class:`~residual_expansion.models.adapters.SympyModule`
        or ``sympy.Lambda``: exact route) or a numpy
        :class:`~residual_expansion.models.families.ResidualStack` (float64 route).
    order: K.
    point: the exact point x0 of the exact route (default: seeded by ``seed``).
    terms_of: ``terms_of(n, K)``, the closed form under test (default: the theorem's terms).

    Returns
    -------
    The check's result (:class:`~residual_expansion.models.adapters.exact.ExactCheck` or
    :class:`~residual_expansion.numeric.crosscheck.CoefficientComparison`).

    Raises
    ------
    AssertionError
        When the two sides differ; the message names the smallest failing term.

    >>> import sympy
    >>> from residual_expansion.models.adapters import SympyModule
    >>> x = sympy.symbols("x1:3")
    >>> g = SympyModule((sympy.sin(x[1]), x[0] * x[1]), x)
    >>> assert_expansion_holds([g, g, g], order=3).passed
    True
    """
    # deferred: a test suite importing these helpers loads only the route an assertion uses
    from residual_expansion.models.families import ResidualStack
    from residual_expansion.theorem.expansion import expand

    if isinstance(stack, ResidualStack):
        # deferred: a test suite importing these helpers loads only the route an assertion uses
        from residual_expansion.numeric.crosscheck import compare_coefficients

        n = stack.depth
        terms = tuple(terms_of(n, order) if terms_of else expand(n, order, uniform=True).terms)
        result, _ = compare_coefficients(stack, order, terms)
        if not result.passed:
            k = next(i for i, e in enumerate(result.relative_errors, start=1) if e > result.tolerance)
            hint = _smallest_wrong_term(n, order, terms)
            raise AssertionError(
                f"the expansion fails at order {k} (lowest failing order) for this {stack.family} stack: "
                f"relative error {result.relative_errors[k - 1]:.3g} > tolerance {result.tolerance:.3g}"
                + (f"; {hint}" if hint else ""))
        return result
    # deferred: a test suite importing these helpers loads only the route an assertion uses
    from residual_expansion.models.adapters.exact import exact_check

    mods = list(stack)
    result = exact_check(mods, order, point, seed=seed, terms_of=terms_of)
    if not result.passed:
        k, j = result.mismatches[0]
        comp, closed = result.first_mismatch or ("?", "?")
        terms = tuple(terms_of(len(mods), order)) if terms_of else ()
        hint = _smallest_wrong_term(len(mods), order, terms) if terms_of else None
        raise AssertionError(
            f"the expansion fails at order {k} (lowest failing order), coordinate {j}, at x0 = "
            f"({', '.join(result.point)}): composition gives {comp}, closed form gives {closed}"
            + (f"; {hint}" if hint else ""))
    return result


def assert_path_counts(architecture: Any, expected: Sequence[int] | None = None) -> tuple[int, ...]:
    """Assert the path-length counts c_k of ``architecture`` agree along every route (and with ``expected``).

    Routes: the factored DP (:func:`~residual_expansion.paths.polynomial.path_polynomial`), the
    unfactored DP, and, when there are at most 10^5 paths, explicit enumeration.

    Returns
    -------
    The counts (c_0, c_1, ...): c_k paths with k modules.

    Raises
    ------
    AssertionError
        Naming the shortest length k whose counts differ, with every route's c_k.

    >>> from residual_expansion.paths.architectures import plain
    >>> assert_path_counts(plain(3), expected=[1, 3, 3, 1])
    (1, 3, 3, 1)
    """
    # deferred: a test suite importing these helpers loads only the route an assertion uses
    from residual_expansion.paths.polynomial import (
        path_polynomial,
        path_polynomial_dp,
        path_polynomial_enumerated,
    )

    routes = {"factored DP": path_polynomial(architecture), "unfactored DP": path_polynomial_dp(architecture)}
    if sum(routes["unfactored DP"]) <= 100_000:
        routes["enumeration"] = path_polynomial_enumerated(architecture)
    if expected is not None:
        routes["expected"] = tuple(int(c) for c in expected)
    length = max(len(c) for c in routes.values())
    padded = {name: tuple(c) + (0,) * (length - len(c)) for name, c in routes.items()}
    for k in range(length):
        values = {name: c[k] for name, c in padded.items()}
        if len(set(values.values())) > 1:
            shown = ", ".join(f"{name} {v}" for name, v in values.items())
            raise AssertionError(f"path counts of {architecture.name} differ at length {k} (shortest): {shown}")
    return tuple(routes["factored DP"])


__all__ = ["assert_expansion_holds", "assert_path_counts"]
