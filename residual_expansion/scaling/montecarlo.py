"""Batched Monte Carlo of random residual networks: forward passes and statistics.

Models (docs/theory.md#iid-linear-modules and docs/theory.md#marion-models), input h_0 = A x with x ~ U[0,1]^n_in and A (d x n_in)
i.i.d. of variance 1/n_in (uniform entries for ``iid-uniform``, Gaussian otherwise):

- ``linear``: h_k = h_{k-1} + lambda_k A_k h_{k-1}
- ``res1``:   h_k = h_{k-1} + lambda_k V_k sigma(h_{k-1})
- ``res2``:   h_k = h_{k-1} + lambda_k sigma(V_k h_{k-1})
- ``res3``:   h_k = h_{k-1} + lambda_k V_k sigma(W_k h_{k-1})

Weight entries have variance s^2/d under one of the weight laws of
:mod:`residual_expansion.models.weights` (``iid-uniform``, ``iid-gaussian``, ``smooth``,
``fbm:H``); activations come from :mod:`residual_expansion.models.activations`.

Routes. ``materialised`` draws every weight matrix (any law). For i.i.d. Gaussian weights
two exact shortcuts avoid the d x d draws: W h with W independent of h has the law of
(s ||h|| / sqrt(d)) z, z ~ N(0, I_d) (``gaussian-vector``); for res-3 with ReLU or the
identity, and for linear modules, the pair (||h_k||, ||h_k - h_0||) is itself a Markov
chain driven by five scalar draws per layer (``gaussian-radial``, proofs/scaling.md).

Every run is vectorised over samples (loops run over layers and memory-bounded chunks of
samples only); overflow is recorded as the first layer where a sample became non-finite.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.activations import activation
from residual_expansion.models.weights import Init, correlated_paths, draw_iid, smooth_factor
from residual_expansion.scaling.schedules import Schedule

MODELS = ("linear", "res1", "res2", "res3")
ROUTES = ("auto", "materialised", "gaussian-vector", "gaussian-radial")

#: Memory budgets (bytes) for one layer's weights and for a chunk's correlated weight paths.
LAYER_BUDGET = 32 * 2**20
PATH_BUDGET = 256 * 2**20

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Model:
    """A residual architecture: kind (``linear``, ``res1``, ``res3``), activation, widths, weight scale s."""

    kind: str
    activation: str = "relu"
    dim: int = 40
    input_dim: int = 64
    s: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in MODELS:
            raise UsageError(f"unknown model {self.kind!r}; allowed: {', '.join(MODELS)}")
        activation(self.activation)  # raises UsageError for an unknown name
        if self.dim < 2:
            raise UsageError(f"dim {self.dim} is too small; a width d >= 2 is required", parameters=("dim",))
        if self.input_dim < 1:
            raise UsageError(f"input_dim {self.input_dim} is not positive", parameters=("input_dim",))
        if not (math.isfinite(self.s) and self.s > 0):
            raise UsageError(f"weight scale {self.s} is not allowed; a finite s > 0 is required")

    @property
    def matrices(self) -> int:
        """Weight matrices per layer (2 for res-3: W and V)."""
        return 2 if self.kind == "res3" else 1


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class SampleStats:
    """Mean, standard error (std / sqrt(n), ddof = 1) and 5/50/95 % quantiles of n samples."""

    n: int
    mean: float
    stderr: float
    q05: float
    q50: float
    q95: float

    @staticmethod
    def of(values: np.ndarray) -> "SampleStats":
        """Statistics of a 1-d array of finite values.

        >>> SampleStats.of(np.array([1.0, 2.0, 3.0])).stderr
        0.5773502691896258
        """
        v = np.asarray(values, dtype=float)
        n = len(v)
        se = float(np.std(v, ddof=1) / math.sqrt(n)) if n > 1 else math.inf
        q = np.quantile(v, [0.05, 0.5, 0.95])
        return SampleStats(n, float(np.mean(v)), se, float(q[0]), float(q[1]), float(q[2]))


@dataclass(frozen=True)
class LogMoments:
    """Mean and variance of n samples of log(||h_L||^2 / ||h_0||^2), each with its standard error.

    The variance is the unbiased sample variance s^2; its standard error is
    sqrt((m4 - s^4 (n - 3) / (n - 1)) / n) with m4 the fourth central sample moment.

    >>> lm = LogMoments.of(np.array([0.0, 1.0, 2.0, 3.0]))
    >>> lm.mean, round(lm.var, 12)
    (1.5, 1.666666666667)
    """

    n: int
    mean: float
    stderr: float
    var: float
    stderr_var: float

    @staticmethod
    def of(values: np.ndarray) -> "LogMoments":
        v = np.asarray(values, dtype=float)
        n = len(v)
        with np.errstate(over="ignore", invalid="ignore"):
            var = float(np.var(v, ddof=1))
            m4 = float(np.mean((v - v.mean()) ** 4))
        se_var = math.sqrt(max(m4 - var * var * (n - 3) / (n - 1), 0.0) / n) if n > 3 else math.inf
        return LogMoments(n, float(v.mean()), math.sqrt(var / n), var, se_var)


@dataclass(frozen=True)
class DepthRun:
    """One schedule at one depth: what the samples measured.

    ``ratio`` is ||h_L - h_0|| / ||h_0||, ``norm_ratio`` is ||h_L|| / ||h_0||, the ``sq_``
    fields their squares. ``orders`` (linear modules with ``orders=K``) holds the energy
    ||order-k part||^2 / ||h_0||^2 for k = 0..K, then the tail (all orders > K).
    ``explodes_at`` is the first layer where a sample overflowed; the statistics are then None.
    ``log_moments``: mean and variance of log(||h_L||^2 / ||h_0||^2) (None when a sample
    overflowed or reached zero).
    """

    schedule: Schedule
    depth: int
    route: str
    samples: int
    explodes_at: int | None
    ratio: SampleStats | None
    sq_ratio: SampleStats | None
    norm_ratio: SampleStats | None
    sq_norm_ratio: SampleStats | None
    orders: tuple[SampleStats, ...] | None = None
    log_moments: LogMoments | None = None


# --------------------------------------------------------------------------- forward passes


def _input(model: Model, init: Init, c: int, rng: np.random.Generator) -> np.ndarray:
    """h_0 = A x, x ~ U[0,1]^n_in, A i.i.d. of variance 1/n_in; shape (c, d)."""
    x = rng.random((c, model.input_dim))
    law = "iid-uniform" if init.kind == "iid-uniform" else "iid-gaussian"
    a = draw_iid(rng, law, (c, model.dim, model.input_dim), 1.0 / math.sqrt(model.input_dim))
    return np.einsum("cij,cj->ci", a, x)


def _summarise(h0: np.ndarray, hl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sample and schedule: ||h_L|| / ||h_0|| and ||h_L - h_0|| / ||h_0||; h0 (c, d), hl (c, m, d)."""
    n0 = np.linalg.norm(h0, axis=-1)[:, None]
    return np.linalg.norm(hl, axis=-1) / n0, np.linalg.norm(hl - h0[:, None, :], axis=-1) / n0


