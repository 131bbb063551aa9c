"""The closed form: terms, coefficients, renderers, and its agreement with tree-free routes.

Reference values: docs/theory.md#the-residual-expansion-theorem (n = 3, order 3: five terms; low orders), docs/theory.md#weight-tied-modules.
"""

import json
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from residual_expansion.theorem.composition import (
    generic_ring,
    generic_taylor_coefficients,
    instance_taylor_coefficients,
    sympy_series_coefficients,
)
from residual_expansion.theorem.differentials import closed_form_instance, closed_form_ring, free_expansion
from residual_expansion.errors import UsageError
from residual_expansion.theorem.expansion import expand
from residual_expansion.strategies import exact_points, polynomial_maps, scales as exact_scales
from residual_expansion.render.expansion_output import (
    differential_latex,
    expansion_dict,
    render_expansion,
    to_sympy,
)
from residual_expansion.theorem.trees import LabeledTree


def test_n3_order3_terms_and_coefficients():
    e = expand(3, 3)
    assert e.counts() == (3, 3, 5)
    third = {str(t.tree): t.coefficient for t in e.of_order(3)}
    # docs/theory.md#the-residual-expansion-theorem: g3' g2' g1, (1/2) g2''[g1,g1], (1/2) g3''[g1,g1], g3''[g1,g2], (1/2) g3''[g2,g2]
    assert third == {
        "g3' g2' g1": 1, "g2''[g1, g1]": Fraction(1, 2), "g3''[g1, g1]": Fraction(1, 2),
        "g3''[g1, g2]": 1, "g3''[g2, g2]": Fraction(1, 2),
    }


def test_depth8_order6_size():
    # issue 2: about 22 thousand terms at order 6
    assert expand(8, 6).counts() == (8, 28, 140, 728, 3962, 21938)


def test_weights_per_layer_and_numbers():
    e = expand(3, 2)
    w = {str(t.tree): e.weight(t) for t in e.terms}
    l1, l2 = sympy.symbols("lambda_1 lambda_2")
    assert w["g2' g1"] == l1 * l2
    num = expand(2, 2, scales=[Fraction(1, 2), 3])
    assert [num.weight(t) for t in num.terms] == [sympy.Rational(1, 2), 3, sympy.Rational(3, 2)]


def test_tied_coefficients_n4():
    e = expand(4, 4, tied=True)
    got = {str(t.tree): t.coefficient for t in e.terms}
    # docs/theory.md#weight-tied-modules: a_4 / sigma
    assert got == {"[]": 4, "[[]]": 6, "[[],[]]": 7, "[[[]]]": 4, "[[],[],[]]": 6,
                   "[[],[[]]]": 11, "[[[],[]]]": 3, "[[[[]]]]": 1}


def test_bad_arguments():
    with pytest.raises(UsageError, match="depth must be a positive integer"):
        expand(0, 2)
    with pytest.raises(UsageError, match="scales has 1 entries"):
        expand(2, 2, scales=[1])
    with pytest.raises(UsageError, match="one scale"):
        expand(2, 2, tied=True, scales=[1, 2])
    with pytest.raises(UsageError, match="beyond the limit"):
        expand(40, 8)


def test_latex_of_issue_example():
    t = LabeledTree(3, (LabeledTree(1), LabeledTree(2)))
    assert differential_latex(t) == r"g_3''(x)\bigl[g_1(x), g_2(x)\bigr]"
    star = LabeledTree(5, tuple(LabeledTree(i) for i in range(1, 5)))
    assert differential_latex(star).startswith("g_5^{(4)}(x)")
    assert differential_latex(LabeledTree(12, (LabeledTree(11),))) == r"g_{12}'(x)\, g_{11}(x)"


def test_json_shape():
    doc = json.loads(render_expansion(expand(3, 3), "json"))
    assert doc["counts"] == [3, 3, 5] and doc["depth"] == 3 and doc["tied"] is False
    third = [t for t in doc["terms"] if t["order"] == 3]
    assert {"order", "tree", "coefficient", "latex"} <= set(third[0])
    assert sorted(t["coefficient"] for t in third) == ["1/1", "1/1", "1/2", "1/2", "1/2"]
    assert doc["terms"][0]["tree"] == {"layer": 1, "children": []}
    tied = expansion_dict(expand(4, 3, tied=True))
    assert tied["terms"][2]["tree"] == [[], []]


def test_sympy_expression_matches_series_n3():
    x, lam = sympy.symbols("x lambda")
    closed = sympy.expand(to_sympy(expand(3, 3, uniform=True), x) - x)
    truth = sympy_series_coefficients(3, 3, x, lam)
    for k in range(1, 4):
        assert sympy.expand(closed.coeff(lam, k) - truth[k - 1]) == 0


@given(st.integers(1, 5), st.integers(1, 4))
def test_closed_form_equals_ring_route(n, k):
    gr = generic_ring(n, k)
    assert closed_form_ring(expand(n, k).terms, gr, k) == generic_taylor_coefficients(gr, k)


@st.composite
def _polynomial_stacks(draw):
    """(n, K, modules, scales, x0) drawn from hypothesis primitives (shrinks to n = K = d = 1)."""
    n, k, dim = draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    modules = [draw(polynomial_maps(dim, max(k, 2))) for _ in range(n)]
    return n, k, modules, draw(exact_scales(n)), draw(exact_points(dim))


@given(_polynomial_stacks())
def test_closed_form_equals_composed_random_polynomials(case):
    n, k, modules, scales, x0 = case
    terms = expand(n, k).terms
    assert closed_form_instance(terms, modules, scales, x0, k) == instance_taylor_coefficients(modules, scales, x0, k)


@given(st.integers(1, 6), st.integers(1, 4))
def test_free_induction_reproduces_sigma(n, k):
    assert free_expansion(n, k) == {t.tree: t.coefficient for t in expand(n, k).terms}


@given(st.integers(1, 6), st.integers(1, 5))
def test_tied_coefficient_is_sum_over_labelings(n, k):
    distinct = expand(n, k)
    sums = {}
    for t in distinct.terms:
        sums[t.tree.shape()] = sums.get(t.tree.shape(), 0) + t.coefficient
    assert {t.tree: t.coefficient for t in expand(n, k, tied=True).terms} == sums
