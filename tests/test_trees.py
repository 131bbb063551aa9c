"""Labeled and unlabeled rooted trees: canonical form, sigma, gamma, counting.

Reference values: docs/theory.md#tree-counts, docs/theory.md#weight-tied-modules (n = 4 weight-tied
table), OEIS A000081 (unlabeled rooted trees by order).
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from residual_expansion.errors import UsageError
from residual_expansion.strategies import labeled_trees as labeled_trees_strategy
from residual_expansion.theorem.trees import (
    LabeledTree,
    RootedTree,
    count_labeled_trees,
    decreasing_labelings,
    euler_transform,
    labeled_trees,
    labeled_trees_by_order,
    rooted_trees,
    trees_by_shape,
)

# docs/theory.md#tree-counts for n = 2..6, k = 1..6
N_TABLE = {
    2: [2, 1, 1, 1, 1, 1],
    3: [3, 3, 5, 8, 13, 20],
    4: [4, 6, 14, 32, 75, 171],
    5: [5, 10, 30, 90, 279, 858],
    6: [6, 15, 55, 205, 794, 3088],
}


@pytest.mark.parametrize("n", sorted(N_TABLE))
def test_counts_match_theory_table_by_recursion_and_enumeration(n):
    assert [count_labeled_trees(n, k) for k in range(1, 7)] == N_TABLE[n]
    assert [len(ts) for ts in labeled_trees_by_order(n, 6)] == N_TABLE[n]


@pytest.mark.parametrize("n", range(1, 9))
def test_order_three_closed_form(n):
    # docs/theory.md#the-residual-expansion-theorem: N(n, 3) = C(n, 3) + C(n + 1, 3)
    from math import comb

    assert count_labeled_trees(n, 3) == comb(n, 3) + comb(n + 1, 3)


def test_a000081():
    # OEIS A000081: 1, 1, 2, 4, 9, 20, 48, 115, 286, 719
    assert [len(rooted_trees(k)) for k in range(1, 11)] == [1, 1, 2, 4, 9, 20, 48, 115, 286, 719]


def test_n3_order3_trees_are_the_five_of_theory():
    got = {str(t) for t in labeled_trees(3, 3)}
    assert got == {"g3' g2' g1", "g2''[g1, g1]", "g3''[g1, g1]", "g3''[g1, g2]", "g3''[g2, g2]"}


def test_label_order_is_enforced():
    with pytest.raises(ValueError, match="strictly decrease"):
        LabeledTree(2, (LabeledTree(2),))
    with pytest.raises(ValueError, match="start at 1"):
        LabeledTree(0)
    with pytest.raises(TypeError):
        LabeledTree(2, ("g1",))


def test_sigma_examples():
    g1, g2 = LabeledTree(1), LabeledTree(2)
    assert LabeledTree(3, (g1, g1)).sigma() == 2
    assert LabeledTree(3, (g1, g2)).sigma() == 1
    assert LabeledTree(4, (g1, g1, g1)).sigma() == 6
    chain = LabeledTree(2, (g1,))
    assert LabeledTree(4, (chain, chain)).sigma() == 2
    assert LabeledTree(5, (LabeledTree(4, (g1, g1)), LabeledTree(4, (g1, g1)))).sigma() == 8


# docs/theory.md#weight-tied-modules, n = 4
TIED_N4 = [
    ([], 4, 1, 1), ([[]], 6, 1, 2), ([[], []], 14, 2, 3), ([[[]]], 4, 1, 6),
    ([[], [], []], 36, 6, 4), ([[], [[]]], 11, 1, 8), ([[[], []]], 6, 2, 12), ([[[[]]]], 1, 1, 24),
]


@pytest.mark.parametrize("nested,a4,sigma,gamma", TIED_N4)
def test_weight_tied_table_n4(nested, a4, sigma, gamma):
    tau = RootedTree.from_list(nested)
    assert (decreasing_labelings(tau, 4), tau.sigma(), tau.gamma()) == (a4, sigma, gamma)


def test_chain_and_cherry_labelings():
    # docs/theory.md#weight-tied-modules: chains a_n = C(n, |tau|); cherry [tau, tau] (tau = leaf): (n-1) n (2n-1) / 6
    from math import comb

    cherry = RootedTree.from_list([[], []])
    for n in range(1, 12):
        assert decreasing_labelings(cherry, n) == (n - 1) * n * (2 * n - 1) // 6
        for k in range(1, 6):
            chain = RootedTree.from_list(_chain(k))
            assert decreasing_labelings(chain, n) == comb(n, k)


def _chain(k):
    return [] if k == 1 else [_chain(k - 1)]


def test_euler_transform_of_a000081_is_forests():
    # forests of rooted trees with m nodes = A000081(m + 1)
    a = [0, 1, 1, 2, 4, 9, 20]
    assert euler_transform(a, 6) == [1, 1, 2, 4, 9, 20, 48]


def test_bad_sizes():
    with pytest.raises(UsageError, match="positive"):
        labeled_trees(0, 2)
    with pytest.raises(UsageError, match="positive"):
        count_labeled_trees(3, 0)


@st.composite
def _reordered(draw, tree):
    """The same tree rebuilt bottom-up with its children in a drawn order (not canonical)."""
    kids = [draw(_reordered(c)) for c in tree.children]
    kids = draw(st.permutations(kids)) if kids else []
    return LabeledTree(tree.label, tuple(kids))


@given(st.data(), labeled_trees_strategy(depth=7, max_order=7))
def test_canonical_form_invariant_under_reordering(data, tree):
    a = data.draw(_reordered(tree))
    b = data.draw(_reordered(tree))
    assert a == b == tree and hash(a) == hash(b) and str(a) == str(b)
    assert LabeledTree.from_dict(a.to_dict()) == a


@given(st.integers(1, 6), st.integers(1, 5))
def test_recursion_equals_enumeration(n, k):
    trees = labeled_trees(n, k)
    assert len(trees) == count_labeled_trees(n, k) == len(set(trees))
    assert all(t.order == k and max(l for l, _ in t.labels()) <= n for t in trees)


@given(st.integers(1, 6), st.integers(1, 5))
def test_orbit_count_sum_over_labelings(n, k):
    """sum over labeled trees of shape tau of 1/sigma(t) = a_n(tau)/sigma(tau) (orbit-stabiliser)."""
    from fractions import Fraction

    groups = trees_by_shape(labeled_trees(n, k))
    for tau, ts in groups.items():
        assert sum(Fraction(1, t.sigma()) for t in ts) == Fraction(decreasing_labelings(tau, n), tau.sigma())
