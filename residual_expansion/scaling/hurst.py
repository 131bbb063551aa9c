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

**The measurement** (:func:`run_hurst_map`) follows Marion et al.'s Figure 7 protocol: per
Hurst index, a few networks (5 in the paper), each drawn ONCE and run at EVERY beta on the
same few inputs (10 in the paper). The (beta, input) pairs of a network form the batch axis
of one layer loop, forward and backward (:func:`simulate_networks`), so a network's fGn
weights are drawn once, not once per beta and sample. The inputs of one network share its
weights and are not independent samples: every standard error here comes from the spread
over networks (:func:`network_stats`). The heatmap cell is the mean of log10 of the ratio
over the networks x inputs samples, as in the paper's code (:func:`heat_row`).
(Marion et al. draw a fresh input and target for every (beta, input); here the same inputs
serve every beta, common random numbers that make the crossing in beta smoother.)

Execution (docs/distributed.md): one cell per Hurst index, its tasks ranges of networks;
network n of Hurst index number i at depth L draws from SeedSequence(seed, spawn_key=(i,
n, L)) only, so the map is the same bytes in-process, on Dask workers and with any chunk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init, correlated_paths, fgn_autocovariance
from residual_expansion.scaling import predictions as scaling
from residual_expansion.scaling.streams import covering
from residual_expansion.scaling.execution import Backend, Cell, Checkpoint, Task, run_cells
from residual_expansion.scaling.montecarlo import DepthRun, LogMoments, Model, Progress, SampleStats
from residual_expansion.scaling.schedules import power
from residual_expansion.scaling.gradients import COTANGENTS, GradientRun, forward_backward, pointwise
from residual_expansion.scaling.sweep import Sweep, SweepRow, TrendFit


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


# --------------------------------------------------------------------------- Figure 7: the protocol

#: The seed scheme of the Hurst map (part of a checkpoint's fingerprint; a change refuses old checkpoints).
SEED_SCHEME = ("network n of Hurst index number i at depth L: SeedSequence(seed, spawn_key=(i, n, L)), "
               "drawing A, B, x, y, the W/V fGn paths, then v")
#: Memory budget (bytes) for the pre-activations one group of networks stores for its backward pass.
STORE_BUDGET = 256 * 2**20


def network_generator(seed: int, h_index: int, network: int, depth: int) -> np.random.Generator:
    """The only stream of network ``network`` of Hurst index number ``h_index`` at depth ``depth``:
    default_rng(SeedSequence(seed, spawn_key=(h_index, network, depth))).

    So a network's numbers depend on nothing else (not on the other networks, Hurst indices
    or depths of the grid, nor on how networks are cut into tasks or which worker runs them).

    >>> a = network_generator(0, 3, 1, 16).random()
    >>> a == network_generator(0, 3, 1, 16).random() != network_generator(0, 3, 2, 16).random()
    True

    Raises
    ------
    UsageError
        When an argument is negative.
    """
    if seed < 0:
        raise UsageError(f"seed must be a non-negative integer, got {seed}", parameters=("seed",))
    if h_index < 0 or network < 0 or depth < 1:
        raise UsageError(f"h_index, network must be >= 0 and depth >= 1, got {h_index}, {network}, {depth}")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(h_index, network, depth)))


@dataclass(frozen=True)
class NetworkDraw:
    """What one network of depth L draws (shared by every beta and every input).

    ``h0`` (I, d): the inputs h_0 = A x_i of its I inputs; ``readout`` (d,): the read-out B;
    ``target`` (I,): y_i ~ U[0, 1]; ``weights`` (L, mats, d, d): [W_k, V_k] for res-3
    ([V_k] for res-1/res-2, [A_k] for linear); ``noise`` (I, d): the random cotangent v_i
    (only for ``cotangent="random"``).
    """

    h0: np.ndarray
    readout: np.ndarray
    target: np.ndarray
    weights: np.ndarray
    noise: np.ndarray | None