def _first_bad(state: np.ndarray, bad: np.ndarray, layer: int) -> None:
    """Record ``layer`` for every schedule (axis 1) whose state first became non-finite."""
    fresh = ~np.all(np.isfinite(state.reshape(state.shape[0], state.shape[1], -1)), axis=(0, 2)) & (bad == 0)
    bad[fresh] = layer


def _materialised_chunk(model, init, lams, c, rng, orders, tick, factor=None):
    """Draw every weight matrix; lams (m, L). Returns (norm, diff, order energies or None, bad)."""
    m, n_layers = lams.shape
    d, std = model.dim, model.s / math.sqrt(model.dim)
    act = activation(model.activation).value
    h0 = _input(model, init, c, rng)
    bad = np.zeros(m, dtype=int)
    paths = None
    if not init.iid:
        count = c * model.matrices * d * d
        paths = correlated_paths(init, n_layers, count, rng, std, factor).reshape(n_layers, model.matrices, c, d, d)

    def weights(k: int) -> list[np.ndarray]:
        if paths is not None:
            return [paths[k, j] for j in range(model.matrices)]
        return [draw_iid(rng, init.kind, (c, d, d), std) for _ in range(model.matrices)]

    if model.kind == "linear" and orders is not None:
        t = np.zeros((c, m, orders + 2, d))
        t[:, :, 0, :] = h0[:, None, :]
        for k in range(n_layers):
            (a,) = weights(k)
            lam = lams[:, k][None, :, None, None]
            p = (t.reshape(c, -1, d) @ a.transpose(0, 2, 1)).reshape(t.shape)
            t[:, :, 1:orders + 1] += lam * p[:, :, :orders]
            t[:, :, orders + 1] += lam[..., 0, :] * (p[:, :, orders] + p[:, :, orders + 1])
            _first_bad(t, bad, k + 1)
            tick(1)
        hl = t.sum(axis=2)
        energies = np.sum(t**2, axis=-1) / np.sum(h0**2, axis=-1)[:, None, None]
        norm, diff = _summarise(h0, hl)
        return norm, diff, energies, bad

    h = np.repeat(h0[:, None, :], m, axis=1)
    for k in range(n_layers):
        mats = weights(k)
        lam = lams[:, k][None, :, None]
        if model.kind == "linear":
            h = h + lam * (h @ mats[0].transpose(0, 2, 1))
        elif model.kind == "res1":
            h = h + lam * (act(h) @ mats[0].transpose(0, 2, 1))
        elif model.kind == "res2":
            h = h + lam * act(h @ mats[0].transpose(0, 2, 1))
        else:
            w, v = mats
            h = h + lam * (act(h @ w.transpose(0, 2, 1)) @ v.transpose(0, 2, 1))
        _first_bad(h, bad, k + 1)
        tick(1)
    norm, diff = _summarise(h0, h)
    return norm, diff, None, bad


