"""Continuous-time limits of deep random residual networks: the neural SDE and the neural ODE.

**Neural SDE** (i.i.d. weights, alpha_L = c L^(-1/2); proofs/limits.md). Each layer adds a
centred increment whose conditional covariance given h is (gamma / d) ||h||^2 I per unit of
alpha^2, with gamma = s^2 for linear modules (and res-1 with the identity) and
gamma = kappa s^4 for res-3 with kappa = E sigma(z)^2 / E z^2 (1/2 for ReLU,
(1 + a^2)/2 for leaky ReLU of slope a, 1 for the identity). The martingale central limit
theorem makes h_{floor(tL)} converge to dH_t = sqrt(gamma / d) ||H_t|| dB_t on [0, T],
T = lim L alpha_L^2 = c^2, and Ito's formula gives the exact one-dimensional law

    log(||H_T||^2 / ||H_0||^2) ~ N((d - 2) (gamma / d) T, 4 (gamma / d) T).

For Gaussian weights the finite-L law is exact too: ||h_k||^2 / ||h_{k-1}||^2 are i.i.d.
across layers, each a^2 chi'^2_d(1 / a^2) (non-central chi-square) with a^2 =
lambda_k^2 s^2 r^2 / d, r = ||u|| / ||h|| (u = h for linear modules, u = sigma(W h) for res-3:
r^2 = (s^2 / d) chi^2_B, B ~ Binomial(d, 1/2) for ReLU, chi^2_d for the identity), so the
log ratio is a sum of L i.i.d. terms whose mean and variance :func:`finite_log_moments`
computes by quadrature (Poisson mixture of central chi-squares, digamma and trigamma);
they approach the limit at rate O(1/L).

**Neural ODE** (smooth weights, alpha_L = 1/L). :class:`SmoothWeights` is a Gaussian
process in t with covariance sum_m w_m cos(omega_m (t - t')), a Gauss-Hermite quadrature
of the squared-exponential spectrum (the kernel error is below 1e-15 on [0, 1] for the
default 80 nodes at bandwidth 0.1), so it can be evaluated at any t. The stack
h_k = h_{k-1} + (1/L) V(k/L) sigma(W(k/L) h_{k-1}) is a first-order scheme for
dH/dt = V(t) sigma(W(t) H); :func:`ode_errors` compares it with scipy's ``solve_ivp``
(DOP853, rtol 1e-11) and the error decays like 1/L.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init
from residual_expansion.scaling.gradients import pointwise
from residual_expansion.scaling.montecarlo import Model
from residual_expansion.scaling.schedules import Schedule

#: Gauss-Hermite nodes of the smooth weight functions (kernel error < 1e-15 at bandwidth 0.1).
HERMITE_NODES = 80


# --------------------------------------------------------------------------- the neural SDE


@dataclass(frozen=True)
class LogNormalLaw:
    """The SDE limit law of log(||H_T||^2 / ||H_0||^2): a normal law N(mean, var)."""

    gamma: float
    dim: int
    horizon: float

    @property
    def mean(self) -> float:
        """(d - 2) (gamma / d) T."""
        return (self.dim - 2) * self.gamma / self.dim * self.horizon

    @property
    def var(self) -> float:
        """4 (gamma / d) T."""
        return 4.0 * self.gamma / self.dim * self.horizon

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return stats.norm.cdf(x, loc=self.mean, scale=math.sqrt(self.var))

    def pdf_of_norm_ratio(self, r: np.ndarray) -> np.ndarray:
        """Density of ||H_T|| / ||H_0|| = exp(X / 2), X ~ N(mean, var): 2 phi(2 log r) / r."""
        r = np.asarray(r, dtype=float)
        return 2.0 * stats.norm.pdf(2.0 * np.log(r), loc=self.mean, scale=math.sqrt(self.var)) / r


def sde_gamma(model: Model) -> float | None:
    """gamma with Sigma(H) = (gamma / d) ||H||^2 I, or None when the covariance is not isotropic
    in that form (res-1 with a non-linear sigma, res-2, res-3 with tanh).

    >>> sde_gamma(Model("linear")), sde_gamma(Model("res3", "relu")), sde_gamma(Model("res3", "tanh"))
    (1.0, 0.5, None)
    """
    act = pointwise(model.activation)
    s2 = model.s**2
    if model.kind == "linear" or (model.kind == "res1" and act.name == "identity"):
        return s2
    if model.kind == "res3" and act.kappa is not None:
        return act.kappa * s2 * s2
    return None


def sde_limit_for(model: Model, init: Init, schedule: Schedule, depth: int) -> LogNormalLaw | None:
    """The SDE limit law that the row (schedule beta = 1/2, i.i.d. weights) converges to, else None."""
    if not init.iid or not schedule.is_power or schedule.beta != 0.5:
        return None
    gamma = sde_gamma(model)
    return None if gamma is None else LogNormalLaw(gamma, model.dim, schedule.c**2)


def _log_ncx2_moments(a2: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of log(a^2 chi'^2_d(1 / a^2)) for each a^2 > 0 (Poisson mixture)."""
    means, variances = np.empty(len(a2)), np.empty(len(a2))
    for i, a in enumerate(a2):
        mu = 0.5 / a
        lo = max(0, int(mu - 12.0 * math.sqrt(mu) - 20))
        hi = int(mu + 12.0 * math.sqrt(mu) + 20)
        j = np.arange(lo, hi + 1)
        w = stats.poisson.pmf(j, mu)
        w = w / w.sum()
        m_j = math.log(2.0) + special.digamma(d / 2.0 + j)
        mean = float(np.sum(w * m_j))
        var = float(np.sum(w * (special.polygamma(1, d / 2.0 + j) + (m_j - mean) ** 2)))
        means[i], variances[i] = mean + math.log(a), var
    return means, variances


