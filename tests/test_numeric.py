"""Module families, Taylor mode, the numeric closed form, the remainder fit and the sign radius.

References: low-order formulas from docs/theory.md#the-residual-expansion-theorem (order 1: sum g_i; order 2:
sum_{j<i} g_i' g_j); linear unraveling and Veit's 2^n paths from docs/theory.md#linear-modules; the
counts N(n, k) from docs/theory.md#tree-counts.
"""

import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.models.activations import ACTIVATIONS, SMOOTH_ACTIVATIONS
from residual_expansion.numeric.crosscheck import (
    check_exactness,
    compare_coefficients,
    crosscheck,
    expansion_terms,
)
from residual_expansion.errors import UsageError
from residual_expansion.theorem.budget import NUMERIC_LIMIT, affordable_order, closed_form_terms
from residual_expansion.models.families import FAMILIES, derivative_from_taylor, make_stack
from residual_expansion.numeric.taylor import (
    Window,
    asymptotic_window,
    chain_terms,
    closed_form,
    coefficient_tolerance,
    gamma,
    relative_errors,
    remainder_fit,
    rounding_length,
    sign_radius,
    signs_unchanged,
    taylor_coefficients,
    truncation,
    veit_paths,
)

SMOOTH_FAMILIES = ("mlp", "res1", "res3")


def stack_strategy(families=FAMILIES, activations=SMOOTH_ACTIVATIONS, max_depth=5):
    @st.composite
    def build(draw):
        family = draw(st.sampled_from(families))
        act = None if family in ("linear", "affine") else draw(st.sampled_from(activations))
        depth = draw(st.integers(1, max_depth))
        dim = draw(st.integers(1, 6))
        width = draw(st.integers(1, 6)) if family == "mlp" else None
        seed = draw(st.integers(0, 2 ** 16))
        return make_stack(family, depth, dim, width=width, activation_name=act, seed=seed)

    return build()


# ---------------------------------------------------------------- modules


def test_make_stack_is_deterministic_and_shaped():
    a = make_stack("mlp", 3, 4, width=7, seed=5)
    b = make_stack("mlp", 3, 4, width=7, seed=5)
    assert np.array_equal(a.x, b.x) and all(np.array_equal(p.outer, q.outer) for p, q in zip(a.modules, b.modules))
    assert a.modules[0].inner.shape == (7, 4) and a.modules[0].outer.shape == (4, 7)
    assert not np.array_equal(a.modules[0].inner, a.modules[1].inner)  # independent per layer
    c = make_stack("mlp", 3, 4, width=7, seed=6)
    assert not np.array_equal(a.x, c.x)


def test_marion_uniform_initialisation_bounds():
    # docs/theory.md#marion-models: U(-sqrt(3/d), sqrt(3/d)).
    s = make_stack("res3", 4, 40, seed=0)
    bound = math.sqrt(3 / 40)
    for layer in s.modules:
        assert np.all(np.abs(layer.outer) <= bound) and np.all(np.abs(layer.inner) <= bound)
    assert s.modules[0].inner_bias is None and s.modules[0].outer_bias is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(family="cnn", depth=2, dim=2), "unknown module family"),
    (dict(family="linear", depth=2, dim=2, activation_name="tanh"), "activation_name applies"),
    (dict(family="res1", depth=2, dim=2, width=3), "width applies to the mlp family only"),
    (dict(family="mlp", depth=0, dim=2), "must be positive"),
    (dict(family="mlp", depth=2, dim=2, activation_name="swish"), "unknown activation"),
])
def test_make_stack_rejects_bad_input(kwargs, message):
    family = kwargs.pop("family")
    depth = kwargs.pop("depth")
    dim = kwargs.pop("dim")
    with pytest.raises(UsageError, match=message):
        make_stack(family, depth, dim, **kwargs)


@given(stack_strategy(max_depth=1), st.integers(0, 2 ** 16))
def test_module_derivatives_match_finite_differences(stack, seed):
    # Directional derivatives of g against central differences of g along v (m = 1) and of g' (m = 2).
    rng = np.random.default_rng(seed)
    g, x = stack.modules[0], stack.x
    v, w = rng.standard_normal((2, stack.dim))
    h = 1e-4
    fd1 = (g.value(x + h * v) - g.value(x - h * v)) / (2 * h)
    assert np.allclose(fd1, g.derivative(x, [v]), rtol=1e-6, atol=1e-6)
    fd2 = (g.derivative(x + h * w, [v]) - g.derivative(x - h * w, [v])) / (2 * h)
    assert np.allclose(fd2, g.derivative(x, [v, w]), rtol=1e-6, atol=1e-6)
    # symmetric multilinear map
    assert np.allclose(g.derivative(x, [v, w]), g.derivative(x, [w, v]))
    # the generic polarization route from taylor alone agrees with the exact formulas
    assert np.allclose(derivative_from_taylor(g, x, [v, w]), g.derivative(x, [v, w]), rtol=1e-9, atol=1e-9)


