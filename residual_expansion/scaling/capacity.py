"""Capacity of a random residual stack: the input-output Jacobian energy E ||d x_n / d x||_F^2 and its per-order split.

J(lambda) = d x_n / d x = prod_i (I + lambda_i J_i), J_i the branch Jacobian at x_{i-1}
(linear: A_i; res-3: V_i diag(phi'(W_i x_{i-1})) W_i). Its Taylor coefficients at lambda = 0
split it by order: J = sum_k J_k with J_k = sum_{|S| = k} prod_{i in S} lambda_i J_i(x) (for linear
modules and for res-3/ReLU, whose activation pattern is constant near lambda = 0, so the branch
Jacobians are taken at the input x).

Exact identities (proofs/normalization.md, "Capacity"): for i.i.d. symmetric weights of variance
s^2/d, with kappa = s^2 (linear) or s^4 / 2 (res-3/ReLU),

    E ||J||_F^2 = d prod_i (1 + kappa lambda_i^2),     E ||J_k||_F^2 = d e_k(kappa lambda_1^2, ..., kappa lambda_n^2),

because the path products are orthogonal in expectation and E ||V D W v||^2 = (s^4/2) ||v||^2 for
v independent of the layer (the sign symmetry w -> -w of each row of W).
The Monte Carlo measures both: the full Jacobian along the true forward pass at lambda, and the
orders by the recursion J_k <- J_k + lambda_i J_i(x) J_(k-1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.scaling import predictions
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import (
    DRAW_BUDGET, Model, SampleStats, iid_layers, input_state, layer_draw_bytes,
)
from residual_expansion.scaling.normalized import Norm, branch_kappa, normalize, require_iid
from residual_expansion.scaling.streams import ROUTE_KEYS, Draws
from residual_expansion.scaling.schedules import Schedule

#: Bytes of the arrays one chunk of samples may hold at once (:func:`chunk_samples`).
LAYER_BUDGET = 32 * 2**20
CAPACITY_KEY = ROUTE_KEYS["capacity"]  # first spawn-key entry of the samples' streams


def chunk_bytes_per_sample(model: Model, schedules: int, orders: int | None, placement: str | None) -> int:
    """Peak bytes one sample adds to a chunk of :func:`simulate_capacity` (float64 d x d blocks).

    Held through the run: J (m blocks, m = ``schedules``) and, with the order split (``orders``
    K not None), T (m (K + 1)). At the peak of a layer, the larger of the final T * T (m (K + 1),
    which also covers the split's update J_i(x) T, m K) and J_i J with its scaled copy (2 m), or
    with a normalization 5 m (the normalization's Jacobian, its products and the new J); plus the branch
    Jacobians at h and at x (m + 1), one block for the vectors (m d), and the drawn weights
    (:func:`~residual_expansion.scaling.montecarlo.layer_draw_bytes`).

    >>> chunk_bytes_per_sample(Model("linear", dim=8), 1, 3, None)  # 8 * 64 * (5 + 4 + 2 + 1) + 16 (64 + 2048) + 1024
    40960

    Reference: tests/test_normalization.py measures the peak of chunks (tracemalloc) against it.
    """
    m, d = schedules, model.dim
    if orders is None:
        held, peak = m, (5 * m if placement is not None else 2 * m)
    else:
        held, peak = m * (orders + 2), max(m * (orders + 1), 2 * m)
    return 8 * d * d * (held + peak + (m + 1) + 1) + layer_draw_bytes(model)


def chunk_samples(model: Model, schedules: int, orders: int | None, placement: str | None, samples: int) -> int:
    """Samples per chunk: ``(LAYER_BUDGET - DRAW_BUDGET) // chunk_bytes_per_sample``, at least 1, at most
    ``samples`` (a draw of several layers may take up to ``DRAW_BUDGET`` bytes for a small chunk).

    Every sample draws from its own stream (:func:`simulate_capacity`): the chunk size changes the
    memory and the speed, never a number.

    >>> chunk_samples(Model("linear", dim=8), 1, 3, None, 10_000)
    768
    """
    per = (LAYER_BUDGET - DRAW_BUDGET) // chunk_bytes_per_sample(model, schedules, orders, placement)
    return max(1, min(samples, per))


def _act_grad(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return (z > 0).astype(float)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    return np.ones_like(z)


@dataclass(frozen=True)
class CapacityRun:
    """One schedule at one depth: ||J||_F^2 / d (total, along the forward pass at lambda) and
    ||J_k||_F^2 / d for k = 0..K (None when the split is not exact for the model), with predictions."""

    schedule: Schedule
    depth: int
    samples: int
    total: SampleStats
    orders: tuple[SampleStats, ...] | None
    predicted_total: float | None
    predicted_orders: tuple[float, ...] | None


def predicted_jacobian(model: Model, lams: np.ndarray, kmax: int) -> tuple[float | None, tuple[float, ...] | None]:
    """(E ||J||_F^2 / d, (E ||J_k||_F^2 / d)_k) = (prod(1 + kappa lambda^2), e_k(kappa lambda^2)); None without an identity.

    >>> tot, ks = predicted_jacobian(Model("res3", "relu"), np.array([1.0, 1.0]), 2)
    >>> tot, ks
    (2.25, (1.0, 1.0, 0.25))
    """
    kappa = branch_kappa(model.kind, model.activation, model.s)
    if kappa is None or model.kind == "res1":
        return None, None
    lam = np.asarray(lams, dtype=float)
    total = predictions.LogValue(float(np.sum(np.log1p(kappa * lam**2)))).value
    spec = np.exp(predictions.elementary_symmetric_log(kappa * lam**2, kmax))
    return float(total), tuple(float(v) for v in spec)


def _branch_and_jacobian(model: Model, mats, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g(u) (c, m, d) and its Jacobian (c, m, d, d) for linear or res-3 branches."""
    if model.kind == "linear":
        (a,) = mats
        return np.einsum("cab,cmb->cma", a, u), np.broadcast_to(a[:, None], u.shape + (u.shape[-1],))
    w, v = mats
    z = np.einsum("cab,cmb->cma", w, u)
    name = model.activation
    act = np.maximum(z, 0.0) if name == "relu" else (np.tanh(z) if name == "tanh" else z)
    return np.einsum("cab,cmb->cma", v, act), np.einsum("cab,cmb,cbe->cmae", v, _act_grad(name, z), w)


def norm_jacobian(h: np.ndarray, kind: str) -> np.ndarray:
    """dN/dh = (sqrt(d) / ||y||) (I - yhat yhat^T) C, y = C h (C = I for RMSNorm, the centring for LayerNorm).

    >>> J = norm_jacobian(np.array([[3.0, 4.0]]), "rms")
    >>> bool(np.allclose(J[0] @ np.array([3.0, 4.0]), 0.0))
    True
    """
    d = h.shape[-1]
    y = h - h.mean(axis=-1, keepdims=True) if kind == "ln" else h
    r = np.linalg.norm(y, axis=-1, keepdims=True)
    yh = y / r
    proj = np.eye(d) - yh[..., :, None] * yh[..., None, :]
    if kind == "ln":
        proj = proj @ (np.eye(d) - np.full((d, d), 1.0 / d))
    return (np.sqrt(d) / r)[..., None] * proj


def simulate_capacity(
    model: Model, init: Init, schedules: Sequence[Schedule], depth: int, orders: int, samples: int, seed: int,
    norm: Norm | None = None,
) -> tuple[CapacityRun, ...]:
    """Jacobian energies of ``samples`` random linear or res-3 stacks (common weights across schedules).

    With a normalization (``norm``: pre, x + lambda g(N(x)); post, N(x + lambda g(x))) the total is measured
    along the normalized forward pass; the order split and the predictions are then None (no identity).
    Draws: sample j of depth n draws from its own stream SeedSequence(seed, spawn_key=(19, n, j))
    (:func:`residual_expansion.scaling.streams.sample_generator`): its input (x, then A), then its
    weights layer after layer (W_i, then V_i for res-3, row-major), so a sample's numbers do not
    depend on the chunk it is computed in (:func:`chunk_samples`).

    >>> from residual_expansion.scaling.schedules import power
    >>> (r,) = simulate_capacity(Model("linear", dim=4, input_dim=4), Init("iid-gaussian"), [power(0.5)], 2, 2, 100, 0)
    >>> len(r.orders), [round(v, 12) for v in r.predicted_orders]
    (3, [1.0, 1.0, 0.25])

    Raises
    ------
    UsageError
        For res-1, a non-i.i.d. law or fewer than 2 samples.
    """
    require_iid(init, "capacity")
    if model.kind == "res1":
        raise UsageError("capacity is computed for linear and res3 modules")
    if samples < 2:
        raise UsageError(f"samples {samples} is too small; at least 2 samples are needed for a standard error")
    if orders < 0:
        raise UsageError(f"orders must be >= 0, got {orders}")
    placement = None if norm is None else norm.placement
    d = model.dim
    m = len(schedules)
    lams = np.stack([sch.scales(depth) for sch in schedules])  # (m, L)
    split = placement is None and (model.kind == "linear" or model.activation in ("relu", "identity"))
    per = chunk_samples(model, m, orders if split else None, placement, samples)
    totals, parts = [], []
    eye = np.eye(d)
    with np.errstate(all="ignore"):
        for start in range(0, samples, per):
            draws = Draws.of(seed, (CAPACITY_KEY, depth), start, min(samples, start + per))
            c = draws.count
            x = input_state(model, init, draws)
            h = np.repeat(x[:, None, :], m, axis=1)  # (c, m, d)
            J = np.broadcast_to(eye, (c, m, d, d)).copy()
            T = None
            if split:
                T = np.zeros((c, m, orders + 1, d, d))
                T[:, :, 0] = eye
            for k, mats in enumerate(iid_layers(model, init, draws, depth)):
                lam = lams[:, k][None, :, None, None]
                lam_v = lams[:, k][None, :, None]
                if placement == "pre":
                    u = normalize(h, norm.kind)
                    g, Jg = _branch_and_jacobian(model, mats, u)
                    J = J + lam * (Jg @ norm_jacobian(h, norm.kind) @ J)
                    h = h + lam_v * g
                elif placement == "post":
                    g, Jg = _branch_and_jacobian(model, mats, h)
                    y = h + lam_v * g
                    J = norm_jacobian(y, norm.kind) @ (J + lam * (Jg @ J))
                    h = normalize(y, norm.kind)
                else:
                    g, Jg = _branch_and_jacobian(model, mats, h)
                    step = np.matmul(Jg, J)
                    del Jg
                    step *= lam
                    J += step  # J + lambda J_i J, in place (the same numbers as J + lam * (Jg @ J))
                    del step
                    h = h + lam_v * g
                    if split and orders:
                        _, J0 = _branch_and_jacobian(model, mats, x[:, None, :])
                        up = np.matmul(J0[:, :, None], T[:, :, :-1])
                        up *= lam[:, :, None]
                        T[:, :, 1:] += up
                        del J0, up
                del mats
            totals.append(np.sum(J * J, axis=(-2, -1)) / d)
            if split:
                parts.append(np.sum(T * T, axis=(-2, -1)) / d)
    tot = np.concatenate(totals)
    par = np.concatenate(parts) if split else None
    runs = []
    with np.errstate(all="ignore"):
        for j, sch in enumerate(schedules):
            p_tot, p_ord = predicted_jacobian(model, sch.scales(depth), orders) if placement is None else (None, None)
            ord_stats = tuple(SampleStats.of(par[:, j, k]) for k in range(orders + 1)) if split else None
            runs.append(CapacityRun(sch, depth, samples, SampleStats.of(tot[:, j]), ord_stats, p_tot, p_ord))
    return tuple(runs)


@dataclass(frozen=True)
class CapacitySweep:
    """``scaling --capacity``: Jacobian energies at every (schedule, depth)."""

    model: Model
    init: Init
    norm: Norm
    orders: int
    samples: int
    seed: int
    runs: tuple[CapacityRun, ...]


def run_capacity(model: Model, init: Init, norm: Norm, schedules: Sequence[Schedule], depths: Sequence[int],
                 orders: int, samples: int, seed: int) -> CapacitySweep:
    """:func:`simulate_capacity` at every depth.

    >>> from residual_expansion.scaling.schedules import power
    >>> sw = run_capacity(Model("linear", dim=4), Init("iid-gaussian"), Norm(None), [power(1.0)], [2, 4], 1, 20, 0)
    >>> [r.depth for r in sw.runs]
    [2, 4]
    """
    runs = []
    for L in depths:
        runs.extend(simulate_capacity(model, init, schedules, L, orders, samples, seed, norm))
    return CapacitySweep(model, init, norm, orders, samples, seed, tuple(runs))
