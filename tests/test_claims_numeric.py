"""NUM-COEF, NUM-REMAINDER, NUM-LINEAR, NUM-PL: pass on the real closed form, FAIL on corrupted ones.

Soundness design (HELPER_COMMON): each check takes the closed form under test as a
parameter; here it gets wrong coefficients, missing trees, a truncation one order short
and wrong path sets, and must answer FAIL.
"""

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.claims import REGISTRY
from residual_expansion.claims.numeric_claims import (
    CLAIMS,
    check_coefficients,
    check_linear,
    check_piecewise_linear,
    check_remainder,
)
from residual_expansion.numeric.crosscheck import expansion_terms
from residual_expansion.numeric.taylor import chain_terms

IDS = ("NUM-COEF", "NUM-REMAINDER", "NUM-LINEAR", "NUM-PL")


def test_registered_with_proofs():
    assert tuple(c.id for c in CLAIMS) == IDS
    assert all(c.proof == "proofs/numeric.md" for c in CLAIMS)
    assert set(IDS) <= {c.id for c in REGISTRY}


@pytest.mark.parametrize("claim", CLAIMS, ids=IDS)
def test_pass_at_depth_8_with_tolerance_in_evidence(claim):
    out = claim.check(8, 4, 0)
    assert out.status == "PASS", out.evidence
    assert any("tolerance" in k for k in out.evidence)


@settings(max_examples=10)
@given(depth=st.integers(1, 6), order=st.integers(1, 4), seed=st.integers(0, 1000))
def test_pass_on_small_sizes(depth, order, seed):
    for claim in CLAIMS:
        out = claim.check(depth, order, seed)
        assert out.status in ("PASS", "SKIP"), (claim.id, out.evidence)
        if out.status == "SKIP":
            assert out.evidence["reason"]


def test_large_depth_lowers_order_with_a_note_or_skips():
    out = check_coefficients(100, 4, 0)
    assert out.status == "PASS" and out.evidence["order_used"] == 2 and "order lowered from 4 to 2" in out.evidence["note"]
    lin = check_linear(100, 4, 0)
    assert lin.status == "SKIP" and "beyond 24" in lin.evidence["reason"]
    assert check_piecewise_linear(100, 4, 0).status == "SKIP"


def test_deterministic():
    assert check_coefficients(6, 3, 5).evidence == check_coefficients(6, 3, 5).evidence


# ---------------------------------------------------------------- soundness


def _scale_one(terms, factor, predicate=lambda t: True):
    i = next(i for i, t in enumerate(terms) if predicate(t))
    return terms[:i] + (replace(terms[i], coefficient=terms[i].coefficient * factor),) + terms[i + 1:]


def test_coefficient_claim_fails_on_a_wrong_coefficient():
    # A symmetric tree's 1/2 read as 1 (sigma forgotten).
    bad = lambda n, k: _scale_one(expansion_terms(n, k), 2, lambda t: t.coefficient == Fraction(1, 2))
    assert check_coefficients(8, 4, 0, terms_of=bad).status == "FAIL"


def test_coefficient_claim_fails_on_a_slightly_wrong_coefficient():
    bad = lambda n, k: _scale_one(expansion_terms(n, k), Fraction(101, 100), lambda t: t.order == 4)
    assert check_coefficients(8, 4, 0, terms_of=bad).status == "FAIL"


def test_coefficient_claim_fails_on_a_missing_tree():
    def dropping(index):
        def terms_of(n, k):
            terms = expansion_terms(n, k)
            return terms[:index % len(terms)] + terms[index % len(terms) + 1:]
        return terms_of

    for drop in (0, -1, 100):
        assert check_coefficients(8, 4, 0, terms_of=dropping(drop)).status == "FAIL", drop


def test_coefficient_claim_fails_on_all_sigmas_ignored():
    bad = lambda n, k: tuple(replace(t, coefficient=Fraction(1)) for t in expansion_terms(n, k))
    assert check_coefficients(8, 4, 0, terms_of=bad).status == "FAIL"


def test_remainder_claim_fails_one_order_short():
    short = lambda n, k: expansion_terms(n, k - 1) if k > 1 else ()
    for order in (1, 2, 4):
        out = check_remainder(8, order, 0, terms_of=short)
        assert out.status == "FAIL", (order, out.evidence)
    assert check_remainder(8, 4, 0).status == "PASS"


def test_remainder_claim_fails_on_a_wrong_coefficient():
    bad = lambda n, k: _scale_one(expansion_terms(n, k), 2, lambda t: t.order == 2)
    assert check_remainder(8, 4, 0, terms_of=bad).status == "FAIL"


def test_linear_claim_fails_on_missing_or_wrong_paths():
    missing = lambda n: chain_terms(n)[:-1]  # the longest path dropped
    assert check_linear(8, 4, 0, paths_of=missing).status == "FAIL"
    short_only = lambda n: tuple(t for t in chain_terms(n) if t.order < n)
    assert check_linear(8, 4, 0, paths_of=short_only).status == "FAIL"
    doubled = lambda n: _scale_one(chain_terms(n), 2)
    assert check_linear(8, 4, 0, paths_of=doubled).status == "FAIL"


def test_piecewise_linear_claim_fails_on_missing_paths():
    missing = lambda n: tuple(t for t in chain_terms(n) if t.order != 3)
    assert check_piecewise_linear(8, 4, 0, paths_of=missing).status == "FAIL"
    assert check_piecewise_linear(8, 4, 0).status == "PASS"