def test_linear_and_affine_derivatives_vanish_beyond_one():
    s = make_stack("affine", 1, 3, seed=2)
    v = np.ones(3)
    assert np.all(s.modules[0].derivative(s.x, [v, v]) == 0)


# ---------------------------------------------------------------- Taylor mode vs closed form


@settings(max_examples=30)
@given(stack_strategy(), st.integers(1, 4))
def test_taylor_mode_equals_closed_form(stack, order):
    terms = expansion_terms(stack.depth, order)
    cmp, cf = compare_coefficients(stack, order, terms)
    assert cmp.passed, (cmp.relative_errors, cmp.tolerance)
    assert np.array_equal(cf.coefficients[0], stack.x)


@given(stack_strategy(activations=tuple(ACTIVATIONS)), st.floats(0.0, 0.3))
def test_order_zero_and_low_orders_by_hand(stack, lam):
    # docs/theory.md#the-residual-expansion-theorem: T_1 = sum_i g_i(x), T_2 = sum_{j<i} g_i'(x) g_j(x).
    T = taylor_coefficients(stack, 2)
    x, L = stack.x, stack.modules
    g = [m.value(x) for m in L]
    t2 = sum((L[i].derivative(x, [g[j]]) for i in range(len(L)) for j in range(i)), np.zeros(stack.dim))
    assert np.allclose(T[1], sum(g), atol=1e-12) and np.allclose(T[2], t2, atol=1e-12)
    assert np.allclose(taylor_coefficients(stack, 0)[0], x)


def test_closed_form_memoises_subtrees_and_counts():
    s = make_stack("mlp", 5, 3, seed=0)
    cf = closed_form(s, expansion_terms(5, 4))
    # N(5, k) = 5, 10, 30, 90 (docs/theory.md#the-residual-expansion-theorem): every tree is a distinct subtree.
    assert cf.terms == 135 and cf.subtrees == 135


def test_closed_form_rejects_labels_beyond_the_stack():
    s = make_stack("mlp", 2, 3, seed=0)
    with pytest.raises(UsageError, match="outside the layers"):
        closed_form(s, expansion_terms(3, 2))


def test_chain_terms_are_the_whole_closed_form_of_linear_and_relu_stacks():
    # docs/theory.md#linear-modules: only chains survive for linear modules; g'' = 0 for piecewise-linear too.
    for family, act in (("linear", None), ("affine", None), ("mlp", "relu")):
        s = make_stack(family, 4, 3, activation_name=act, seed=1)
        full = closed_form(s, expansion_terms(4, 4), 4)
        chains = closed_form(s, chain_terms(4), 4)
        assert np.allclose(full.coefficients, chains.coefficients, rtol=0, atol=1e-14)
    assert len(chain_terms(6)) == 2 ** 6 - 1 and len(veit_paths(6)) == 63


def test_linear_taylor_mode_is_the_subset_sum():
    # x_n = sum over subsets S of prod lambda A_{s_k} ... A_{s_1} x (Veit et al. 2016).
    s = make_stack("linear", 3, 2, seed=4)
    A = [m.outer for m in s.modules]
    T = taylor_coefficients(s, 4)
    assert np.allclose(T[3], A[2] @ A[1] @ A[0] @ s.x) and np.allclose(T[4], 0)
    assert np.allclose(truncation(T, 1.0), s.forward(1.0))


# ---------------------------------------------------------------- tolerance


def test_tolerance_derivation():
    s = make_stack("mlp", 8, 16, seed=0)
    L = rounding_length(s, 4, 728)
    assert L == 8 + 4 * (16 + 8 + 4) + 728
    u = 2.0 ** -53
    assert coefficient_tolerance(s, 4, 728) == pytest.approx(2 * L * u / (1 - L * u))
    assert gamma(2 ** 60) == float("inf")


def test_relative_errors_handle_zero_and_overflow():
    ref = np.array([[0.0], [1.0], [0.0], [np.inf]])
    other = np.array([[0.0], [1.0], [0.0], [0.0]])
    mags = np.array([[0.0], [2.0], [0.0], [1.0]])
    assert relative_errors(ref, other, mags) == (0.0, 0.0, float("inf"))


# ---------------------------------------------------------------- remainder


