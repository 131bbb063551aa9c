"""Monte Carlo of normalized residual stacks: pre- and post-normalization with RMSNorm or LayerNorm.

Placements (docs/theory.md#normalization; proofs/normalization.md):

- ``pre``:  h_k = h_{k-1} + lambda_k g_k(N(h_{k-1}))
- ``post``: h_k = N(h_{k-1} + lambda_k g_k(h_{k-1}))

with N = RMSNorm, N(x) = sqrt(d) x / ||x||, or LayerNorm, N(x) = sqrt(d) (x - mean(x)) / ||x - mean(x)||
(no gain, no bias: their initial values); both give ||N(x)||^2 = d. The branches g_k are the
models of :mod:`residual_expansion.scaling.montecarlo` (linear, res-1, res-3) with i.i.d. weights
of variance s^2/d, the input h_0 = A x as there.

Exact identities checked against these runs (claim NORM-ENERGY):

- pre-normalization, branch energy kappa d per unit lambda^2 (kappa = s^2 for linear modules
  and res-1 with the identity, s^4/2 for res-3/ReLU, s^4 for res-3/identity):
  E[||h_L||^2 | h_0] = ||h_0||^2 + kappa d sum_k lambda_k^2 (additive, not multiplicative);
- post-normalization: ||h_L||^2 = d for every sample (L >= 1); with RMSNorm and positively
  homogeneous branches (linear, res-1/res-3 with ReLU or identity, no bias) the whole stack
  equals N applied once to the unnormalized output: every path survives, rescaled by one factor.

The ratios are per sample ||h_L||^2 / ||h_0||^2, so a prediction conditional on the drawn inputs
is kappa d sum lambda^2 * mean(1 / ||h_0||^2) (+1); it is what the rows report.

Routes: ``materialised`` draws every matrix; for i.i.d. Gaussian weights and pre-normalization
``gaussian-vector`` uses that M u with M independent of u has the law of (s ||u|| / sqrt d) z.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.activations import Activation, activation
from residual_expansion.models.families import from_weights
from residual_expansion.models.weights import Init
from residual_expansion.scaling import predictions
from residual_expansion.scaling.montecarlo import (
    DRAW_BUDGET, DepthRun, Model, SampleStats, iid_layers, input_state, layer_draw_bytes, layers_per_draw, simulate,
)
from residual_expansion.scaling.schedules import Schedule
from residual_expansion.scaling.streams import ROUTE_KEYS, Draws

NORMS = ("none", "pre-rms", "pre-ln", "post-rms", "post-ln")
#: Bytes of the arrays one chunk of samples may hold at once (:func:`chunk_samples`).
LAYER_BUDGET = 32 * 2**20
#: First spawn-key entries of the streams of normalized stacks and of the Fixup kernel trace.
NORM_KEY, FIXUP_KEY = ROUTE_KEYS["norm"], ROUTE_KEYS["fixup"]


@dataclass(frozen=True)
class Norm:
    """Where the normalization sits (``pre``, ``post`` or None) and which (``rms`` or ``ln``).

    >>> parse_norm("pre-rms").label, parse_norm("none").placement is None
    ('pre-rms', True)
    """

    placement: str | None
    kind: str = "rms"

    @property
    def label(self) -> str:
        return "none" if self.placement is None else f"{self.placement}-{self.kind}"


def parse_norm(text: str) -> Norm:
    """``none``, ``pre-rms``, ``pre-ln``, ``post-rms`` or ``post-ln``.

    Raises
    ------
    UsageError
        For anything else.
    """
    spec = text.strip()
    if spec not in NORMS:
        raise UsageError(f"unknown norm {text!r}; allowed: {', '.join(NORMS)}")
    if spec == "none":
        return Norm(None)
    placement, kind = spec.split("-")
    return Norm(placement, kind)


def normalize(x: np.ndarray, kind: str) -> np.ndarray:
    """N(x) along the trailing axis: sqrt(d) y / ||y||, y = x (``rms``) or x - mean(x) (``ln``).

    >>> y = normalize(np.array([3.0, 4.0]), "rms")
    >>> float(np.sum(y ** 2))
    2.0
    """
    d = x.shape[-1]
    y = x - x.mean(axis=-1, keepdims=True) if kind == "ln" else x
    return math.sqrt(d) * y / np.linalg.norm(y, axis=-1, keepdims=True)


def activation_fn(name: str) -> Activation:
    """relu, tanh or the identity from the one set of activations (models/activations.py); callable.

    Raises
    ------
    UsageError
        For another name.
    """
    if name not in ("relu", "tanh", "identity"):
        raise UsageError(f"unknown activation {name!r}; allowed: relu, tanh, identity")
    return activation(name)


def branch(kind: str, act: Activation, mats: Sequence[np.ndarray], u: np.ndarray) -> np.ndarray:
    """g(u) for a batch: u (c, m, d), each matrix (c, d, d); linear A u, res-1 V act(u), res-3 V act(W u).

    The family module :func:`~residual_expansion.models.families.from_weights` of the c networks' layer.
    """
    return from_weights(kind, mats, act).value(u)


def chunk_bytes_per_sample(model: Model, schedules: int) -> int:
    """Peak bytes one sample adds to a chunk of :func:`simulate_normalized`: the states and the branch's
    intermediates (8 vectors of width d per schedule: h, the unnormalized h of post-RMS, the normalized
    input, the branch, its pre-activation, the sums) and the drawn weights or normals
    (:func:`~residual_expansion.scaling.montecarlo.layer_draw_bytes`).

    >>> chunk_bytes_per_sample(Model("res3", dim=16), 3)  # 8 * 8 * 3 * 16 + 16 (2 * 256 + 2048) + 1024
    45056
    """
    return 8 * 8 * schedules * model.dim + layer_draw_bytes(model)


def chunk_samples(model: Model, schedules: int, samples: int) -> int:
    """Samples per chunk: ``(LAYER_BUDGET - DRAW_BUDGET) // chunk_bytes_per_sample``, at least 1, at most
    ``samples``. Each sample draws from its own stream, so the chunk size changes no number.

    >>> chunk_samples(Model("res3", dim=16), 3, 100_000)
    698
    """
    return max(1, min(samples, (LAYER_BUDGET - DRAW_BUDGET) // chunk_bytes_per_sample(model, schedules)))


def require_iid(init: Init, what: str) -> None:
    """Normalized, lesion and capacity runs draw i.i.d. weights only.

    Raises
    ------
    UsageError
        For the smooth and fBm laws.
    """
    if not init.iid:
        raise UsageError(f"{what} supports the i.i.d. laws iid-uniform and iid-gaussian, not {init.label}")


# --------------------------------------------------------------------------- predictions


def branch_kappa(kind: str, activation: str, s: float) -> float | None:
    """kappa with E ||g(u)||^2 = kappa ||u||^2 for u independent of g's weights (None: no identity).

    linear and res-1/identity: s^2; res-3/ReLU: s^4/2; res-3/identity: s^4 (W, V symmetric).

    >>> branch_kappa("res3", "relu", 1.0), branch_kappa("res1", "tanh", 1.0) is None
    (0.5, True)
    """
    if kind == "linear" or (kind == "res1" and activation == "identity"):
        return s * s
    if kind == "res3" and activation in predictions.EXACT_KAPPA:
        return predictions.EXACT_KAPPA[activation] * s**4
    return None


def pre_norm_increment(kind: str, activation: str, s: float, dim: int, lams: Sequence[float] | np.ndarray) -> float | None:
    """E ||h_L - h_0||^2 under pre-normalization: kappa d sum_k lambda_k^2 (None without an identity).

    Proof: proofs/normalization.md, "Pre-normalization is additive".

    >>> pre_norm_increment("res3", "relu", 1.0, 24, [1.0] * 16)
    192.0
    """
    kappa = branch_kappa(kind, activation, s)
    if kappa is None:
        return None
    lam = np.asarray(lams, dtype=float)
    return float(kappa * dim * np.sum(lam * lam))


# --------------------------------------------------------------------------- Monte Carlo


@dataclass(frozen=True)
class NormRun:
    """One schedule at one depth of a normalized stack.

    ``sq_norm_ratio`` / ``sq_ratio``: statistics of ||h_L||^2 / ||h_0||^2 and ||h_L - h_0||^2 / ||h_0||^2;
    ``inv_input_energy``: mean over the samples of 1 / ||h_0||^2 (conditions the predictions);
    ``homogeneity_residual``: post-RMS only, max over samples of ||h_L - N(h_L^none)|| / sqrt(d)
    (the same weights without normalization, then N once), else None.
    """

    schedule: Schedule
    depth: int
    norm: Norm
    route: str
    samples: int
    explodes_at: int | None
    sq_norm_ratio: SampleStats | None
    sq_ratio: SampleStats | None
    inv_input_energy: float
    homogeneity_residual: float | None = None


def choose_norm_route(init: Init, norm: Norm, route: str = "auto") -> str:
    """``gaussian-vector`` for pre-normalization with Gaussian weights (exact in law), else ``materialised``.

    >>> choose_norm_route(Init("iid-gaussian"), parse_norm("pre-rms"))
    'gaussian-vector'

    Raises
    ------
    UsageError
        When the requested route is not exact here.
    """
    ok = init.kind == "iid-gaussian" and norm.placement == "pre"
    if route == "auto":
        return "gaussian-vector" if ok else "materialised"
    if route == "gaussian-vector" and not ok:
        raise UsageError("route gaussian-vector is exact with norm only for pre-normalization with iid-gaussian weights",
                         parameters=("norm",))
    if route not in ("materialised", "gaussian-vector"):
        raise UsageError(f"route {route!r} is not available with a normalization; allowed: auto, materialised, gaussian-vector")
    return route


def simulate_normalized(
    model: Model,
    init: Init,
    norm: Norm,
    schedules: Sequence[Schedule],
    depth: int,
    samples: int,
    seed: int,
    route: str = "auto",
) -> tuple[NormRun, ...]:
    """Run ``samples`` normalized networks of depth L under each schedule (common weights across schedules).

    Draws: sample j of depth L draws from its own stream SeedSequence(seed, spawn_key=(11, L, j))
    (:func:`residual_expansion.scaling.streams.sample_generator`): its input (x, then A), then its
    weights layer after layer (``materialised``) or the Gaussian vectors of the shortcut
    (``gaussian-vector``); the samples run in chunks (:func:`chunk_samples`), which changes no number.

    >>> from residual_expansion.scaling.schedules import power
    >>> (r,) = simulate_normalized(Model("linear", dim=6, input_dim=6), Init("iid-uniform"),
    ...                            parse_norm("post-ln"), [power(0.0)], 3, 50, 0)
    >>> round(r.sq_norm_ratio.mean / (6 * r.inv_input_energy), 12)
    1.0

    Raises
    ------
    UsageError
        For a non-i.i.d. law, fewer than 2 samples, or a route that is not exact.
    """
    require_iid(init, "--norm")
    if norm.placement is None:
        raise UsageError("simulate_normalized needs a normalization; use scaling.montecarlo.simulate for none")
    if samples < 2:
        raise UsageError(f"samples {samples} is too small; at least 2 samples are needed for a standard error")
    chosen = choose_norm_route(init, norm, route)
    act = activation_fn(model.activation)
    lams = np.stack([sch.scales(depth) for sch in schedules])
    m = len(schedules)
    d = model.dim
    per = chunk_samples(model, m, samples)
    sq_norm, sq_diff, inv0, homog = [], [], [], []
    bad = np.zeros(m, dtype=int)
    homogeneous = norm.label == "post-rms" and (model.kind == "linear" or model.activation in ("relu", "identity"))
    with np.errstate(all="ignore"):
        for start in range(0, samples, per):
            draws = Draws.of(seed, (NORM_KEY, depth), start, min(samples, start + per))
            h0 = input_state(model, init, draws)
            h = np.repeat(h0[:, None, :], m, axis=1)
            raw = h.copy() if homogeneous else None
            layers = iid_layers(model, init, draws, depth) if chosen != "gaussian-vector" else None
            applies = 2 if model.kind == "res3" else 1
            batch = layers_per_draw(draws.count, applies * m * d, 8)
            z = np.empty(0)
            for k in range(depth):
                lam = lams[:, k][None, :, None]
                if layers is None:
                    if k % batch == 0:  # each sample's next normals, several layers per draw (the same numbers)
                        z = draws.normal(1.0, (min(batch, depth - k), applies, m, d), "float64")
                    h = h + lam * _vector_branch(model, act, normalize(h, norm.kind), z[:, k % batch])
                else:
                    mats = next(layers)
                    if norm.placement == "pre":
                        h = h + lam * branch(model.kind, act, mats, normalize(h, norm.kind))
                    else:
                        h = normalize(h + lam * branch(model.kind, act, mats, h), norm.kind)
                        if raw is not None:
                            raw = raw + lam * branch(model.kind, act, mats, raw)
                fresh = ~np.all(np.isfinite(h), axis=(0, 2)) & (bad == 0)
                bad[fresh] = k + 1
            e0 = np.sum(h0 * h0, axis=-1)[:, None]
            sq_norm.append(np.sum(h * h, axis=-1) / e0)
            sq_diff.append(np.sum((h - h0[:, None, :]) ** 2, axis=-1) / e0)
            inv0.append(1.0 / e0[:, 0])
            if raw is not None:
                homog.append(np.max(np.linalg.norm(h - normalize(raw, "rms"), axis=-1), axis=0) / math.sqrt(d))
    sq_norm_all = np.concatenate(sq_norm)
    sq_diff_all = np.concatenate(sq_diff)
    inv = float(np.mean(np.concatenate(inv0)))
    runs = []
    for j, sch in enumerate(schedules):
        hres = float(max(x[j] for x in homog)) if homog else None
        a, b = sq_norm_all[:, j], sq_diff_all[:, j]
        if bad[j] or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            runs.append(NormRun(sch, depth, norm, chosen, samples, int(bad[j]) or depth, None, None, inv, hres))
            continue
        runs.append(NormRun(sch, depth, norm, chosen, samples, None, SampleStats.of(a), SampleStats.of(b), inv, hres))
    return tuple(runs)


def _vector_branch(model: Model, act: Callable, u: np.ndarray, z: np.ndarray) -> np.ndarray:
    """g(u) in law for fresh Gaussian weights independent of u: M v ~ (s ||v|| / sqrt d) z, with z[:, i] the
    standard normals of the i-th product (res-3: W, then V), shape (c, products, m, d)."""
    scale = model.s / math.sqrt(model.dim)

    def apply(v: np.ndarray, i: int) -> np.ndarray:
        return scale * np.linalg.norm(v, axis=-1, keepdims=True) * z[:, i]

    if model.kind == "linear":
        return apply(u, 0)
    if model.kind == "res1":
        return apply(act(u), 0)
    return apply(act(apply(u, 0)), 1)


# --------------------------------------------------------------------------- sweep


@dataclass(frozen=True)
class NormRow:
    """A normalized run next to its prediction, and the unnormalized run of the same model for contrast.

    ``predicted_sq_norm_ratio`` / ``predicted_sq_ratio``: conditional on the drawn inputs (None when
    theory has no identity); ``reference``: the run without normalization; ``reference_predicted``:
    its exact prediction prod(1 + kappa lambda^2) of E ||h_L||^2 / ||h_0||^2 (None without one).
    """

    run: NormRun
    predicted_sq_norm_ratio: float | None
    predicted_sq_ratio: float | None
    reference: DepthRun
    reference_predicted: predictions.LogValue | None

    def z(self, which: str = "norm") -> float | None:
        """(measured - predicted) / stderr for ``norm`` (||h_L||^2) or ``diff`` (||h_L - h_0||^2)."""
        st = self.run.sq_norm_ratio if which == "norm" else self.run.sq_ratio
        pred = self.predicted_sq_norm_ratio if which == "norm" else self.predicted_sq_ratio
        if st is None or pred is None or st.stderr == 0:
            return None
        return (st.mean - pred) / st.stderr


@dataclass(frozen=True)
class NormSweep:
    """Every (schedule, depth) of a normalized sweep with its settings."""

    model: Model
    init: Init
    norm: Norm
    samples: int
    seed: int
    rows: tuple[NormRow, ...]


def predict_normalized(model: Model, norm: Norm, lams: np.ndarray, inv_input_energy: float) -> tuple[float | None, float | None]:
    """(E ||h_L||^2 / ||h_0||^2, E ||h_L - h_0||^2 / ||h_0||^2) given the inputs, or None where no identity.

    pre: 1 + kappa d sum lambda^2 * mean(1/||h_0||^2) and kappa d sum lambda^2 * mean(1/||h_0||^2);
    post: d * mean(1/||h_0||^2) (every ||h_L||^2 = d), no identity for the difference.

    >>> predict_normalized(Model("linear", dim=4), parse_norm("post-rms"), np.ones(3), 0.5)
    (2.0, None)
    """
    if norm.placement == "post":
        return model.dim * inv_input_energy, None
    inc = pre_norm_increment(model.kind, model.activation, model.s, model.dim, lams)
    if inc is None:
        return None, None
    return 1.0 + inc * inv_input_energy, inc * inv_input_energy


def run_norm_sweep(
    model: Model,
    init: Init,
    norm: Norm,
    schedules: Sequence[Schedule],
    depths: Sequence[int],
    samples: int,
    seed: int,
    route: str = "auto",
) -> NormSweep:
    """The normalized stack at every (schedule, depth), with predictions and the unnormalized contrast.

    >>> from residual_expansion.scaling.schedules import power
    >>> sw = run_norm_sweep(Model("res3", dim=8), Init("iid-gaussian"), parse_norm("pre-rms"), [power(0.0)], [4], 100, 0)
    >>> sw.rows[0].predicted_sq_ratio is not None, sw.rows[0].reference.route
    (True, 'gaussian-radial')

    Raises
    ------
    UsageError
        For empty lists or a law or route :func:`simulate_normalized` rejects.
    """
    if not schedules or not depths:
        raise UsageError("a sweep needs at least one schedule and one depth")
    rows = []
    for L in depths:
        runs = simulate_normalized(model, init, norm, schedules, L, samples, seed, route)
        refs = simulate(model, init, schedules, L, samples, seed)
        for run, ref in zip(runs, refs):
            lams = run.schedule.scales(L)
            with np.errstate(over="ignore", invalid="ignore"):
                p_norm, p_diff = predict_normalized(model, norm, lams, run.inv_input_energy)
                ref_pred = predictions.predicted_energy(model.kind, model.activation, init.iid, lams, model.s)
            rows.append(NormRow(run, p_norm, p_diff, ref, ref_pred))
    return NormSweep(model, init, norm, samples, seed, tuple(rows))


# --------------------------------------------------------------------------- normalization-free schemes


#: Fixup's exponent: the weight layers inside each of L branches of m layers are scaled by L^(-1/(2m-2)).
def fixup_scale(depth: int, layers: int) -> float:
    """Fixup's multiplier L^(-1/(2m-2)) of the inner weight layers (m >= 2 layers per branch).

    >>> fixup_scale(16, 2)
    0.25

    Raises
    ------
    UsageError
        For m < 2 (a one-layer branch has no inner layer to rescale).
    """
    if layers < 2:
        raise UsageError(f"layers must be >= 2 for Fixup, got {layers}")
    return float(depth) ** (-1.0 / (2 * layers - 2))


def skipinit_alpha(depth: int) -> float:
    """SkipInit's largest recommended branch multiplier, 1/sqrt(L) (De and Smith 2020: alpha = 0 or <= 1/sqrt(L)).

    >>> skipinit_alpha(16)
    0.25
    """
    return float(depth) ** -0.5


def fixup_ntk_trace(model: Model, init: Init, depth: int, samples: int, seed: int, inner_scale: float,
                    lam: float = 1.0) -> SampleStats:
    """tr Theta / (d ||h_0||^2) of res-3 stacks at a Fixup initialisation, by reverse mode through the stack.

    Theta = J_theta J_theta^T is the tangent kernel of the output h_L in the weights theta = (W_k, V_k),
    so one gradient step of size eta on a loss with output gradient p moves h_L by -eta Theta p: its trace
    measures the size of the first update. Fixup: V_k = 0 (last layer of every branch at zero), W_k i.i.d.
    of variance s^2 inner_scale^2 / d. Reverse mode, for every cotangent e_a (a = 1..d):
    p_L = e_a, ||dh_L/dV_k||^2 = lam^2 ||p_k||^2 ||phi(z_k)||^2, ||dh_L/dW_k||^2 = lam^2 ||phi'(z_k) * V_k^T p_k||^2 ||h_(k-1)||^2,
    p_(k-1) = p_k + lam W_k^T (phi'(z_k) * V_k^T p_k). Exact mean (proofs/normalization.md): lam^2 s^2 inner_scale^2 L / 2
    for ReLU, which Fixup's inner_scale = L^(-1/2) makes lam^2 s^2 / 2 at every depth.

    >>> st = fixup_ntk_trace(Model("res3", dim=4, input_dim=4), Init("iid-uniform"), 4, 50, 0, 0.5)
    >>> st.n
    50
    """
    require_iid(init, "Fixup")
    if model.kind != "res3":
        raise UsageError("Fixup is modelled for res3 branches (two weight layers)")
    act = activation_fn(model.activation)
    grad = (lambda z: (z > 0).astype(float)) if model.activation == "relu" else (
        (lambda z: 1.0 - np.tanh(z) ** 2) if model.activation == "tanh" else (lambda z: np.ones_like(z)))
    d = model.dim
    per = fixup_chunk_samples(model, depth, samples)
    out = []
    for start in range(0, samples, per):
        draws = Draws.of(seed, (FIXUP_KEY, depth), start, min(samples, start + per))
        c = draws.count
        h0 = input_state(model, init, draws)
        hs, zs, ws = [h0], [], []
        v = np.zeros((c, d, d))  # V_k = 0 in every layer (Fixup), one array for all of them
        h = h0
        for w, _unused in iid_layers(model, init, draws, depth):
            w = inner_scale * w
            z = np.einsum("cab,cb->ca", w, h)
            h = h + lam * np.einsum("cab,cb->ca", v, act(z))
            hs.append(h)
            zs.append(z)
            ws.append(w)
        p = np.broadcast_to(np.eye(d), (c, d, d)).copy()  # (c, cotangent a, d)
        total = np.zeros(c)
        for k in range(depth - 1, -1, -1):
            z, w, hprev = zs[k], ws[k], hs[k]
            q = grad(z)[:, None, :] * np.matmul(p, v)  # phi'(z) * V^T p for every cotangent a: (c, a, d)
            total += lam**2 * np.sum(p * p, axis=(1, 2)) * np.sum(act(z) ** 2, axis=-1)
            total += lam**2 * np.sum(q * q, axis=(1, 2)) * np.sum(hprev * hprev, axis=-1)
            p = p + lam * np.matmul(q, w)  # p_(k-1) = p_k + lam W^T q, row a per cotangent
        out.append(total / (d * np.sum(h0 * h0, axis=-1)))
    return SampleStats.of(np.concatenate(out))


def fixup_bytes_per_sample(model: Model, depth: int) -> int:
    """Bytes one sample of :func:`fixup_ntk_trace` holds: its L scaled W_k (d x d) and states h_k, z_k for
    the reverse pass, the per-chunk arrays (V = 0, the cotangents p and q and their products, 6 d x d
    blocks) and the drawn weights (:func:`~residual_expansion.scaling.montecarlo.layer_draw_bytes`).

    >>> fixup_bytes_per_sample(Model("res3", dim=8), 64)  # 8 (64 (64 + 16) + 6 * 64) + 16 (2 * 64 + 2048) + 1024
    79872
    """
    d = model.dim
    return 8 * (depth * (d * d + 2 * d) + 6 * d * d) + layer_draw_bytes(model)


def fixup_chunk_samples(model: Model, depth: int, samples: int) -> int:
    """Samples per chunk of :func:`fixup_ntk_trace` within ``LAYER_BUDGET`` (at least 1: the limit
    ``SCALING_MAX_FIXUP_BYTES`` of limits.py bounds one sample). Each sample draws from its own stream
    SeedSequence(seed, spawn_key=(23, L, j)), so the chunk size changes no number.

    >>> fixup_chunk_samples(Model("res3", dim=8), 64, 10_000)
    393
    """
    return max(1, min(samples, (LAYER_BUDGET - DRAW_BUDGET) // fixup_bytes_per_sample(model, depth)))


def fixup_prediction(activation: str, s: float, lam: float, inner_scale: float, depth: int) -> float | None:
    """E tr Theta / (d ||h_0||^2) = lam^2 s^2 q^2 L kappa_phi, kappa_phi = 1/2 (ReLU) or 1 (identity); None for tanh.

    >>> fixup_prediction("relu", 1.0, 1.0, fixup_scale(64, 2), 64)
    0.5
    """
    k = predictions.EXACT_KAPPA.get(activation)
    return None if k is None else lam * lam * s * s * inner_scale**2 * depth * k


@dataclass(frozen=True)
class FixupRow:
    """Fixup at one (schedule, depth): the measured kernel trace with Fixup's rescaling and without it."""

    schedule: Schedule
    depth: int
    inner_scale: float
    measured: SampleStats
    predicted: float | None
    unscaled: SampleStats
    unscaled_predicted: float | None


def run_fixup(model: Model, init: Init, schedules: Sequence[Schedule], depths: Sequence[int], samples: int,
              seed: int) -> tuple[FixupRow, ...]:
    """tr Theta / (d ||h_0||^2) at a Fixup initialisation (V = 0, W scaled by L^(-1/2)) and with W unscaled.

    >>> from residual_expansion.scaling.schedules import power
    >>> (row,) = run_fixup(Model("res3", dim=4, input_dim=4), Init("iid-uniform"), [power(0.0)], [4], 20, 0)
    >>> row.inner_scale, row.predicted
    (0.5, 0.5)

    Raises
    ------
    UsageError
        For models other than res3 or non-i.i.d. laws.
    """
    rows = []
    for L in depths:
        q = fixup_scale(L, 2)
        for sch in schedules:
            lam = float(sch.scales(L)[0])
            st = fixup_ntk_trace(model, init, L, samples, seed, q, lam)
            raw = fixup_ntk_trace(model, init, L, samples, seed, 1.0, lam)
            rows.append(FixupRow(sch, L, q, st, fixup_prediction(model.activation, model.s, lam, q, L), raw,
                                 fixup_prediction(model.activation, model.s, lam, 1.0, L)))
    return tuple(rows)
