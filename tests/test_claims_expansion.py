"""Soundness of REX, REX2, COUNT and TIED: every corrupted formula must print FAIL.

Each check takes the formula under test as an argument; here it gets corrupted ones
(issue 2: drop a term, change one coefficient, break a label inequality, wrong sigma).
"""

from dataclasses import replace
from fractions import Fraction

import pytest

from residual_expansion.claims import REGISTRY, select
from residual_expansion.claims.expansion_claims import (
    check_count,
    check_rex,
    check_rex2,
    check_tied,
    dherin_munn_terms,
    rex_free_route,
    rex_instance_route,
    rex_ring_route,
    rex_series_route,
)
from residual_expansion.errors import UsageError
from residual_expansion.theorem.expansion import Term, expand
from residual_expansion.theorem.trees import LabeledTree, _canonical, count_labeled_trees


def _terms(n, k):
    return list(expand(n, k).terms)


def drop_term(terms, index=-1):
    return terms[:index] + terms[index + 1:] if index != -1 else terms[:-1]


def change_coefficient(terms, index, factor=Fraction(2)):
    out = list(terms)
    out[index] = replace(out[index], coefficient=out[index].coefficient * factor)
    return out


def break_labels(terms):
    """Replace the first chain g_i' g_j (j < i) by the forbidden g_j' g_i."""
    out = list(terms)
    for i, t in enumerate(out):
        if t.order == 2:
            top, bottom = t.tree.label, t.tree.children[0].label
            out[i] = Term(2, _canonical(bottom, (LabeledTree(top),)), t.coefficient)
            return out
    raise AssertionError("no order-2 term")


def wrong_sigma(terms):
    """Give the first symmetric tree (sigma > 1) coefficient 1 instead of 1/sigma."""
    out = list(terms)
    for i, t in enumerate(out):
        if t.tree.sigma() > 1:
            out[i] = replace(t, coefficient=Fraction(1))
            return out
    raise AssertionError("no symmetric tree")


