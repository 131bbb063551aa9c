"""Soundness: every reported verdict depends on its comparison (issue 16's surviving mutants).

Each test corrupts one formula, one route's ground truth, one prediction or one rendered
string and shows that the verifier reports FAIL (or that the exact expected string
differs), so that a mutant deleting the comparison cannot pass the suite.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from residual_expansion.claims import expansion_claims as ec
from residual_expansion.claims.base import FAIL, PASS, Claim, ClaimResult, Outcome
from residual_expansion.theorem.expansion import Term, expand


def _corrupt_order(terms, order, factor=Fraction(2)):
    """The terms with the first term of ``order`` multiplied by ``factor`` (a wrong 1/sigma)."""
    out, done = [], False
    for t in terms:
        if t.order == order and not done:
            t, done = Term(t.order, t.tree, t.coefficient * factor), True
        out.append(t)
    assert done, f"no term of order {order}"
    return tuple(out)


def _corrupted_closed_form(order):
    return lambda n, k: _corrupt_order(expand(n, k).terms, order) if k >= order else expand(n, k).terms


# --- REX: the verdict folds every route, each route fails on its own --------------------

def test_rex_depth_12_fails_on_a_wrong_order_4_coefficient():
    """At n = 12, K = 4 only the polynomial-instance route reaches order 4 (the symbolic
    routes stop at K = 3, the series route at n = K = 3): it alone must turn REX to FAIL."""
    good = ec.check_rex(12, 4, 0)
    assert good.status == PASS and good.size == "n=12, K=4"
    assert "Taylor ring (K=3)" in good.method and "polynomial instances (K=4)" in good.method
    bad = ec.check_rex(12, 4, 0, closed_form=_corrupted_closed_form(4))
    assert bad.status == FAIL and bad.evidence["largest_residual"] == "nonzero"


@pytest.mark.parametrize("route", ["rex_series_route", "rex_ring_route", "rex_free_route", "rex_instance_route"])
def test_rex_folds_each_route_into_its_verdict(monkeypatch, route):
    """A route that reports disagreement makes REX FAIL, whatever the others say."""
    real = getattr(ec, route)

    def disagree(*args, **kwargs):
        result = real(*args, **kwargs)
        return (False, *result[1:])

    monkeypatch.setattr(ec, route, disagree)
    assert ec.check_rex(5, 4, 0).status == FAIL


@pytest.mark.parametrize("order", [1, 2, 3])
def test_rex_each_route_detects_a_wrong_coefficient_at_every_order(order):
    depth = 3
    bad = _corrupt_order(expand(depth, 3).terms, order)
    assert ec.rex_series_route(bad, depth, 3)[0] is False
    assert ec.rex_ring_route(bad, depth, 3)[0] is False
    assert ec.rex_free_route(bad, depth, 3)[0] is False
    assert ec.rex_instance_route(bad, depth, 3, seed=0)[0] is False
    good = expand(depth, 3).terms
    assert ec.rex_series_route(good, depth, 3)[0] and ec.rex_ring_route(good, depth, 3)[0]
    assert ec.rex_free_route(good, depth, 3)[0] and ec.rex_instance_route(good, depth, 3, seed=0)[0]


def test_rex_instance_route_detects_a_wrong_order_4_coefficient_at_depth_12():
    bad = _corrupt_order(expand(12, 4).terms, 4)
    assert ec.rex_instance_route(bad, 12, 4, seed=0, instances=1)[0] is False


@pytest.mark.parametrize("route", ["rex_ring_route", "rex_instance_route"])
def test_rex2_folds_each_route(monkeypatch, route):
    real = getattr(ec, route)
    monkeypatch.setattr(ec, route, lambda *a, **k: (False, *real(*a, **k)[1:]))
    assert ec.check_rex2(6, 2, 0).status == FAIL


def test_tied_folds_each_route():
    good = ec.check_tied(5, 4, 0)
    assert good.status == PASS
    wrong = lambda n, k: _corrupt_order(expand(n, k, tied=True).terms, 3)  # noqa: E731
    bad = ec.check_tied(5, 4, 0, tied_form=wrong)
    assert bad.status == FAIL
    assert bad.evidence["sum_over_labelings"] == FAIL and bad.evidence["euler_steps"] == FAIL


# --- numeric: the pass flags depend on the comparisons and on tight tolerances ------------

def test_crosscheck_passed_depends_on_the_coefficient_comparison():
    from residual_expansion.numeric.crosscheck import crosscheck, expansion_terms

    def wrong(n, k, degree=None):
        return _corrupt_order(expansion_terms(n, k, degree), 2, Fraction(1_000_001, 1_000_000))

    good = crosscheck(4, 3, "mlp", dim=4)
    bad = crosscheck(4, 3, "mlp", dim=4, terms_of=wrong)
    assert good.passed and good.coefficients.passed
    assert not bad.coefficients.passed and not bad.passed


def _scaled_path(paths, rel):
    first = paths[0]
    return (Term(first.order, first.tree, first.coefficient * (1 + Fraction(rel))), *paths[1:])


@pytest.mark.parametrize("rel", [Fraction(1, 10**5), Fraction(1, 10**9)])
def test_num_linear_tolerance_is_a_rounding_bound(rel):
    """A single path off by a relative 1e-5 or 1e-9 fails: the tolerance is rounding-sized."""
    from residual_expansion.claims.numeric_claims import _chain_terms, check_linear

    assert check_linear(4, 4, 0).status == PASS
    assert check_linear(4, 4, 0, paths_of=lambda n: _scaled_path(_chain_terms(n), rel)).status == FAIL


@pytest.mark.parametrize("rel", [Fraction(1, 10**6), Fraction(1, 10**9)])
def test_num_pl_tolerance_is_a_rounding_bound(rel):
    from residual_expansion.claims.numeric_claims import _chain_terms, check_piecewise_linear

    assert check_piecewise_linear(4, 4, 0).status == PASS
    bad = check_piecewise_linear(4, 4, 0, paths_of=lambda n: _scaled_path(_chain_terms(n), rel))
    assert bad.status == FAIL


# --- verify: all_pass and the exit status are computed from the rows ----------------------

def _result(status):
    return ClaimResult("X", "m", "n=1", status, {}, 0.0)


@pytest.mark.parametrize("statuses, expected", [
    ((PASS, PASS), True), ((PASS, FAIL), False), ((FAIL,), False), ((PASS, "SKIP"), False),
])
def test_verify_json_all_pass_is_computed(statuses, expected):
    from residual_expansion.render.claim_output import render_results

    doc = json.loads(render_results([_result(s) for s in statuses], "json", depth=1, order=1, seed=0))
    assert doc["all_pass"] is expected
    assert [r["status"] for r in doc["results"]] == list(statuses)


def test_verify_exit_status_and_all_pass_follow_a_failing_claim(monkeypatch, capsys):
    import residual_expansion.claims as registry
    from residual_expansion.cli import main

    failing = Claim("BROKEN", "s", "h", "proofs/residual-expansion.md",
                    lambda n, k, s: Outcome("corrupted", f"n={n}", FAIL, {"reason": "test"}))
    monkeypatch.setattr(registry, "REGISTRY", (*registry.REGISTRY[:1], failing))
    assert main(["verify", "--depth", "3", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["all_pass"] is False and [r["status"] for r in doc["results"]] == [PASS, FAIL]
    assert main(["verify", "--depth", "3", "--claims", "REX"]) == 0


def test_an_internal_error_is_a_fail_row_with_its_reason(monkeypatch, capsys):
    """The Euler transform's divisibility check failing (a dropped factor) makes COUNT FAIL
    with the reason; verify still prints every row."""
    from residual_expansion.cli import main
    from residual_expansion.errors import InconsistencyError
    from residual_expansion.theorem import trees

    def broken(a, m_max):
        raise InconsistencyError("Euler transform: m b_m = 7 is not divisible by m = 2")

    monkeypatch.setattr(trees, "euler_transform", broken)
    assert main(["verify", "--depth", "4", "--claims", "PATHS,COUNT", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    rows = {r["claim"]: r for r in doc["results"]}
    assert rows["PATHS"]["status"] == PASS
    assert rows["COUNT"]["status"] == FAIL
    assert "InconsistencyError: Euler transform" in rows["COUNT"]["evidence"]["reason"]


def test_euler_transform_raises_on_a_non_integral_step():
    from residual_expansion.errors import InconsistencyError
    from residual_expansion.theorem.trees import euler_transform

    assert euler_transform([0, 1, 1, 2, 4], 4) == [1, 1, 2, 4, 9]
    with pytest.raises(InconsistencyError, match="not divisible"):
        euler_transform([0, Fraction(1, 2)], 1)  # b_1 = a_1 = 1/2: not a count


# --- scaling: predictions at parameters where a wrong power cannot hide ---------------------

def test_res3_energy_prediction_at_weight_scale_not_one():
    """E||h_L||^2/||h_0||^2 = prod_l (1 + kappa lambda^2 s^4) (ReLU, kappa = 1/2), checked
    against Monte Carlo at s = 1.5, where s^4 = 5.06 and a wrong s^2 = 2.25 is 4 standard
    errors away."""
    import math

    from residual_expansion.scaling.montecarlo import Init, Model
    from residual_expansion.scaling.predictions import predicted_energy
    from residual_expansion.scaling.schedules import power
    from residual_expansion.scaling.sweep import run_sweep

    s, L = 1.5, 4
    sweep = run_sweep(Model("res3", "relu", dim=16, input_dim=16, s=s), Init("iid-gaussian"), [power(0.5)], [L],
                      4000, 3)
    row = sweep.rows[0]
    lams = power(0.5).scales(L)
    pred = predicted_energy("res3", "relu", True, lams, s)
    assert math.isclose(pred.value, math.prod(1 + 0.5 * lam**2 * s**4 for lam in lams), rel_tol=1e-12)
    assert abs(row.z_score) < 4
    sq = row.run.sq_ratio
    wrong = math.prod(1 + 0.5 * lam**2 * s**2 for lam in lams) - 1
    assert abs(sq.mean - wrong) / sq.stderr > 4


# --- renderers: exact strings ---------------------------------------------------------------

def test_latex_coefficients_and_third_derivatives_exact():
    from residual_expansion.render.expansion_output import term_latex

    e = expand(2, 4)
    by_tree = {str(t.tree): term_latex(e, t) for t in e.terms}
    assert by_tree["g2'''[g1, g1, g1]"] == (
        r"\tfrac{1}{6}\, \lambda_{1}^{3} \lambda_{2}\, g_2'''(x)\bigl[g_1(x), g_1(x), g_1(x)\bigr]")
    assert by_tree["g2''[g1, g1]"] == r"\tfrac{1}{2}\, \lambda_{1}^{2} \lambda_{2}\, g_2''(x)\bigl[g_1(x), g_1(x)\bigr]"
    e5 = expand(2, 5)
    fourth = [term_latex(e5, t) for t in e5.terms if str(t.tree) == "g2^(4)[g1, g1, g1, g1]"]
    assert fourth == [r"\tfrac{1}{24}\, \lambda_{1}^{4} \lambda_{2}\, g_2^{(4)}(x)\bigl[g_1(x), g_1(x), g_1(x), g_1(x)\bigr]"]


def test_tied_table_a_n_column_carries_sigma():
    from residual_expansion.render.expansion_output import tied_table

    rows = tied_table(expand(4, 3, tied=True)).rows
    assert rows == (
        ("[]", "1", "4", "1", "1", "4"),
        ("[[]]", "2", "6", "1", "2", "6"),
        ("[[],[]]", "3", "14", "2", "3", "7"),
        ("[[[]]]", "3", "4", "1", "6", "4"),
    )


# --- the sign radius keeps a margin against rounding ------------------------------------------

def test_sign_radius_regression_res3_relu_depth_2_seed_535():
    """The sign flipped exactly at the unhalved radius (pre-activation at rounding level);
    the certified radius keeps |z| >= |p_0|/2, so the forward pass keeps every sign on it."""
    import numpy as np

    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric.taylor import sign_radius, signs_unchanged

    s = make_stack("res3", 2, 6, activation_name="relu", seed=535)
    r = sign_radius(s)
    assert 0 < r < float("inf")
    assert signs_unchanged(s, np.linspace(0, r, 40)[1:])
    assert not signs_unchanged(s, [2.0001 * r])  # the exact root is at 2r: just past it a sign flips