def draw_network(model: Model, hurst: float, depth: int, inputs: int, gen: np.random.Generator,
                 cotangent: str | None = None) -> NetworkDraw:
    """Draw one network and its inputs from ``gen``, in this order: A (d x n_in, N(0, 1/n_in)),
    B (d, N(0, 1/d)), x_1..x_I ~ U[0,1]^n_in, y_1..y_I ~ U[0, 1], the fGn weight paths (every
    entry of every matrix an independent unit fGn sequence of Hurst index H over the L layers,
    times s / sqrt(d); Davies-Harte), then v_1..v_I ~ N(0, I_d) for a random cotangent. The
    forward numbers therefore do not depend on the cotangent.

    >>> net = draw_network(Model("res3", dim=3, input_dim=2), 0.7, 5, 4, network_generator(0, 0, 0, 5))
    >>> net.h0.shape, net.weights.shape, net.noise is None
    ((4, 3), (5, 2, 3, 3), True)
    """
    d, n_in = model.dim, model.input_dim
    a = gen.standard_normal((d, n_in)) / math.sqrt(n_in)
    readout = gen.standard_normal(d) / math.sqrt(d)
    x = gen.random((inputs, n_in))
    y = gen.random(inputs)
    count = model.matrices * d * d
    w = correlated_paths(Init("fbm", hurst=hurst), depth, count, gen, model.s / math.sqrt(d))
    noise = gen.standard_normal((inputs, d)) if cotangent == "random" else None
    return NetworkDraw(x @ a.T, readout, y, w.reshape(depth, model.matrices, d, d), noise)


@dataclass(frozen=True)
class NetworkBlock:
    """Per-sample measurements of networks start..start+c-1 of one Hurst index.

    Arrays have shape (c, depths, betas, inputs): ``norm`` = ||h_L|| / ||h_0||, ``diff`` =
    ||h_L - h_0|| / ||h_0||, ``back`` = ||p_0|| / ||p_L||, ``back_diff`` = ||p_L - p_0|| / ||p_L||
    (the last two None without gradients); ``bad`` (depths, betas): the first layer at which
    the state of some network of the block became non-finite under that beta (0: never).
    """

    start: int
    norm: np.ndarray
    diff: np.ndarray
    back: np.ndarray | None
    back_diff: np.ndarray | None
    bad: np.ndarray


