"""Scalar activations with their exact derivatives, rounding magnitudes and Taylor series.

Each :class:`Activation` carries, for an elementwise function phi:

* ``value(z)``: phi(z);
* ``derivatives(z, m)``: the stack ``[phi(z), phi'(z), ..., phi^(m)(z)]`` from exact
  closed formulas (no finite differences):

  - tanh:     phi^(k) = P_k(tanh z),   P_0(t) = t,  P_{k+1}(t) = (1 - t^2) P_k'(t);
  - sigmoid:  phi = (1 + tanh(z/2)) / 2, so phi^(k)(z) = 2^-(k+1) P_k(tanh(z/2)) for k >= 1;
  - sin:      sin, cos, -sin, -cos, repeating with period 4;
  - softplus: phi = log(1 + e^z), phi^(k) = sigmoid^(k-1) for k >= 1;
  - gelu:     phi = z Phi(z) (Phi the standard normal CDF, p its density),
              phi^(k) = z Phi^(k) + k Phi^(k-1),  Phi^(j) = (-1)^(j-1) He_(j-1)(z) p(z) for j >= 1
              (He the probabilists' Hermite polynomials, He_(j+1) = z He_j - j He_(j-1));
  - identity: z, 1, 0, 0, ...;
  - piecewise linear (relu, leaky_relu, abs): the value, the one-sided slope s(z) at z != 0,
    and 0 beyond the first derivative (valid where z != 0).

* ``magnitudes(z, m)``: elementwise upper bounds of ``|phi^(j)(z)|`` that also bound the
  scale of the rounding error made in computing it (the derivative polynomial evaluated with
  absolute coefficients at ``|t|``), used to derive float64 tolerances;
* ``series(zc)``: the Taylor coefficients of ``phi(z(lambda))`` given those of ``z(lambda)``,
  computed from the *ODE* each activation satisfies (``tanh' = 1 - tanh^2``,
  ``sigmoid' = sigmoid (1 - sigmoid)``, ``sin' = cos``, ``cos' = -sin``,
  ``softplus' = sigmoid``, ``Phi' = p``, ``p' = -z p``): if ``y' = a(y) z'`` then
  ``k y_k = sum_{j=1..k} j z_j a_{k-j}``. This route uses only phi (and its ODE partner) at
  ``z_0``, not the derivative formulas above, so Taylor mode and the closed form are
  independent computations of the same coefficients.

Reference: the recurrences for Taylor coefficients are the standard ones of automatic
differentiation (Griewank & Walther, *Evaluating Derivatives*, 2nd ed., ch. 13).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.polynomial import polynomial as P

from residual_expansion.errors import UsageError
from residual_expansion.series import coefficient as cauchy

LEAKY_SLOPE = 0.01
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

_erfc = np.frompyfunc(math.erfc, 1, 1)


@dataclass(frozen=True)
class Activation:
    """An elementwise activation phi with exact derivatives and a Taylor-series rule.

    Attributes
    ----------
    name:
        Its name on the command line.
    smooth:
        True when phi is C-infinity (the smooth expansion applies at every order); False for
        piecewise linear activations (exact polynomial identity inside the sign radius).
    value, derivatives, magnitudes, series:
        See the module docstring.
    """

    name: str
    smooth: bool
    value: Callable[[np.ndarray], np.ndarray]
    derivatives: Callable[[np.ndarray, int], np.ndarray]
    magnitudes: Callable[[np.ndarray, int], np.ndarray]
    series: Callable[[np.ndarray], np.ndarray]

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """phi(z), elementwise (the same as ``value``).

        >>> activation("identity")(np.array([-1.0, 2.0])).tolist()
        [-1.0, 2.0]
        """
        return self.value(z)


# ---------------------------------------------------------------- polynomial helpers


def derivative_polynomials(generator: tuple[float, ...], m: int) -> tuple[np.ndarray, ...]:
    """Coefficients of P_0..P_m with P_0(t) = t and P_{k+1} = g(t) P_k'(t).

    ``generator`` holds the coefficients of g in increasing powers: ``(1, 0, -1)`` gives the
    tanh polynomials, ``(0, 1, -1)`` the sigmoid ones.

    >>> [list(map(int, p)) for p in derivative_polynomials((1, 0, -1), 2)]
    [[0, 1], [1, 0, -1], [0, -2, 0, 2]]
    """
    polys = [np.array([0.0, 1.0])]
    for _ in range(m):
        polys.append(P.polymul(np.array(generator, dtype=float), P.polyder(polys[-1])))
    return tuple(polys)


def hermite_e(m: int) -> tuple[np.ndarray, ...]:
    """Coefficients of the probabilists' Hermite polynomials He_0..He_m.

    >>> [list(map(int, h)) for h in hermite_e(3)]
    [[1], [0, 1], [-1, 0, 1], [0, -3, 0, 1]]
    """
    hs = [np.array([1.0]), np.array([0.0, 1.0])]
    for j in range(1, m):
        hs.append(P.polysub(P.polymulx(hs[j]), j * hs[j - 1]))
    return tuple(hs[: m + 1])


def _polyval(coeffs: np.ndarray, t: np.ndarray) -> np.ndarray:
    return P.polyval(t, coeffs)


def _stack(values: list[np.ndarray], z: np.ndarray) -> np.ndarray:
    return np.stack([np.broadcast_to(v, z.shape).astype(float) for v in values])


# ---------------------------------------------------------------- elementary functions


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2 (no overflow)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z), computed as max(z, 0) + log1p(e^-|z|) (no overflow)."""
    z = np.asarray(z, dtype=float)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z) = erfc(-z / sqrt 2) / 2."""
    z = np.asarray(z, dtype=float)
    return 0.5 * _erfc(-z / _SQRT2).astype(float)


def normal_pdf(z: np.ndarray) -> np.ndarray:
    """p(z) = exp(-z^2/2) / sqrt(2 pi)."""
    z = np.asarray(z, dtype=float)
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def gelu(z: np.ndarray) -> np.ndarray:
    """z Phi(z) (the exact GELU, not the tanh approximation)."""
    z = np.asarray(z, dtype=float)
    return z * normal_cdf(z)


# ---------------------------------------------------------------- series helpers


def _ode_step(zc: np.ndarray, a: np.ndarray, k: int) -> np.ndarray:
    """y_k from y' = a z':  k y_k = sum_{j=1..k} j z_j a_{k-j}."""
    j = np.arange(1, k + 1, dtype=float).reshape((k,) + (1,) * (zc.ndim - 1))
    return np.sum(j * zc[1 : k + 1] * a[k - 1 :: -1][:k], axis=0) / k


def _series_logistic_like(zc: np.ndarray, y0: np.ndarray, a_of: Callable[[np.ndarray, int], np.ndarray]) -> np.ndarray:
    """Series of y with y' = a(y) z', a_k computed from y_0..y_k by ``a_of(y, k)``."""
    y = np.zeros_like(zc)
    a = np.zeros_like(zc)
    y[0] = y0
    a[0] = a_of(y, 0)
    for k in range(1, zc.shape[0]):
        y[k] = _ode_step(zc, a, k)
        a[k] = a_of(y, k)
    return y


def _tanh_series(zc: np.ndarray) -> np.ndarray:
    # a = 1 - y^2
    def a_of(y: np.ndarray, k: int) -> np.ndarray:
        return (1.0 if k == 0 else 0.0) - cauchy(y, y, k)

    return _series_logistic_like(zc, np.tanh(zc[0]), a_of)


def _sigmoid_series(zc: np.ndarray) -> np.ndarray:
    # a = y - y^2
    def a_of(y: np.ndarray, k: int) -> np.ndarray:
        return y[k] - cauchy(y, y, k)

    return _series_logistic_like(zc, sigmoid(zc[0]), a_of)


def _sin_series(zc: np.ndarray) -> np.ndarray:
    s = np.zeros_like(zc)
    c = np.zeros_like(zc)
    s[0], c[0] = np.sin(zc[0]), np.cos(zc[0])
    for k in range(1, zc.shape[0]):
        s[k] = _ode_step(zc, c, k)
        c[k] = -_ode_step(zc, s, k)
    return s


def _softplus_series(zc: np.ndarray) -> np.ndarray:
    sig = _sigmoid_series(zc)
    y = np.zeros_like(zc)
    y[0] = softplus(zc[0])
    for k in range(1, zc.shape[0]):
        y[k] = _ode_step(zc, sig, k)
    return y


def _gelu_series(zc: np.ndarray) -> np.ndarray:
    # p' = -z p z',  Phi' = p z',  gelu = z Phi
    p = np.zeros_like(zc)
    zp = np.zeros_like(zc)
    cdf = np.zeros_like(zc)
    p[0] = normal_pdf(zc[0])
    cdf[0] = normal_cdf(zc[0])
    zp[0] = zc[0] * p[0]
    for k in range(1, zc.shape[0]):
        p[k] = -_ode_step(zc, zp, k)
        zp[k] = cauchy(zc, p, k)
        cdf[k] = _ode_step(zc, p, k)
    return np.stack([cauchy(zc, cdf, k) for k in range(zc.shape[0])])


# ---------------------------------------------------------------- derivative formulas


#: Derivative polynomials are tabulated up to this order once (an immutable constant); higher
#: orders are computed on demand.
TABULATED_ORDER = 16


def _poly_family(generator: tuple[float, ...], base: Callable[[np.ndarray], np.ndarray]):
    table = derivative_polynomials(generator, TABULATED_ORDER)
    abs_table = tuple(np.abs(p) for p in table)

    def polys(m: int, absolute: bool) -> tuple[np.ndarray, ...]:
        if m <= TABULATED_ORDER:
            return (abs_table if absolute else table)[: m + 1]
        full = derivative_polynomials(generator, m)
        return tuple(np.abs(p) for p in full) if absolute else full

    def derivatives(z: np.ndarray, m: int) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        t = base(z)
        return _stack([_polyval(p, t) for p in polys(m, False)], z)

    def magnitudes(z: np.ndarray, m: int) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        t = np.abs(base(z))
        return _stack([_polyval(p, t) for p in polys(m, True)], z)

    return derivatives, magnitudes


_tanh_derivatives, _tanh_magnitudes = _poly_family((1.0, 0.0, -1.0), np.tanh)


def _sigmoid_parts(z: np.ndarray, m: int, absolute: bool) -> np.ndarray:
    # sigmoid(z) = (1 + tanh(z/2)) / 2, so sigmoid^(k)(z) = 2^-(k+1) P_k(tanh(z/2)) for k >= 1.
    z = np.asarray(z, dtype=float)
    half = 0.5 * z
    tanh_part = _tanh_magnitudes(half, m) if absolute else _tanh_derivatives(half, m)
    scale = 0.5 ** np.arange(1, m + 2, dtype=float).reshape((m + 1,) + (1,) * z.ndim)
    out = scale * tanh_part
    out[0] = sigmoid(z)
    return out


def _sigmoid_derivatives(z: np.ndarray, m: int) -> np.ndarray:
    return _sigmoid_parts(z, m, absolute=False)


def _sigmoid_magnitudes(z: np.ndarray, m: int) -> np.ndarray:
    return _sigmoid_parts(z, m, absolute=True)


def _sin_derivatives(z: np.ndarray, m: int) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    cycle = (np.sin(z), np.cos(z), -np.sin(z), -np.cos(z))
    return _stack([cycle[j % 4] for j in range(m + 1)], z)


def _sin_magnitudes(z: np.ndarray, m: int) -> np.ndarray:
    return np.ones((m + 1,) + np.shape(z))


def _softplus_derivatives(z: np.ndarray, m: int) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    rest = _sigmoid_derivatives(z, m - 1) if m >= 1 else np.zeros((0,) + z.shape)
    return np.concatenate([softplus(z)[None], rest])


def _softplus_magnitudes(z: np.ndarray, m: int) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    rest = _sigmoid_magnitudes(z, m - 1) if m >= 1 else np.zeros((0,) + z.shape)
    return np.concatenate([(np.abs(z) + np.log1p(np.exp(-np.abs(z))))[None], rest])


_HERMITE = hermite_e(TABULATED_ORDER)


def _gelu_parts(z: np.ndarray, m: int, absolute: bool) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    he = _HERMITE if m - 1 <= TABULATED_ORDER else hermite_e(m - 1)
    pdf = normal_pdf(z)
    cdf = normal_cdf(z)
    w = np.abs(z) if absolute else z

    def cdf_derivative(j: int) -> np.ndarray:  # Phi^(j)
        if j == 0:
            return cdf
        if absolute:
            return _polyval(np.abs(he[j - 1]), w) * pdf
        return (-1.0) ** (j - 1) * _polyval(he[j - 1], z) * pdf

    out = [w * cdf]
    for k in range(1, m + 1):
        out.append(w * cdf_derivative(k) + k * cdf_derivative(k - 1))
    return _stack(out, z)


def _gelu_derivatives(z: np.ndarray, m: int) -> np.ndarray:
    return _gelu_parts(z, m, absolute=False)


def _gelu_magnitudes(z: np.ndarray, m: int) -> np.ndarray:
    return _gelu_parts(z, m, absolute=True)


def _identity_derivatives(z: np.ndarray, m: int) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    return _stack([z, 1.0] + [0.0] * (m - 1), z)[: m + 1]


def _identity_magnitudes(z: np.ndarray, m: int) -> np.ndarray:
    return np.abs(_identity_derivatives(z, m))


def _identity_series(zc: np.ndarray) -> np.ndarray:
    return np.array(zc, dtype=float)


def _piecewise_linear(name: str, slope_neg: float, slope_pos: float) -> Activation:
    def slope(z: np.ndarray) -> np.ndarray:
        return np.where(z > 0, slope_pos, slope_neg)

    def value(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        if slope_neg == 0.0 and slope_pos == 1.0:  # relu: one pass, and +0.0 on the negative side
            return np.maximum(z, 0.0)
        return slope(z) * z

    def derivatives(z: np.ndarray, m: int) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        return _stack([value(z), slope(z)] + [0.0] * (m - 1), z)[: m + 1]

    def magnitudes(z: np.ndarray, m: int) -> np.ndarray:
        return np.abs(derivatives(z, m))

    def series(zc: np.ndarray) -> np.ndarray:
        # phi(z0 + dz) = s(z0) (z0 + dz) while no component changes sign.
        return slope(zc[0]) * zc

    return Activation(name, False, value, derivatives, magnitudes, series)


IDENTITY = Activation("identity", True, lambda z: np.asarray(z, dtype=float), _identity_derivatives,
                      _identity_magnitudes, _identity_series)

ACTIVATIONS = MappingProxyType({
    "tanh": Activation("tanh", True, np.tanh, _tanh_derivatives, _tanh_magnitudes, _tanh_series),
    "sin": Activation("sin", True, np.sin, _sin_derivatives, _sin_magnitudes, _sin_series),
    "sigmoid": Activation("sigmoid", True, sigmoid, _sigmoid_derivatives, _sigmoid_magnitudes, _sigmoid_series),
    "softplus": Activation("softplus", True, softplus, _softplus_derivatives, _softplus_magnitudes,
                           _softplus_series),
    "gelu": Activation("gelu", True, gelu, _gelu_derivatives, _gelu_magnitudes, _gelu_series),
    "relu": _piecewise_linear("relu", 0.0, 1.0),
    "leaky_relu": _piecewise_linear("leaky_relu", LEAKY_SLOPE, 1.0),
    "abs": _piecewise_linear("abs", -1.0, 1.0),
})
"""Activations by command-line name (smooth ones first, then piecewise linear)."""

SMOOTH_ACTIVATIONS = tuple(n for n, a in ACTIVATIONS.items() if a.smooth)
PIECEWISE_LINEAR_ACTIVATIONS = tuple(n for n, a in ACTIVATIONS.items() if not a.smooth)


def activation(name: str) -> Activation:
    """The activation called ``name``: a key of :data:`ACTIVATIONS`, ``identity``, or ``leaky_relu:SLOPE``.

    ``leaky_relu:SLOPE`` is the leaky ReLU with negative-side slope SLOPE (a finite number;
    1 gives the identity map, still treated as piecewise linear); plain ``leaky_relu`` has
    slope :data:`LEAKY_SLOPE` = 0.01.

    >>> activation("tanh").smooth, activation("relu").smooth
    (True, False)
    >>> a = activation("leaky_relu:0.2")
    >>> a.name, a.value(np.array([-1.0, 2.0])).tolist()
    ('leaky_relu:0.2', [-0.2, 2.0])

    Raises
    ------
    UsageError
        For an unknown name or a bad slope.
    """
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    if name == "identity":
        return IDENTITY
    head, sep, rest = name.partition(":")
    if head == "leaky_relu" and sep:
        try:
            slope = float(rest)
        except ValueError:
            slope = float("nan")
        if not math.isfinite(slope):
            raise UsageError(f"activation {name!r}: the leaky ReLU slope must be a finite number")
        return _piecewise_linear(f"leaky_relu:{slope:g}", slope, 1.0)
    raise UsageError(f"unknown activation {name!r}; allowed: {', '.join(ACTIVATIONS)}, identity, leaky_relu:SLOPE")
