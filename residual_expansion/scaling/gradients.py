"""Reverse-mode gradients through batched random residual networks (the backward half).

With p_k = dl/dh_k, the backward pass of h_k = h_{k-1} + alpha_k g_k(h_{k-1}) is

    p_{k-1} = p_k + alpha_k J_k(h_{k-1})^T p_k            (docs/theory.md#backward-propagation)

where J_k is the Jacobian of the k-th branch; in the row convention (a vector is a row,
h W^T applies W) the transposed products are

- ``linear``: g = A h,              J^T p = A^T p
- ``res1``:   g = V sigma(h),       J^T p = sigma'(h) * (V^T p)
- ``res2``:   g = sigma(V h),       J^T p = V^T (sigma'(V h) * p)
- ``res3``:   g = V sigma(W h),     J^T p = W^T (sigma'(W h) * (V^T p))

(res-2 as used here is h + alpha sigma(V h); see docs/scaling.md for where that definition
comes from). Two cotangents: ``loss`` is Marion et al.'s set-up, a read-out B (d -> 1)
with i.i.d. entries of variance 1/d (uniform for iid-uniform weights, else Gaussian), a
target y ~ U[0, 1] and l = (B h_L - y)^2, so p_L = 2 (B h_L - y) B^T depends on the
weights; ``random`` is v ~ N(0, I_d), independent of everything.

Everything is vectorised over samples and schedules (no Python loop over samples): the
state has shape (samples, schedules, d), the same networks run under every schedule
(common random numbers). The forward pass keeps the pre-activations and the weights of
each layer for the backward pass (chunks of samples sized so this stays under 256 MiB).
Sample j at depth L draws everything from its own stream SeedSequence(seed, spawn_key=(L, j))
(:func:`gradient_chunk`), so chunks, threads and Dask workers cannot change a number
(docs/distributed.md).

Exact predictions for a random cotangent (proofs/backward.md): v ~ N(0, I_d) is isotropic
and independent of the network, so E ||J^T v||^2 / ||v||^2 = E tr(J J^T) / d, and
E ||J u||^2 for a fixed u follows the forward-mode (tangent) recursion
u_k = (I + alpha_k J_k(h_{k-1})) u_{k-1}, in which layer k's weights are independent of
(h_{k-1}, u_{k-1}). With weights independent across layers, centred and sign-symmetric,
E ||p_0||^2 / ||p_L||^2 = prod_k (1 + alpha_k^2 kappa s^m) with (kappa, m) = (1, 2) for linear
modules and res-1/res-2 with the identity, and (E sigma'(z)^2, 4) for res-3 with ReLU, leaky
ReLU of slope a ((1 + a^2) / 2, by flipping the sign of a row of W) or the identity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.activations import LEAKY_SLOPE, activation
from residual_expansion.models.families import WEIGHT_MATRICES, from_weights
from residual_expansion.models.weights import Init, smooth_factor
from residual_expansion.scaling.montecarlo import (
    ChunkResult, DepthRun, Model, Progress, SampleStats, chunk_starts, iid_layers, input_state, join_chunks,
    reduce_chunks, require_samples, summarise, weight_paths,
)
from residual_expansion.scaling.schedules import Schedule
from residual_expansion.scaling.streams import Draws, in_thread_groups

COTANGENTS = ("loss", "random")
#: The route label of the forward runs of a gradient sweep.
ROUTE = "materialised-backprop"
#: Memory budget (bytes) for the stored pre-activations and correlated weights of one chunk.
GRAD_BUDGET = 256 * 2**20


@dataclass(frozen=True)
class Pointwise:
    """An activation sigma with its derivative sigma' (both elementwise).

    >>> act = pointwise("leaky_relu:0.2")
    >>> act.value(np.array([-1.0, 2.0])).tolist(), act.slope(np.array([-1.0, 2.0])).tolist()
    ([-0.2, 2.0], [0.2, 1.0])
    """

    name: str
    value: Callable[[np.ndarray], np.ndarray]
    slope: Callable[[np.ndarray], np.ndarray]
    #: E sigma'(z)^2 = E sigma(z)^2 / E z^2 for symmetric z when sigma is positively homogeneous, else None.
    kappa: float | None


def pointwise(name: str) -> Pointwise:
    """``relu``, ``tanh``, ``identity`` or ``leaky_relu:SLOPE`` (``leaky_relu`` alone: slope 0.01).

    Raises
    ------
    UsageError
        For another name or a slope that is not a finite number.
    """
    allowed = "allowed: relu, tanh, identity, leaky_relu:SLOPE"
    head, sep, rest = name.partition(":")
    if name not in ("relu", "tanh", "identity") and head != "leaky_relu":
        raise UsageError(f"unknown activation {name!r}; {allowed}")
    act = activation(name)  # the one set of activations (models/activations.py); validates the slope

    def slope(z: np.ndarray) -> np.ndarray:
        return act.derivatives(z, 1)[1]

    if head == "leaky_relu":
        a = float(rest) if sep else LEAKY_SLOPE
        kappa: float | None = (1.0 + a * a) / 2.0
    else:
        kappa = {"relu": 0.5, "tanh": None, "identity": 1.0}[name]
    return Pointwise(name, act.value, slope, kappa)


@dataclass(frozen=True)
class GradientRun:
    """One schedule at one depth: the backward ratios of the samples.

    ``ratio`` = ||p_0|| / ||p_L||, ``diff_ratio`` = ||p_L - p_0|| / ||p_L||, ``sq_ratio`` =
    ||p_0||^2 / ||p_L||^2 (None when a sample overflowed: ``explodes``).
    ``predicted_sq_ratio`` is the exact E ||p_0||^2 / ||p_L||^2 where one exists
    (random cotangent, see :func:`predicted_grad_energy`), else None.
    """

    schedule: Schedule
    depth: int
    cotangent: str
    samples: int
    explodes: bool
    ratio: SampleStats | None
    diff_ratio: SampleStats | None
    sq_ratio: SampleStats | None
    predicted_sq_ratio: float | None
    #: Per-sample ||h_L|| / ||h_0|| and ||p_0|| / ||p_L|| (only with keep_samples; for histograms).
    norm_samples: np.ndarray | None = field(default=None, compare=False, repr=False)
    grad_samples: np.ndarray | None = field(default=None, compare=False, repr=False)


def predicted_grad_energy(model: Model, activation: Pointwise, iid: bool, cotangent: str, lams: np.ndarray) -> float | None:
    """E ||p_0||^2 / ||p_L||^2 = prod_k (1 + lambda_k^2 kappa s^m) where it is exact, else None.

    Exact for a ``random`` cotangent and weights independent across layers: linear
    (kappa = 1, m = 2), res-1 and res-2 with the identity (linear modules), and res-3
    (m = 4) with relu, leaky_relu or identity (kappa = E sigma'(z)^2). Not for res-2 with a
    non-linear sigma: there sigma'(V h) is correlated with V u. Proof: proofs/backward.md.
    inf when it overflows.

    >>> predicted_grad_energy(Model("linear"), pointwise("relu"), True, "random", np.array([0.5, 0.5]))
    1.5625
    >>> predicted_grad_energy(Model("res3"), pointwise("relu"), True, "loss", np.array([0.5])) is None
    True
    """
    if cotangent != "random" or not iid:
        return None
    s2 = model.s**2
    if model.kind == "linear" or (model.kind in ("res1", "res2") and activation.name == "identity"):
        factor = s2
    elif model.kind == "res3" and activation.kappa is not None:
        factor = activation.kappa * s2 * s2
    else:
        return None
    log = float(np.sum(np.log1p(np.asarray(lams, dtype=float) ** 2 * factor)))
    return math.inf if log > 709.0 else math.exp(log)


def _stats_or_none(cols: Sequence[np.ndarray]) -> list[SampleStats] | None:
    """SampleStats of each column, or None when a value or a statistic is not finite (overflow)."""
    if not all(np.all(np.isfinite(col)) for col in cols):
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        stats = [SampleStats.of(col) for col in cols]
    ok = all(math.isfinite(v) for st in stats for v in (st.mean, st.stderr, st.q05, st.q50, st.q95))
    return stats if ok else None


def chunk_size(model: Model, init: Init, depth: int, samples: int, schedules: int) -> int:
    """Samples per chunk so the stored pre-activations and weights of a chunk stay under 256 MiB
    (at least one sample per chunk)."""
    d = model.dim
    per = 8 * depth * (schedules * d + model.matrices * d * d)
    return max(1, min(samples, GRAD_BUDGET // per))


def forward_backward(kind: str, act: Pointwise, lams: np.ndarray, h0: np.ndarray,
                     weights: Callable[[int], list[np.ndarray]],
                     cotangent_of: Callable[[np.ndarray], np.ndarray] | None,
                     tick: Progress | None = None, bad: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """h_L, p_L and p_0 = (d h_L / d h_0)^T p_L for c networks under m schedules.

    Layer k is the family module :func:`~residual_expansion.models.families.from_weights`
    of ``weights(k)``: the forward pass runs its ``value`` (keeping the pre-activations), the
    backward pass its vector-Jacobian product ``vjp_at``.

    ``lams`` (m, L); ``h0`` (c, d), the same input under every schedule, or (c, m, d), one
    input per row (the Hurst map's rows are (beta, input) pairs of one network); ``weights(k)``
    the layer-k matrices, each (c, d, d) ([A], [V], [V] or [W, V] for linear, res1, res2,
    res3), called once in the forward and once in the backward pass; ``cotangent_of(h_L)``
    returns p_L, shape (c, m, d), or is None for the forward pass alone (p_L and p_0 are then
    None and nothing is stored). ``bad`` (shape (m,), zeros), when given, receives per
    schedule the first layer at which some network's state became non-finite.

    >>> act = pointwise("identity")
    >>> a = np.array([[[0.0, 1.0], [0.0, 0.0]]])  # one network, d = 2
    >>> _, _, p0 = forward_backward("linear", act, np.array([[1.0]]), np.array([[1.0, 1.0]]),
    ...                             lambda k: [a], lambda h: np.array([[[0.0, 1.0]]]))
    >>> p0.tolist()  # (I + A)^T (0, 1) = (0, 1)
    [[[0.0, 1.0]]]
    """
    tick = tick or (lambda _n: None)
    m, n_layers = lams.shape
    c, d = h0.shape[0], h0.shape[-1]
    if kind not in WEIGHT_MATRICES:
        raise UsageError(f"unknown model {kind!r}; allowed: {', '.join(WEIGHT_MATRICES)}")
    phi = activation(act.name)
    h = np.repeat(h0[:, None, :], m, axis=1) if h0.ndim == 2 else np.array(h0, dtype=float)
    stored = None  # the pre-activations z_k of layer k, for its vjp (not needed for an affine layer)
    keep = cotangent_of is not None  # the forward pass alone stores nothing
    for k in range(n_layers):
        module = from_weights(kind, weights(k), phi)
        lam = lams[:, k][None, :, None]
        z = module.pre_activation(h)
        if module.degree != 1 and keep:
            if stored is None:
                stored = np.empty((n_layers, c, m, z.shape[-1]))
            stored[k] = z
        h = h + lam * module.value_at(z)
        if bad is not None:
            fresh = (bad == 0) & ~np.all(np.isfinite(h), axis=(0, 2))
            bad[fresh] = k + 1
        tick(1)
    if cotangent_of is None:
        return h, None, None
    p_l = cotangent_of(h)
    p = p_l.copy()
    for k in range(n_layers - 1, -1, -1):
        module = from_weights(kind, weights(k), phi)
        lam = lams[:, k][None, :, None]
        p = p + lam * module.vjp_at(None if stored is None else stored[k], p)
        tick(1)
    return h, p_l, p


@dataclass(frozen=True)
class GradientChunk:
    """Samples start..stop-1 of one depth: the forward :class:`ChunkResult` and, per sample and
    schedule (shape (c, m)), ||p_0|| / ||p_L|| (``back``) and ||p_L - p_0|| / ||p_L|| (``back_diff``)."""

    forward: ChunkResult
    back: np.ndarray
    back_diff: np.ndarray

    @property
    def start(self) -> int:
        return self.forward.start


def gradient_chunk(model: Model, init: Init, lams: np.ndarray, seed: int, start: int, stop: int,
                   cotangent: str = "loss", threads: int = 1, progress: Progress | None = None) -> GradientChunk:
    """Forward and backward pass of samples start..stop-1 at depth L = lams.shape[1] (lams: (m, L)).

    Sample j draws from its own stream SeedSequence(seed, spawn_key=(L, j))
    (:func:`residual_expansion.scaling.streams.sample_generator`), in this order: its input
    (x, then A), its weights layer after layer (W_1, V_1, W_2, ... row-major; correlated laws:
    the whole path of every entry), then its cotangent (``loss``: the read-out B, then the
    target y; ``random``: v). Hence the forward pass sees the very networks of the
    materialised scaling sweep with the same seed, and a sample's numbers do not depend on
    the chunk, the thread or the worker that computes it. ``threads`` > 1 runs groups of
    samples in threads.

    >>> from residual_expansion.scaling.schedules import power
    >>> lams = np.stack([power(0.5).scales(4)])
    >>> whole = gradient_chunk(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), lams, 0, 0, 6)
    >>> part = gradient_chunk(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), lams, 0, 2, 6, threads=2)
    >>> bool(np.array_equal(whole.back[2:], part.back))
    True
    """
    m, depth = lams.shape
    tick = progress or (lambda _n: None)
    if threads > 1:
        return in_thread_groups(
            lambda a, b, tick_: gradient_chunk(model, init, lams, seed, a, b, cotangent, 1, tick_),
            start, stop, threads, join_gradient_chunks, tick)
    act = pointwise(model.activation)
    draws = Draws.of(seed, (depth,), start, stop)
    d, mats = model.dim, model.matrices
    with np.errstate(all="ignore"):
        h0 = input_state(model, init, draws)
        paths = None
        if not init.iid:
            factor = smooth_factor(depth, init.bandwidth) if init.kind == "smooth" else None
            paths = weight_paths(model, init, draws, depth, factor)
        drawn: list[tuple[np.ndarray, ...]] = []
        layers = iid_layers(model, init, draws, depth) if paths is None else None

        def weights(k: int) -> tuple[np.ndarray, ...]:
            if layers is None:
                return tuple(paths[:, k, j] for j in range(mats))
            if k == len(drawn):  # first call: the forward pass, in layer order; the backward pass reuses them
                drawn.append(next(layers))
            return drawn[k]

        def cotangent_of(h: np.ndarray) -> np.ndarray:
            if cotangent == "loss":
                scale = 1.0 / math.sqrt(d)
                if init.kind == "iid-uniform":
                    readout = draws.uniform(scale * math.sqrt(3.0), (d,), "float64")
                else:
                    readout = draws.normal(scale, (d,), "float64")
                target = draws.random((1,))[:, 0]
                out = np.einsum("cmd,cd->cm", h, readout)
                return 2.0 * (out - target[:, None])[..., None] * readout[:, None, :]
            return np.repeat(draws.normal(1.0, (1, d), "float64"), m, axis=1)

        bad = np.zeros(m, dtype=int)
        h, p_l, p = forward_backward(model.kind, act, lams, h0, weights, cotangent_of, tick, bad)
        norm, diff = summarise(h0, h)
        nl = np.linalg.norm(p_l, axis=-1)
        back = np.linalg.norm(p, axis=-1) / nl
        back_diff = np.linalg.norm(p_l - p, axis=-1) / nl
    return GradientChunk(ChunkResult(start, norm, diff, None, bad), back, back_diff)


def join_gradient_chunks(parts: Sequence[GradientChunk]) -> GradientChunk:
    """Consecutive gradient chunks joined into one, in sample order (see :func:`join_chunks`)."""
    parts = sorted(parts, key=lambda p: p.start)
    return GradientChunk(join_chunks([p.forward for p in parts]), np.concatenate([p.back for p in parts]),
                         np.concatenate([p.back_diff for p in parts]))


def reduce_gradients(model: Model, init: Init, schedules: Sequence[Schedule], depth: int, samples: int, cotangent: str,
                     parts: Sequence[GradientChunk], keep_samples: bool = False
                     ) -> tuple[tuple[DepthRun, ...], tuple[GradientRun, ...]]:
    """The chunks of one depth joined (in sample order) into a DepthRun (forward, by
    :func:`residual_expansion.scaling.montecarlo.reduce_chunks`, route ``materialised-backprop``)
    and a GradientRun per schedule.

    Raises
    ------
    UsageError
        When the chunks do not cover samples 0..samples-1 exactly once.
    """
    runs = reduce_chunks(schedules, depth, ROUTE, samples, [p.forward for p in parts])
    whole = join_gradient_chunks(parts)
    act = pointwise(model.activation)
    grads = []
    for j, sch in enumerate(schedules):
        pred = predicted_grad_energy(model, act, init.iid, cotangent, sch.scales(depth))
        back, back_diff = whole.back[:, j], whole.back_diff[:, j]
        with np.errstate(over="ignore"):
            gcols = (back, back_diff, back**2)
        kept = (whole.forward.norm[:, j].copy(), back.copy()) if keep_samples else (None, None)
        gstats = _stats_or_none(gcols)
        if gstats is not None:
            grads.append(GradientRun(sch, depth, cotangent, samples, False, *gstats, pred, *kept))
        else:
            grads.append(GradientRun(sch, depth, cotangent, samples, True, None, None, None, pred, *kept))
    return runs, tuple(grads)


def validate_gradients(cotangent: str, samples: int) -> None:
    """UsageError for an unknown cotangent or fewer than 2 samples."""
    if cotangent not in COTANGENTS:
        raise UsageError(f"cotangent {cotangent!r} is unknown; allowed: {', '.join(COTANGENTS)}", parameters=("cotangent",))
    require_samples(samples)


def simulate_gradients(
    model: Model,
    init: Init,
    schedules: Sequence[Schedule],
    depth: int,
    samples: int,
    seed: int,
    cotangent: str = "loss",
    progress: Progress | None = None,
    keep_samples: bool = False,
    chunk: int | None = None,
    threads: int = 1,
) -> tuple[tuple[DepthRun, ...], tuple[GradientRun, ...]]:
    """Forward and backward pass of ``samples`` materialised networks under each schedule.

    Returns one :class:`DepthRun` (forward ratios, route ``materialised-backprop``) and one
    :class:`GradientRun` per schedule, measured on the same networks (those of the
    materialised scaling sweep with this seed: see :func:`gradient_chunk`).
    ``model.activation`` may be ``leaky_relu:SLOPE``; ``model.kind`` may be ``res2``.
    ``chunk`` (samples per chunk; default :func:`chunk_size`) and ``threads`` do not change
    the numbers.

    >>> from residual_expansion.scaling.schedules import power
    >>> (fw,), (bw,) = simulate_gradients(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), [power(0.5)], 4, 50, 0)
    >>> fw.samples, bw.cotangent, bw.ratio.mean > 0
    (50, 'loss', True)
    >>> simulate_gradients(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), [power(0.5)], 4, 50, 0, chunk=7) == ((fw,), (bw,))
    True

    Raises
    ------
    UsageError
        For an unknown cotangent or activation, or fewer than 2 samples.
    """
    validate_gradients(cotangent, samples)
    pointwise(model.activation)
    lams = np.stack([sch.scales(depth) for sch in schedules])
    per = chunk or chunk_size(model, init, depth, samples, len(schedules))
    parts = [gradient_chunk(model, init, lams, seed, a, b, cotangent, threads, progress)
             for a, b in chunk_starts(samples, per)]
    return reduce_gradients(model, init, schedules, depth, samples, cotangent, parts, keep_samples)