def finite_log_moments(model: Model, lams: Sequence[float] | np.ndarray, quad: int = 48) -> tuple[float, float]:
    """Exact mean and variance of log(||h_L||^2 / ||h_0||^2) for i.i.d. Gaussian weights.

    Linear modules and res-3 with ReLU or the identity (see the module docstring); ``quad``
    generalised Gauss-Laguerre nodes integrate over r^2 for res-3.

    >>> m, v = finite_log_moments(Model("linear", dim=8), [1 / 16] * 256)  # limit: (0.75, 0.5)
    >>> round(m, 3), round(v, 3)
    (0.749, 0.498)

    Raises
    ------
    UsageError
        For other models or activations.
    """
    d, s2 = model.dim, model.s**2
    lam2 = np.asarray(lams, dtype=float) ** 2
    if model.kind == "linear":
        mixture = [(1.0, np.array([1.0]), np.array([1.0]))]
    elif model.kind == "res3" and model.activation in ("relu", "identity"):
        dofs = [(float(stats.binom.pmf(b, d, 0.5)), b) for b in range(d + 1)] if model.activation == "relu" else [(1.0, d)]
        mixture = []
        for pb, b in dofs:
            if b == 0:
                mixture.append((pb, np.array([0.0]), np.array([1.0])))
                continue
            y, w = special.roots_genlaguerre(quad, b / 2.0 - 1.0)
            w = w / special.gamma(b / 2.0)
            mixture.append((pb, (s2 / d) * 2.0 * y, w))  # r^2 = (s^2/d) chi^2_b, chi^2_b = 2 Gamma(b/2)
    else:
        raise UsageError("exact finite-depth moments exist for model linear and res3 with relu or identity only")
    total_mean, total_var = 0.0, 0.0
    for lam in np.unique(lam2):
        count = int(np.sum(lam2 == lam))
        e1, e2 = 0.0, 0.0
        for pb, r2, w in mixture:
            a2 = lam * s2 * r2 / d
            pos = a2 > 0
            m = np.zeros_like(a2)
            v = np.zeros_like(a2)
            if np.any(pos):
                m[pos], v[pos] = _log_ncx2_moments(a2[pos], d)
            e1 += pb * float(np.sum(w * m))
            e2 += pb * float(np.sum(w * (v + m * m)))
        total_mean += count * e1
        total_var += count * (e2 - e1 * e1)
    return total_mean, total_var


