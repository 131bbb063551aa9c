"""a_n(tau) as a polynomial in n (issue 14): Newton form against the direct count."""

from __future__ import annotations

from fractions import Fraction
from math import comb, factorial

import pytest

from residual_expansion.errors import UsageError
from residual_expansion.theorem import trees
from residual_expansion.theorem.expansion import expand
from residual_expansion.theorem.trees import (
    RootedTree,
    decreasing_labelings,
    decreasing_labelings_at,
    labelings_differences,
    rooted_trees,
)

SHAPES = [tau for k in range(1, 7) for tau in rooted_trees(k)]


@pytest.mark.parametrize("tau", SHAPES, ids=str)
def test_newton_form_equals_direct_count(tau):
    for n in range(0, 25):
        assert decreasing_labelings_at(tau, n) == decreasing_labelings(tau, n)


def test_closed_forms_at_large_depth():
    n = 10**6
    chain3 = RootedTree.from_list([[[]]])
    cherry = RootedTree.from_list([[], []])
    assert decreasing_labelings_at(chain3, n) == comb(n, 3)
    # cherry: sum_r (r-1)^2 = (n-1) n (2n-1) / 6
    assert decreasing_labelings_at(cherry, n) == (n - 1) * n * (2 * n - 1) // 6


@pytest.mark.parametrize("tau", SHAPES, ids=str)
def test_degree_and_leading_coefficient(tau):
    d = labelings_differences(tau)
    assert len(d) == tau.order + 1 and d[-1] != 0
    assert Fraction(d[-1], factorial(tau.order)) == Fraction(1, tau.gamma())


def test_direct_check_catches_a_wrong_difference(monkeypatch):
    """The comparison fails when one forward difference is off by one."""
    real = trees.labelings_differences
    monkeypatch.setattr(trees, "labelings_differences", lambda t: (*real(t)[:-1], real(t)[-1] + 1))
    tau = RootedTree.from_list([[], []])
    assert any(decreasing_labelings_at(tau, n) != decreasing_labelings(tau, n) for n in range(0, 6))


def test_tied_expansion_coefficients_direct_at_moderate_depth():
    e = expand(40, 6, tied=True)
    for t in e.terms:
        assert t.coefficient == Fraction(decreasing_labelings(t.tree, 40), t.tree.sigma())


def test_tied_expansion_at_depth_ten_thousand_is_exact():
    e = expand(10_000, 8, tied=True)
    assert len(e.terms) == sum(len(rooted_trees(k)) for k in range(1, 9))
    chain = [t for t in e.terms if t.order == 8 and str(t.tree) == "[[[[[[[[]]]]]]]]"][0]
    assert chain.coefficient == comb(10_000, 8)


def test_bad_depth():
    with pytest.raises(UsageError, match="depth must be"):
        decreasing_labelings_at(RootedTree(), -1)
