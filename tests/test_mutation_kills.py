"""Tests written to kill survivors of the mutation harness (tests/mutation/mutate.py, issue 16).

Each test names, in its docstring, the mutant it kills (module:line, the operator and the
change) and pins the behaviour the mutant changes: a formula against an independent
computation, a boundary on both sides, an error message, a field of the output. The mutation
report (docs/soundness.md) lists each survivor with the test that kills it, shown by
re-running the mutant with ``--confirm`` after the test was written.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from residual_expansion.errors import UsageError


# --- claims/base.py: the timing of a check ----------------------------------------------

def test_claim_seconds_is_the_wall_time_of_the_check():
    """Kills ``claims/base.py`` ``time.perf_counter() - start`` -> ``+ start`` or ``-> time.perf_counter()``:
    ``seconds`` (printed by ``verify --timings`` and in JSON) lies between 0 and the wall time
    measured around :meth:`Claim.run`, and grows with a check that sleeps."""
    from residual_expansion.claims.base import PASS, Claim, Outcome

    def check(depth, order, seed):
        time.sleep(0.05)
        return Outcome("sleep", "n=1", PASS)

    claim = Claim("T", "t", "h", "proofs/x.md", check)
    t0 = time.perf_counter()
    result = claim.run(1, 1, 0)
    wall = time.perf_counter() - t0
    assert 0.05 <= result.seconds <= wall


def test_claim_result_passed_reads_the_status():
    """Kills ``claims/base.py`` ``self.status == PASS`` -> ``!=`` / ``return True`` (ClaimResult.passed,
    part of the public API and of notebook tables)."""
    from residual_expansion.claims.base import FAIL, PASS, SKIP, ClaimResult

    def result(status):
        return ClaimResult("X", "m", "n=1", status, {}, 0.0)

    assert result(PASS).passed is True
    assert result(FAIL).passed is False
    assert result(SKIP).passed is False


# --- models/families.py: the bias law ---------------------------------------------------

@pytest.mark.parametrize("family", ["affine", "mlp"])
def test_biases_are_normal_with_standard_deviation_bias_scale(family):
    """Kills ``models/families.py`` ``BIAS_SCALE * rng.standard_normal(...)`` -> ``/``: the biases are
    N(0, BIAS_SCALE^2) (docstring of the module): over 2000 entries the sample standard
    deviation is within 4 standard errors of BIAS_SCALE and no entry exceeds 6 BIAS_SCALE."""
    from residual_expansion.models.families import BIAS_SCALE, make_stack

    stack = make_stack(family, depth=50, dim=20, seed=3)
    if family == "affine":
        b = np.concatenate([m.outer_bias if m.outer_bias is not None else m.inner_bias for m in stack.modules])
    else:
        b = np.concatenate([np.concatenate([m.inner_bias, m.outer_bias]) for m in stack.modules])
    b = np.asarray(b, dtype=float).ravel()
    assert b.size >= 1000
    sd = float(np.std(b))
    se = BIAS_SCALE / math.sqrt(2 * b.size)  # standard error of a normal sample's sd
    assert abs(sd - BIAS_SCALE) <= 4 * se, (sd, BIAS_SCALE, se)
    assert float(np.max(np.abs(b))) <= 6 * BIAS_SCALE


# --- paths/unraveling.py ----------------------------------------------------------------

def test_symbolic_unraveling_depth_limit_is_inclusive():
    """Kills ``paths/unraveling.py`` ``depth > SYMBOLIC_MAX_DEPTH`` -> ``>=``: the symbolic route
    accepts depth SYMBOLIC_MAX_DEPTH and refuses one more."""
    from residual_expansion.paths import unraveling as u

    u._check_depth(u.SYMBOLIC_MAX_DEPTH)
    with pytest.raises(UsageError, match="beyond the symbolic unraveling's limit"):
        u._check_depth(u.SYMBOLIC_MAX_DEPTH + 1)


def test_words_of_reads_powers_as_repeated_letters():
    """Kills ``paths/unraveling.py`` ``[index] * int(exp)`` -> ``[index]``: a power A_1^2 is the word (1, 1)."""
    import sympy

    from residual_expansion.paths.unraveling import symbols, words_of

    A, lam = symbols(2)
    words = words_of(sympy.expand(lam[0] ** 2 * A[0] ** 2 + 3 * A[1] * A[0] ** 3))
    assert words == {(1, 1): lam[0] ** 2, (2, 1, 1, 1): 3}


# --- scaling/montecarlo.py, scaling/schedules.py ------------------------------------------

@pytest.mark.parametrize("s", [0.0, -1.0, math.inf, math.nan])
def test_model_refuses_a_weight_scale_that_is_not_finite_and_positive(s):
    """Kills ``scaling/montecarlo.py`` ``math.isfinite(self.s) and self.s > 0`` with either clause dropped."""
    from residual_expansion.scaling.montecarlo import Model

    with pytest.raises(UsageError, match="weight scale"):
        Model("res3", s=s)
    assert Model("res3", s=0.5).s == 0.5


def test_parse_schedule_power_needs_a_value():
    """Kills ``scaling/schedules.py`` ``head == "power" and rest`` -> ``head == "power"``: ``power:`` is
    an unknown schedule (not "a value that is not a number"), and ``power:0.5`` is beta = 0.5."""
    from residual_expansion.scaling.schedules import parse_schedule

    with pytest.raises(UsageError, match="unknown schedule 'power:'"):
        parse_schedule("power:")
    with pytest.raises(UsageError, match="unknown schedule 'list:'"):
        parse_schedule("list:")
    assert parse_schedule("power:0.5").beta == 0.5


def test_schedule_is_power_only_for_a_power_law():
    """Kills ``scaling/schedules.py`` ``return self.beta is not None`` -> ``return True``."""
    from residual_expansion.scaling.schedules import explicit, power

    assert power(0.5).is_power is True
    assert explicit([0.1, 0.2]).is_power is False


# --- theorem/trees.py ---------------------------------------------------------------------

def test_is_chain_is_false_below_the_root_too():
    """Kills ``theorem/trees.py`` ``len(self.children) <= 1 and all(c.is_chain() ...)`` with the
    recursive clause dropped, and ``return True``: a chain whose child branches is no chain."""
    from residual_expansion.theorem.trees import LabeledTree as T

    assert T(3, (T(2, (T(1),)),)).is_chain()
    assert not T(3, (T(2), T(1))).is_chain()
    assert not T(4, (T(3, (T(2), T(1))),)).is_chain()


def test_claim_result_json_rounds_seconds_to_milliseconds():
    """Kills ``claims/base.py`` ``round(self.seconds, 3)`` -> ``round(self.seconds, 4)`` (verify JSON)."""
    from residual_expansion.claims.base import PASS, ClaimResult

    assert ClaimResult("X", "m", "n=1", PASS, {}, 0.123456).to_dict()["seconds"] == 0.123


# --- claims/scaling_claims.py -------------------------------------------------------------

def test_scaling_within_has_a_relative_rounding_allowance():
    """Kills ``claims/scaling_claims.py`` ``ROUNDING * max(1.0, abs(predicted))`` -> ``ROUNDING``: with
    no sampling error the allowance is ROUNDING relative to the prediction (1e-10 of 1e12 is 100)."""
    from residual_expansion.claims import scaling_claims as sc

    good, tol = sc._within(1e12 + 50.0, 0.0, 1e12)
    assert good and tol == pytest.approx(sc.ROUNDING * 1e12)
    assert not sc._within(1e12 + 150.0, 0.0, 1e12)[0]
    assert sc._within(0.5 + 1e-11, 0.0, 0.5)[0] and not sc._within(0.5 + 2e-10, 0.0, 0.5)[0]


def test_scaling_claims_depth_limit_is_inclusive():
    """Kills ``claims/scaling_claims.py`` ``depth > MAX_DEPTH`` -> ``>=``."""
    from residual_expansion.claims import scaling_claims as sc

    assert sc._too_deep(sc.MAX_DEPTH, "m") is None
    skip = sc._too_deep(sc.MAX_DEPTH + 1, "m")
    assert skip is not None and skip.status == "SKIP"


def test_scale_spectrum_largest_z_is_the_largest_standardised_deviation(monkeypatch):
    """Kills ``claims/scaling_claims.py`` ``abs(st.mean - p) / st.stderr`` -> ``* st.stderr``: with a
    Monte Carlo replaced by measurements exactly 2.5 (order k) standard errors of 0.01 from each
    prediction, the reported largest |z| is 2.5 and every order passes (z <= 4)."""
    from types import SimpleNamespace

    from residual_expansion.claims import scaling_claims as sc
    from residual_expansion.scaling import predictions as scaling

    depth = 6
    kmax = min(depth, 10)

    def fake_simulate(model, init, scheds, L, samples, seed, route, orders):
        runs = []
        for sch in scheds:
            full = [float(v) for v in scaling.linear_energy_spectrum(sch.scales(L), 1.0, L)]
            preds = full[: kmax + 1] + [sum(full[kmax + 1:])]
            runs.append(SimpleNamespace(orders=[SimpleNamespace(mean=p + 0.025, stderr=0.01) for p in preds]))
        return runs

    monkeypatch.setattr(sc, "simulate", fake_simulate)
    out = sc.check_spectrum(depth, 0)
    assert out.status == "PASS", out.evidence
    assert out.evidence["sqrt_largest_abs_z"] == pytest.approx(2.5)
    assert out.evidence["ramp_largest_abs_z"] == pytest.approx(2.5)


# --- claims/numeric_claims.py ---------------------------------------------------------------

def test_num_linear_depth_limit_is_inclusive():
    """Kills ``claims/numeric_claims.py`` ``depth > MAX_PATH_DEPTH`` -> ``>=``: NUM-LINEAR runs (and
    passes) at depth MAX_PATH_DEPTH = 24 and is skipped beyond."""
    from residual_expansion.claims.numeric_claims import check_linear
    from residual_expansion.numeric.crosscheck import MAX_PATH_DEPTH

    assert check_linear(MAX_PATH_DEPTH, 3, 0).status == "PASS"
    assert check_linear(MAX_PATH_DEPTH + 1, 3, 0).status == "SKIP"


# --- claims/expansion_claims.py ---------------------------------------------------------------

def test_rex2_counts_the_second_order_form_as_n_n_plus_1_over_2():
    """Kills ``claims/expansion_claims.py`` ``depth * (depth + 1) // 2`` -> ``depth * depth // 2``: the
    second-order form has n + n(n-1)/2 = n(n+1)/2 terms (counted here from the form itself at
    n = 7), and the SKIP reason just past REX2_MAX_DEPTH names that count."""
    from residual_expansion.claims import expansion_claims as ec

    assert ec.check_rex2(7, 2, 0).evidence["terms"] == len(ec.dherin_munn_terms(7)) == 7 * 8 // 2
    n = ec.REX2_MAX_DEPTH + 1
    out = ec.check_rex2(n, 2, 0)
    assert out.status == "SKIP" and f"has {n * (n + 1) // 2} terms at depth {n}" in out.evidence["reason"]


def test_count_names_lowered_orders_only_when_lowered():
    """Kills ``claims/expansion_claims.py`` ``k_max < order`` -> ``<=``: the ``orders`` note appears
    only when the budget lowered the order."""
    from residual_expansion.claims import expansion_claims as ec

    assert "orders" not in ec.check_count(4, 2, 0).evidence
    assert ec.check_count(30, 5, 0).evidence["orders"].startswith("1..2 ")


# --- scaling/sweep.py ---------------------------------------------------------------------------

@pytest.mark.parametrize("depth, orders, expected", [
    (2, 4, (1.0, 1.0, 0.25, 0.0, 0.0, 0.0)),          # e_k of (1/2, 1/2), orders 0..4, tail
    (3, 4, (1.0, 1.0, 1 / 3, 1 / 27, 0.0, 0.0)),      # e_k of (1/3, 1/3, 1/3)
    (4, 2, (1.0, 1.0, 6 / 16, 4 / 64 + 1 / 256)),     # e_k of (1/4, ...): orders 0..2, tail e_3 + e_4
])
def test_per_order_predictions_pad_orders_beyond_the_depth_with_zeros(depth, orders, expected):
    """Kills ``scaling/sweep.py`` ``np.zeros(max(0, orders + 1 - len(full)))`` mutants (``orders + 1`` ->
    ``orders``, ``0`` -> ``1``, ``- len(full)`` -> ``+ len(full)``): the linear per-order energies
    at lambda = L^(-1/2), s = 1 are the elementary symmetric polynomials e_k(lambda_i^2) (orders
    0..K), zero beyond the depth, then the tail: K + 2 numbers."""
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling.montecarlo import Model
    from residual_expansion.scaling.schedules import power
    from residual_expansion.scaling.sweep import run_sweep

    sweep = run_sweep(Model("linear", dim=4, input_dim=4), Init("iid-uniform"), [power(0.5)], [depth], 4, 0,
                      orders=orders)
    got = sweep.rows[0].predicted_orders
    assert len(got) == orders + 2
    assert got == pytest.approx(expected, abs=1e-15)


def test_sweep_z_score_is_measured_minus_predicted_over_stderr():
    """Kills ``scaling/sweep.py`` ``(sq.mean - pred) / sq.stderr`` -> ``(sq.mean + pred) / ...``; the sign
    says which side of the prediction the measurement lies."""
    from types import SimpleNamespace

    from residual_expansion.scaling.sweep import SweepRow

    run = SimpleNamespace(sq_ratio=SimpleNamespace(mean=3.0, stderr=0.5))
    row = SweepRow(run, SimpleNamespace(minus_one=2.0), None, None)
    assert row.z_score == pytest.approx(2.0)
    low = SweepRow(SimpleNamespace(sq_ratio=SimpleNamespace(mean=1.0, stderr=0.5)), SimpleNamespace(minus_one=2.0),
                   None, None)
    assert low.z_score == pytest.approx(-2.0)
    none = SweepRow(SimpleNamespace(sq_ratio=SimpleNamespace(mean=1.0, stderr=0.0)), SimpleNamespace(minus_one=2.0),
                    None, None)
    assert none.z_score is None


# --- theorem/instances.py -------------------------------------------------------------------------

@pytest.mark.parametrize("dim, degree", [(2, 3), (3, 2), (1, 4)])
def test_random_polymap_has_every_monomial_up_to_its_degree(dim, degree):
    """Kills ``theorem/instances.py`` ``range(degree + 1)`` -> ``range(degree - 1)``: each component has
    all C(dim + degree, dim) monomials of total degree <= degree, each with a nonzero coefficient
    in [-9, 9], so every derivative up to ``degree`` is generically nonzero."""
    import itertools
    import random

    from residual_expansion.theorem.instances import random_polymap

    g = random_polymap(random.Random(5), dim, degree)
    want = {e for e in itertools.product(range(degree + 1), repeat=dim) if sum(e) <= degree}
    assert len(want) == math.comb(dim + degree, dim)
    for comp in g.components:
        assert set(comp) == want
        assert all(c != 0 and -9 <= c <= 9 for c in comp.values())


# --- numeric/crosscheck.py, numeric/taylor.py ---------------------------------------------------------

def test_piecewise_linear_window_stops_at_half_the_sign_radius():
    """Kills ``numeric/crosscheck.py`` ``cap = 0.5 * radius`` -> ``cap = 0.5``: for a ReLU stack the
    automatic window ends at half the certified sign radius (here the cap is what binds)."""
    from residual_expansion.numeric.crosscheck import crosscheck

    for seed in (0, 2):
        c = crosscheck(2, 2, "mlp", activation="relu", dim=4, seed=seed)
        assert c.radius is not None and 0 < c.radius < 1
        assert c.fit.window.hi == 0.5 * c.radius
        assert c.passed


def test_remainder_curves_have_one_row_per_order():
    """Kills ``numeric/crosscheck.py`` ``range(1, order + 1)`` -> ``range(1, order + 1 - 1)`` in
    remainder_curves: the plotted R_k curves are k = 1..K, and R_K is the fitted remainder."""
    from residual_expansion.numeric.crosscheck import crosscheck

    c = crosscheck(3, 3, "mlp", activation="tanh", dim=4, seed=0, curves=True)
    lams, rows = c.curves
    assert len(rows) == 3 and all(len(r) == len(lams) for r in rows)
    # R_k decreases with k at the smallest lambda (each order removes a term of size lambda^k)
    assert rows[0][0] > rows[1][0] > rows[2][0]


def test_exactness_never_passes_a_non_finite_remainder(monkeypatch):
    """Kills ``numeric/crosscheck.py`` ``np.isfinite(r) and r <= t`` -> ``r <= t``: an overflowed
    forward pass (R = inf) with an overflowed bound (inf) is no pass."""
    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric import crosscheck as cc

    stack = make_stack("linear", 3, 4, seed=0)
    assert cc.check_exactness(stack, (0.5, 1.0)).passed
    monkeypatch.setattr(cc, "remainder", lambda *a, **k: math.inf)
    monkeypatch.setattr(cc, "rounding_bound", lambda *a, **k: math.inf)
    assert not cc.check_exactness(stack, (0.5, 1.0)).passed


@pytest.mark.parametrize("order", [1, 2, 3])
def test_asymptotic_window_upper_end_is_the_ratio_formula(order):
    """Kills ``numeric/taylor.py`` ``(lead / a[order + 1 + j]) ** (1 / j)`` -> ``lead ** (1 / j)``: the
    upper end is hi = ASYMPTOTIC_RATIO min_j (a_{K+1} / a_{K+1+j})^(1/j), j = 1, 2, 3, with
    a_k = max |T_k| (docs/numeric.md), recomputed here from the Taylor coefficients."""
    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric import taylor as tx

    stack = make_stack("mlp", 4, 5, activation_name="tanh", seed=1)
    T = tx.taylor_coefficients(stack, order + 4)
    a = np.max(np.abs(T), axis=1)
    hi = tx.ASYMPTOTIC_RATIO * min((a[order + 1] / a[order + 1 + j]) ** (1.0 / j) for j in (1, 2, 3))
    w = tx.asymptotic_window(stack, order)
    assert w.hi == pytest.approx(hi, rel=1e-12)
    assert tx.asymptotic_window(stack, order, cap=hi / 2).hi == pytest.approx(hi / 2, rel=1e-12)


def test_condition_of_a_vanishing_coefficient_is_one():
    """Kills ``numeric/crosscheck.py`` ``value > 0`` -> ``value >= 0`` in the condition numbers: past the
    depth of a linear stack T_k and its magnitude are exactly 0 (no terms), reported as condition
    1.0 (the mutant divides 0.0 by 0.0 and crashes)."""
    from residual_expansion.numeric.crosscheck import crosscheck

    c = crosscheck(2, 3, "linear", dim=3)
    assert c.passed and c.coefficients.condition[2] == 1.0
    assert all(1.0 <= x < 100 for x in c.coefficients.condition[:2])


# --- paths/architectures.py, claims/path_claims.py ------------------------------------------------

def test_several_inputs_message_lists_five_and_an_ellipsis():
    """Kills ``paths/architectures.py`` ``... + (", ..." if len(ends) > 5 else "")`` -> without the
    ellipsis: the error names the first five inputs and says there are more."""
    from residual_expansion.paths.architectures import architecture_from_dict

    sources = [f"s{i}" for i in range(7)]
    data = {"nodes": [{"id": s, "kind": "junction"} for s in sources] + [{"id": "f", "kind": "module"},
                                                                          {"id": "y", "kind": "junction"}],
            "edges": [[s, "f"] for s in sources] + [["f", "y"]]}
    with pytest.raises(UsageError) as err:
        architecture_from_dict(data)
    assert "('s0', 's1', 's2', 's3', 's4', ...)" in str(err.value)
    few = {"nodes": data["nodes"][:2] + data["nodes"][-2:], "edges": [["s0", "f"], ["s1", "f"], ["f", "y"]]}
    with pytest.raises(UsageError) as err:
        architecture_from_dict(few)
    assert "('s0', 's1')" in str(err.value)


def test_paths_fail_names_the_first_differing_coefficient_even_the_last():
    """Kills ``claims/path_claims.py`` ``range(max(len(a), len(b)))`` -> ``... - 1``: a polynomial wrong
    only in its top coefficient FAILs and the evidence names that coefficient."""
    from residual_expansion.claims.path_claims import _first_difference, check_paths
    from residual_expansion.paths.polynomial import path_polynomial

    def top_wrong(arch):
        p = list(path_polynomial(arch))
        p[-1] += 1
        return tuple(p)

    out = check_paths(3, 0, polynomial=top_wrong)
    assert out.status == "FAIL"
    assert out.evidence["first_mismatch"] == "plain vs binomial at t^3: 2 vs 1"
    assert _first_difference((1, 2), (1, 2, 5)) == "t^2: 0 vs 5"
    assert _first_difference((1, 2), (1, 2)) == ""


# --- second run (first pass on main a469ee6): survivors ------------------------------------------

def test_scale_spectrum_names_a_failing_tail_as_tail(monkeypatch):
    """Kills ``claims/scaling_claims.py`` ``"tail" if k == kmax + 1 else k`` -> ``kmax - 1``: a tail
    measured 10 standard errors off FAILs and is named ``tail`` (order kmax - 1 is not)."""
    from types import SimpleNamespace

    from residual_expansion.claims import scaling_claims as sc
    from residual_expansion.scaling import predictions as scaling

    depth, kmax = 6, 6

    def fake_simulate(model, init, scheds, L, samples, seed, route, orders):
        runs = []
        for sch in scheds:
            full = [float(v) for v in scaling.linear_energy_spectrum(sch.scales(L), 1.0, L)]
            preds = full[: kmax + 1] + [sum(full[kmax + 1:])]
            stats = [SimpleNamespace(mean=p, stderr=0.01) for p in preds]
            stats[-1] = SimpleNamespace(mean=preds[-1] + 0.1, stderr=0.01)
            runs.append(SimpleNamespace(orders=stats))
        return runs

    monkeypatch.setattr(sc, "simulate", fake_simulate)
    out = sc.check_spectrum(depth, 0)
    assert out.status == "FAIL"
    assert out.evidence["sqrt_failed_orders"] == "tail" and out.evidence["ramp_failed_orders"] == "tail"


def test_remainder_curves_span_a_thirtieth_of_the_window_to_four_times_it():
    """Kills ``numeric/crosscheck.py`` ``window.lo / 30`` -> ``window.lo * 30`` in remainder_curves."""
    from residual_expansion.numeric.crosscheck import crosscheck

    c = crosscheck(3, 2, "mlp", activation="tanh", dim=4, seed=0, curves=True)
    lams, _ = c.curves
    assert lams[0] == pytest.approx(c.fit.window.lo / 30, rel=1e-12)
    assert lams[-1] == pytest.approx(c.fit.window.hi * 4, rel=1e-12)


@pytest.mark.parametrize("la, lb", [(17, 17), (20, 33), (40, 18)])
def test_poly_mul_kronecker_route_equals_the_convolution(la, lb):
    """Kills ``paths/polynomial.py`` ``width * (len(a) + len(b) - 1)`` -> ``len(a) - len(b)`` (the
    Kronecker route, both factors longer than 16): the product equals the schoolbook convolution."""
    import random

    from residual_expansion.paths.polynomial import poly_mul

    rng = random.Random(la * 100 + lb)
    a = tuple(rng.randint(1, 10**12) for _ in range(la))
    b = tuple(rng.randint(1, 10**30) for _ in range(lb))
    want = [0] * (la + lb - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            want[i + j] += x * y
    assert poly_mul(a, b) == tuple(want)


def test_progress_units_of_a_gradient_sweep_count_two_passes_per_layer():
    """Kills ``scaling/sweep.py`` ``2 * L * ...`` -> ``2 / L * ...``: with gradients the progress total
    is twice the layers times the chunks (a forward and a backward pass)."""
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling import gradients as grad
    from residual_expansion.scaling.montecarlo import Model
    from residual_expansion.scaling.sweep import total_layers

    model, init = Model("res3", dim=4, input_dim=4), Init("iid-uniform")
    depths, samples = (5, 12), 30
    want = sum(2 * L * -(-samples // grad.chunk_size(model, init, L, samples, 1)) for L in depths)
    assert total_layers(depths, samples, model, init, "auto", None, gradients="loss") == want
    assert want >= 2 * sum(depths)


@pytest.mark.parametrize("degree, shapes", [(1, ["[]", "[[]]", "[[[]]]"]), (2, ["[]", "[[]]", "[[],[]]", "[[[]]]"])])
def test_tied_expansion_keeps_the_shapes_a_degree_allows(degree, shapes):
    """Kills ``theorem/expansion.py`` ``[len(tree.children)] + [...]`` -> ``-`` in _max_children: the
    weight-tied expansion of modules of polynomial degree d keeps the shapes whose nodes have at
    most d children."""
    from residual_expansion.theorem.expansion import expand

    e = expand(5, 3, tied=True, degree=degree)
    assert sorted(str(t.tree) for t in e.terms) == sorted(shapes)


def test_snake_key_prefixes_a_key_that_does_not_start_with_a_letter():
    """Kills ``claims/base.py`` ``"k_" + key`` -> ``"k_" - key``."""
    from residual_expansion.claims.base import Outcome, snake_key

    assert snake_key("2nd order") == "k_2nd_order"
    assert snake_key("0.5") == "k_0_5"
    assert dict(Outcome("m", "n=1", "PASS", {"1 layer": 1}).evidence) == {"k_1_layer": 1}


def test_num_coef_error_over_tolerance_is_their_ratio():
    """Kills ``claims/numeric_claims.py`` ``worst / cmp.tolerance`` -> ``worst * cmp.tolerance``."""
    from residual_expansion.claims.numeric_claims import check_coefficients

    ev = check_coefficients(3, 2, 0).evidence
    assert ev["error_over_tolerance"] == pytest.approx(ev["largest_relative_error"] / ev["tolerance"], rel=1e-12)
    assert 0 <= ev["error_over_tolerance"] <= 1


@pytest.mark.parametrize("family, depth, order", [("linear", 4, None), ("linear", 5, 2), ("mlp", 5, 2)])
def test_enumeration_tolerance_counts_the_largest_order(family, depth, order):
    """Kills ``numeric/path_sums.py`` ``range(1, K + 1)`` -> ``range(1, K - 1)`` in the all-paths
    tolerance: per_order is the largest number of chain terms of one order up to K, max_{k <= K} C(n, k)
    (the N of rounding_length, proofs/numeric.md), and the reported worst ratio is recomputed here
    with it. At K = n the largest binomial sits at k = n/2 <= K - 2 and hides the mutant; at
    K = 2 < n = 5 the mutant's N is 1 instead of C(5, 2) = 10. Also kills ``dp_rounding_length``'s
    ``2 * stack.depth`` -> ``2``: both rounding lengths are written out here from proofs/numeric.md."""
    from math import comb

    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric.path_sums import check_enumeration, dp_rounding_length, stack_path_sums
    from residual_expansion.numeric.taylor import chain_terms, closed_form, gamma, rounding_length

    stack = make_stack(family, depth, 3, seed=2)
    sums = stack_path_sums(stack, order=order)
    check = check_enumeration(stack, sums, 0)
    K = sums.coefficients.shape[0] - 1
    assert K == (depth if order is None else order)
    cf = closed_form(stack, tuple(chain_terms(depth)), K)
    per_order = max(comb(depth, k) for k in range(1, K + 1))
    d, h = stack.dim, stack.width
    # proofs/numeric.md: L = 2n + K (d + h + 2) for the path sums, n + K (max(d, h) + 2K + 4) + N for the trees
    length = (2 * depth + K * (d + h + 2)) + (depth + K * (max(d, h) + 2 * K + 4) + per_order)
    assert dp_rounding_length(stack, K) + rounding_length(stack, K, per_order) == length
    tol = 2 * gamma(length)
    worst = 0.0
    for k in range(1, K + 1):
        dev = float(np.max(np.abs(cf.coefficients[k] - sums.coefficients[k])))
        scale = float(np.max(np.maximum(cf.magnitudes[k], sums.magnitudes[k])))
        worst = max(worst, dev / (tol * scale) if scale > 0 else 0.0)
    assert check.mode == "all" and check.passed and check.paths == 2 ** depth - 1
    assert check.worst > 0  # a rounding-size deviation: the ratio depends on the tolerance
    assert check.worst == pytest.approx(worst, rel=1e-9, abs=1e-300)


def test_order_checks_z_is_measured_minus_predicted_over_stderr():
    """Kills ``scaling/checks.py`` ``(st.mean - pred) / st.stderr`` -> ``(st.mean + pred) / ...``: per-order
    checks (1000 samples or more) carry the signed z of each order."""
    from types import SimpleNamespace

    from residual_expansion.scaling.checks import MIN_ORDER_SAMPLES, prediction_checks

    sched = SimpleNamespace(label="sqrt")
    run = SimpleNamespace(schedule=sched, depth=4, sq_ratio=None,
                          orders=[SimpleNamespace(mean=1.2, stderr=0.1), SimpleNamespace(mean=0.5, stderr=0.05)])
    row = SimpleNamespace(run=run, z_score=None, predicted_orders=(1.0, 0.6), predicted_sq_ratio=None)
    sweep = SimpleNamespace(rows=[row], samples=MIN_ORDER_SAMPLES, fits=(), grad_fits=())
    orders = [c for c in prediction_checks(sweep) if c.kind == "order"]
    assert [round(c.z, 12) for c in orders] == [2.0, -2.0]
    assert [c.passed for c in orders] == [True, True]


@pytest.mark.parametrize("ident, ok", [("GOOD", True), ("good", False), (" GOOD", False), ("A,B", False),
                                       ("A B", False), ("", False)])
def test_plugin_claim_ids_are_upper_case_without_spaces_or_commas(ident, ok):
    """Kills ``claims/plugins.py`` ``c.id != c.id.strip().upper()`` -> ``==`` (and the other clauses)."""
    from residual_expansion.claims.base import PASS, Claim, Outcome
    from residual_expansion.claims.plugins import _claims_of

    claim = Claim(ident, "s", "h", "proofs/x.md", lambda n, k, s: Outcome("m", "n=1", PASS))
    if ok:
        assert _claims_of(claim, "plugin x") == (claim,)
    else:
        with pytest.raises(UsageError, match="must be upper case without spaces or commas"):
            _claims_of(claim, "plugin x")


def test_complexity_evidence_is_labeled_by_model():
    """Kills ``claims/normalization_claims.py`` ``"linear" if model.kind == "linear"`` -> ``!=``: the
    predictions under each label are that model's: (1 + 1/n)^n for linear, (1 + 1/(2n))^n for
    res-3/ReLU (kappa = 1/2), at lambda = n^(-1/2)."""
    from residual_expansion.claims.normalization_claims import check_complexity

    n = 3
    ev = check_complexity(n, 0).evidence
    assert ev["linear_jacobian_sq_norm_over_d_predicted"] == pytest.approx((1 + 1 / n) ** n, rel=1e-12)
    assert ev["res3_relu_jacobian_sq_norm_over_d_predicted"] == pytest.approx((1 + 0.5 / n) ** n, rel=1e-12)


def test_exactness_over_given_chain_terms_passes_and_agrees_with_the_path_sums():
    """Kills ``numeric/crosscheck.py`` ``[...] + [1]`` -> ``- [1]`` in check_exactness's ``terms`` route
    (the tree evaluator over the 2^n - 1 chain terms instead of the path sums): on a linear stack
    both routes pass, count the same paths and give residuals of the same rounding size."""
    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric.crosscheck import check_exactness
    from residual_expansion.numeric.taylor import chain_terms

    stack = make_stack("linear", 4, 3, seed=1)
    by_terms = check_exactness(stack, (0.5, 1.0), terms=chain_terms(4))
    by_sums = check_exactness(stack, (0.5, 1.0))
    assert by_terms.passed and by_sums.passed
    assert by_terms.paths == by_sums.paths == 2 ** 4 - 1
    assert all(r <= t for r, t in zip(by_terms.residuals, by_terms.tolerances))


# --- third run (98b8c1b) -----------------------------------------------------------------------------

def test_growth_exponent_is_the_log_ratio_over_the_log_depth_ratio():
    """Kills ``scaling/hurst.py`` ``math.log(b.mean) - math.log(a.mean)`` -> ``+``: g = log(m2/m1) / (2 log(L2/L1))."""
    from types import SimpleNamespace

    from residual_expansion.scaling.hurst import growth_exponents

    a, b = SimpleNamespace(mean=2.0, stderr=0.1), SimpleNamespace(mean=8.0, stderr=0.4)
    g, se = growth_exponents([a], [b], 10, 100)
    assert g[0] == pytest.approx(math.log(4.0) / (2 * math.log(10.0)), rel=1e-12)
    assert se[0] == pytest.approx(math.hypot(0.05, 0.05) / (2 * math.log(10.0)), rel=1e-12)


def test_gaussian_radial_chunk_follows_the_layer_budget():
    """Kills ``scaling/montecarlo.py`` ``8 * 4 * LAYER_BLOCK * 8`` -> ``8 * 4 / LAYER_BLOCK * 8``: on the
    Gaussian-radial route a chunk holds LAYER_BUDGET // (8 * 4 * LAYER_BLOCK * 8) samples (four float64
    noise arrays of LAYER_BLOCK layers, up to 8 schedules), at most ``samples``."""
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling import montecarlo as mc

    per = mc.LAYER_BUDGET // (8 * 4 * mc.LAYER_BLOCK * 8)
    model = mc.Model("res3", dim=4, input_dim=4)
    assert mc.chunk_size(model, Init("iid-gaussian"), 10, 10**9, "gaussian-radial") == max(1, per)
    assert mc.chunk_size(model, Init("iid-gaussian"), 10, 3, "gaussian-radial") == min(3, max(1, per))


@pytest.mark.parametrize("lambda_range", [(0.5, 0.1), (-0.1, 0.1), (0.0, 0.1), (math.nan, 1.0), (0.1, math.inf)])
def test_crosscheck_refuses_a_lambda_range_that_is_not_0_lt_lo_lt_hi(lambda_range):
    """Kills ``numeric/crosscheck.py`` ``np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi`` with a
    clause dropped (the library's own check, behind the CLI's limits)."""
    from residual_expansion.numeric.crosscheck import crosscheck

    with pytest.raises(UsageError, match="lambda_range must satisfy 0 < lo < hi"):
        crosscheck(3, 2, "mlp", activation="tanh", dim=3, lambda_range=lambda_range)


def test_linear_integer_route_compares_the_top_order_of_the_path_words():
    """Kills ``claims/path_claims.py`` ``range(k_words + 1)`` -> ``range(k_words)``: path words listed
    wrong only at their highest order FAIL against the graded product."""
    from residual_expansion.claims.path_claims import check_linear_integer
    from residual_expansion.paths import unraveling as linear

    assert check_linear_integer(12, 3, 0).status == "PASS"

    def words_wrong(matrices, scales, k):
        E = list(linear.enumerated_word_sums(matrices, scales, k))
        E[k] = E[k - 1]  # the top order's words replaced by the order below
        return E

    assert check_linear_integer(12, 3, 0, enumerated=words_wrong).status == "FAIL"


# --- fourth run (8ceb3a3) ------------------------------------------------------------------------------

def test_plugin_entry_point_may_give_a_plain_sequence_of_claims():
    """Kills ``claims/plugins.py`` ``callable(obj) and not isinstance(obj, Claim)`` -> ``not isinstance(obj, Claim)``:
    an entry point whose object is a tuple of Claims (not callable; the module docstring allows "a
    Claim, a sequence of Claims, or a callable returning either") registers those claims as they are;
    the mutant calls the tuple and refuses the plugin. A non-callable non-sequence is refused as such."""
    from residual_expansion.claims.base import PASS, Claim, Outcome
    from residual_expansion.claims.plugins import plugin_claims
    from tests.test_plugins import _EP as EP  # the stand-in entry point of the plugin tests

    claims = tuple(Claim(c, "s", "h", "proofs/x.md", lambda n, k, s: Outcome("m", "n=1", PASS)) for c in ("P1", "P2"))
    got = plugin_claims([EP("p", claims)])
    assert [(r.claim, r.source) for r in got] == [(claims[0], "fake_pkg"), (claims[1], "fake_pkg")]
    with pytest.raises(UsageError, match=r"gave a int; expected a Claim, Claims, or a callable"):
        plugin_claims([EP("p", 42)])


def test_linear_integer_route_compares_the_top_order_of_the_closed_form():
    """Kills ``claims/path_claims.py`` ``range(k_cf + 1)`` -> ``range(k_cf)`` (and ``k_cf - 1``, a range
    off by one): a closed form wrong only at its highest order FAILs against the graded product, with
    the order named; the unchanged closed form PASSes (depth 12, order 3: both routes reach order 3)."""
    from residual_expansion.claims.path_claims import check_linear_integer
    from residual_expansion.paths import unraveling as linear

    good = check_linear_integer(12, 3, 0)
    assert good.status == "PASS" and good.evidence["orders_compared_with_closed_form"] == 3

    def closed_form_wrong(matrices, scales, k):
        C, vanishing = linear.closed_form_sums(matrices, scales, k)
        C = list(C)
        C[k] = C[k - 1]  # the top order replaced by the order below
        return C, vanishing

    bad = check_linear_integer(12, 3, 0, closed_form=closed_form_wrong)
    assert bad.status == "FAIL" and "order 3: closed form != product" in str(bad.evidence)


@pytest.mark.parametrize("depth, order", [(5, 3), (12, 3)])
def test_linear_integer_route_counts_the_path_words_it_lists(depth, order):
    """Kills ``claims/path_claims.py`` ``_words_up_to``: ``range(k + 1)`` -> ``range(k - 1)``: the evidence's
    ``path_words_listed`` is the number of path words of orders 0..K_w, sum_j C(n, j) (a path word is a
    decreasing sequence of layers 1..n, one per subset of size k: the LINEAR claim's statement in
    path_claims.py), e.g. 1 + 12 + 66 + 220 = 299 at n = 12, K_w = 3; the mutant reports C(n, 0) + C(n, 1)."""
    from math import comb

    from residual_expansion.claims.path_claims import check_linear_integer

    ev = check_linear_integer(depth, order, 0).evidence
    k = ev["orders_compared_with_path_words"]
    assert k == min(depth, order)
    assert ev["path_words_listed"] == sum(comb(depth, j) for j in range(k + 1))
    if depth == 12:
        assert ev["path_words_listed"] == 299


def test_scale_energy_predicts_the_documented_ramp():
    """Kills ``claims/scaling_claims.py`` ``(0.5 + i / (depth - 1))`` -> ``(0.5 + i * (depth - 1))`` (the
    ramp schedule; the measured and predicted energies move together, so verify passes): SCALE-ENERGY's
    evidence ``ramp_predicted`` is prod_i (1 + lambda_i^2) (linear modules, s = 1: proofs/scaling.md, Theorem 1)
    for the ramp of the claim's statement, lambda_i = (1/2 + (i-1)/(n-1)) / sqrt(n), computed here in
    exact fractions (n = 5: 2.66770546875); ``sqrt_predicted`` is (1 + 1/n)^n."""
    from fractions import Fraction

    from residual_expansion.claims.scaling_claims import check_energy

    n = 5
    ramp = [(Fraction(1, 2) + Fraction(i - 1, n - 1)) ** 2 / n for i in range(1, n + 1)]
    expected = math.prod(1 + lam2 for lam2 in ramp)
    assert expected == Fraction(266770546875, 10**11)
    ev = check_energy(n, 0).evidence
    assert ev["ramp_predicted"] == pytest.approx(float(expected), rel=1e-12)
    assert ev["sqrt_predicted"] == pytest.approx(float((1 + Fraction(1, n)) ** n), rel=1e-12)


@pytest.mark.parametrize("kind, activation, s, gamma", [
    ("linear", "relu", 2.0, 4.0), ("res1", "identity", 2.0, 4.0), ("res3", "relu", 2.0, 8.0),
    ("res3", "identity", 0.5, 0.0625)])
def test_sde_gamma_at_a_weight_scale_not_one(kind, activation, s, gamma):
    """Kills ``scaling/limits.py`` ``act.kappa * s2 * s2`` -> ``act.kappa / s2 * s2`` (invisible at s = 1, the
    doctest's scale): gamma = s^2 (linear, res-1/identity) or kappa s^4 (res-3; kappa = 1/2 for ReLU,
    1 for identity), proofs/limits.md; the limit law's mean and variance are (d - 2) gamma T / d and
    4 gamma T / d."""
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling.limits import sde_gamma, sde_limit_for
    from residual_expansion.scaling.montecarlo import Model
    from residual_expansion.scaling.schedules import power

    model = Model(kind, activation, dim=10, input_dim=10, s=s)
    assert sde_gamma(model) == pytest.approx(gamma, rel=1e-15)
    law = sde_limit_for(model, Init("iid-gaussian"), power(0.5), 100)
    assert law.mean == pytest.approx(8 * gamma / 10, rel=1e-15)
    assert law.var == pytest.approx(4 * gamma / 10, rel=1e-15)


@pytest.mark.parametrize("kind, matrices", [("linear", 1), ("res3", 2)])
def test_gradient_chunk_follows_the_256_mib_budget(kind, matrices):
    """Kills ``scaling/gradients.py`` ``GRAD_BUDGET = 256 * 2**20`` -> ``256 / 2**20`` (every chunk one
    sample: the numbers are the same, per-sample streams, but the progress units of a gradient sweep,
    2 L per chunk, and the time change): a chunk holds the stored pre-activations and weights of as many
    samples as fit in 256 MiB (chunk_size's docstring), 8 L (m d + matrices d^2) bytes each, at most
    ``samples`` and at least one."""
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling import gradients as grad
    from residual_expansion.scaling.montecarlo import Model

    model = Model(kind, "relu", dim=20, input_dim=20)
    depth, m = 50, 3
    per_sample = 8 * depth * (m * 20 + matrices * 20 * 20)
    fits = 256 * 2**20 // per_sample
    assert fits > 1
    assert grad.chunk_size(model, Init("iid-gaussian"), depth, 10**9, m) == fits
    assert grad.chunk_size(model, Init("iid-gaussian"), depth, 7, m) == min(7, fits)
    huge = Model(kind, "relu", dim=4000, input_dim=20)
    assert grad.chunk_size(huge, Init("iid-gaussian"), 1000, 10**9, m) == 1


def test_monte_carlo_chunks_follow_the_32_and_256_mib_budgets():
    """Kills ``scaling/montecarlo.py`` ``LAYER_BUDGET = 32 * 2**20`` -> ``32 * 2 * 20`` (one sample per chunk:
    the same numbers, every sample has its own stream, but memory and time far from the documented
    bound): chunk_size's docstring, one layer's weights under 32 MiB (materialised: 8 d^2 bytes per
    matrix; Gaussian-vector: four float64 vectors), correlated weight paths under 256 MiB (8 d^2 bytes per
    matrix, L layers, two copies)."""
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling import montecarlo as mc

    mib = 2**20
    model = mc.Model("res3", dim=40, input_dim=40)
    iid = Init("iid-uniform")
    assert mc.chunk_size(model, iid, 10, 10**9, "materialised") == 32 * mib // (8 * 40 * 40 * 2)
    assert mc.chunk_size(model, Init("iid-gaussian"), 10, 10**9, "gaussian-vector") == 32 * mib // (8 * 40 * 4)
    assert mc.chunk_size(model, iid, 10, 3, "materialised") == 3
    corr = Init("smooth")
    assert not corr.iid
    assert mc.chunk_size(model, corr, 10, 10**9, "materialised") == 256 * mib // (8 * 40 * 40 * 2 * 10 * 2)


@pytest.mark.parametrize("kind", ["iid-uniform", "iid-gaussian"])
def test_draw_iid_draws_the_named_law(kind):
    """Kills ``models/weights.py`` ``kind == "iid-uniform"`` -> ``!=`` in :func:`draw_iid` (a public draw that
    no other test or claim calls): "iid-uniform" is uniform on [-sqrt(3) std, sqrt(3) std] (variance
    std^2), "iid-gaussian" is N(0, std^2) (models/weights.py's module docstring). Over 20000 draws the
    sample variance is within 4 standard errors of std^2; the uniform never leaves its interval, the
    Gaussian does (P(|Z| > sqrt 3) = 0.083 per draw)."""
    from residual_expansion.models.weights import draw_iid

    std = 0.7
    x = draw_iid(np.random.default_rng(5), kind, (200, 100), std)
    assert x.shape == (200, 100)
    sq = (x * x).ravel()
    assert abs(sq.mean() - std**2) <= 4 * sq.std(ddof=1) / math.sqrt(sq.size)
    outside = int(np.sum(np.abs(x) > math.sqrt(3.0) * std))
    assert (outside == 0) if kind == "iid-uniform" else (outside > 1000)


def test_linear_integer_route_runs_at_order_one():
    """Kills ``claims/path_claims.py`` ``max(k_words, k_cf) < 1`` -> ``<= 1``: at order 1 both routes compare
    order 1 (n matrices, n closed-form terms) and LINEAR's integer route PASSes; the mutant SKIPs it."""
    from residual_expansion.claims.path_claims import check_linear_integer

    out = check_linear_integer(12, 1, 0)
    assert out.status == "PASS"
    assert out.evidence["orders_compared_with_path_words"] == 1
    assert out.evidence["path_words_listed"] == 1 + 12


def test_order_checks_skip_orders_measured_exactly():
    """Kills ``scaling/checks.py`` ``st.stderr > 0`` -> ``>= 0``: an order measured without spread (order 0, ||x||^2
    / ||x||^2 = 1; orders beyond the depth, exactly 0) has no z score and gives no check (0 / 0 would be
    a NaN z that FAILs); at depth 2 with orders 0..4 the order checks are orders 1 and 2 only, both passing."""
    from residual_expansion.scaling.checks import prediction_checks
    from residual_expansion.scaling.montecarlo import Init, Model
    from residual_expansion.scaling.schedules import power
    from residual_expansion.scaling.sweep import run_sweep

    sw = run_sweep(Model("linear", "identity", 4, 4), Init("iid-uniform"), [power(0.5)], (2,), 1000, 0, orders=4)
    run = sw.rows[0].run
    assert [o.stderr == 0 for o in run.orders[:5]] == [True, False, False, True, True]
    orders = [c for c in prediction_checks(sw) if c.kind == "order"]
    assert [c.order for c in orders] == [1, 2]
    assert all(c.passed and math.isfinite(c.z) for c in orders)


def test_norm_energy_fails_when_post_rms_is_not_n_of_the_plain_stack(monkeypatch):
    """Kills ``claims/normalization_claims.py`` ``ok &= run.homogeneity_residual <= rel_tol`` removed: NORM-ENERGY
    states that post-RMS with res-3/ReLU equals N applied once to the unnormalized stack, per sample, to
    rounding; a run whose homogeneity residual is 1e-6 (far above the d L eps allowance) FAILs the claim,
    the true runs PASS it."""
    import dataclasses

    from residual_expansion.claims.normalization_claims import check_norm_energy
    from residual_expansion.scaling import normalized as nz

    assert check_norm_energy(5, 0).status == "PASS"
    real = nz.simulate_normalized

    def off(*args, **kwargs):
        return tuple(dataclasses.replace(r, homogeneity_residual=1e-6) if r.homogeneity_residual is not None else r
                     for r in real(*args, **kwargs))

    monkeypatch.setattr(nz, "simulate_normalized", off)
    out = check_norm_energy(5, 0)
    assert out.evidence["res3_post_rms_homogeneity_residual"] == 1e-6
    assert out.status == "FAIL"


@pytest.mark.parametrize("depth, order", [(5, 3), (4, 4)])
def test_linear_symbolic_counts_the_closed_form_chain_words(depth, order):
    """Kills ``claims/path_claims.py`` ``"closed_form_chain_words": len(C) - 1`` -> ``len(C)``: the closed form's
    chain terms of orders 1..K are the decreasing words of 1..K letters, sum_{k=1..K} C(n, k) of them (25 at
    n = 5, K = 3; 15 at n = 4, K = 4); the empty word (order 0) is not a chain term."""
    from math import comb

    from residual_expansion.claims.path_claims import check_linear_symbolic

    ev = check_linear_symbolic(depth, order).evidence
    K = ev["closed_form_order"]
    assert K == min(depth, order)
    assert ev["closed_form_chain_words"] == sum(comb(depth, k) for k in range(1, K + 1))
    assert ev["words_product"] == ev["words_paths"] == ev["expected_words"] == 2**depth


@pytest.mark.parametrize("name", ["tanh:0.5", "relu:2", "foo:1"])
def test_a_slope_is_read_only_after_leaky_relu(name):
    """Kills ``models/activations.py`` ``head == "leaky_relu" and sep`` -> ``sep``: only ``leaky_relu:SLOPE`` takes
    a slope (activation's docstring); any other name with a colon is an unknown activation, refused with
    the allowed names, never read as a leaky ReLU."""
    from residual_expansion.models.activations import activation

    with pytest.raises(UsageError, match=r"unknown activation .*allowed: .*leaky_relu:SLOPE"):
        activation(name)
    assert activation("leaky_relu:0.5").name == "leaky_relu:0.5"


def test_sample_streams_accept_a_zero_cell_key():
    """Kills ``scaling/streams.py`` ``int(k) < 0`` -> ``int(k) <= 0`` in :func:`sample_generators`: cell keys and
    samples must be non-negative (its docstring: negative ones are refused), so key (0,) is a valid cell
    whose streams are sample_generator's, one per sample; (-1,) is refused."""
    from residual_expansion.scaling.streams import sample_generator, sample_generators

    got = [g.random() for g in sample_generators(9, (0, 3), 2, 5)]
    assert got == [sample_generator(9, (0, 3), j).random() for j in range(2, 5)]
    with pytest.raises(UsageError, match="cell key and sample must be non-negative"):
        sample_generators(9, (-1,), 0, 2)


def test_coefficient_comparison_tolerance_is_inclusive(monkeypatch):
    """Kills ``numeric/crosscheck.py`` ``e <= tol`` -> ``e < tol`` in compare_coefficients: ``passed`` is "every
    e_k <= tolerance" (CoefficientComparison's docstring): relative errors exactly at the tolerance pass,
    the next float above fails."""
    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric import crosscheck as cc
    from residual_expansion.numeric.taylor import chain_terms

    stack = make_stack("mlp", 3, 3, seed=0)
    cmp, _ = cc.compare_coefficients(stack, 2, chain_terms(3))
    assert cmp.passed
    tol = cmp.tolerance
    monkeypatch.setattr(cc, "relative_errors", lambda *a: (0.0, tol))
    assert cc.compare_coefficients(stack, 2, chain_terms(3))[0].passed is True
    monkeypatch.setattr(cc, "relative_errors", lambda *a: (0.0, float(np.nextafter(tol, np.inf))))
    assert cc.compare_coefficients(stack, 2, chain_terms(3))[0].passed is False


def test_capacity_accepts_orders_zero():
    """Kills ``scaling/capacity.py`` ``orders < 0`` -> ``orders <= 0``: orders = 0 is the total Jacobian energy with
    its order-0 part (the identity, exactly 1, predicted 1); only a negative ``orders`` is refused."""
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling.capacity import simulate_capacity
    from residual_expansion.scaling.montecarlo import Model
    from residual_expansion.scaling.schedules import power

    model = Model("linear", dim=4, input_dim=4)
    (run,) = simulate_capacity(model, Init("iid-gaussian"), [power(0.5)], 2, 0, 100, 0)
    assert len(run.orders) == 1 and run.orders[0].mean == 1.0 and run.predicted_orders == (1.0,)
    assert run.predicted_total == pytest.approx(1.5**2, rel=1e-12)  # (1 + 1/n)^n at n = 2
    with pytest.raises(UsageError, match="orders must be >= 0"):
        simulate_capacity(model, Init("iid-gaussian"), [power(0.5)], 2, -1, 100, 0)


def test_term_budget_accepts_exactly_the_limit():
    """Kills ``theorem/budget.py`` ``total <= limit`` -> ``total < limit`` in check_budget: a request is refused
    only when its closed form has *more* than ``limit`` terms (docstring); expand(8, 4) has 904 terms
    (check_budget's doctest), accepted at limit 904, refused at 903 with the largest affordable order."""
    from residual_expansion.theorem.budget import check_budget

    assert check_budget(8, 4, 904) == 904
    with pytest.raises(UsageError, match=r"depth 8, order 4 has 904 closed-form terms, beyond the limit of 903; "
                                         r"use order 3 or less"):
        check_budget(8, 4, 903)


@pytest.mark.parametrize("platform, methods", [("darwin", ["spawn", "fork", "forkserver"]), ("win32", ["spawn"]),
                                               ("linux", ["spawn", "forkserver"])])
def test_verify_forks_workers_only_on_linux_with_fork(monkeypatch, platform, methods):
    """Kills ``claims/parallel.py`` ``return sys.platform.startswith("linux") and "fork" in ...`` -> ``return True``
    (invisible on this Linux machine): fork_available is True only on Linux with the ``fork`` start method
    (its docstring); elsewhere verify's default is one job, its checks run in the process itself."""
    import multiprocessing
    import sys

    from residual_expansion.claims import parallel

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: list(methods))
    assert parallel.fork_available() is False
    assert parallel.default_jobs(24) == 1


def test_scale_energy_fails_an_infinite_prediction():
    """Kills ``claims/scaling_claims.py`` ``math.isfinite(predicted) and abs(mean - predicted) <= tol`` -> without
    the isfinite clause: an infinite prediction makes the tolerance infinite too (its rounding allowance
    scales with |predicted|), and inf <= inf would PASS; a prediction that overflowed is a FAIL."""
    from types import SimpleNamespace

    from residual_expansion.claims.scaling_claims import check_energy

    out = check_energy(5, 0, energy=lambda lams, s: SimpleNamespace(value=math.inf))
    assert out.status == "FAIL"
    assert out.evidence["sqrt_predicted"] == math.inf and math.isfinite(out.evidence["sqrt_measured"])


@pytest.mark.parametrize("seed", range(6))
def test_random_architecture_follows_its_documented_draws(seed):
    """Kills ``paths/architectures.py`` ``for j in range(1, size)`` -> ``range(1, size - 1)`` in random_architecture
    (once killed only by a timeout under load): the docstring's procedure, written out here on the same
    generator, gives the same edges and node kinds: edges i -> j with probability 0.3, then every node
    without a predecessor (the output included) one edge from a random earlier node, every node without a
    successor one edge to a random later node, inner nodes modules with probability 1/2. Edge probability
    0.1 makes an output without a predecessor common."""
    from residual_expansion.paths.architectures import MODULE, random_architecture

    size, p = 6, 0.1
    got = random_architecture(np.random.default_rng(seed), size, edge_probability=p)
    rng = np.random.default_rng(seed)
    edges = {(i, j) for i in range(size) for j in range(i + 1, size) if rng.random() < p}
    for j in range(1, size):
        if all((i, j) not in edges for i in range(j)):
            edges.add((int(rng.integers(0, j)), j))
    for i in range(size - 1):
        if all((i, j) not in edges for j in range(i + 1, size)):
            edges.add((i, int(rng.integers(i + 1, size))))
    inner = [rng.random() < 0.5 for _ in range(size - 2)]
    assert sorted((int(a), int(b)) for a, b in got.graph.edges) == sorted(edges)
    assert [got.graph.nodes[str(i)]["kind"] == MODULE for i in range(1, size - 1)] == inner