def _vector_chunk(model, init, lams, c, rng, tick):
    """Gaussian shortcut: M h ~ (s ||h|| / sqrt d) z for a fresh Gaussian M independent of h."""
    m, n_layers = lams.shape
    d = model.dim
    scale = model.s / math.sqrt(d)
    act = activation(model.activation).value
    h0 = _input(model, init, c, rng)
    h = np.repeat(h0[:, None, :], m, axis=1)
    bad = np.zeros(m, dtype=int)

    def apply(vectors: np.ndarray) -> np.ndarray:
        return scale * np.linalg.norm(vectors, axis=-1, keepdims=True) * rng.standard_normal(vectors.shape)

    for k in range(n_layers):
        lam = lams[:, k][None, :, None]
        if model.kind == "linear":
            h = h + lam * apply(h)
        elif model.kind == "res1":
            h = h + lam * apply(act(h))
        elif model.kind == "res2":
            h = h + lam * act(apply(h))
        else:
            h = h + lam * apply(act(apply(h)))
        _first_bad(h, bad, k + 1)
        tick(1)
    norm, diff = _summarise(h0, h)
    return norm, diff, None, bad


def _radial_chunk(model, lams, c, rng, tick):
    """Gaussian shortcut on (p, q) = (<h, e>, ||h - <h, e> e||^2), e = h_0 / ||h_0||, ||h_0|| = 1.

    Each layer adds a z with z ~ N(0, I_d) and a = s ||u|| / sqrt(d), where ||u||^2 =
    (s^2 rho^2 / d) * chi2_B, B ~ Binomial(d, 1/2) for res-3/ReLU, chi2_d for res-3/identity,
    and a = s rho / sqrt(d) for linear modules (rho = ||h||). Then p += lam a z_1 and
    q = (sqrt(q) + lam a g)^2 + lam^2 a^2 chi2_{d-2}, g ~ N(0, 1) (rotation invariance).
    """
    m, n_layers = lams.shape
    d, s = model.dim, model.s
    p = np.ones((c, m))
    q = np.zeros((c, m))
    bad = np.zeros(m, dtype=int)
    for k in range(n_layers):
        lam = lams[:, k][None, :]
        rho2 = p * p + q
        if model.kind == "res3":
            if model.activation == "relu":
                dof = rng.binomial(d, 0.5, (c, m))
            else:
                dof = np.full((c, m), d)
            u2 = (s * s * rho2 / d) * rng.gamma(dof / 2.0, 2.0)
            a = s * np.sqrt(u2 / d)
        else:
            a = s * np.sqrt(rho2 / d)
        step = lam * a
        p = p + step * rng.standard_normal((c, m))
        q = (np.sqrt(q) + step * rng.standard_normal((c, m))) ** 2
        if d > 2:
            q = q + step * step * rng.gamma((d - 2) / 2.0, 2.0, (c, m))
        _first_bad(np.stack([p, q], axis=-1), bad, k + 1)
        tick(1)
    norm = np.sqrt(p * p + q)
    diff = np.sqrt((p - 1.0) ** 2 + q)
    return norm, diff, None, bad


def choose_route(model: Model, init: Init, route: str = "auto", orders: int | None = None) -> str:
    """The route for this model and law: an exact Gaussian shortcut when one applies.

    >>> choose_route(Model("res3"), Init("iid-gaussian"))
    'gaussian-radial'
    >>> choose_route(Model("res3"), Init("iid-uniform"))
    'materialised'

    Raises
    ------
    UsageError
        When the requested route is not exact for this model and law.
    """
    if route not in ROUTES:
        raise UsageError(f"unknown route {route!r}; allowed: {', '.join(ROUTES)}")
    radial_ok = (
        init.kind == "iid-gaussian" and orders is None
        and (model.kind == "linear" or (model.kind == "res3" and model.activation in ("relu", "identity")))
    )
    vector_ok = init.kind == "iid-gaussian" and orders is None
    if route == "auto":
        return "gaussian-radial" if radial_ok else "gaussian-vector" if vector_ok else "materialised"
    if route == "gaussian-radial" and not radial_ok:
        raise UsageError(
            "route gaussian-radial is exact only for iid-gaussian weights with linear modules or "
            "res3 with relu/identity, without per-order energies; use route materialised", parameters=("route",)
        )
    if route == "gaussian-vector" and not vector_ok:
        raise UsageError(
            "route gaussian-vector is exact only for iid-gaussian weights without per-order energies; "
            "use route materialised", parameters=("route",)
        )
    return route