def log_ratio_samples(model: Model, lams: Sequence[float] | np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Samples of log(||h_L||^2 / ||h_0||^2) of the discrete network with i.i.d. Gaussian weights.

    Exact shortcut (proofs/scaling.md): M h for a fresh Gaussian M of variance s^2/d,
    independent of h, has the law of (s ||h|| / sqrt(d)) z, z ~ N(0, I_d); h_0 is any fixed
    unit vector (the law is rotation invariant). Linear, res-1, res-2 and res-3.
    """
    act = pointwise(model.activation)
    d = model.dim
    rng = np.random.default_rng(np.random.SeedSequence([seed, len(lams), samples]))
    scale = model.s / math.sqrt(d)
    h = np.zeros((samples, d))
    h[:, 0] = 1.0

    def apply(x: np.ndarray) -> np.ndarray:
        return scale * np.linalg.norm(x, axis=-1, keepdims=True) * rng.standard_normal(x.shape)

    with np.errstate(all="ignore"):
        for lam in lams:
            if model.kind == "linear":
                h = h + lam * apply(h)
            elif model.kind == "res1":
                h = h + lam * apply(act.value(h))
            elif model.kind == "res2":
                h = h + lam * act.value(apply(h))
            else:
                h = h + lam * apply(act.value(apply(h)))
        return np.log(np.sum(h * h, axis=-1))


def ks_distance(samples: np.ndarray, law: LogNormalLaw) -> float:
    """One-sample Kolmogorov-Smirnov distance sup_x |F_n(x) - F(x)|.

    >>> ks_distance(np.array([0.0]), LogNormalLaw(1.0, 4, 0.0 + 1e-300)) <= 1.0
    True
    """
    x = np.sort(np.asarray(samples, dtype=float))
    n = len(x)
    f = law.cdf(x)
    return float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))


def ks_critical(n: int, level: float = 1e-3) -> float:
    """Asymptotic critical value sqrt(-log(level / 2) / 2) / sqrt(n) of the KS distance at ``level``.

    >>> round(ks_critical(10_000, 0.05), 4)
    0.0136
    """
    return math.sqrt(-math.log(level / 2.0) / 2.0) / math.sqrt(n)


# --------------------------------------------------------------------------- the neural ODE


@dataclass(frozen=True)
class SmoothWeights:
    """Random smooth functions t -> R^shape: sum_m sqrt(w_m) (A_m cos(omega_m t) + B_m sin(omega_m t)).

    omega_m = sqrt(2) x_m / b, w_m = 2 v_m / sqrt(pi) over the positive Gauss-Hermite nodes
    x_m (weights v_m), so the covariance is the quadrature of E cos(omega (t - t')), omega ~
    N(0, 1/b^2), i.e. exp(-(t - t')^2 / (2 b^2)) up to :meth:`kernel_error`.

    >>> f = smooth_weights((2, 3), np.random.default_rng(0))
    >>> f.value(np.array([0.0, 0.5])).shape
    (2, 2, 3)
    """

    omega: np.ndarray
    sqrt_w: np.ndarray
    cos_coef: np.ndarray
    sin_coef: np.ndarray
    bandwidth: float

    def value(self, t: np.ndarray) -> np.ndarray:
        """Values at the times t (shape (T,)), shape (T, *shape)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        c = np.cos(np.outer(t, self.omega)) * self.sqrt_w
        s = np.sin(np.outer(t, self.omega)) * self.sqrt_w
        return np.tensordot(c, self.cos_coef, axes=(1, 0)) + np.tensordot(s, self.sin_coef, axes=(1, 0))

    def kernel_error(self, grid: int = 2001) -> float:
        """max over tau in [0, 1] of |sum_m w_m cos(omega_m tau) - exp(-tau^2 / (2 b^2))|."""
        tau = np.linspace(0.0, 1.0, grid)
        k = np.sum(self.sqrt_w[:, None] ** 2 * np.cos(np.outer(self.omega, tau)), axis=0)
        return float(np.max(np.abs(k - np.exp(-tau**2 / (2.0 * self.bandwidth**2)))))


def smooth_weights(shape: tuple[int, ...], rng: np.random.Generator, bandwidth: float = 0.1,
                   nodes: int = HERMITE_NODES) -> SmoothWeights:
    """Draw :class:`SmoothWeights` of the given shape (unit variance at every t)."""
    x, v = np.polynomial.hermite.hermgauss(nodes)
    pos = x > 0
    omega = math.sqrt(2.0) * x[pos] / bandwidth
    w = 2.0 * v[pos] / math.sqrt(math.pi)
    if nodes % 2:  # the zero node has no sine part
        omega = np.concatenate([[0.0], omega])
        w = np.concatenate([[v[~pos & (x == 0)].sum() / math.sqrt(math.pi)], w])
    m = len(omega)
    return SmoothWeights(omega, np.sqrt(w), rng.standard_normal((m, *shape)), rng.standard_normal((m, *shape)),
                         bandwidth)


@dataclass(frozen=True)
class OdeErrors:
    """Relative errors ||h_L - H(1)|| / ||H(1)|| (root mean square over networks) against L."""

    depths: tuple[int, ...]
    errors: tuple[float, ...]
    reference_error: float
    kernel_error: float
    networks: int
    dim: int


def _field(vw: np.ndarray, act, h: np.ndarray) -> np.ndarray:
    """V sigma(W h) for vw of shape (N, 2, d, d) (W = vw[:, 0], V = vw[:, 1]) and h (N, d)."""
    z = np.einsum("nij,nj->ni", vw[:, 0], h)
    return np.einsum("nij,nj->ni", vw[:, 1], act.value(z))


def ode_errors(depths: Sequence[int], networks: int = 4, dim: int = 8, activation: str = "tanh", seed: int = 0,
               bandwidth: float = 0.1, end_time: float = 1.0, rtol: float = 1e-11) -> OdeErrors:
    """Errors of the stack at alpha = 1/L against the neural ODE with the same weight functions.

    Weights W(t), V(t) = :class:`SmoothWeights` / sqrt(d); h_0 = A x as in the Monte Carlo
    (x ~ U[0,1]^d, A Gaussian of variance 1/d). The reference is ``solve_ivp`` (DOP853)
    integrated to ``end_time`` (1 for the real claim) at ``rtol``; ``reference_error`` is the
    difference between that solution and one at rtol * 1e-2, relative to ||H(1)||.

    Raises
    ------
    UsageError
        For an empty depth list or sizes below 1.
    """
    # start-up: scipy.integrate loads only for the ODE reference solution
    from scipy.integrate import solve_ivp

    if not depths or min(depths) < 1 or networks < 1 or dim < 1:
        raise UsageError("depths must be a non-empty list of positive integers; networks and dim must be positive")
    act = pointwise(activation)
    rng = np.random.default_rng(np.random.SeedSequence([seed, networks, dim]))
    fw = smooth_weights((networks, 2, dim, dim), rng, bandwidth)
    scale = 1.0 / math.sqrt(dim)
    x = rng.random((networks, dim))
    h0 = np.einsum("nij,nj->ni", rng.standard_normal((networks, dim, dim)) * scale, x)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        vw = fw.value(np.array([t]))[0] * scale
        return _field(vw, act, y.reshape(networks, dim)).ravel()

    def reference(tol: float) -> np.ndarray:
        sol = solve_ivp(rhs, (0.0, end_time), h0.ravel(), method="DOP853", rtol=tol, atol=tol * 1e-2)
        return sol.y[:, -1].reshape(networks, dim)

    ref = reference(rtol)
    ref_norm = math.sqrt(float(np.mean(np.sum(ref**2, axis=-1))))
    ref_err = math.sqrt(float(np.mean(np.sum((ref - reference(rtol * 1e-2)) ** 2, axis=-1)))) / ref_norm
    errors = []
    for L in depths:
        vws = fw.value(np.arange(1, L + 1) / L) * scale
        h = h0.copy()
        for k in range(L):
            h = h + _field(vws[k], act, h) / L
        errors.append(math.sqrt(float(np.mean(np.sum((h - ref) ** 2, axis=-1)))) / ref_norm)
    return OdeErrors(tuple(depths), tuple(errors), ref_err, fw.kernel_error(), networks, dim)
