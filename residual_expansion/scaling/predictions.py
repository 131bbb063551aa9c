"""Predictions of the large-depth scaling regimes (docs/theory.md#weighted-ensemble-size and docs/theory.md#scaling-regimes).

Everything is computed in log space so that a prediction that overflows float64 is
reported as exploding (:attr:`LogValue.explodes`) rather than raising or becoming inf.

- weighted ensemble size: sum over paths of prod lambda = prod_i (1 + lambda_i)
- i.i.d. linear energy:   E ||x_n||^2 / ||x||^2 = prod_i (1 + lambda_i^2 s^2)
- its order-k part:       e_k(lambda_1^2 s^2, ..., lambda_n^2 s^2)
- res-3 with ReLU:        E ||h_L||^2 / ||h_0||^2 = prod_k (1 + alpha_k^2 s^4 / 2)
- regimes: from n lambda^2 (i.i.d.), n lambda (smooth) or n^max(2H, 1) lambda^2 (fBm with
  Hurst index H, res-3/ReLU: proofs/hurst.md)
- the decision rule used by MARION-REGIMES: a weighted log-log slope with its standard
  error, classified as growth, bounded or decay.

Proofs: proofs/scaling.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.scaling.schedules import Schedule

#: Largest natural log whose exp is a finite float64.
LOG_MAX = math.log(np.finfo(float).max)

IDENTITY, NONTRIVIAL, EXPLOSION = "identity", "non-trivial", "explosion"
GROWTH, BOUNDED, DECAY, UNDECIDED = "growth", "bounded", "decay", "undecided"
#: The reading when no slope can be fitted (a mean ratio underflowed to 0 or is NaN).
UNDETERMINED = "undetermined (a mean ratio is 0 or not a number: no log-log slope)"

#: Activations with an exact res-3 energy identity, and the factor kappa in
#: E ||sigma(W h)||^2 = kappa s^2 ||h||^2 (W i.i.d. symmetric, variance s^2/d).
EXACT_KAPPA: dict[str, float] = {"relu": 0.5, "identity": 1.0}


@dataclass(frozen=True)
class LogValue:
    """A positive quantity stored by its natural log.

    >>> round(LogValue(math.log(8.0)).value, 12)
    8.0
    >>> LogValue(1000.0).explodes, LogValue(1000.0).value
    (True, inf)
    """

    log: float

    @property
    def explodes(self) -> bool:
        """True when the value does not fit in a float64."""
        return self.log > LOG_MAX

    @property
    def value(self) -> float:
        return math.inf if self.explodes else math.exp(self.log)

    @property
    def minus_one(self) -> float:
        """value - 1, accurate near 1 (``expm1``); inf when it explodes."""
        return math.inf if self.explodes else math.expm1(self.log)

    def text(self, digits: int = 6) -> str:
        """``"1.23457"`` or ``"explodes (e^1000)"``."""
        if self.explodes:
            return f"explodes (e^{self.log:.4g})"
        return f"{self.value:.{digits}g}"


def ensemble_size(lams: Sequence[float] | np.ndarray) -> LogValue:
    """The weighted ensemble size sum_S prod_{i in S} lambda_i = prod_i (1 + lambda_i).

    For uniform lambda it is (1 + lambda)^n (docs/theory.md#weighted-ensemble-size).

    >>> ensemble_size([1.0] * 10).value
    1024.0
    """
    lam = np.asarray(lams, dtype=float)
    return LogValue(float(np.sum(np.log1p(lam))))


def linear_energy(lams: Sequence[float] | np.ndarray, s: float = 1.0) -> LogValue:
    """E ||x_n||^2 / ||x||^2 = prod_i (1 + lambda_i^2 s^2) for i.i.d. linear modules.

    A_i has i.i.d. zero-mean entries of variance s^2/d, independent across layers
    (docs/theory.md#iid-linear-modules; exact for every d). Proof: proofs/scaling.md, claim SCALE-ENERGY.

    >>> round(linear_energy([0.5, 0.5]).value, 12)
    1.5625
    """
    lam = np.asarray(lams, dtype=float)
    return LogValue(float(np.sum(np.log1p((lam * s) ** 2))))


def elementary_symmetric_log(values: Sequence[float] | np.ndarray, kmax: int) -> np.ndarray:
    """log e_k(v_1, ..., v_n) for k = 0..kmax (values >= 0), -inf where e_k = 0.

    Dynamic programme e_k <- e_k + v_i e_{k-1} over i, in log space (logaddexp).

    >>> np.exp(elementary_symmetric_log([1.0, 2.0, 3.0], 3)).round(9).tolist()
    [1.0, 6.0, 11.0, 6.0]
    """
    v = np.asarray(values, dtype=float)
    out = np.full(kmax + 1, -np.inf)
    out[0] = 0.0
    with np.errstate(divide="ignore"):
        logv = np.log(v)
    for lv in logv:
        out[1:] = np.logaddexp(out[1:], lv + out[:-1])
    return out


def linear_energy_spectrum(lams: Sequence[float] | np.ndarray, s: float = 1.0, kmax: int | None = None) -> np.ndarray:
    """The order-k energies e_k(lambda_1^2 s^2, ..., lambda_n^2 s^2), k = 0..kmax (default n).

    The path terms are orthogonal in expectation, so E ||order-k part||^2 / ||x||^2 is
    the elementary symmetric polynomial; C(n, k) (lambda s)^(2k) for uniform lambda.
    Values that overflow are inf. Proof: proofs/scaling.md, claim SCALE-SPECTRUM.

    >>> linear_energy_spectrum([0.5, 0.5]).tolist()
    [1.0, 0.5, 0.0625]
    """
    lam = np.asarray(lams, dtype=float)
    k = len(lam) if kmax is None else kmax
    logs = elementary_symmetric_log((lam * s) ** 2, k)
    with np.errstate(over="ignore"):
        return np.exp(logs)


def poisson_spectrum(mass: float, kmax: int) -> np.ndarray:
    """The limit of the spectrum at lambda = c / sqrt(n): mass^k / k!, mass = c^2 s^2.

    >>> poisson_spectrum(1.0, 3).round(6).tolist()
    [1.0, 1.0, 0.5, 0.166667]
    """
    k = np.arange(kmax + 1)
    return np.exp(k * math.log(mass) - np.array([math.lgamma(i + 1) for i in k])) if mass > 0 else (k == 0).astype(float)


def res3_energy(lams: Sequence[float] | np.ndarray, s: float = 1.0, activation: str = "relu") -> LogValue:
    """E ||h_L||^2 / ||h_0||^2 = prod_k (1 + alpha_k^2 kappa s^4) for res-3 without bias.

    h_{k+1} = h_k + alpha_k V_{k+1} sigma(W_{k+1} h_k), V and W i.i.d. symmetric entries of
    variance s^2/d; kappa = 1/2 for ReLU, 1 for the identity (docs/theory.md#marion-models). With
    s = 1 and uniform alpha this is (1 + alpha^2/2)^L. Proof: proofs/scaling.md, claim
    MARION-RES3.

    >>> round(res3_energy([1.0, 1.0]).value, 12)
    2.25

    Raises
    ------
    UsageError
        For an activation without an exact identity.
    """
    if activation not in EXACT_KAPPA:
        raise UsageError(
            f"no exact res-3 energy identity for activation {activation!r}; "
            f"exact for: {', '.join(EXACT_KAPPA)}"
        )
    lam = np.asarray(lams, dtype=float)
    with np.errstate(over="ignore"):  # an overflow is an explosion (LogValue.explodes), not an error
        return LogValue(float(np.sum(np.log1p(EXACT_KAPPA[activation] * lam**2 * np.float64(s) ** 4))))


def predicted_energy(model: str, activation: str, iid: bool, lams, s: float = 1.0) -> LogValue | None:
    """E ||h_L||^2 / ||h_0||^2 where an exact identity exists, else None.

    Exact identities need weights independent across layers (``iid``): linear modules;
    res-1 with the identity activation (it is linear); res-3 with ReLU or identity.
    """
    if not iid:
        return None
    if model == "linear" or (model == "res1" and activation == "identity"):
        return linear_energy(lams, s)
    if model == "res3" and activation in EXACT_KAPPA:
        return res3_energy(lams, s, activation)
    return None


@dataclass(frozen=True)
class Regime:
    """The large-depth regime of a power schedule under a weight law.

    Attributes
    ----------
    name:
        ``identity``, ``non-trivial`` or ``explosion``.
    quantity:
        The controlling quantity, e.g. ``n lambda^2``.
    exponent:
        The quantity grows like n^exponent (positive: explosion, zero: non-trivial,
        negative: the network tends to the identity).
    critical_beta:
        The beta at which the exponent vanishes.
    limit:
        The limit of the quantity in the non-trivial regime (c^2 for i.i.d., c for
        smooth weights), None otherwise.
    """

    name: str
    quantity: str
    exponent: float
    critical_beta: float
    limit: float | None


def critical_beta(init_kind: str, hurst: float | None = None) -> float:
    """1/2 for i.i.d. weights, 1 for smooth weights, max(H, 1/2) for fGn weights of Hurst index H
    (res-3 with ReLU; proofs/hurst.md, claim MARION-HURST).

    >>> critical_beta("iid-uniform"), critical_beta("smooth"), critical_beta("fbm", 0.7), critical_beta("fbm", 0.2)
    (0.5, 1.0, 0.7, 0.5)
    """
    if init_kind.startswith("iid"):
        return 0.5
    if init_kind == "smooth":
        return 1.0
    if init_kind == "fbm":
        if hurst is None:
            raise UsageError("fbm needs a Hurst index H in (0, 1)")
        return max(float(hurst), 0.5)
    raise UsageError(f"unknown weight law {init_kind!r}; allowed: iid-uniform, iid-gaussian, smooth, fbm")


def regime(schedule: Schedule, init_kind: str, hurst: float | None = None, tol: float = 1e-12) -> Regime | None:
    """The regime of a power schedule c n^(-beta) under a weight law (None for explicit lists).

    i.i.d.: n lambda^2 = c^2 n^(1 - 2 beta); smooth: n lambda = c n^(1 - beta); fBm with
    Hurst index H: n^max(2H, 1) lambda^2 = c^2 n^(max(2H, 1) - 2 beta) (the first-order
    energy of res-3/ReLU, proofs/hurst.md).

    >>> from residual_expansion.scaling.schedules import power
    >>> regime(power(0.25), "iid-uniform").name, regime(power(0.5), "iid-gaussian").name
    ('explosion', 'non-trivial')
    >>> regime(power(0.5), "smooth").name, regime(power(2.0), "smooth").name
    ('explosion', 'identity')
    """
    if schedule.beta is None:
        return None
    crit = critical_beta(init_kind, hurst)
    beta, c = schedule.beta, schedule.c
    if init_kind.startswith("iid"):
        quantity, exponent, limit = "n lambda^2", 1.0 - 2.0 * beta, c * c
    elif init_kind == "smooth":
        quantity, exponent, limit = "n lambda", 1.0 - beta, c
    else:
        quantity, exponent, limit = "n^max(2H,1) lambda^2", 2.0 * (crit - beta), c * c
    if exponent > tol:
        return Regime(EXPLOSION, quantity, exponent, crit, None)
    if exponent < -tol:
        return Regime(IDENTITY, quantity, exponent, crit, None)
    return Regime(NONTRIVIAL, quantity, 0.0, crit, limit)


def expected_trend(beta: float, crit: float, tol: float = 1e-12) -> str:
    """What ||h_L - h_0|| / ||h_0|| does as L grows: growth below crit, bounded at it, decay above."""
    if beta < crit - tol:
        return GROWTH
    if beta > crit + tol:
        return DECAY
    return BOUNDED


@dataclass(frozen=True)
class SlopeFit:
    """Weighted least-squares slope of log(mean) against log(L), with its standard error.

    Each point's variance is (stderr / mean)^2 (delta method); the slope's standard error
    is sqrt(1 / sum_i w_i (x_i - xbar_w)^2). ``slope`` is +inf when a mean exploded.
    """

    slope: float
    stderr: float
    points: int


def loglog_slope(depths: Sequence[float], means: Sequence[float], stderrs: Sequence[float]) -> SlopeFit:
    """Fit log(mean) = a + slope * log(L) with weights mean^2 / stderr^2.

    >>> fit = loglog_slope([10, 100, 1000], [1.0, 10.0, 100.0], [0.01, 0.1, 1.0])
    >>> round(fit.slope, 12)
    1.0

    Raises
    ------
    UsageError
        With fewer than two distinct depths.
    """
    x = np.log(np.asarray(depths, dtype=float))
    m = np.asarray(means, dtype=float)
    se = np.asarray(stderrs, dtype=float)
    if len(np.unique(x)) < 2:
        raise UsageError("a log-log slope needs at least two distinct depths")
    if np.any(np.isnan(m)) or np.any(m <= 0) or np.any(np.isnan(se)):
        return SlopeFit(math.nan, math.nan, len(x))  # no log-log slope: classify_slope says why
    if not np.all(np.isfinite(m)):
        return SlopeFit(math.inf, 0.0, len(x))
    y = np.log(m)
    rel = np.maximum(se / m, 1e-12)
    w = 1.0 / rel**2
    xbar = np.sum(w * x) / np.sum(w)
    sxx = np.sum(w * (x - xbar) ** 2)
    slope = float(np.sum(w * (x - xbar) * (y - np.sum(w * y) / np.sum(w))) / sxx)
    return SlopeFit(slope, float(math.sqrt(1.0 / sxx)), len(x))


#: The decision rule's defaults: slopes within +-MARGIN count as bounded, at Z standard errors.
MARGIN = 0.15
Z = 4.0


def classify_slope(fit: SlopeFit, margin: float = MARGIN, z: float = Z) -> str:
    """growth if slope - z se > margin; decay if slope + z se < -margin; bounded if
    [slope - z se, slope + z se] lies inside [-margin, margin]; else undecided.

    >>> classify_slope(SlopeFit(1.0, 0.05, 3)), classify_slope(SlopeFit(0.01, 0.02, 3))
    ('growth', 'bounded')
    >>> classify_slope(SlopeFit(-0.5, 0.05, 3)), classify_slope(SlopeFit(0.2, 0.1, 3))
    ('decay', 'undecided')
    >>> classify_slope(SlopeFit(float("nan"), 0.0, 3))
    'undetermined (a mean ratio is 0 or not a number: no log-log slope)'
    """
    if math.isnan(fit.slope) or math.isnan(fit.stderr):
        return UNDETERMINED
    lo, hi = fit.slope - z * fit.stderr, fit.slope + z * fit.stderr
    if lo > margin:
        return GROWTH
    if hi < -margin:
        return DECAY
    if -margin <= lo and hi <= margin:
        return BOUNDED
    return UNDECIDED