def chunk_size(model: Model, init: Init, depth: int, samples: int, route: str) -> int:
    """Samples per chunk so one layer's weights stay under 32 MiB (correlated paths: 256 MiB)."""
    d = model.dim
    if route == "gaussian-radial":
        per = 64
        return max(1, min(samples, LAYER_BUDGET // per))
    if route == "gaussian-vector":
        return max(1, min(samples, LAYER_BUDGET // (8 * d * 4)))
    if init.iid:
        return max(1, min(samples, LAYER_BUDGET // (8 * d * d * model.matrices)))
    return max(1, min(samples, PATH_BUDGET // (8 * d * d * model.matrices * depth * 2)))


def simulate(
    model: Model,
    init: Init,
    schedules: Sequence[Schedule],
    depth: int,
    samples: int,
    seed: int,
    route: str = "auto",
    orders: int | None = None,
    progress: Progress | None = None,
) -> tuple[DepthRun, ...]:
    """Run ``samples`` independent networks of depth L under each schedule; one DepthRun each.

    The same networks are evaluated under every schedule on the materialised route
    (common random numbers); the Gaussian shortcut routes draw independently per schedule.
    Draws come from ``numpy.random.default_rng([seed, depth])``, so a depth's result does
    not depend on the other depths of a sweep.

    Arguments: ``orders`` = K tracks the order-0..K energies and the tail (linear only).
    ``progress`` is called with the number of layers just done (for a progress bar).

    >>> from residual_expansion.scaling.schedules import power
    >>> (run,) = simulate(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), [power(0.5)], 4, 200, 0)
    >>> run.samples, run.explodes_at, run.sq_ratio.mean > 0
    (200, None, True)

    Raises
    ------
    UsageError
        For orders with a model other than linear, a bad route, or sizes below 1.
    """
    if samples < 2:
        raise UsageError(f"samples {samples} is too small; at least 2 samples are needed for a standard error",
                         parameters=("samples",))
    if orders is not None and model.kind != "linear":
        raise UsageError("per-order energies are defined for kind linear only", parameters=("kind",))
    if orders is not None and orders < 0:
        raise UsageError(f"orders {orders} is negative")
    chosen = choose_route(model, init, route, orders)
    lams = np.stack([sch.scales(depth) for sch in schedules])
    rng = np.random.default_rng([seed, depth])
    tick = progress or (lambda _n: None)
    per = chunk_size(model, init, depth, samples, chosen)
    parts = []
    bad = np.zeros(len(schedules), dtype=int)
    factor = smooth_factor(depth, init.bandwidth) if init.kind == "smooth" else None
    with np.errstate(all="ignore"):
        for start in range(0, samples, per):
            c = min(per, samples - start)
            if chosen == "materialised":
                out = _materialised_chunk(model, init, lams, c, rng, orders, tick, factor)
            elif chosen == "gaussian-vector":
                out = _vector_chunk(model, init, lams, c, rng, tick)
            else:
                out = _radial_chunk(model, lams, c, rng, tick)
            parts.append(out[:3])
            b = out[3]
            bad = np.where(bad == 0, b, np.where(b > 0, np.minimum(bad, b), bad))
    norm = np.concatenate([p[0] for p in parts])
    diff = np.concatenate([p[1] for p in parts])
    energies = np.concatenate([p[2] for p in parts]) if orders is not None else None
    runs = []
    for j, sch in enumerate(schedules):
        cols = (diff[:, j], diff[:, j] ** 2, norm[:, j], norm[:, j] ** 2)
        finite = all(np.all(np.isfinite(col)) for col in cols)
        if energies is not None:
            finite = finite and bool(np.all(np.isfinite(energies[:, j])))
        if bad[j] or not finite:
            runs.append(DepthRun(sch, depth, chosen, samples, int(bad[j]) or depth, None, None, None, None, None))
            continue
        order_stats = None
        if energies is not None:
            order_stats = tuple(SampleStats.of(energies[:, j, k]) for k in range(energies.shape[2]))
        logs = LogMoments.of(np.log(norm[:, j] ** 2)) if np.all(norm[:, j] > 0) else None
        runs.append(DepthRun(sch, depth, chosen, samples, None, *(SampleStats.of(col) for col in cols), order_stats, logs))
    return tuple(runs)
