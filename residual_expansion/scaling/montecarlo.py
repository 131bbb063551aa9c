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

Seeds (:mod:`residual_expansion.scaling.streams`): sample j at depth L draws from its own
stream SeedSequence(seed, spawn_key=(L, j)); :func:`simulate_chunk` computes any range of
samples and :func:`reduce_chunks` joins ranges in sample order, so the result does not
depend on the chunk size, the worker that ran a chunk, or the number of draw threads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.activations import activation
from residual_expansion.models.families import WEIGHT_MATRICES, from_weights
from residual_expansion.models.weights import Init, correlated_paths, smooth_factor
from residual_expansion.scaling.schedules import Schedule
from residual_expansion.scaling.streams import (
    DTYPES, LAYER_BLOCK, Draws, covering, in_sample_order, in_thread_groups,
)

MODELS = tuple(WEIGHT_MATRICES)  # ("linear", "res1", "res2", "res3"): the weight-only families
ROUTES = ("auto", "materialised", "gaussian-vector", "gaussian-radial")

#: Memory budgets (bytes) for one layer's weights and for a chunk's correlated weight paths.
LAYER_BUDGET = 32 * 2**20
PATH_BUDGET = 256 * 2**20
#: Bytes of materialised weights drawn at once per thread (about the size of a core's L2 cache).
DRAW_BUDGET = 2 * 2**20
#: Entries per sample and draw below which more layers are drawn at once (each draw is one
#: call per sample's stream: short rows pay the call, not the numbers).
MIN_DRAW_ROW = 2048

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
        return WEIGHT_MATRICES[self.kind]


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


def input_state(model: Model, init: Init, draws: Draws) -> np.ndarray:
    """h_0 = A x, x ~ U[0,1]^n_in, A i.i.d. of variance 1/n_in; shape (c, d), float64.

    Each sample's stream starts with its x, then its A (row-major).
    """
    x = draws.random((model.input_dim,))
    std = 1.0 / math.sqrt(model.input_dim)
    shape = (model.dim, model.input_dim)
    if init.kind == "iid-uniform":
        a = draws.uniform(std * math.sqrt(3.0), shape, "float64")
    else:
        a = draws.normal(std, shape, "float64")
    return np.einsum("cij,cj->ci", a, x)


def summarise(h0: np.ndarray, hl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sample and schedule: ||h_L|| / ||h_0|| and ||h_L - h_0|| / ||h_0||; h0 (c, d), hl (c, m, d)."""
    n0 = np.linalg.norm(h0, axis=-1)[:, None]
    return np.linalg.norm(hl, axis=-1) / n0, np.linalg.norm(hl - h0[:, None, :], axis=-1) / n0


def _first_bad(state: np.ndarray, bad: np.ndarray, layer: int) -> None:
    """Record ``layer`` for every schedule (axis 1) whose state first became non-finite.

    The sum of the state is finite when every entry is (a finite sum can overflow to inf: then
    the entries are looked at one by one), so the common case costs one reduction.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(state)):
            return
    fresh = ~np.all(np.isfinite(state.reshape(state.shape[0], state.shape[1], -1)), axis=(0, 2)) & (bad == 0)
    bad[fresh] = layer


def weight_paths(model: Model, init: Init, draws: Draws, layers: int, factor: np.ndarray | None) -> np.ndarray:
    """Correlated (smooth or fbm) weights of every layer, shape (samples, layers, matrices, d, d).

    Each entry of each matrix is a path over the layers from ``correlated_paths`` (``factor``:
    the smooth law's precomputed factor, or None), entries of variance s^2 / d, drawn from
    each sample's own stream after its input.
    """
    d, std, mats = model.dim, model.s / math.sqrt(model.dim), model.matrices
    paths = draws.each(lambda g: correlated_paths(init, layers, mats * d * d, g, std, factor))
    return paths.reshape(draws.count, layers, mats, d, d)


