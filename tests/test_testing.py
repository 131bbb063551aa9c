"""residual_expansion.testing: the assertions pass on true statements and fail naming the smallest failing term."""

from dataclasses import replace
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.models.adapters import SympyModule
from residual_expansion.models.families import make_stack
from residual_expansion.paths.architectures import plain, two_branch
from residual_expansion.strategies import architectures, residual_stacks
from residual_expansion.testing import assert_expansion_holds, assert_path_counts
from residual_expansion.theorem.expansion import expand

X = sympy.symbols("x1:3")
STACK = [SympyModule((sympy.sin(X[1]), X[0] * X[1]), X), SympyModule((sympy.exp(X[0] / 2), X[0] - X[1] ** 2), X),
         SympyModule((sympy.cos(X[0] + X[1]), X[1]), X)]


def no_sigma(n, k):
    return [replace(t, coefficient=Fraction(1)) for t in expand(n, k, uniform=True).terms]


def test_exact_assertion_passes_and_names_the_smallest_wrong_term():
    assert assert_expansion_holds(STACK, order=3).passed
    with pytest.raises(AssertionError) as info:
        assert_expansion_holds(STACK, order=3, terms_of=no_sigma)
    msg = str(info.value)
    assert "fails at order 3 (lowest failing order)" in msg
    assert "smallest failing term: g2''[g1, g1] (order 3) has coefficient 1, the theorem gives 1/sigma = 1/2" in msg


def test_numeric_assertion_on_a_family_stack():
    stack = make_stack("mlp", 4, 3, activation_name="tanh", seed=1)
    assert assert_expansion_holds(stack, order=3).passed
    with pytest.raises(AssertionError, match=r"fails at order 3 .*smallest failing term: g2''\[g1, g1\]"):
        assert_expansion_holds(stack, order=3, terms_of=no_sigma)


@settings(max_examples=8, deadline=None)
@given(residual_stacks(families=["mlp", "res3", "affine"], activations=["tanh", "sin", "softplus"], max_depth=3))
def test_every_drawn_smooth_stack_satisfies_the_expansion(stack):
    assert assert_expansion_holds(stack, order=2).passed


def test_path_counts():
    assert assert_path_counts(plain(5), expected=[1, 5, 10, 10, 5, 1]) == (1, 5, 10, 10, 5, 1)
    assert assert_path_counts(two_branch(2)) == (1, 4, 6, 4, 1)
    with pytest.raises(AssertionError, match=r"differ at length 2 \(shortest\): factored DP 10, .* expected 9"):
        assert_path_counts(plain(5), expected=[1, 5, 9, 10, 5, 1])


@settings(max_examples=20, deadline=None)
@given(architectures(max_size=9), st.integers(0, 3))
def test_drawn_architectures_have_consistent_path_counts(arch, extra):
    counts = assert_path_counts(arch)
    wrong = list(counts) + [0] * extra
    wrong[-1] += 1
    with pytest.raises(AssertionError, match="differ at length"):
        assert_path_counts(arch, expected=wrong)
