"""Activations: exact derivative formulas, rounding magnitudes and ODE Taylor series.

References: the derivatives are checked against sympy's symbolic differentiation of the
scalar activation (evaluated at 40 digits) and against finite differences; the series
against the Taylor composition with sympy's derivatives and against Faa di Bruno for a
linear z(lambda).
"""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from residual_expansion.models.activations import (
    ACTIVATIONS,
    PIECEWISE_LINEAR_ACTIVATIONS,
    SMOOTH_ACTIVATIONS,
    activation,
    derivative_polynomials,
    hermite_e,
)
from residual_expansion.errors import UsageError

X = sp.Symbol("x")
SYMPY = {
    "tanh": sp.tanh(X),
    "sin": sp.sin(X),
    "sigmoid": 1 / (1 + sp.exp(-X)),
    "softplus": sp.log(1 + sp.exp(X)),
    "gelu": X * (1 + sp.erf(X / sp.sqrt(2))) / 2,
}
POINTS = np.array([-2.3, -0.7, 0.0, 0.4, 1.9])
EPS = 2.0 ** -52


def _reference(name, m, points):
    expr = sp.diff(SYMPY[name], X, m)
    return np.array([float(expr.evalf(40, subs={X: sp.Float(p, 40)})) for p in points])


def test_every_smooth_activation_has_a_sympy_reference():
    assert set(SMOOTH_ACTIVATIONS) == set(SYMPY)
    assert set(PIECEWISE_LINEAR_ACTIVATIONS) == {"relu", "leaky_relu", "abs"}


@pytest.mark.parametrize("name", sorted(SYMPY))
def test_derivatives_match_sympy_to_rounding(name):
    act = ACTIVATIONS[name]
    D = act.derivatives(POINTS, 6)
    M = act.magnitudes(POINTS, 6)
    for m in range(7):
        ref = _reference(name, m, POINTS)
        # The magnitude bounds |phi^(m)| and scales its rounding error.
        assert np.all(M[m] >= np.abs(ref) * (1 - 1e-12) - 1e-30)
        assert np.all(np.abs(D[m] - ref) <= 64 * EPS * M[m] + 1e-30), (name, m)


@pytest.mark.parametrize("name", sorted(SYMPY))
def test_derivatives_match_finite_differences(name):
    # Independent of sympy: 6th-order central differences of the previous derivative.
    act = ACTIVATIONS[name]
    h = 1e-3
    stencil = (np.array([-1, 9, -45, 0, 45, -9, 1]) / 60.0, np.arange(-3, 4))
    D = act.derivatives(POINTS, 4)
    for m in range(1, 5):
        fd = sum(c * act.derivatives(POINTS + s * h, m - 1)[m - 1] for c, s in zip(*stencil)) / h
        assert np.allclose(fd, D[m], rtol=1e-7, atol=1e-7), (name, m)


@pytest.mark.parametrize("name", sorted(SYMPY))
def test_series_match_sympy_taylor_composition(name):
    # phi(z0 + dz) = sum_m phi^(m)(z0) / m! dz^m with sympy's derivatives at z0 (40 digits) and
    # the powers of the polynomial dz(lambda) = lambda/2 - lambda^2/5 + lambda^3/7 expanded exactly.
    K = 6
    z0 = 0.3
    dz = np.array([0.0, 0.5, -0.2, 1 / 7])
    ref = np.zeros(K + 1)
    power = np.array([1.0])
    for m in range(K + 1):
        d_m = _reference(name, m, [z0])[0] / math.factorial(m)
        ref[: min(len(power), K + 1)] += d_m * power[: K + 1]
        power = np.polynomial.polynomial.polymul(power, dz)
    zc = np.zeros((K + 1, 1))
    zc[:4, 0] = [z0, 0.5, -0.2, 1 / 7]
    got = ACTIVATIONS[name].series(zc)[:, 0]
    assert np.allclose(got, ref, rtol=1e-13, atol=1e-15)


@given(
    name=st.sampled_from(SMOOTH_ACTIVATIONS),
    z0=st.floats(-3, 3),
    z1=st.floats(-2, 2),
)
def test_ode_series_equals_derivative_formulas(name, z0, z1):
    # For z(lambda) = z0 + z1 lambda, coefficient k of phi(z) is phi^(k)(z0) z1^k / k!:
    # the ODE route (series) and the derivative formulas must agree.
    act = ACTIVATIONS[name]
    K = 6
    zc = np.zeros((K + 1, 1))
    zc[0, 0], zc[1, 0] = z0, z1
    series = act.series(zc)[:, 0]
    D = act.derivatives(np.array([z0]), K)[:, 0]
    M = act.magnitudes(np.array([z0]), K)[:, 0]
    for k in range(K + 1):
        expected = D[k] * z1 ** k / math.factorial(k)
        scale = (M[k] + 1.0) * max(abs(z1), 1.0) ** k / math.factorial(k)
        assert abs(series[k] - expected) <= 1e-12 * scale


@pytest.mark.parametrize("name", PIECEWISE_LINEAR_ACTIVATIONS)
def test_piecewise_linear_derivatives_and_series(name):
    act = ACTIVATIONS[name]
    z = np.array([-1.5, -0.2, 0.3, 2.0])
    D = act.derivatives(z, 3)
    slope = D[1]
    assert np.allclose(D[0], act.value(z)) and np.all(D[2:] == 0)
    assert np.allclose(act.value(z), slope * z)
    zc = np.array([z, np.ones(4), -np.ones(4)])
    assert np.allclose(act.series(zc), slope * zc)
    assert not act.smooth


def test_derivative_polynomials_and_hermite():
    # tanh'' = -2 t + 2 t^3 (tanh'' = -2 tanh (1 - tanh^2)).
    assert [list(p) for p in derivative_polynomials((1, 0, -1), 2)][2] == [0, -2, 0, 2]
    # He_4 = x^4 - 6 x^2 + 3.
    assert list(hermite_e(4)[4]) == [3, 0, -6, 0, 1]
    # Beyond the tabulated order the formulas are computed on demand.
    D = ACTIVATIONS["tanh"].derivatives(np.array([0.0]), 19)
    assert D[19, 0] != 0 or D[17, 0] != 0


def test_unknown_activation_is_a_usage_error():
    with pytest.raises(UsageError, match="allowed: tanh"):
        activation("swish")


def test_overflow_safe_values():
    z = np.array([-800.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.allclose(ACTIVATIONS["sigmoid"].value(z), [0, 1])
        assert np.allclose(ACTIVATIONS["softplus"].value(z), [0, 800])
        assert np.allclose(ACTIVATIONS["gelu"].value(np.array([-40.0, 40.0])), [0, 40])
