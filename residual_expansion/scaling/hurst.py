"""The Hurst map: res-3 with fractional-Gaussian-noise weights over a grid of (beta, H).

Weights (Marion et al.'s Figure 7): every entry of V_k and W_k is, as a sequence over the
layers k, unit-variance fractional Gaussian noise of Hurst index H divided by sqrt(d)
(H = 1/2: i.i.d. Gaussian of variance 1/d), entries independent of each other.

**First-order energy** (exact, any d; proofs/hurst.md). The order-one part of h_L - h_0 is
alpha sum_k V_k sigma(W_k h_0), and since E[V_i[a,b] V_j[a,b]] = rho(i - j) / d,

    E ||order one||^2 / ||h_0||^2 = alpha^2 S_H(L),   S_H(L) = sum_{i,j=1..L} rho(i-j) k_sigma(rho(i-j)),

with rho the fGn autocovariance and k_sigma(r) = E sigma(X) sigma(Y) for standard normals
of correlation r (the arc-cosine kernel (sqrt(1 - r^2) + r (pi - arccos r)) / (2 pi) for
ReLU). Because k_sigma is increasing, rho (k_sigma(rho) - k_sigma(0)) >= 0 term by term, so
k_sigma(0) L^(2H) + (k_sigma(1) - k_sigma(0)) L <= S_H(L), and S_H(L) = O(L^max(2H, 1)):

    critical beta(H) = max(H, 1/2)      (ReLU, leaky ReLU of slope a != 1)

(for the identity, k(r) = r and S_H(L) = sum rho^2 gives max(1/2, 2H - 1)). At finite depths
the first-order line between L1 < L2 is beta*(H) = log(S_H(L2) / S_H(L1)) / (2 log(L2 / L1)),
which :func:`critical_beta_finite` computes exactly and MARION-HURST compares with the
zero crossing of the measured growth exponent of E ||h_L - h_0||^2 / ||h_0||^2 over beta.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init, fgn_autocovariance
from residual_expansion.scaling.montecarlo import Model, Progress
from residual_expansion.scaling.schedules import power
from residual_expansion.scaling.sweep import Sweep, run_sweep


def relu_kernel(r: np.ndarray) -> np.ndarray:
    """E relu(X) relu(Y) for standard normals of correlation r: (sqrt(1 - r^2) + r (pi - arccos r)) / (2 pi).

    >>> float(relu_kernel(np.array(1.0))), round(float(relu_kernel(np.array(0.0))), 6)
    (0.5, 0.159155)
    """
    r = np.clip(np.asarray(r, dtype=float), -1.0, 1.0)
    return (np.sqrt(1.0 - r * r) + r * (math.pi - np.arccos(r))) / (2.0 * math.pi)


def activation_kernel(activation: str, r: np.ndarray) -> np.ndarray:
    """k_sigma(r) = E sigma(X) sigma(Y) for relu, leaky_relu:a ((1 + a^2) k(r) - 2 a k(-r)) and identity (r).

    Raises
    ------
    UsageError
        For an activation without a closed-form kernel (tanh).
    """
    from residual_expansion.scaling.gradients import pointwise

    act = pointwise(activation)
    r = np.asarray(r, dtype=float)
    if act.name == "relu":
        return relu_kernel(r)
    if act.name == "identity":
        return r
    if act.name.startswith("leaky_relu"):
        a = float(act.slope(np.array(-1.0)))
        return (1.0 + a * a) * relu_kernel(r) - 2.0 * a * relu_kernel(-r)
    raise UsageError(f"activation {activation!r} has no closed-form kernel; the Hurst line needs relu, leaky_relu or identity")


def first_order_sum(depth: int, hurst: float, activation: str = "relu") -> float:
    """S_H(L) = sum_{i,j} rho(i - j) k_sigma(rho(i - j)); alpha^2 S_H(L) is the first-order energy.

    >>> round(first_order_sum(10, 0.5), 12)  # i.i.d.: rho = 1 at lag 0 only, k(1) = 1/2
    5.0
    """
    rho = fgn_autocovariance(depth, hurst)
    f = rho * activation_kernel(activation, rho)
    k = np.arange(1, depth)
    return float(depth * f[0] + 2.0 * np.sum((depth - k) * f[1:]))


def critical_beta_asymptotic(hurst: float, activation: str = "relu") -> float:
    """The L -> infinity critical beta of res-3 with fGn weights: max(H, 1/2) (identity: max(1/2, 2H - 1)).

    >>> critical_beta_asymptotic(0.2), critical_beta_asymptotic(0.8)
    (0.5, 0.8)
    """
    if not 0.0 < hurst < 1.0:
        raise UsageError(f"hurst {hurst} is outside (0, 1)")
    activation_kernel(activation, np.array(0.0))  # validates the activation
    if activation == "identity":
        return max(0.5, 2.0 * hurst - 1.0)
    return max(hurst, 0.5)


def critical_beta_finite(depth1: int, depth2: int, hurst: float, activation: str = "relu") -> float:
    """log(S_H(L2) / S_H(L1)) / (2 log(L2 / L1)): where the first-order energy is equal at L1 and L2.

    >>> round(critical_beta_finite(32, 512, 0.5), 12)
    0.5
    """
    if not 1 <= depth1 < depth2:
        raise UsageError(f"depths must satisfy 1 <= depth1 < depth2, got {depth1}, {depth2}")
    s1, s2 = first_order_sum(depth1, hurst, activation), first_order_sum(depth2, hurst, activation)
    return math.log(s2 / s1) / (2.0 * math.log(depth2 / depth1))


def growth_exponents(small: Sequence, large: Sequence, depth1: int, depth2: int) -> tuple[np.ndarray, np.ndarray]:
    """Per beta: g = (log m2 - log m1) / (2 log(L2 / L1)) of the mean statistics m (SampleStats),
    and its standard error by the delta method; nan where a statistic is missing."""
    scale = 2.0 * math.log(depth2 / depth1)
    g, se = [], []
    for a, b in zip(small, large):
        if a is None or b is None or a.mean <= 0 or b.mean <= 0:
            g.append(math.nan)
            se.append(math.nan)
            continue
        g.append((math.log(b.mean) - math.log(a.mean)) / scale)
        se.append(math.hypot(a.stderr / a.mean, b.stderr / b.mean) / scale)
    return np.array(g), np.array(se)


def crossing(betas: Sequence[float], g: np.ndarray, se: np.ndarray | None = None) -> tuple[float | None, float | None]:
    """The first beta where g crosses from > 0 to <= 0 (linear interpolation), and its standard error
    se(g) / |slope of g| at the crossing; (None, None) without a crossing.

    >>> crossing([0.0, 1.0], np.array([0.5, -0.5]))
    (0.5, None)
    """
    b = np.asarray(betas, dtype=float)
    for j in range(len(b) - 1):
        if np.isfinite(g[j]) and np.isfinite(g[j + 1]) and g[j] > 0 >= g[j + 1]:
            x = b[j] + (b[j + 1] - b[j]) * g[j] / (g[j] - g[j + 1])
            if se is None:
                return float(x), None
            slope = abs(g[j] - g[j + 1]) / (b[j + 1] - b[j])
            return float(x), float(max(se[j], se[j + 1]) / slope)
    return None, None


@dataclass(frozen=True)
class HurstMap:
    """One sweep per Hurst index over the beta grid, with the derived and measured critical lines.

    ``measured_forward`` / ``measured_gradient``: zero crossing of the growth exponent of the
    mean ||h_L - h_0||^2 / ||h_0||^2 (of the mean ||p_L - p_0|| / ||p_L||) between the
    smallest and largest depth (None with one depth or without a crossing), with standard errors.
    """

    model: Model
    hursts: tuple[float, ...]
    betas: tuple[float, ...]
    depths: tuple[int, ...]
    samples: int
    seed: int
    cotangent: str | None
    sweeps: tuple[Sweep, ...]
    derived_asymptotic: tuple[float | None, ...]
    derived_finite: tuple[float | None, ...]
    measured_forward: tuple[tuple[float | None, float | None], ...]
    measured_gradient: tuple[tuple[float | None, float | None], ...]

    @property
    def resolution(self) -> float:
        """The beta grid spacing (the largest gap)."""
        b = sorted(self.betas)
        return float(max(np.diff(b))) if len(b) > 1 else math.inf


def run_hurst_map(model: Model, hursts: Sequence[float], betas: Sequence[float], depths: Sequence[int],
                  samples: int, seed: int, gradients: str | None = None, c: float = 1.0,
                  progress: Progress | None = None) -> HurstMap:
    """Run res-3 (or any model) with fbm:H weights at every (beta, H, depth); locate the critical lines.

    The derived lines need an activation with a closed-form kernel (relu, leaky_relu,
    identity) and res-3; otherwise they are None.

    Raises
    ------
    UsageError
        For a Hurst index outside (0, 1) or empty grids.
    """
    if not hursts or not betas or not depths:
        raise UsageError("hursts, betas and depths must be non-empty")
    bad = [h for h in hursts if not 0.0 < h < 1.0]
    if bad:
        raise UsageError(f"hurst {bad[0]:g} is outside (0, 1); every Hurst index must lie strictly between 0 and 1")
    schedules = [power(b, c) for b in betas]
    lo, hi = min(depths), max(depths)
    sweeps, asym, finite, mf, mg = [], [], [], [], []
    for h in hursts:
        sw = run_sweep(model, Init("fbm", hurst=h), schedules, depths, samples, seed, "materialised", None, progress,
                       gradients=gradients)
        sweeps.append(sw)
        try:
            a = critical_beta_asymptotic(h, model.activation) if model.kind == "res3" else None
            f = critical_beta_finite(lo, hi, h, model.activation) if model.kind == "res3" and hi > lo else None
        except UsageError:
            a, f = None, None
        asym.append(a)
        finite.append(f)
        if hi > lo:
            small = [r for r in sw.rows if r.run.depth == lo]
            large = [r for r in sw.rows if r.run.depth == hi]
            g, se = growth_exponents([r.run.sq_ratio for r in small], [r.run.sq_ratio for r in large], lo, hi)
            mf.append(crossing(betas, g, se))
            if gradients is not None:
                g2, se2 = growth_exponents([None if r.gradient.explodes else r.gradient.diff_ratio for r in small],
                                           [None if r.gradient.explodes else r.gradient.diff_ratio for r in large],
                                           lo, hi)
                mg.append(crossing(betas, 2.0 * g2, 2.0 * se2))
            else:
                mg.append((None, None))
        else:
            mf.append((None, None))
            mg.append((None, None))
    return HurstMap(model, tuple(hursts), tuple(betas), tuple(depths), samples, seed, gradients, tuple(sweeps),
                    tuple(asym), tuple(finite), tuple(mf), tuple(mg))
