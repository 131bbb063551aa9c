"""Lesion studies (Veit, Wilber, Belongie 2016): delete K blocks of a random stack, measure what changes.

Deleting a set D of blocks of a residual stack replaces block i in D by the identity
(h_i = h_{i-1}); in the path expansion this removes exactly the paths through D. For i.i.d.
linear modules of variance s^2/d the path terms are orthogonal in expectation, so
(proofs/normalization.md, "Lesions")

    E ||x_n - x_n^(-D)||^2 / E ||x_n||^2 = 1 - prod_{i in D} (1 + lambda_i^2 s^2)^(-1)
                                          = 1 - (1 + lambda^2 s^2)^(-K)   (uniform lambda, |D| = K).

A *plain* stack h_i = g_i(h_{i-1}) has one path; deleting block i (again: the identity in its
place) leaves a product that shares no factor-free term with the original: for linear modules
the cross term vanishes and the fraction is 1 + s^(-2K) (2 for s = 1), whatever K >= 1.
Plain branches carry the He gain sqrt(2) on their outer matrix for ReLU (1 otherwise) so that
the signal neither vanishes nor explodes with depth.

The measured fraction is the ratio of means mean(||delta||^2) / mean(||x_n||^2); its standard
error is the delta-method one, std(A - R B) / (sqrt(S) mean(B)). The deleted blocks are drawn
uniformly per sample, nested across K (the K-set contains every smaller one). Every sample
draws from its own stream (:func:`lesion_chunk`), so a study runs in chunks, threads or on a
Dask cluster with the same numbers (docs/distributed.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init
from residual_expansion.scaling.execution import Backend, Cell, Checkpoint, Task, run_cells
from residual_expansion.scaling.montecarlo import Model, Progress, chunk_starts, iid_layers, input_state, require_samples
from residual_expansion.scaling.normalized import Norm, activation_fn, branch, normalize, require_iid
from residual_expansion.scaling.schedules import Schedule
from residual_expansion.scaling.streams import ROUTE_KEYS, Draws, in_sample_order, in_thread_groups

LAYER_BUDGET = 32 * 2**20


def plain_gain(model: Model) -> float:
    """The He gain of a plain stack's outer matrix: sqrt(2) for res-1/res-3 with ReLU, 1 otherwise.

    >>> round(plain_gain(Model("res3", "relu")) ** 2, 12), plain_gain(Model("linear"))
    (2.0, 1.0)
    """
    return math.sqrt(2.0) if model.kind != "linear" and model.activation == "relu" else 1.0


def predicted_fraction(model: Model, norm: Norm, plain: bool, lam: float, deleted: int) -> float | None:
    """The exact E||x_n - x_n^(-D)||^2 / E||x_n||^2 for i.i.d. linear modules without normalization, else None.

    Residual: 1 - (1 + lambda^2 s^2)^(-K); plain: 1 + s^(-2K) for K >= 1 (0 for K = 0).

    >>> round(predicted_fraction(Model("linear"), Norm(None), False, 1.0, 2), 12)
    0.75
    >>> predicted_fraction(Model("linear"), Norm(None), True, 1.0, 3)
    2.0
    """
    linear = model.kind == "linear" or (model.kind == "res1" and model.activation == "identity")
    if not linear or norm.placement is not None:
        return None
    if deleted == 0:
        return 0.0
    s2 = model.s**2
    if plain:
        return 1.0 + s2 ** (-deleted)
    return -math.expm1(-deleted * math.log1p(lam * lam * s2))


@dataclass(frozen=True)
class LesionResult:
    """Deleting K blocks: the measured change-energy fraction, its standard error, the prediction (or None).

    ``full_energy``: mean ||x_n||^2 / ||x_0||^2 of the intact network (the same for every K).
    When a sample overflowed float64 the measurement is None and ``explodes`` is True.
    """

    deleted: int
    fraction: float | None
    stderr: float | None
    predicted: float | None
    full_energy: float | None
    explodes: bool = False

    @property
    def z(self) -> float | None:
        if self.predicted is None or self.fraction is None or not self.stderr or not math.isfinite(self.stderr):
            return None
        return (self.fraction - self.predicted) / self.stderr


@dataclass(frozen=True)
class Lesion:
    """A lesion study: settings and one result per K."""

    model: Model
    init: Init
    norm: Norm
    plain: bool
    schedule: Schedule
    depth: int
    samples: int
    seed: int
    results: tuple[LesionResult, ...]


def ratio_of_means(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """R = mean(a) / mean(b) and its delta-method standard error std(a - R b) / (sqrt(n) mean(b)).

    >>> ratio_of_means(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]))
    (0.5, 0.0)
    """
    mb = float(np.mean(b))
    r = float(np.mean(a)) / mb
    se = float(np.std(a - r * b, ddof=1) / (math.sqrt(len(a)) * mb))
    return r, se


#: The first entry of a lesion cell's stream key (sample j of depth L: spawn_key=(13, L, j)).
LESION_KEY = ROUTE_KEYS["lesion"]
#: The lesion seed scheme, part of a checkpoint's fingerprint.
SEED_SCHEME = "lesion sample j at depth L: SeedSequence(seed, spawn_key=(13, L, j))"


@dataclass(frozen=True)
class LesionChunk:
    """Samples start..stop-1: ||x_n||^2 / ||x_0||^2 of the intact network (``full``, shape (c,))
    and ||x_n - x_n^(-D_K)||^2 / ||x_0||^2 for each K (``change``, shape (c, len(deletes)))."""

    start: int
    full: np.ndarray
    change: np.ndarray


def lesion_chunk(model: Model, init: Init, norm: Norm, lams: np.ndarray, deletes: tuple[int, ...], plain: bool,
                 seed: int, start: int, stop: int, threads: int = 1, progress: Progress | None = None) -> LesionChunk:
    """The intact and lesioned networks of samples start..stop-1 (lams: the depth's n scales).

    Sample j draws from its own stream SeedSequence(seed, spawn_key=(13, n, j))
    (:func:`residual_expansion.scaling.streams.sample_generator`), in this order: its input
    (x, then A), n uniforms whose ranks choose the deleted blocks (the K-set is the blocks of the
    K smallest, so the sets are nested), then its weights layer after layer (row-major). So a
    sample's numbers do not depend on the chunk, the thread or the Dask worker that computes it.

    >>> from residual_expansion.scaling.schedules import power
    >>> args = (Model("linear", dim=4, input_dim=3), Init("iid-gaussian"), Norm(None), power(0.5).scales(6), (0, 2), False, 0)
    >>> whole, part = lesion_chunk(*args, 0, 5), lesion_chunk(*args, 2, 5, threads=2)
    >>> bool(np.array_equal(whole.change[2:], part.change)), whole.change[:, 0].tolist() == [0.0] * 5
    (True, True)
    """
    tick = progress or (lambda _n: None)
    if threads > 1:
        return in_thread_groups(
            lambda a, b, tick_: lesion_chunk(model, init, norm, lams, deletes, plain, seed, a, b, 1, tick_),
            start, stop, threads, join_lesion_chunks, tick)
    depth = len(lams)
    draws = Draws.of(seed, (LESION_KEY, depth), start, stop)
    c = draws.count
    act = activation_fn(model.activation)
    gain = plain_gain(model)
    ks = np.array(deletes)
    m = len(ks) + 1
    with np.errstate(all="ignore"):
        h0 = input_state(model, init, draws)
        ranks = np.argsort(np.argsort(draws.random((depth,)), axis=1), axis=1)
        keep = np.ones((c, m, depth), dtype=bool)
        keep[:, 1:, :] = ranks[:, None, :] >= ks[None, :, None]
        h = np.repeat(h0[:, None, :], m, axis=1)
        for k, layer in enumerate(iid_layers(model, init, draws, depth)):
            if plain:
                new = gain * branch(model.kind, act, layer, h)
            elif norm.placement == "pre":
                new = h + lams[k] * branch(model.kind, act, layer, normalize(h, norm.kind))
            elif norm.placement == "post":
                new = normalize(h + lams[k] * branch(model.kind, act, layer, h), norm.kind)
            else:
                new = h + lams[k] * branch(model.kind, act, layer, h)
            h = np.where(keep[:, :, k, None], new, h)
            tick(1)
        e0 = np.sum(h0 * h0, axis=-1)
        full = np.sum(h[:, 0] ** 2, axis=-1) / e0
        change = np.sum((h[:, 1:] - h[:, :1]) ** 2, axis=-1) / e0[:, None]
    return LesionChunk(start, full, change)


def join_lesion_chunks(parts: Sequence[LesionChunk]) -> LesionChunk:
    """Chunks joined in sample order.

    Raises
    ------
    UsageError
        When the chunks leave a gap or overlap.
    """
    parts = in_sample_order(parts, lambda p: len(p.full))
    return LesionChunk(parts[0].start, np.concatenate([p.full for p in parts]), np.concatenate([p.change for p in parts]))


def reduce_lesion(model: Model, norm: Norm, plain: bool, lam0: float, deletes: Sequence[int], samples: int,
                  parts: Sequence[LesionChunk]) -> tuple[LesionResult, ...]:
    """One LesionResult per K from the chunks (which must cover samples 0..samples-1 once).

    Raises
    ------
    UsageError
        When the chunks do not cover the samples exactly once.
    """
    whole = join_lesion_chunks(parts)
    if whole.start != 0 or len(whole.full) != samples:
        raise UsageError(f"chunks cover samples {whole.start}..{whole.start + len(whole.full) - 1}, expected 0..{samples - 1}")
    exploded = not (np.all(np.isfinite(whole.full)) and np.all(np.isfinite(whole.change)))
    results = []
    for j, K in enumerate(deletes):
        pred = predicted_fraction(model, norm, plain, lam0, int(K))
        if exploded:
            results.append(LesionResult(int(K), None, None, pred, None, True))
            continue
        r, se = ratio_of_means(whole.change[:, j], whole.full)
        results.append(LesionResult(int(K), r, se, pred, float(np.mean(whole.full))))
    return tuple(results)


def _result_json(r: LesionResult) -> list:
    """A LesionResult as JSON: floats exactly, a non-finite float as its string (inf, nan)."""
    return [r.deleted, *(x if x is None or math.isfinite(x) else str(x)
                         for x in (r.fraction, r.stderr, r.predicted, r.full_energy)), r.explodes]


def _result_of(v: list) -> LesionResult:
    return LesionResult(int(v[0]), *(None if x is None else float(x) for x in v[1:5]), bool(v[5]))


def lesion_params(model: Model, init: Init, norm: Norm, plain: bool, schedule: Schedule, depth: int,
                  deletes: Sequence[int], samples: int, seed: int) -> dict:
    """Everything that determines a lesion study's numbers (a checkpoint's fingerprint)."""
    return {"sweep": "lesion", "seeds": SEED_SCHEME, "model": asdict(model), "init": asdict(init), "norm": asdict(norm),
            "plain": plain, "schedule": asdict(schedule), "depth": depth, "deletes": [int(k) for k in deletes],
            "samples": samples, "seed": seed}


def chunk_size(model: Model, samples: int) -> int:
    """Default samples per task: two layers' weights within 32 MiB (any chunk size gives the same numbers).

    >>> chunk_size(Model("res3", dim=100), 10_000)
    104
    """
    return max(1, min(samples, LAYER_BUDGET // (8 * model.dim * model.dim * model.matrices * 2)))


def lesion_cell(model: Model, init: Init, norm: Norm, schedule: Schedule, depth: int, deletes: Sequence[int],
                samples: int, seed: int, plain: bool = False, chunk: int | None = None, threads: int = 1) -> Cell:
    """The study as one cell of :mod:`residual_expansion.scaling.execution`: chunks of samples as tasks."""
    lams = schedule.scales(depth)
    per = chunk or chunk_size(model, samples)
    ks = tuple(int(k) for k in deletes)
    tasks = tuple(Task(lesion_chunk, (model, init, norm, lams, ks, plain, seed, a, b, threads), weight=depth,
                       reports_progress=True) for a, b in chunk_starts(samples, per))

    def reduce(parts):
        return reduce_lesion(model, norm, plain, float(lams[0]), ks, samples, parts)

    return Cell(f"depth={depth}", tasks, reduce, lambda rs: [_result_json(r) for r in rs],
                lambda v: tuple(_result_of(x) for x in v))


def run_lesion(
    model: Model,
    init: Init,
    norm: Norm,
    schedule: Schedule,
    depth: int,
    deletes: Sequence[int],
    samples: int,
    seed: int,
    plain: bool = False,
    chunk: int | None = None,
    threads: int = 1,
    backend: Backend = Backend(),
    checkpoint: str | None = None,
    progress: Progress | None = None,
) -> Lesion:
    """Delete K blocks (uniformly at random per sample) for each K in ``deletes``; the same networks for every K.

    Sample j draws from its own stream (:func:`lesion_chunk`), so ``chunk`` (samples per
    task), ``threads``, ``backend`` (docs/distributed.md) and ``checkpoint`` (a JSON-lines
    file to resume from) do not change the numbers.

    >>> from residual_expansion.scaling.schedules import power
    >>> les = run_lesion(Model("linear", dim=8, input_dim=8), Init("iid-gaussian"), Norm(None), power(0.5), 16, [0, 4], 200, 0)
    >>> [r.deleted for r in les.results], les.results[0].fraction
    ([0, 4], 0.0)
    >>> run_lesion(Model("linear", dim=8, input_dim=8), Init("iid-gaussian"), Norm(None), power(0.5), 16, [0, 4], 200, 0,
    ...            chunk=7, threads=2) == les
    True

    Raises
    ------
    UsageError
        When a K exceeds the depth or is negative, for a normalized plain stack, fewer than 2 samples,
        a non-i.i.d. law, or a checkpoint of another study.
    """
    require_iid(init, "lesion")
    require_samples(samples)
    if not deletes:
        raise UsageError("deletes is empty; give at least one number of blocks to delete", parameters=("deletes",))
    bad = [k for k in deletes if k < 0 or k > depth]
    if bad:
        raise UsageError(f"deletes {bad[0]} is outside 0..depth ({depth})", parameters=("deletes",))
    if plain and norm.placement is not None:
        raise UsageError("plain stacks are run without normalization (norm must be none)")
    if chunk is not None and chunk < 1:
        raise UsageError(f"chunk must be a positive number of samples, got {chunk}", parameters=("chunk",))
    if threads < 1:
        raise UsageError(f"threads must be at least 1, got {threads}", parameters=("threads",))
    activation_fn(model.activation)
    cell = lesion_cell(model, init, norm, schedule, depth, deletes, samples, seed, plain, chunk, threads)
    store = None
    if checkpoint is not None:
        store = Checkpoint(checkpoint, lesion_params(model, init, norm, plain, schedule, depth, deletes, samples, seed))
    (results,) = run_cells([cell], backend, store, progress)
    return Lesion(model, init, norm, plain, schedule, depth, samples, seed, results)
