"""The closed form of the Residual Expansion Theorem, to any order.

For the stack ``x_i = x_{i-1} + lambda_i g_i(x_{i-1})``, ``i = 1..n`` (docs/theory.md#the-residual-expansion-theorem),

    x_n = x + sum_{k=1..K} sum_{|t| = k} lambda(t) / sigma(t) * F(t)(x) + O(max|lambda_i|^(K+1)),

a sum over labeled trees ``t`` with scale weight ``lambda(t) = prod_v lambda_{label(v)}``.
With weight-tied modules (``g_i = g``, ``lambda_i = lambda``) labelings of one shape tau
collapse into ``lambda^|tau| a_n(tau) / sigma(tau) F(tau)(x)`` (docs/theory.md#weight-tied-modules): the B-series
of n explicit Euler steps; a_n(tau) is evaluated from its Newton form as a polynomial in n,
so a tied expansion costs the same at any depth.

:func:`expand` returns the terms as data; renderers (``residual_expansion.render.expansion_output``)
turn them into text, LaTeX, JSON or a sympy expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from operator import mul

import sympy

from residual_expansion.errors import UsageError
from residual_expansion.theorem.budget import SYMBOLIC_LIMIT, check_budget
from residual_expansion.theorem.trees import (
    LabeledTree,
    RootedTree,
    decreasing_labelings_at,
    labeled_trees_by_order,
    rooted_trees,
)


@dataclass(frozen=True)
class Term:
    """One term ``coefficient * weight * F(tree)(x)`` of the expansion.

    Attributes
    ----------
    order: k = |tree|, the power of lambda.
    tree: a :class:`LabeledTree` (distinct modules) or a :class:`RootedTree` (weight-tied).
    coefficient: the exact rational multiplying ``lambda^k`` (weight-tied: a_n(tau)/sigma(tau))
        or the product ``prod lambda_label`` (distinct modules: 1/sigma(t)).
    """

    order: int
    tree: LabeledTree | RootedTree
    coefficient: Fraction

    def _repr_latex_(self) -> str:
        # presentation on demand: notebooks only
        from residual_expansion.render.notebook import term_latex

        return term_latex(self)


@dataclass(frozen=True)
class Expansion:
    """The closed form up to order K: ``x_n = x + sum(term.coefficient * weight(term) * F(term.tree))``.

    Attributes
    ----------
    depth: n.
    order: K.
    tied: True for weight-tied modules (one g, one lambda).
    terms: the terms, order by order, trees in canonical order within an order.
    scales: the n scale factors lambda_1..lambda_n (sympy symbols or exact numbers).
    """

    depth: int
    order: int
    tied: bool
    terms: tuple[Term, ...]
    scales: tuple[sympy.Expr, ...]

    def _repr_latex_(self) -> str:
        # presentation on demand: notebooks only
        from residual_expansion.render.notebook import expansion_latex

        return expansion_latex(self)

    def counts(self) -> tuple[int, ...]:
        """(number of terms of order 1, ..., of order K)."""
        c = [0] * self.order
        for t in self.terms:
            c[t.order - 1] += 1
        return tuple(c)

    def of_order(self, k: int) -> tuple[Term, ...]:
        """The terms of order k."""
        return tuple(t for t in self.terms if t.order == k)

    def weight(self, term: Term) -> sympy.Expr:
        """lambda(t) = prod over nodes of lambda_label (weight-tied: lambda^|tau|)."""
        if self.tied:
            return self.scales[0] ** term.order
        return reduce(mul, (self.scales[label - 1] ** m for label, m in term.tree.labels()), sympy.Integer(1))


def _max_children(tree: RootedTree) -> int:
    """The largest number of children of a node of an unlabeled tree (weight-tied trees are few: filtered)."""
    return max([len(tree.children)] + [_max_children(c) for c in tree.children])


def default_scales(depth: int, uniform: bool = False) -> tuple[sympy.Symbol, ...]:
    """``(lambda_1, ..., lambda_n)``, or ``(lambda,) * n`` when ``uniform``."""
    if uniform:
        return (sympy.Symbol("lambda"),) * depth
    return tuple(sympy.symbols(f"lambda_1:{depth + 1}"))


def _check_size(depth: int, order: int) -> None:
    for name, value in (("depth", depth), ("order", order)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise UsageError(f"{name} must be a positive integer, got {value}")


def expand(
    depth: int,
    order: int,
    *,
    tied: bool = False,
    scales: Sequence[sympy.Expr | int | Fraction] | None = None,
    uniform: bool = False,
    degree: int | None = None,
) -> Expansion:
    """The closed-form expansion of an n-layer residual stack up to order K.

    Distinct modules: one term per labeled tree t with 1 <= |t| <= K, coefficient
    1/sigma(t). Weight-tied: one term per unlabeled tree tau, coefficient a_n(tau)/sigma(tau).

    Arguments
    ---------
    depth: n >= 1.
    order: K >= 1.
    tied: weight-tied modules g_i = g with one scale lambda.
    scales: lambda_1..lambda_n (symbols or exact numbers); default symbols lambda_1..lambda_n,
        or one symbol lambda when ``uniform`` or ``tied``.
    uniform: use one symbol lambda for every layer.
    degree: p, the polynomial degree of every module (None: any smooth module). Then
        g^(m) = 0 for m > p and only trees whose nodes have at most p children are built
        (degree 1, linear or affine modules: the chains, Veit's paths); see
        docs/theory.md#degree-pruning and proofs/residual-expansion.md.

    Returns
    -------
    An :class:`Expansion`.

    Raises
    ------
    UsageError
        When depth or order is not positive, ``scales`` has the wrong length, a tied
        expansion is given unequal scales, degree is negative, or the number of terms
        exceeds :data:`residual_expansion.theorem.budget.SYMBOLIC_LIMIT`.

    >>> e = expand(3, 3)
    >>> e.counts()
    (3, 3, 5)
    >>> [str(t.coefficient) for t in e.of_order(3)]
    ['1/2', '1/2', '1', '1/2', '1']
    >>> [(str(t.tree), t.coefficient) for t in expand(4, 2, tied=True).terms]
    [('[]', Fraction(4, 1)), ('[[]]', Fraction(6, 1))]
    >>> expand(3, 3, degree=1).counts()   # linear modules: chains only, C(3, k)
    (3, 3, 1)

    Reference: docs/theory.md#the-residual-expansion-theorem and docs/theory.md#weight-tied-modules.
    """
    _check_size(depth, order)
    if degree is not None and (isinstance(degree, bool) or not isinstance(degree, int) or degree < 0):
        raise UsageError(f"degree must be None or an integer >= 0, got {degree!r}", parameters=("degree",))
    if scales is None:
        scales = default_scales(depth, uniform=uniform or tied)
    else:
        scales = tuple(sympy.sympify(s) if not isinstance(s, Fraction) else sympy.Rational(s.numerator, s.denominator)
                       for s in scales)
        if len(scales) != depth:
            raise UsageError(f"scales has {len(scales)} entries; depth {depth} needs exactly {depth}")
    if tied:
        if len(set(scales)) != 1:
            raise UsageError("weight-tied expansion needs one scale for every layer (lambda_i = lambda)")
        # a_n(tau) from its Newton form in n: O(|tau|^2) per shape at any depth (docs/theory.md#weight-tied-modules)
        counts = ((k, tau, decreasing_labelings_at(tau, depth)) for k in range(1, order + 1) for tau in rooted_trees(k)
                  if degree is None or _max_children(tau) <= degree)
        terms = tuple(Term(k, tau, Fraction(a, tau.sigma())) for k, tau, a in counts if a > 0)
        return Expansion(depth, order, True, terms, tuple(scales))
    check_budget(depth, order, SYMBOLIC_LIMIT, max_children=degree, advice=", or use tied",
                 advice_parameters=("tied",))
    by_order = labeled_trees_by_order(depth, order, degree)
    terms = tuple(Term(k, t, Fraction(1, t.sigma())) for k, trees in enumerate(by_order, start=1) for t in trees)
    return Expansion(depth, order, False, terms, tuple(scales))