@settings(max_examples=15)
@given(family=st.sampled_from(SMOOTH_FAMILIES), act=st.sampled_from(SMOOTH_ACTIVATIONS),
       depth=st.integers(2, 8), order=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_remainder_slope_is_order_plus_one(family, act, depth, order, seed):
    try:
        r = crosscheck(depth, order, family, activation=act, dim=8, seed=seed)
    except UsageError as exc:  # no measurable window: reported, never a wrong verdict
        assert "no lambda window" in str(exc) or "vanishes" in str(exc)
        return
    assert r.passed, (r.fit.slope, r.fit.reason, r.coefficients.relative_errors)
    assert abs(r.fit.slope - (order + 1)) <= 0.25


def test_truncation_one_order_short_fails_the_slope():
    s = make_stack("mlp", 8, 16, seed=0)
    K = 3
    window = asymptotic_window(s, K)
    short = closed_form(s, expansion_terms(8, K - 1), K)  # rows 0..K with T_K = 0
    fit = remainder_fit(s, short.coefficients, K, window=window, magnitudes=short.magnitudes,
                        length=rounding_length(s, K, 140))
    assert not fit.passed and fit.slope == pytest.approx(K, abs=0.25)


def test_given_window_too_low_is_reported_not_hidden():
    # Below the rounding floor the slope collapses: the fit FAILs with the reason, it does not pass.
    s = make_stack("mlp", 8, 16, seed=0)
    cf = closed_form(s, expansion_terms(8, 4), 4)
    fit = remainder_fit(s, cf.coefficients, 4, window=Window(1e-7, 1e-6, False), magnitudes=cf.magnitudes,
                        length=rounding_length(s, 4, 728))
    assert not fit.passed and "slope" in fit.reason


def test_explosion_is_a_reported_result():
    s = make_stack("mlp", 8, 16, seed=0)
    cf = closed_form(s, expansion_terms(8, 2), 2)
    big = make_stack("linear", 40, 16, seed=0)
    cfl = closed_form(big, chain_terms(1)[:0], 1)
    fit = remainder_fit(big, cfl.coefficients, 1, window=Window(1e150, 1e200, False), magnitudes=cfl.magnitudes,
                        length=1)
    assert not fit.passed and "explodes" in fit.reason
    assert cf.coefficients.shape == (3, 16)


def test_exact_mode_for_terminating_series():
    r = crosscheck(3, 4, "affine", dim=4)
    assert r.fit.exact and r.fit.passed and r.fit.slope is None
    r1 = crosscheck(1, 1, "res3", activation="tanh", dim=4)  # one layer: x_1 is linear in lambda
    assert r1.fit.exact and r1.passed


# ---------------------------------------------------------------- piecewise linear


@settings(max_examples=15)
@given(family=st.sampled_from(SMOOTH_FAMILIES), act=st.sampled_from(("relu", "leaky_relu", "abs")),
       depth=st.integers(1, 8), seed=st.integers(0, 2 ** 16))
def test_sign_radius_is_certified(family, act, depth, seed):
    s = make_stack(family, depth, 6, activation_name=act, seed=seed)
    r = sign_radius(s)
    assert r > 0
    if math.isfinite(r):
        assert signs_unchanged(s, np.linspace(0, r, 40)[1:])
        ex = check_exactness(s, (0.3 * r, 0.99 * r))
        assert ex.passed, (ex.residuals, ex.tolerances)


def test_relu_expansion_is_exact_inside_the_radius_and_not_far_outside():
    s = make_stack("mlp", 6, 8, activation_name="relu", seed=3)
    r = sign_radius(s)
    inside = check_exactness(s, (0.5 * r,))
    assert inside.passed and inside.signs_unchanged
    outside = check_exactness(s, (50 * r,))
    assert not outside.passed and outside.signs_unchanged is False


def test_relu_crosscheck_refuses_lambda_past_the_radius():
    with pytest.raises(UsageError, match="past the sign radius"):
        crosscheck(6, 2, "mlp", activation="relu", dim=8, lambda_range=(1e-3, 10.0))


def test_zero_preactivation_has_no_radius():
    s = make_stack("res1", 2, 3, activation_name="relu", seed=0)
    s.x[0] = 0.0  # res1: the pre-activation of layer 1 is x itself
    assert sign_radius(s) == 0.0


# ---------------------------------------------------------------- sizes


def test_sizes_and_budget():
    assert closed_form_terms(8, 4) == 8 + 28 + 140 + 728  # docs/theory.md#tree-counts / N(8, k)
    assert affordable_order(100, 4, 6000) == 2 and affordable_order(10 ** 4, 4, 6000) == 0
    with pytest.raises(UsageError, match="use order 6 or less"):
        crosscheck(8, 8, "mlp")
    # degree-aware: a linear stack keeps only its 2^n - 1 chains, so the same size runs
    assert closed_form_terms(8, 8, max_children=1) == 2 ** 8 - 1
    assert crosscheck(8, 8, "linear", dim=3).coefficients.terms == 2 ** 8 - 1
    assert NUMERIC_LIMIT == 100_000


def test_corrupted_closed_form_fails_coefficients():
    s = make_stack("mlp", 5, 6, seed=0)
    terms = expansion_terms(5, 3)
    i = next(i for i, t in enumerate(terms) if t.coefficient == Fraction(1, 2))
    wrong = terms[:i] + (replace(terms[i], coefficient=Fraction(1)),) + terms[i + 1:]
    assert compare_coefficients(s, 3, terms)[0].passed
    assert not compare_coefficients(s, 3, wrong)[0].passed
    assert not compare_coefficients(s, 3, terms[:-1])[0].passed