def layers_per_draw(samples: int, per_layer: int, itemsize: int) -> int:
    """Layers of i.i.d. weights drawn per call of the samples' streams.

    ``DRAW_BUDGET // (samples * per_layer * itemsize)`` (the buffer stays cache-sized), at
    least 1; when a sample's layer has fewer than :data:`MIN_DRAW_ROW` entries, enough layers
    for that many entries per sample, as long as the buffer stays within ``LAYER_BUDGET``.
    A stream yields the same numbers in one call or several (docs/distributed.md), so this
    changes the speed, never a number.

    >>> layers_per_draw(40, 100 * 100, 4), layers_per_draw(4000, 256, 8)
    (1, 4)
    """
    per_sample = per_layer * itemsize
    batch = max(1, DRAW_BUDGET // (samples * per_sample))
    if per_layer < MIN_DRAW_ROW:
        batch = max(batch, min(-(-MIN_DRAW_ROW // per_layer), LAYER_BUDGET // (samples * per_sample)))
    return batch


def iid_layer_weights(init: Init, draws: Draws, std: float, shape: tuple[int, ...], dtype: str | None = None,
                      out: np.ndarray | None = None) -> np.ndarray:
    """i.i.d. weights of standard deviation ``std``: U(-sqrt(3) std, sqrt(3) std) for iid-uniform, else N(0, std^2)."""
    if init.kind == "iid-uniform":
        return draws.uniform(std * math.sqrt(3.0), shape, dtype, out=out)
    return draws.normal(std, shape, dtype, out=out)


def layer_draw_bytes(model: Model) -> int:
    """Bytes a sample adds to a chunk through :func:`iid_layers`: the layers drawn at once (fewer than
    ``matrices d^2 +`` :data:`MIN_DRAW_ROW` float64 numbers, :func:`layers_per_draw`), counted twice
    (the next block is drawn while the last layer's matrices are still referenced), and the sample's
    stream (1 KiB).

    >>> layer_draw_bytes(Model("res3", dim=8))  # 16 (2 * 64 + 2048) + 1024
    35840
    """
    return 16 * (model.matrices * model.dim * model.dim + MIN_DRAW_ROW) + 1024


def iid_layers(model: Model, init: Init, draws: Draws, depth: int, tied: bool = False, dtype: str = "float64",
               reuse: bool = False) -> Iterator[tuple[np.ndarray, ...]]:
    """The i.i.d. weight matrices of layers 1..depth of the samples of ``draws`` (``dtype``, each (c, d, d),
    entries of variance s^2 / d), drawn from each sample's stream after its input, layer after layer
    (W, then V for res-3, row-major), several layers per draw (:func:`layers_per_draw`: the numbers do
    not depend on it); ``tied``: one layer drawn and used at every depth. ``reuse``: each draw overwrites
    the previous one's buffer (cache-sized, so a layer is drawn, scaled and used while in cache), so a
    layer's matrices are valid only until the next layer is taken.

    >>> from residual_expansion.scaling.streams import Draws
    >>> a = [w.copy() for (w,) in iid_layers(Model("linear", dim=2), Init("iid-gaussian"), Draws.of(0, (5,), 0, 3), 4)]
    >>> len(a), a[0].shape
    (4, (3, 2, 2))
    """
    d, mats = model.dim, model.matrices
    std = model.s / math.sqrt(d)
    if tied:
        block = iid_layer_weights(init, draws, std, (mats, d, d), dtype)
        layer = tuple(block[:, j] for j in range(mats))
        for _ in range(depth):
            yield layer
        return
    batch = layers_per_draw(draws.count, mats * d * d, np.dtype(dtype).itemsize)
    block = np.empty(0)
    for k in range(depth):
        if k % batch == 0:
            shape = (min(batch, depth - k), mats, d, d)
            out = block if reuse and block.shape[1:] == shape else None
            block = iid_layer_weights(init, draws, std, shape, dtype, out=out)
        yield tuple(block[:, k % batch, j] for j in range(mats))


def _materialised_chunk(model, init, lams, draws, orders, tick, factor=None):
    """Draw every weight matrix; lams (m, L). Returns (norm, diff, order energies or None, bad).

    Layer k of the c networks is the family module
    :func:`~residual_expansion.models.families.from_weights` of its drawn matrices, and
    h_k = h_{k-1} + lambda_k g_k(h_{k-1}) runs through its ``value``.

    After its input, a sample's stream yields W_1 (then V_1 for res-3), W_2, ... row-major;
    they are drawn in batches of layers that fit the memory budget (the batch size does not
    change the numbers). The forward pass runs in ``draws.dtype``.
    """
    m, n_layers = lams.shape
    c = draws.count
    d, mats = model.dim, model.matrices
    dt = np.dtype(draws.dtype)
    lams = lams.astype(dt)
    phi = activation(model.activation)
    h0 = input_state(model, init, draws)
    bad = np.zeros(m, dtype=int)
    paths = None
    if not init.iid:
        paths = weight_paths(model, init, draws, n_layers, factor).astype(dt, copy=False)
    # i.i.d. layers: a cache-sized buffer, reused, so each layer's weights are drawn, scaled and
    # multiplied while they are in cache
    layers = iid_layers(model, init, draws, n_layers, dtype=dt.name, reuse=True) if paths is None else None

    def weights(k: int) -> tuple[np.ndarray, ...]:
        if layers is None:
            return tuple(paths[:, k, j] for j in range(mats))
        return next(layers)  # layer k: weights(k) is called once per layer, in order

    if model.kind == "linear" and orders is not None:
        t = np.zeros((c, m, orders + 2, d), dtype=dt)
        t[:, :, 0, :] = h0[:, None, :]
        for k in range(n_layers):
            module = from_weights("linear", weights(k), phi)
            lam = lams[:, k][None, :, None, None]
            p = module.value(t.reshape(c, -1, d)).reshape(t.shape)
            t[:, :, 1:orders + 1] += lam * p[:, :, :orders]
            t[:, :, orders + 1] += lam[..., 0, :] * (p[:, :, orders] + p[:, :, orders + 1])
            _first_bad(t, bad, k + 1)
            tick(1)
        t = t.astype(float, copy=False)
        hl = t.sum(axis=2)
        energies = np.sum(t**2, axis=-1) / np.sum(h0**2, axis=-1)[:, None, None]
        norm, diff = summarise(h0, hl)
        return norm, diff, energies, bad

    h = np.repeat(h0[:, None, :], m, axis=1).astype(dt)
    for k in range(n_layers):
        module = from_weights(model.kind, weights(k), phi)  # c networks' layer k (models/families.py)
        lam = lams[:, k][None, :, None]
        h = h + lam * module.value(h)
        _first_bad(h, bad, k + 1)
        tick(1)
    norm, diff = summarise(h0, h.astype(float, copy=False))
    return norm, diff, None, bad


def _vector_chunk(model, init, lams, draws, tick):
    """Gaussian shortcut: M h ~ (s ||h|| / sqrt d) z for a fresh Gaussian M independent of h.

    After its input, a sample's stream yields z (m x d per application, one application per
    layer, two for res-3) layer after layer, drawn in memory-bounded batches of layers.
    """
    m, n_layers = lams.shape
    c = draws.count
    d = model.dim
    scale = model.s / math.sqrt(d)
    act = activation(model.activation).value
    h0 = input_state(model, init, draws)
    h = np.repeat(h0[:, None, :], m, axis=1)
    bad = np.zeros(m, dtype=int)
    applies = 2 if model.kind == "res3" else 1
    batch = max(1, LAYER_BUDGET // (c * applies * m * d * 8))
    buf: list[np.ndarray] = []

    def noise(k: int, j: int) -> np.ndarray:
        if k % batch == 0 and j == 0:
            buf[:] = [draws.normal(1.0, (min(batch, n_layers - k), applies, m, d), "float64")]
        return buf[0][:, k % batch, j]

    def apply(vectors: np.ndarray, z: np.ndarray) -> np.ndarray:
        return scale * np.linalg.norm(vectors, axis=-1, keepdims=True) * z

    for k in range(n_layers):
        lam = lams[:, k][None, :, None]
        if model.kind == "linear":
            h = h + lam * apply(h, noise(k, 0))
        elif model.kind == "res1":
            h = h + lam * apply(act(h), noise(k, 0))
        elif model.kind == "res2":
            h = h + lam * act(apply(h, noise(k, 0)))
        else:
            inner = apply(h, noise(k, 0))
            h = h + lam * apply(act(inner), noise(k, 1))
        _first_bad(h, bad, k + 1)
        tick(1)
    norm, diff = summarise(h0, h)
    return norm, diff, None, bad


def _radial_block(model: Model, g: np.random.Generator, layers: int, m: int) -> np.ndarray:
    """One sample's noise for ``layers`` layers, shape (4, layers, m): ||u||^2 factor, z_1, g, chi2_(d-2).

    Drawn in this order: B ~ Binomial(d, 1/2) then chi2_B (res-3/ReLU) or chi2_d (res-3/identity)
    (linear: ones, nothing drawn), then z_1, then g, then chi2_(d-2) (d > 2; else zeros).
    """
    d = model.dim
    shape = (layers, m)
    if model.kind == "res3":
        dof = g.binomial(d, 0.5, shape) if model.activation == "relu" else np.full(shape, d)
        chi_u = g.gamma(dof / 2.0, 2.0)
    else:
        chi_u = np.ones(shape)
    z1 = g.standard_normal(shape)
    z2 = g.standard_normal(shape)
    chi = g.gamma((d - 2) / 2.0, 2.0, shape) if d > 2 else np.zeros(shape)
    return np.stack([chi_u, z1, z2, chi])


def _radial_chunk(model, lams, draws, tick):
    """Gaussian shortcut on (p, q) = (<h, e>, ||h - <h, e> e||^2), e = h_0 / ||h_0||, ||h_0|| = 1.

    Each layer adds a z with z ~ N(0, I_d) and a = s ||u|| / sqrt(d), where ||u||^2 =
    (s^2 rho^2 / d) * chi2_B, B ~ Binomial(d, 1/2) for res-3/ReLU, chi2_d for res-3/identity,
    and a = s rho / sqrt(d) for linear modules (rho = ||h||). Then p += lam a z_1 and
    q = (sqrt(q) + lam a g)^2 + lam^2 a^2 chi2_{d-2}, g ~ N(0, 1) (rotation invariance).
    The noise comes in blocks of :data:`LAYER_BLOCK` layers (a fixed grid, see
    :func:`_radial_block`), so the chunk size does not change it.
    """
    m, n_layers = lams.shape
    c = draws.count
    d, s = model.dim, model.s
    p = np.ones((c, m))
    q = np.zeros((c, m))
    bad = np.zeros(m, dtype=int)
    block = np.empty(0)
    for k in range(n_layers):
        if k % LAYER_BLOCK == 0:
            layers = min(LAYER_BLOCK, n_layers - k)
            block = draws.each(lambda g: _radial_block(model, g, layers, m))
        chi_u, z1, z2, chi = (block[:, j, k % LAYER_BLOCK] for j in range(4))
        lam = lams[:, k][None, :]
        rho2 = p * p + q
        if model.kind == "res3":
            u2 = (s * s * rho2 / d) * chi_u
            a = s * np.sqrt(u2 / d)
        else:
            a = s * np.sqrt(rho2 / d)
        step = lam * a
        p = p + step * z1
        q = (np.sqrt(q) + step * z2) ** 2
        if d > 2:
            q = q + step * step * chi
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
    """Samples per chunk so one layer's weights stay under 32 MiB (correlated paths: 256 MiB).

    Only memory depends on it: every sample has its own stream, so any chunk size gives
    the same numbers.
    """
    d = model.dim
    if route == "gaussian-radial":
        per = 8 * 4 * LAYER_BLOCK * 8  # four noise arrays of LAYER_BLOCK layers, up to 8 schedules
        return max(1, min(samples, LAYER_BUDGET // per))
    if route == "gaussian-vector":
        return max(1, min(samples, LAYER_BUDGET // (8 * d * 4)))
    if init.iid:
        return max(1, min(samples, LAYER_BUDGET // (8 * d * d * model.matrices)))
    return max(1, min(samples, PATH_BUDGET // (8 * d * d * model.matrices * depth * 2)))


@dataclass(frozen=True)
class ChunkResult:
    """Per-sample measurements of samples start..stop-1 under each of m schedules.

    ``norm`` and ``diff`` (shape (c, m)) are ||h_L|| / ||h_0|| and ||h_L - h_0|| / ||h_0||;
    ``energies`` (c, m, K + 2) the per-order energies or None; ``bad`` (m,) the first layer
    where a sample of this chunk became non-finite (0: never).
    """

    start: int
    norm: np.ndarray
    diff: np.ndarray
    energies: np.ndarray | None
    bad: np.ndarray


def require_samples(samples: int) -> None:
    """UsageError unless samples >= 2 (a standard error needs two samples)."""
    if samples < 2:
        raise UsageError(f"samples {samples} is too small; at least 2 samples are needed for a standard error",
                         parameters=("samples",))


def validate_simulation(model: Model, samples: int, orders: int | None, dtype: str, route: str) -> None:
    """Reject what :func:`simulate` cannot run: samples < 2, orders off linear, an unknown dtype or float32 off
    the materialised route (``route`` already chosen).

    >>> validate_simulation(Model("res3"), 1, None, "float64", "materialised")
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: samples 1 is too small; at least 2 samples are needed for a standard error
    """
    require_samples(samples)
    if orders is not None and model.kind != "linear":
        raise UsageError("per-order energies are defined for kind linear only", parameters=("kind",))
    if orders is not None and orders < 0:
        raise UsageError(f"orders {orders} is negative")
    if dtype not in DTYPES:
        raise UsageError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}", parameters=("dtype",))
    if dtype != "float64" and route != "materialised":
        raise UsageError(f"dtype {dtype} applies to the materialised route only; the {route} route draws float64",
                         parameters=("dtype",))


def simulate_chunk(
    model: Model,
    init: Init,
    lams: np.ndarray,
    seed: int,
    start: int,
    stop: int,
    route: str,
    orders: int | None = None,
    dtype: str = "float64",
    threads: int = 1,
    progress: Progress | None = None,
) -> ChunkResult:
    """Samples start..stop-1 of one depth L = lams.shape[1] (lams: (m, L) scales, ``route`` chosen).

    Sample j draws from SeedSequence(seed, spawn_key=(L, j)) only
    (:func:`residual_expansion.scaling.streams.sample_generator`), so the result for sample j
    is the same in every chunk that contains it. ``threads`` > 1 splits the samples into that
    many groups, each run (drawn and multiplied) in its own thread (numpy releases the GIL in
    its bit generators and in matmul) and joined by :func:`join_chunks`; ``dtype`` float32 draws and multiplies the materialised weights in float32.

    >>> from residual_expansion.scaling.schedules import power
    >>> lams = np.stack([power(0.5).scales(4)])
    >>> whole = simulate_chunk(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), lams, 0, 0, 6, "materialised")
    >>> part = simulate_chunk(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), lams, 0, 2, 6, "materialised")
    >>> bool(np.array_equal(whole.norm[2:], part.norm))
    True
    """
    m, depth = lams.shape
    tick = progress or (lambda _n: None)
    if threads > 1:
        return in_thread_groups(
            lambda a, b, tick_: simulate_chunk(model, init, lams, seed, a, b, route, orders, dtype, 1, tick_),
            start, stop, threads, join_chunks, tick)
    draws = Draws.of(seed, (depth,), start, stop, 1, dtype)
    factor = smooth_factor(depth, init.bandwidth) if init.kind == "smooth" else None
    with np.errstate(all="ignore"):
        if route == "materialised":
            out = _materialised_chunk(model, init, lams, draws, orders, tick, factor)
        elif route == "gaussian-vector":
            out = _vector_chunk(model, init, lams, draws, tick)
        else:
            out = _radial_chunk(model, lams, draws, tick)
    return ChunkResult(start, *out)


def _first_layer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per schedule, the earlier of two first-overflow layers (0 = never)."""
    return np.where(a == 0, b, np.where(b > 0, np.minimum(a, b), a))


def join_chunks(parts: Sequence[ChunkResult]) -> ChunkResult:
    """Consecutive chunks joined into one (sorted by start; the samples must follow each other).

    >>> from residual_expansion.scaling.schedules import power
    >>> lams = np.stack([power(0.5).scales(3)])
    >>> run = lambda a, b: simulate_chunk(Model("res3", dim=4, input_dim=3), Init("iid-uniform"), lams, 0, a, b, "materialised")
    >>> joined = join_chunks([run(2, 5), run(0, 2)])
    >>> joined.start, bool(np.array_equal(joined.norm, run(0, 5).norm))
    (0, True)

    Raises
    ------
    UsageError
        When the chunks leave a gap or overlap.
    """
    parts = in_sample_order(parts, lambda p: len(p.norm))
    bad = np.zeros_like(parts[0].bad)
    for p in parts:
        bad = _first_layer(bad, p.bad)
    energies = None if parts[0].energies is None else np.concatenate([p.energies for p in parts])
    return ChunkResult(parts[0].start, np.concatenate([p.norm for p in parts]),
                       np.concatenate([p.diff for p in parts]), energies, bad)


def reduce_chunks(
    schedules: Sequence[Schedule], depth: int, route: str, samples: int, parts: Sequence[ChunkResult]
) -> tuple[DepthRun, ...]:
    """Join chunks in sample order (whatever order they finished in) into one DepthRun per schedule.

    Raises
    ------
    UsageError
        When the chunks do not cover samples 0..samples-1 exactly once.
    """
    parts = covering(parts, lambda p: len(p.norm), samples)
    whole = join_chunks(parts)
    norm, diff, energies, bad = whole.norm, whole.diff, whole.energies, whole.bad
    runs = []
    with np.errstate(all="ignore"):
        for j, sch in enumerate(schedules):
            cols = (diff[:, j], diff[:, j] ** 2, norm[:, j], norm[:, j] ** 2)
            finite = all(np.all(np.isfinite(col)) for col in cols)
            if energies is not None:
                finite = finite and bool(np.all(np.isfinite(energies[:, j])))
            if bad[j] or not finite:
                runs.append(DepthRun(sch, depth, route, samples, int(bad[j]) or depth, None, None, None, None, None))
                continue
            order_stats = None
            if energies is not None:
                order_stats = tuple(SampleStats.of(energies[:, j, k]) for k in range(energies.shape[2]))
            logs = LogMoments.of(np.log(norm[:, j] ** 2)) if np.all(norm[:, j] > 0) else None
            runs.append(DepthRun(sch, depth, route, samples, None, *(SampleStats.of(col) for col in cols), order_stats, logs))
    return tuple(runs)


def chunk_starts(samples: int, per: int) -> tuple[tuple[int, int], ...]:
    """The ranges (start, stop) of ``per`` samples (the last may be shorter).

    >>> chunk_starts(5, 2)
    ((0, 2), (2, 4), (4, 5))
    """
    if per < 1:
        raise UsageError(f"chunk must be a positive number of samples, got {per}", parameters=("chunk",))
    return tuple((a, min(a + per, samples)) for a in range(0, samples, per))


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
    chunk: int | None = None,
    dtype: str = "float64",
    threads: int = 1,
) -> tuple[DepthRun, ...]:
    """Run ``samples`` independent networks of depth L under each schedule; one DepthRun each.

    The same networks are evaluated under every schedule on the materialised route
    (common random numbers); the Gaussian shortcut routes draw independently per schedule.
    Sample j draws from its own stream SeedSequence(seed, spawn_key=(depth, j)), so a
    depth's result does not depend on the other depths of a sweep, nor on ``chunk``
    (samples per chunk; default: the memory budget of :func:`chunk_size`) or ``threads``.

    Arguments: ``orders`` = K tracks the order-0..K energies and the tail (linear only).
    ``progress`` is called with the number of layers just done (for a progress bar).
    ``dtype`` float32 draws and multiplies materialised weights in float32 (docs/benchmarks.md).

    >>> from residual_expansion.scaling.schedules import power
    >>> (run,) = simulate(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), [power(0.5)], 4, 200, 0)
    >>> run.samples, run.explodes_at, run.sq_ratio.mean > 0
    (200, None, True)
    >>> simulate(Model("res3", dim=8, input_dim=4), Init("iid-uniform"), [power(0.5)], 4, 200, 0, chunk=7) == (run,)
    True

    Raises
    ------
    UsageError
        For orders with a model other than linear, a bad route, sizes below 1, or float32
        on a Gaussian shortcut route.
    """
    chosen = choose_route(model, init, route, orders)
    validate_simulation(model, samples, orders, dtype, chosen)
    lams = np.stack([sch.scales(depth) for sch in schedules])
    per = chunk or chunk_size(model, init, depth, samples, chosen)
    parts = [
        simulate_chunk(model, init, lams, seed, a, b, chosen, orders, dtype, threads, progress)
        for a, b in chunk_starts(samples, per)
    ]
    return reduce_chunks(schedules, depth, chosen, samples, parts)