def group_size(model: Model, depth: int, rows: int, gradients: bool) -> int:
    """Networks pushed through one layer loop together: per network, its weights (L x mats x d x d
    floats), its state (a few rows x d arrays, rows = betas x inputs) and, with gradients, its stored
    pre-activations (L x rows x d) stay under :data:`STORE_BUDGET` together (at least 1 network).

    >>> group_size(Model("res3", dim=40), 1000, 700, True), group_size(Model("res3", dim=6), 256, 68, True)
    (1, 266)
    """
    d = model.dim
    per = 8 * (depth * model.matrices * d * d + 8 * rows * d + (depth * rows * d if gradients else 0))
    return max(1, STORE_BUDGET // per)


def _group_pass(model: Model, nets: Sequence[NetworkDraw], lams: np.ndarray, inputs: int, cotangent: str | None,
                tick: Progress) -> tuple[np.ndarray, ...]:
    """One layer loop for networks ``nets`` under every beta and input at once.

    The batch axis holds the rows (beta j, input i) in the order j * I + i: the state has
    shape (c, betas * inputs, d) and row (j, i) starts at h_0 of input i and runs at
    lambda = lams[j]. The forward and backward passes are
    :func:`residual_expansion.scaling.gradients.forward_backward` (reverse mode).
    """
    m, depth = lams.shape
    c = len(nets)
    h0 = np.stack([np.tile(n.h0, (m, 1)) for n in nets])  # (c, m * I, d): row j * I + i is input i
    lam_rows = np.repeat(lams, inputs, axis=0)  # (m * I, L)
    w = np.stack([n.weights for n in nets], axis=2)  # (L, mats, c, d, d)

    def weights(k: int) -> list[np.ndarray]:
        return [w[k, j] for j in range(model.matrices)]

    cot = None
    if cotangent == "loss":
        readout = np.stack([n.readout for n in nets])  # (c, d)
        target = np.stack([np.tile(n.target, m) for n in nets])  # (c, m * I)

        def cot(h: np.ndarray) -> np.ndarray:
            out = np.einsum("crd,cd->cr", h, readout)
            return 2.0 * (out - target)[..., None] * readout[:, None, :]
    elif cotangent == "random":
        noise = np.stack([np.tile(n.noise, (m, 1)) for n in nets])

        def cot(h: np.ndarray) -> np.ndarray:
            return noise

    bad_rows = np.zeros(m * inputs, dtype=int)
    with np.errstate(all="ignore"):
        hl, p_l, p0 = forward_backward(model.kind, pointwise(model.activation), lam_rows, h0, weights, cot, tick,
                                       bad_rows)
        n0 = np.linalg.norm(h0, axis=-1)
        norm = np.linalg.norm(hl, axis=-1) / n0
        diff = np.linalg.norm(hl - h0, axis=-1) / n0
        back = back_diff = None
        if p_l is not None:
            nl = np.linalg.norm(p_l, axis=-1)
            back = np.linalg.norm(p0, axis=-1) / nl
            back_diff = np.linalg.norm(p_l - p0, axis=-1) / nl
    rows = bad_rows.reshape(m, inputs)
    bad = np.where(rows > 0, rows, depth + 1).min(axis=1) % (depth + 1)  # per beta, 0: never

    def shape(a):
        return None if a is None else a.reshape(c, m, inputs)

    return shape(norm), shape(diff), shape(back), shape(back_diff), bad


def simulate_networks(model: Model, hurst: float, h_index: int, betas: Sequence[float], c: float,
                      depths: Sequence[int], start: int, stop: int, inputs: int, seed: int,
                      cotangent: str | None = None, progress: Progress | None = None) -> NetworkBlock:
    """Networks start..stop-1 of Hurst index H (number ``h_index`` of the grid), each run at every
    beta (lambda = c L^(-beta)) and depth on its ``inputs`` inputs; forward, and backward with a
    ``cotangent`` (``loss`` or ``random``).

    Every network draws from :func:`network_generator` (seed, h_index, network, L) only
    (:func:`draw_network`), so any range of networks gives the same numbers for the networks it
    contains. Networks are pushed through the layers in groups of :func:`group_size`.

    >>> whole = simulate_networks(Model("res3", dim=4, input_dim=3), 0.7, 0, [0.5, 1.0], 1.0, [8], 0, 3, 2, 0, "loss")
    >>> part = simulate_networks(Model("res3", dim=4, input_dim=3), 0.7, 0, [0.5, 1.0], 1.0, [8], 1, 3, 2, 0, "loss")
    >>> whole.diff.shape, bool(np.array_equal(whole.diff[1:], part.diff) and np.array_equal(whole.back[1:], part.back))
    ((3, 1, 2, 2), True)
    """
    tick = progress or (lambda _n: None)
    out: dict[str, list] = {k: [] for k in ("norm", "diff", "back", "back_diff", "bad")}
    for L in depths:
        lams = np.stack([power(b, c).scales(L) for b in betas])
        per = group_size(model, L, len(betas) * inputs, cotangent is not None)
        parts = []
        for a in range(start, stop, per):
            nets = [draw_network(model, hurst, L, inputs, network_generator(seed, h_index, n, L), cotangent)
                    for n in range(a, min(a + per, stop))]
            parts.append(_group_pass(model, nets, lams, inputs, cotangent, tick))
        for name, i in (("norm", 0), ("diff", 1), ("back", 2), ("back_diff", 3)):
            out[name].append(None if parts[0][i] is None else np.concatenate([p[i] for p in parts]))
        out["bad"].append(_first_bad([p[4] for p in parts]))
    stack = {k: (None if v[0] is None else np.stack(v, axis=1)) for k, v in out.items() if k != "bad"}
    return NetworkBlock(start, stack["norm"], stack["diff"], stack["back"], stack["back_diff"], np.stack(out["bad"]))


def _first_bad(bads: Sequence[np.ndarray]) -> np.ndarray:
    """Elementwise the smallest non-zero entry (0 where all are 0).

    >>> _first_bad([np.array([0, 5, 3]), np.array([2, 0, 4])]).tolist()
    [2, 5, 3]
    """
    b = np.stack(bads)
    big = np.iinfo(b.dtype).max
    low = np.where(b > 0, b, big).min(axis=0)
    return np.where(low == big, 0, low)


def task_weight(model: Model, depths: Sequence[int], rows: int, count: int, gradients: bool) -> int:
    """Progress units of :func:`simulate_networks` for ``count`` networks: layers (twice with
    gradients) times groups, summed over the depths."""
    passes = 2 if gradients else 1
    return sum(passes * L * -(-count // group_size(model, L, rows, gradients)) for L in depths)


def join_blocks(blocks: Sequence[NetworkBlock], networks: int) -> NetworkBlock:
    """Blocks of networks joined in network order (whatever order they finished in).

    Raises
    ------
    UsageError
        When the blocks do not cover networks 0..networks-1 exactly once.
    """
    blocks = covering(blocks, lambda b: len(b.norm), networks, "networks")

    def cat(name: str):
        parts = [getattr(b, name) for b in blocks]
        return None if parts[0] is None else np.concatenate(parts)

    return NetworkBlock(0, cat("norm"), cat("diff"), cat("back"), cat("back_diff"),
                        _first_bad([b.bad for b in blocks]))


def encode_block(block: NetworkBlock) -> dict:
    """A joined block as JSON (finite floats round-trip exactly; inf and nan as strings).

    >>> b = NetworkBlock(0, np.array([[[[1.5, math.inf]]]]), np.ones((1, 1, 1, 2)), None, None, np.zeros((1, 1), int))
    >>> decode_block(encode_block(b)).norm.tolist()
    [[[[1.5, inf]]]]
    """
    def enc(a):
        if a is None:
            return None
        return {"shape": list(a.shape), "data": [x if math.isfinite(x) else str(x) for x in a.ravel().tolist()]}

    return {"start": block.start, "norm": enc(block.norm), "diff": enc(block.diff), "back": enc(block.back),
            "back_diff": enc(block.back_diff), "bad": enc(block.bad)}


def decode_block(value: dict) -> NetworkBlock:
    """The inverse of :func:`encode_block`."""
    def dec(v, dtype=float):
        return None if v is None else np.array([float(x) for x in v["data"]], dtype=dtype).reshape(v["shape"])

    return NetworkBlock(int(value["start"]), dec(value["norm"]), dec(value["diff"]), dec(value["back"]),
                        dec(value["back_diff"]), dec(value["bad"], int))


def hurst_cells(model: Model, hursts: Sequence[float], betas: Sequence[float], c: float, depths: Sequence[int],
                networks: int, inputs: int, seed: int, cotangent: str | None = None,
                chunk: int | None = None) -> list[Cell]:
    """One cell per Hurst index; its tasks are ranges of ``chunk`` networks (default: one group of
    :func:`group_size` at the largest depth), each a :func:`simulate_networks` call."""
    rows = len(betas) * inputs
    per = chunk or min(group_size(model, L, rows, cotangent is not None) for L in depths)
    cells = []
    for i, h in enumerate(hursts):
        tasks = tuple(
            Task(simulate_networks, (model, float(h), i, tuple(betas), c, tuple(depths), a, min(a + per, networks),
                                     inputs, seed, cotangent),
                 weight=task_weight(model, depths, rows, min(a + per, networks) - a, cotangent is not None),
                 reports_progress=True)
            for a in range(0, networks, per)
        )
        cells.append(Cell(f"hurst[{i}]={float(h)!r}", tasks, lambda parts: join_blocks(parts, networks),
                          encode_block, decode_block))
    return cells


# --------------------------------------------------------------------------- statistics over networks


def network_stats(values: np.ndarray) -> SampleStats:
    """Statistics of per-sample values (networks, inputs): the mean of all, its standard error from
    the spread over NETWORKS, std(network means) / sqrt(networks) (the inputs of one network share
    its weights, so they are not independent samples; with equal group sizes this is the
    delete-one-network jackknife), and the 5/50/95 % quantiles of all values.

    >>> st = network_stats(np.array([[1.0, 3.0], [5.0, 7.0]]))
    >>> st.n, st.mean, st.stderr  # network means 2 and 6: std 2.83 / sqrt 2
    (4, 4.0, 2.0)
    """
    v = np.asarray(values, dtype=float)
    nets = v.shape[0]
    means = v.mean(axis=1)
    se = float(np.std(means, ddof=1) / math.sqrt(nets)) if nets > 1 else math.inf
    q = np.quantile(v.ravel(), [0.05, 0.5, 0.95])
    return SampleStats(v.size, float(v.mean()), se, float(q[0]), float(q[1]), float(q[2]))


def network_log_moments(values: np.ndarray) -> LogMoments:
    """Mean and variance of all values (networks, inputs), with standard errors from the
    delete-one-network jackknife (the mean's is :func:`network_stats`'s).

    >>> lm = network_log_moments(np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]))
    >>> lm.mean, lm.var
    (2.5, 3.5)
    """
    v = np.asarray(values, dtype=float)
    nets = v.shape[0]
    var = float(np.var(v, ddof=1)) if v.size > 1 else math.inf
    if nets > 1:
        leave = np.array([np.var(np.delete(v, i, axis=0), ddof=1) if v.size - v.shape[1] > 1 else math.nan
                          for i in range(nets)])
        se_var = float(math.sqrt((nets - 1) / nets * np.sum((leave - leave.mean()) ** 2)))
    else:
        se_var = math.inf
    return LogMoments(v.size, float(v.mean()), network_stats(v).stderr, var, se_var)


def _finite_stats(cols: Sequence[np.ndarray]) -> list[SampleStats] | None:
    if not all(np.all(np.isfinite(col)) for col in cols):
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        stats = [network_stats(col) for col in cols]
    return stats if all(math.isfinite(v) for st in stats for v in (st.mean, st.stderr)) else None


def hurst_sweep(model: Model, hurst: float, betas: Sequence[float], c: float, depths: Sequence[int], seed: int,
                cotangent: str | None, block: NetworkBlock) -> Sweep:
    """One Hurst index's measurements as a :class:`~residual_expansion.scaling.sweep.Sweep` (rows per
    (depth, beta), statistics from :func:`network_stats`, per-beta trend fits in L)."""

    route = "materialised-backprop" if cotangent is not None else "materialised"
    nets, inputs = block.norm.shape[0], block.norm.shape[-1]
    n = nets * inputs
    rows: list[SweepRow] = []
    for di, L in enumerate(depths):
        for j, b in enumerate(betas):
            sch = power(b, c)
            norm, diff = block.norm[:, di, j], block.diff[:, di, j]
            with np.errstate(over="ignore", invalid="ignore"):
                stats = _finite_stats((diff, diff**2, norm, norm**2))
            bad = int(block.bad[di, j])
            if stats is None or bad:
                run = DepthRun(sch, L, route, n, bad or L, None, None, None, None)
            else:
                logs = network_log_moments(np.log(norm**2)) if np.all(norm > 0) else None
                run = DepthRun(sch, L, route, n, None, *stats, log_moments=logs)
            grad = None
            if cotangent is not None:
                back, back_diff = block.back[:, di, j], block.back_diff[:, di, j]
                with np.errstate(over="ignore", invalid="ignore"):
                    gstats = _finite_stats((back, back_diff, back**2))
                grad = (GradientRun(sch, L, cotangent, n, False, *gstats, None) if gstats is not None
                        else GradientRun(sch, L, cotangent, n, True, None, None, None, None))
            rows.append(SweepRow(run, None, None, scaling.regime(sch, "fbm", hurst), grad))
    fits: list[TrendFit] = []
    grad_fits: list[TrendFit] = []
    if len(depths) >= 2:
        crit = scaling.critical_beta("fbm", hurst)
        for b in betas:
            mine = [r for r in rows if r.run.schedule.beta == b]
            ls = [r.run.depth for r in mine]
            expected = scaling.expected_trend(b, crit)
            fit = _trend(ls, [r.run.ratio for r in mine])
            fits.append(TrendFit(power(b, c), fit, scaling.classify_slope(fit), expected))
            if cotangent is not None:
                gfit = _trend(ls, [None if r.gradient.explodes else r.gradient.diff_ratio for r in mine])
                grad_fits.append(TrendFit(power(b, c), gfit, scaling.classify_slope(gfit), expected))
    return Sweep(model, Init("fbm", hurst=hurst), n, seed, route, None, tuple(rows), tuple(fits),
                 cotangent=cotangent, grad_fits=tuple(grad_fits))


def _trend(depths: Sequence[int], stats: Sequence) -> scaling.SlopeFit:
    """Weighted log-log slope of the means against L; +inf when a statistic is missing (overflow)."""
    if any(st is None for st in stats):
        return scaling.SlopeFit(math.inf, 0.0, len(stats))
    return scaling.loglog_slope(depths, [st.mean for st in stats], [st.stderr for st in stats])


def heat_row(values: np.ndarray, bad: np.ndarray) -> tuple[float, ...]:
    """Per beta: the mean over all (network, input) samples of log10 of the ratio (Marion et al.'s
    heatmap cell: pandas' pivot_table mean of the log10 column); +inf when a sample overflowed.

    ``values`` (networks, betas, inputs), ``bad`` (betas,).

    >>> heat_row(np.array([[[1.0, 100.0], [10.0, np.inf]]]), np.array([0, 0]))
    (1.0, inf)
    """
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(values.shape[1]):
            col = values[:, j]
            out.append(math.inf if bad[j] or not np.all(np.isfinite(col)) else float(np.mean(np.log10(col))))
    return tuple(out)


@dataclass(frozen=True)
class HurstMap:
    """Marion et al.'s Figure 7 grid with the derived and measured critical lines.

    ``sweeps``: one per Hurst index (rows per (depth, beta)). ``heat_forward`` /
    ``heat_gradient`` (H x beta, at the largest depth): the mean over the networks x inputs
    samples of log10 ||h_L - h_0|| / ||h_0|| (of log10 ||p_L - p_0|| / ||p_L||), +inf where a
    sample overflowed. ``measured_forward`` / ``measured_gradient``: the zero crossing of the
    growth exponent of the mean ||h_L - h_0||^2 / ||h_0||^2 (of the mean ||p_L - p_0|| / ||p_L||)
    between the smallest and largest depth (None with one depth or without a crossing), with
    standard errors from the spread over networks.
    """

    model: Model
    hursts: tuple[float, ...]
    betas: tuple[float, ...]
    depths: tuple[int, ...]
    networks: int
    inputs: int
    seed: int
    cotangent: str | None
    sweeps: tuple[Sweep, ...]
    heat_forward: tuple[tuple[float, ...], ...]
    heat_gradient: tuple[tuple[float, ...], ...] | None
    derived_asymptotic: tuple[float | None, ...]
    derived_finite: tuple[float | None, ...]
    measured_forward: tuple[tuple[float | None, float | None], ...]
    measured_gradient: tuple[tuple[float | None, float | None], ...]

    @property
    def samples(self) -> int:
        """Samples per (H, beta, depth) cell: networks x inputs."""
        return self.networks * self.inputs

    @property
    def resolution(self) -> float:
        """The beta grid spacing (the largest gap)."""
        b = sorted(self.betas)
        return float(max(np.diff(b))) if len(b) > 1 else math.inf


def hurst_params(model: Model, hursts: Sequence[float], betas: Sequence[float], c: float, depths: Sequence[int],
                 networks: int, inputs: int, seed: int, cotangent: str | None) -> dict:
    """Everything that determines the map's numbers (a checkpoint's fingerprint); not chunk or backend."""
    return {"sweep": "hurst", "seeds": SEED_SCHEME, "model": asdict(model), "hursts": [float(h) for h in hursts],
            "betas": [float(b) for b in betas], "c": c, "depths": [int(L) for L in depths], "networks": networks,
            "inputs": inputs, "seed": seed, "cotangent": cotangent}


def run_hurst_map(model: Model, hursts: Sequence[float], betas: Sequence[float], depths: Sequence[int],
                  networks: int = 5, inputs: int = 10, seed: int = 0, gradients: str | None = None,
                  c: float = 1.0, progress: Progress | None = None, backend: Backend = Backend(),
                  checkpoint: str | None = None, chunk: int | None = None) -> HurstMap:
    """Marion et al.'s Figure 7 protocol: per Hurst index H, ``networks`` networks with fGn weights,
    EACH run at every beta (lambda = c L^(-beta)) on the same ``inputs`` inputs, at every depth;
    forward, and backward with ``gradients`` (the cotangent, ``loss`` or ``random``).

    Each network's weights are drawn once (per depth) and reused by every beta and input: the
    (beta, input) pairs are the batch axis of one layer loop (:func:`simulate_networks`).
    Standard errors come from the spread over networks (:func:`network_stats`), since the
    inputs of one network are not independent. The derived lines need res-3 with an
    activation with a closed-form kernel (relu, leaky_relu, identity); otherwise they are None.

    Execution (docs/distributed.md): one cell per H, tasks of ``chunk`` networks, on
    ``backend``; ``checkpoint`` names a JSON-lines file of finished Hurst indices. Seeds come
    from (seed, H index, network, depth) (:func:`network_generator`), so none of these change
    a number.

    >>> hm = run_hurst_map(Model("res3", dim=4, input_dim=3), [0.3, 0.8], [0.2, 0.6, 1.0], [4, 16], 3, 2, 0)
    >>> len(hm.sweeps), hm.samples, len(hm.heat_forward[0]), hm.derived_asymptotic
    (2, 6, 3, (0.5, 0.8))

    Raises
    ------
    UsageError
        For a Hurst index outside (0, 1), empty grids, networks < 2, inputs < 1, an unknown
        cotangent or a checkpoint written by another map.
    """
    if not hursts or not betas or not depths:
        raise UsageError("hursts, betas and depths must be non-empty")
    bad = [h for h in hursts if not 0.0 < h < 1.0]
    if bad:
        raise UsageError(f"hurst {bad[0]:g} is outside (0, 1); every Hurst index must lie strictly between 0 and 1")
    if networks < 2:
        raise UsageError(f"networks must be at least 2 (standard errors come from the spread over networks), got {networks}",
                         parameters=("networks",))
    if inputs < 1:
        raise UsageError(f"inputs must be at least 1, got {inputs}", parameters=("inputs",))
    if gradients is not None and gradients not in COTANGENTS:
        raise UsageError(f"gradients must be one of {', '.join(COTANGENTS)} or None, got {gradients!r}")
    if chunk is not None and chunk < 1:
        raise UsageError(f"chunk must be a positive number of networks, got {chunk}", parameters=("chunk",))
    if any(L < 1 for L in depths):
        raise UsageError("every depth must be at least 1", parameters=("depths",))
    for b in betas:
        power(b, c)  # validates beta and c
    depths = tuple(dict.fromkeys(int(L) for L in depths))
    betas = tuple(float(b) for b in betas)
    hursts = tuple(float(h) for h in hursts)
    cells = hurst_cells(model, hursts, betas, c, depths, networks, inputs, seed, gradients, chunk)
    store = None
    if checkpoint is not None:
        store = Checkpoint(checkpoint, hurst_params(model, hursts, betas, c, depths, networks, inputs, seed, gradients))
    blocks = run_cells(cells, backend, store, progress)
    lo, hi = min(depths), max(depths)
    top = depths.index(hi)
    sweeps, heat_f, heat_g, asym, finite, mf, mg = [], [], [], [], [], [], []
    for h, block in zip(hursts, blocks):
        sw = hurst_sweep(model, h, betas, c, depths, seed, gradients, block)
        sweeps.append(sw)
        heat_f.append(heat_row(block.diff[:, top], block.bad[top]))
        if gradients is not None:
            heat_g.append(heat_row(block.back_diff[:, top], block.bad[top]))
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
    return HurstMap(model, hursts, betas, depths, networks, inputs, seed, gradients, tuple(sweeps), tuple(heat_f),
                    tuple(heat_g) if gradients is not None else None, tuple(asym), tuple(finite), tuple(mf), tuple(mg))
