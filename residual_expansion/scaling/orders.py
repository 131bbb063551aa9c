"""Per-order energies of random nonlinear stacks through the Taylor-mode route, and the depth-independent bound.

For uniform lambda, x_n(lambda) = sum_k lambda^k T_k (docs/theory.md#the-residual-expansion-theorem); Taylor-mode propagation gives T_0..T_K exactly (up to rounding) for every sample at
once, batched over per-sample weights. The order-k part at a given lambda is lambda^k T_k, so
one propagation serves every schedule: lambda = c/n, c/sqrt(n) and 1.

Depth-independent bound at lambda = c/n (proofs/normalization.md, "Per-order bound"): if
||g_i(x)|| <= D_0 and ||g_i^(m)(x)|| <= D_m (operator norms of the m-linear maps) for every
layer i, then

    ||(c/n)^k T_k|| <= c^k y_k,    y(t) = sum_k y_k t^k the solution of y' = sum_m D_m y^m / m!, y(0) = 0,

because a_n(tau) <= n^|tau| / gamma(tau) (strictly decreasing labelings inject into disjoint unit
cubes of the order simplex) and the exact flow's B-series is sum_tau t^|tau| F(tau) / (sigma gamma).
For identity modules g_i(x) = x the bound is c^k ||x|| / k! and the truth C(n, k) (c/n)^k ||x||:
tight as n grows.

Res-3 (g = V phi(W h)): D_0 = max_i ||g_i(x)||, D_m <= max_i ||V_i||_F max_j |phi^(m)(W_i x)_j| ||W_i||_F^m
(Frobenius norms bound the operator norms and cost no singular value decomposition).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.activations import activation as get_activation
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import DRAW_BUDGET, Model, SampleStats, iid_layers, input_state, layer_draw_bytes
from residual_expansion.scaling.normalized import branch, require_iid
from residual_expansion.scaling.streams import ROUTE_KEYS, Draws

#: The share of ||x_n - x|| under which the remainder counts as negligible (1 %).
NEGLIGIBLE = 0.01
ORDERS_KEY = ROUTE_KEYS["orders"]  # first spawn-key entry of the samples' streams
#: Bytes of the arrays one chunk of samples may hold at once, besides the coefficients it fills
#: (:func:`chunk_samples`).
LAYER_BUDGET = 32 * 2**20


def flow_bound(derivative_bounds: Sequence[float] | np.ndarray, order: int) -> np.ndarray:
    """y_0..y_K of y' = sum_m D_m y^m / m!, y(0) = 0 (coefficients of t^k; y_0 = 0).

    Recurrence (k+1) y_{k+1} = [t^k] sum_m D_m y(t)^m / m!, powers of y truncated at order K.

    >>> [round(float(v), 12) for v in flow_bound([1.0, 1.0], 4)]
    [0.0, 1.0, 0.5, 0.166666666667, 0.041666666667]

    Raises
    ------
    UsageError
        For a negative order or a negative bound.
    """
    D = np.asarray(derivative_bounds, dtype=float)
    if order < 0:
        raise UsageError(f"order must be >= 0, got {order}")
    if np.any(D < 0):
        raise UsageError("derivative_bounds must be >= 0")
    y = np.zeros(order + 1)
    for k in range(order):
        # f(y) up to t^k: sum_m D_m y^m / m!
        total = 0.0
        power = np.zeros(order + 1)
        power[0] = 1.0
        for m in range(len(D)):
            if m > 0:
                power = np.convolve(power, y)[: order + 1]
            total += D[m] * power[k] / math.factorial(m)
        y[k + 1] = total / (k + 1)
    return y


@dataclass(frozen=True)
class TaylorSample:
    """Taylor coefficients of a batch of random stacks: ``coefficients`` (K+1, S, d), and per sample the
    derivative bounds D_0..D_K (S, K+1) of :func:`flow_bound`; the stacks themselves are not kept, but
    drawn again from their streams (``init``, ``depth``, ``seed``, ``tied``) by :func:`forward`."""

    coefficients: np.ndarray
    bounds: np.ndarray
    model: Model
    init: Init
    depth: int
    seed: int
    tied: bool = False


def chunk_bytes_per_sample(model: Model, order: int) -> int:
    """Peak bytes one sample adds to a chunk of :func:`taylor_sample` or :func:`forward`, besides its
    coefficients: ``matrices`` d x d blocks for the einsums and norms, 10 (K + 1) vectors of width d
    for the series (Z, phi's series of Z, G, the derivatives, their products), and the drawn weights
    (:func:`~residual_expansion.scaling.montecarlo.layer_draw_bytes`).

    >>> chunk_bytes_per_sample(Model("res3", "tanh", dim=8), 4)  # 8 (2 * 64 + 50 * 8) + 16 (2 * 64 + 2048) + 1024
    40064
    """
    d = model.dim
    return 8 * (model.matrices * d * d + 10 * (order + 1) * d) + layer_draw_bytes(model)


def chunk_samples(model: Model, order: int, samples: int) -> int:
    """Samples per chunk: ``(LAYER_BUDGET - DRAW_BUDGET) // chunk_bytes_per_sample``, at least 1, at most
    ``samples``. Each sample draws from its own stream, so the chunk size changes no number.

    >>> chunk_samples(Model("res3", "tanh", dim=8), 4, 10_000)
    785
    """
    return max(1, min(samples, (LAYER_BUDGET - DRAW_BUDGET) // chunk_bytes_per_sample(model, order)))


def _taylor_chunk(model: Model, init: Init, draws: Draws, depth: int, order: int, tied: bool):
    """Coefficients (K+1, c, d) and bounds (c, K+1) of the samples of ``draws``."""
    act = get_activation(model.activation)
    c = draws.count
    x = input_state(model, init, draws)
    X = np.zeros((order + 1, c, model.dim))
    X[0] = x
    bounds = np.zeros((c, order + 1))
    for mats in iid_layers(model, init, draws, depth, tied):
        if model.kind == "linear":
            (a,) = mats
            G = np.einsum("cab,kcb->kca", a, X[:order])
            g0 = np.einsum("cab,cb->ca", a, x)
            dm = np.zeros((c, order + 1))
            dm[:, 0] = np.linalg.norm(g0, axis=-1)
            if order >= 1:
                dm[:, 1] = np.sqrt(np.sum(a * a, axis=(1, 2)))
        else:
            if model.kind == "res1":
                (v,) = mats
                Z = X[:order]
                z0, wn = x, np.ones(c)
            else:
                w, v = mats
                Z = np.einsum("cab,kcb->kca", w, X[:order])
                z0, wn = np.einsum("cab,cb->ca", w, x), np.sqrt(np.sum(w * w, axis=(1, 2)))
            G = np.einsum("cab,kcb->kca", v, act.series(Z)) if order else Z
            ders = act.derivatives(z0, order)  # (order+1, c, d)
            vn = np.sqrt(np.sum(v * v, axis=(1, 2)))
            dm = np.zeros((c, order + 1))
            dm[:, 0] = np.linalg.norm(np.einsum("cab,cb->ca", v, ders[0]), axis=-1)
            for m in range(1, order + 1):
                dm[:, m] = vn * np.max(np.abs(ders[m]), axis=-1) * wn**m
        bounds = np.maximum(bounds, dm)
        if order:
            X[1:] += G
    return X, bounds


def taylor_sample(
    model: Model, init: Init, depth: int, order: int, samples: int, seed: int, tied: bool = False
) -> TaylorSample:
    """Draw ``samples`` res-1/res-3/linear stacks and propagate their Taylor series to order K.

    ``tied``: one module per network, shared by every layer (perfectly correlated weights, the
    regime where lambda = c/n is needed); otherwise independent modules per layer.

    Draws: sample j of depth n draws from its own stream SeedSequence(seed, spawn_key=(17, n, j))
    (:func:`residual_expansion.scaling.streams.sample_generator`): its input (x, then A), then its
    weights layer after layer (one layer when tied). The samples run in chunks within
    :data:`LAYER_BUDGET` (:func:`chunk_samples`), which changes no number; the weights are not kept.

    >>> ts = taylor_sample(Model("res3", "tanh", dim=4, input_dim=4), Init("iid-gaussian"), 3, 2, 5, 0)
    >>> ts.coefficients.shape, ts.bounds.shape
    ((3, 5, 4), (5, 3))

    Raises
    ------
    UsageError
        For a non-i.i.d. law or a negative order.
    """
    require_iid(init, "per-order energies")
    if order < 0:
        raise UsageError(f"order must be >= 0, got {order}")
    X = np.zeros((order + 1, samples, model.dim))
    bounds = np.zeros((samples, order + 1))
    per = chunk_samples(model, order, samples)
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, samples, per):
            stop = min(samples, start + per)
            draws = Draws.of(seed, (ORDERS_KEY, depth), start, stop)
            X[:, start:stop], bounds[start:stop] = _taylor_chunk(model, init, draws, depth, order, tied)
    return TaylorSample(X, bounds, model, init, depth, seed, tied)


def forward(ts: TaylorSample, lam: float) -> np.ndarray:
    """x_n(lambda) by the plain forward pass of the same stacks through the family modules, shape (S, d).

    The stacks are drawn again from the samples' streams (the same numbers as in :func:`taylor_sample`);
    layer k is :func:`~residual_expansion.scaling.normalized.branch` (the family module of the sampled
    matrices, models/families.py), the one batched forward the other sweeps run.

    >>> ts = taylor_sample(Model("linear", dim=3, input_dim=3), Init("iid-uniform"), 2, 2, 4, 0)
    >>> bool(np.allclose(forward(ts, 0.5), ts.coefficients[0] + 0.5 * ts.coefficients[1] + 0.25 * ts.coefficients[2]))
    True
    """
    model = ts.model
    act = get_activation(model.activation)
    samples = ts.coefficients.shape[1]
    out = np.empty((samples, model.dim))
    per = chunk_samples(model, 0, samples)
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, samples, per):
            stop = min(samples, start + per)
            draws = Draws.of(ts.seed, (ORDERS_KEY, ts.depth), start, stop)
            h = input_state(model, ts.init, draws)[:, None, :]
            for mats in iid_layers(model, ts.init, draws, ts.depth, ts.tied):
                h = h + lam * branch(model.kind, act, mats, h)
            out[start:stop] = h[:, 0, :]
    return out


@dataclass(frozen=True)
class OrderProfile:
    """Per-order energies at one lambda: E ||lambda^k T_k||^2 / ||x||^2 (k = 1..K), the relative remainders
    mean ||R_K||^2 / mean ||x_n - x||^2 after each order K, and the first K whose remainder is under 1 %
    of ||x_n - x|| in root mean square (None: not within the orders computed)."""

    label: str
    lam: float
    energies: tuple[SampleStats, ...]
    remainders: tuple[float, ...]
    negligible_from: int | None


def order_profile(ts: TaylorSample, lam: float, label: str) -> OrderProfile:
    """The per-order energies and remainders of the sampled stacks at ``lam``.

    >>> ts = taylor_sample(Model("linear", dim=4, input_dim=4), Init("iid-gaussian"), 2, 2, 50, 0)
    >>> p = order_profile(ts, 0.5, "x")
    >>> p.remainders[-1] < 1e-20, p.negligible_from
    (True, 2)
    """
    T = ts.coefficients
    K = T.shape[0] - 1
    x = T[0]
    with np.errstate(all="ignore"):
        lam64 = np.float64(lam)
        e0 = np.sum(x * x, axis=-1)
        energies = tuple(SampleStats.of(np.sum((lam64**k * T[k]) ** 2, axis=-1) / e0) for k in range(1, K + 1))
        xn = forward(ts, lam)
        total = np.mean(np.sum((xn - x) ** 2, axis=-1))
        partial = x.copy()
        rem = []
        for k in range(1, K + 1):
            partial = partial + lam64**k * T[k]
            r = np.mean(np.sum((xn - partial) ** 2, axis=-1)) / total if total > 0 else 0.0
            rem.append(float(r) if np.isfinite(r) else math.inf)
    first = next((k + 1 for k, r in enumerate(rem) if math.isfinite(r) and r < NEGLIGIBLE**2), None)
    return OrderProfile(label, lam, energies, tuple(rem), first)


def standard_lambdas(depth: int, c: float = 1.0) -> tuple[tuple[str, float], ...]:
    """The three schedules of the per-order picture: c/n, c/sqrt(n) and 1.

    >>> standard_lambdas(4)
    (('c/n', 0.25), ('c/sqrt(n)', 0.5), ('1', 1.0))
    """
    return (("c/n", c / depth), ("c/sqrt(n)", c / math.sqrt(depth)), ("1", 1.0))


@dataclass(frozen=True)
class OrderProfiles:
    """``scaling --orders K`` for nonlinear models: one profile per (schedule, depth)."""

    model: Model
    init: Init
    order: int
    samples: int
    seed: int
    rows: tuple[tuple[int, OrderProfile], ...]
    tied: bool = False


def run_order_profiles(
    model: Model, init: Init, schedules: Sequence, depths: Sequence[int], order: int, samples: int, seed: int,
    tied: bool = False,
) -> OrderProfiles:
    """Per-order energies and remainders for every power schedule (lambda = c L^(-beta)) at every depth.

    One Taylor propagation per depth serves all schedules (the coefficients do not depend on lambda).

    >>> from residual_expansion.scaling.schedules import power
    >>> pr = run_order_profiles(Model("res3", "tanh", dim=4, input_dim=4), Init("iid-gaussian"), [power(1.0)], [4], 2, 20, 0)
    >>> [(L, p.label) for L, p in pr.rows]
    [(4, 'beta=1')]

    Raises
    ------
    UsageError
        For order < 1, fewer than 2 samples or the laws :func:`taylor_sample` rejects.
    """
    if order < 1:
        raise UsageError(f"order must be >= 1 for per-order energies of nonlinear models, got {order}")
    if samples < 2:
        raise UsageError(f"samples {samples} is too small; at least 2 samples are needed for a standard error")
    rows = []
    for L in depths:
        ts = taylor_sample(model, init, L, order, samples, seed, tied)
        for sch in schedules:
            lam = float(sch.scales(L)[0])
            rows.append((L, order_profile(ts, lam, sch.label)))
    return OrderProfiles(model, init, order, samples, seed, tuple(rows), tied)