CORRUPTIONS = {
    "drop a term": lambda ts: drop_term(ts),
    "drop an order-1 term": lambda ts: ts[1:],
    "change one coefficient": lambda ts: change_coefficient(ts, len(ts) // 2),
    "break a label inequality": break_labels,
    "wrong sigma": wrong_sigma,
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
@pytest.mark.parametrize("depth,order", [(3, 3), (5, 4)])
def test_rex_fails_on_corrupted_closed_form(name, depth, order):
    corrupt = CORRUPTIONS[name]
    out = check_rex(depth, order, seed=0, closed_form=lambda n, k: corrupt(_terms(n, k)))
    assert out.status == "FAIL", name


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_exact_route_alone_rejects_corruption(name):
    n, k = 4, 3
    bad = CORRUPTIONS[name](_terms(n, k))
    assert not rex_series_route(bad, n, k)[0]
    assert not rex_ring_route(bad, n, k)[0]
    assert not rex_instance_route(bad, n, k, seed=1)[0]
    assert not rex_free_route(bad, n, k)[0]


def test_scalar_twins_are_caught_by_vector_routes():
    """docs/theory.md#the-residual-expansion-theorem (scalar caveat): g4''[g3' g1, g2] and g4''[g3' g2, g1] read the same for d = 1.

    Doubling one and dropping the other leaves the scalar ring route blind; the vector
    routes (polynomial instances in Q^2, free induction) must still reject it.
    """
    n, k = 4, 4
    a = LabeledTree(4, (LabeledTree(3, (LabeledTree(1),)), LabeledTree(2)))
    b = LabeledTree(4, (LabeledTree(3, (LabeledTree(2),)), LabeledTree(1)))
    terms = _terms(n, k)
    bad = [replace(t, coefficient=Fraction(2)) if t.tree == a else t for t in terms if t.tree != b]
    assert rex_ring_route(bad, n, k)[0]  # blind, as expected for scalars
    assert not rex_instance_route(bad, n, k, seed=0)[0]
    assert not rex_free_route(bad, n, k)[0]
    assert check_rex(n, k, 0, closed_form=lambda m, j: bad if (m, j) == (n, k) else _terms(m, j)).status == "FAIL"


def test_rex_fails_at_verify_size_when_one_coefficient_is_off():
    out = check_rex(8, 4, seed=0, closed_form=lambda n, k: change_coefficient(_terms(n, k), -1, Fraction(1, 2)))
    assert out.status == "FAIL"


def test_rex_passes_on_true_closed_form():
    out = check_rex(6, 4, seed=3)
    assert out.status == "PASS" and out.evidence["largest_residual"] == 0


def test_rex_large_order_reduces_visibly():
    out = check_rex(8, 6, seed=0)
    assert out.status == "PASS" and "beyond the exact routes' limit" in out.evidence["orders"]


def test_rex2_soundness():
    assert check_rex2(6, 2, 0).status == "PASS"
    assert check_rex2(6, 2, 0, second_order=lambda n: dherin_munn_terms(n)[:-1]).status == "FAIL"
    # the seed's sum runs over i < j with g_j' g_i: reversing the roles is wrong
    swapped = lambda n: [
        Term(t.order, _canonical(t.tree.children[0].label, (LabeledTree(t.tree.label),)), t.coefficient)
        if t.order == 2 else t for t in dherin_munn_terms(n)
    ]
    assert check_rex2(6, 2, 0, second_order=swapped).status == "FAIL"
    halved = lambda n: [replace(t, coefficient=Fraction(1, 2)) if t.order == 2 else t for t in dherin_munn_terms(n)]
    assert check_rex2(6, 2, 0, second_order=halved).status == "FAIL"


def test_count_soundness():
    assert check_count(6, 4, 0).status == "PASS"
    off_by_one = lambda n, k: count_labeled_trees(n, k) + (k == 3)
    assert check_count(6, 4, 0, count=off_by_one).status == "FAIL"
    # the closed form N(n,3) = C(n,3) + C(n+1,3) must not be mistaken for C(n+1,3) alone
    from math import comb

    wrong = lambda n, k: comb(n + 1, 3) if k == 3 else count_labeled_trees(n, k)
    assert check_count(6, 4, 0, count=wrong).status == "FAIL"


def _tied(n, k):
    return list(expand(n, k, tied=True).terms)


@pytest.mark.parametrize("name", ["drop a term", "change one coefficient", "wrong sigma"])
def test_tied_soundness(name):
    corrupt = {"drop a term": drop_term, "change one coefficient": lambda ts: change_coefficient(ts, 3),
               "wrong sigma": wrong_sigma}[name]
    assert check_tied(5, 4, 0).status == "PASS"
    assert check_tied(5, 4, 0, tied_form=lambda n, k: corrupt(_tied(n, k))).status == "FAIL"


def test_tied_gamma_corruption_fails(monkeypatch):
    from residual_expansion.theorem.trees import RootedTree

    monkeypatch.setattr(RootedTree, "gamma", lambda self: self.order)  # wrong tree factorial
    assert check_tied(5, 4, 0).status == "FAIL"


def test_registry_and_selection():
    ids = [c.id for c in REGISTRY]
    assert ids[:4] == ["REX", "REX2", "COUNT", "TIED"]
    assert all(c.proof.startswith("proofs/") for c in REGISTRY)
    assert [c.id for c in select("rex2, count")] == ["REX2", "COUNT"]
    with pytest.raises(UsageError, match="unknown claim id NOPE"):
        select("REX,NOPE")


def test_rex2_sizes():
    mid = check_rex2(80, 2, 0)  # beyond the ring route's limit: instances only
    assert mid.status == "PASS" and mid.method == "polynomial instances"
    assert check_rex2(80, 2, 0, second_order=lambda n: dherin_munn_terms(n)[:-1]).status == "FAIL"
    big = check_rex2(1000, 2, 0)
    assert big.status == "SKIP" and "beyond this check's limit" in big.evidence["reason"]


def test_rex_instance_tier_alone_rejects_corruption():
    """At depth 100 order 2 is checked by the integer instances only: they must catch a bad term."""
    def bad(n, k):
        terms = _terms(n, k)
        return change_coefficient(terms, len(terms) - 1) if k == 2 else terms

    out = check_rex(100, 2, seed=0, closed_form=bad)
    assert "polynomial instances (K=2)" in out.method and "Taylor ring (K=1)" in out.method
    assert out.status == "FAIL"
    assert check_rex(100, 2, seed=0).status == "PASS"
