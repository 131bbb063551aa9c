"""Exact linear unraveling (residual_expansion.paths.unraveling) and the LINEAR claim.

Reference: docs/theory.md#linear-modules: x_n = sum over subsets S of prod lambda_S A_{s_k}...A_{s_1} x,
2^n words, C(n,k) of length k.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.paths import unraveling as linear
from residual_expansion.claims.path_claims import check_linear, check_linear_integer, check_linear_symbolic
from residual_expansion.errors import UsageError
from residual_expansion.theorem.trees import LabeledTree


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_product_equals_path_sum(n):
    product = linear.product_expression(n)
    paths = linear.path_words(n)
    assert linear.difference(product, linear.path_sum_expression(paths)) == 0
    assert linear.product_words(n) == paths
    assert len(paths) == 2**n
    assert linear.words_by_length(paths) == [math.comb(n, k) for k in range(n + 1)]


def test_words_are_decreasing_subsets():
    n = 6
    words = linear.product_words(n)
    _, lam = linear.symbols(n)
    for w, c in words.items():
        assert list(w) == sorted(w, reverse=True) and len(set(w)) == len(w)
        assert c == sympy.Mul(*(lam[i - 1] for i in w))


def test_noncommutativity_is_kept():
    A, _ = linear.symbols(2)
    assert linear.difference(A[0] * A[1], A[1] * A[0]) != 0
    assert (2, 1) in linear.product_words(2) and (1, 2) not in linear.product_words(2)


def test_linear_differential():
    chain = LabeledTree(4, (LabeledTree(2, (LabeledTree(1),)),))
    assert linear.linear_differential(chain) == (4, 2, 1)
    cherry = LabeledTree(4, (LabeledTree(2), LabeledTree(1)))
    assert linear.linear_differential(cherry) is None
    deep = LabeledTree(5, (LabeledTree(4, (LabeledTree(2), LabeledTree(1))),))
    assert linear.linear_differential(deep) is None


@pytest.mark.parametrize("n,k", [(3, 3), (5, 5), (6, 4)])
def test_closed_form_chain_terms_are_the_words(n, k):
    words, vanishing = linear.closed_form_words(n, k)
    product = linear.product_words(n)
    assert words == {w: c for w, c in product.items() if len(w) <= k}
    assert vanishing > 0 or k < 2


def test_symbolic_limit():
    with pytest.raises(UsageError, match="beyond the symbolic"):
        linear.product_words(linear.SYMBOLIC_MAX_DEPTH + 1)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 9), order=st.integers(1, 4))
def test_integer_routes_agree(seed, n, order):
    rng = np.random.default_rng(seed)
    mats = linear.random_integer_matrices(rng, n, 2)
    scales = [int(x) for x in rng.integers(-3, 4, size=n)]
    graded = linear.graded_product(mats, scales, n)
    # sum of all orders = the full product prod (I + lambda_i A_i), multiplied directly
    full = linear.identity(2)
    for a, lam in zip(mats, scales):
        full = linear.matmul(linear.matadd(linear.identity(2), linear.scaled(lam, a)), full)
    total = graded[0]
    for g in graded[1:]:
        total = linear.matadd(total, g)
    assert total == full
    k = min(order, n)
    assert linear.enumerated_word_sums(mats, scales, k) == graded[: k + 1]
    assert linear.closed_form_sums(mats, scales, k)[0] == graded[: k + 1]


# ----------------------------------------------------------------- LINEAR claim and its soundness


@pytest.mark.parametrize("depth", [1, 2, 8])
def test_linear_symbolic_passes(depth):
    out = check_linear(depth, 4, 0)
    assert out.status == "PASS"
    assert out.evidence["words_product"] == 2**depth


@pytest.mark.parametrize("depth", [11, 30])
def test_linear_integer_passes(depth):
    out = check_linear(depth, 4, 0)
    assert out.status == "PASS" and "integer" in out.method


def _drop(words_fn, word):
    def wrong(*args):
        out = dict(words_fn(*args))
        out.pop(word)
        return out

    return wrong


def test_linear_fails_when_product_misses_a_word():
    assert check_linear_symbolic(5, 4, product=_drop(linear.product_words, (5, 3, 1))).status == "FAIL"


def test_linear_fails_when_paths_miss_a_word():
    assert check_linear_symbolic(5, 4, paths=_drop(linear.path_words, (4, 2))).status == "FAIL"


def test_linear_fails_on_reversed_words():
    def reversed_words(n):
        return {tuple(reversed(w)): c for w, c in linear.product_words(n).items()}

    assert check_linear_symbolic(4, 4, product=reversed_words).status == "FAIL"


def test_linear_fails_on_wrong_closed_form_coefficient():
    def wrong(n, k):
        words, vanishing = linear.closed_form_words(n, k)
        words[(3, 2)] = 2 * words[(3, 2)]
        return words, vanishing

    assert check_linear_symbolic(4, 4, closed_form=wrong).status == "FAIL"


def test_linear_fails_when_closed_form_keeps_non_chains():
    def with_cherry(n, k):
        words, vanishing = linear.closed_form_words(n, k)
        _, lam = linear.symbols(n)
        words[(3, 1, 2)] = lam[0] * lam[1] * lam[2] / 2  # g3''[g1, g2] read as a word
        return words, vanishing

    assert check_linear_symbolic(4, 4, closed_form=with_cherry).status == "FAIL"


def test_linear_integer_fails_on_corrupted_routes():
    def bad_graded(m, s, k):
        g = linear.graded_product(m, s, k)
        g[1] = linear.matadd(g[1], linear.identity(len(m[0])))
        return g

    def bad_enumerated(m, s, k):
        e = linear.enumerated_word_sums(m, s, k)
        e[2] = linear.scaled(2, e[2])
        return e

    def bad_closed(m, s, k):
        c, v = linear.closed_form_sums(m, s, k)
        c[1] = linear.scaled(-1, c[1])
        return c, v

    assert check_linear_integer(12, 3, 0, graded=bad_graded).status == "FAIL"
    assert check_linear_integer(12, 3, 0, enumerated=bad_enumerated).status == "FAIL"
    assert check_linear_integer(12, 3, 0, closed_form=bad_closed).status == "FAIL"
