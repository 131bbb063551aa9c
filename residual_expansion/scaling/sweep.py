"""A scaling sweep: Monte Carlo measurements next to the predictions, over schedules and depths.

:func:`run_sweep` runs the Monte Carlo of :mod:`residual_expansion.scaling.montecarlo` at each depth (one
cell of :mod:`residual_expansion.scaling.execution` per depth, chunks of samples as tasks), attaches
the exact prediction of E ||h_L - h_0||^2 / ||h_0||^2 where theory gives one
(:func:`residual_expansion.scaling.predictions.predicted_energy`), the predicted regime of each power
schedule, and for each schedule the fitted log-log slope of the mean ratio against L with
its growth / bounded / decay reading (:func:`residual_expansion.scaling.predictions.classify_slope`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from residual_expansion.scaling import gradients as grad, predictions as scaling
from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init
from residual_expansion.scaling.execution import Backend, Cell, Checkpoint, Task, run_cells
from residual_expansion.scaling.montecarlo import (
    DepthRun, LogMoments, Model, Progress, SampleStats, choose_route, chunk_size, chunk_starts, reduce_chunks,
    simulate_chunk, validate_simulation,
)
from residual_expansion.scaling.predictions import LogValue, Regime, SlopeFit
from residual_expansion.scaling.schedules import Schedule

if TYPE_CHECKING:
    from residual_expansion.scaling.gradients import GradientRun

#: What the input is, for every output.
INPUT_LAW = "h_0 = A x, x ~ U[0,1]^n_in, A (d x n_in) i.i.d. of variance 1/n_in (uniform entries for iid-uniform, else Gaussian)"


@dataclass(frozen=True)
class SweepRow:
    """One (schedule, depth): the measurement, the prediction (None when theory has no identity),
    the per-order predictions (linear with orders), and the predicted regime (None for explicit lists)."""

    run: DepthRun
    predicted_energy: LogValue | None
    predicted_orders: tuple[float, ...] | None
    regime: Regime | None
    gradient: "GradientRun | None" = None

    @property
    def predicted_sq_ratio(self) -> float | None:
        """E ||h_L - h_0||^2 / ||h_0||^2 = energy - 1 (inf when it explodes), or None."""
        return None if self.predicted_energy is None else self.predicted_energy.minus_one

    @property
    def z_score(self) -> float | None:
        """(measured - predicted) / stderr of the mean squared ratio, when both exist."""
        pred, sq = self.predicted_sq_ratio, self.run.sq_ratio
        if (pred is None or sq is None or not np.isfinite(pred) or sq.stderr == 0
                or not (np.isfinite(sq.mean) and np.isfinite(sq.stderr))):
            return None  # no prediction, or the measurement overflowed (explodes): no z
        return (sq.mean - pred) / sq.stderr


@dataclass(frozen=True)
class TrendFit:
    """A schedule's fitted slope of log mean ratio against log L, its reading, and the expected one."""

    schedule: Schedule
    fit: SlopeFit
    trend: str
    expected: str | None


@dataclass(frozen=True)
class Sweep:
    """All rows of a sweep plus its settings and per-schedule trend fits."""

    model: Model
    init: Init
    samples: int
    seed: int
    route: str
    orders: int | None
    rows: tuple[SweepRow, ...]
    fits: tuple[TrendFit, ...]
    input_law: str = INPUT_LAW
    cotangent: str | None = None
    grad_fits: tuple[TrendFit, ...] = ()

    def _repr_markdown_(self) -> str:
        # renderers import the result types, not the reverse: a result loads its renderer on display
        from residual_expansion.render.notebook import sweep_markdown

        return sweep_markdown(self)

    def explodes_at(self) -> int | None:
        """The smallest depth at which a measurement overflowed, or None."""
        bad = [r.run.depth for r in self.rows if r.run.explodes_at is not None]
        return min(bad) if bad else None


#: The seed scheme, part of a checkpoint's fingerprint (a change of scheme refuses old checkpoints).
SEED_SCHEME = "sample j at depth L: SeedSequence(seed, spawn_key=(L, j))"
_STATS = ("ratio", "sq_ratio", "norm_ratio", "sq_norm_ratio")


def _chunk(model: Model, init: Init, depth: int, samples: int, route: str, chunk: int | None) -> int:
    return chunk or chunk_size(model, init, depth, samples, route)


def total_layers(
    depths: Sequence[int], samples: int, model: Model, init: Init, route: str, orders: int | None,
    gradients: str | None = None, schedules: int = 1, chunk: int | None = None,
) -> int:
    """Units of work reported to ``progress`` by :func:`run_sweep` (layers times chunks)."""
    if gradients is not None:
        return sum(2 * L * -(-samples // (chunk or grad.chunk_size(model, init, L, samples, schedules)))
                   for L in dict.fromkeys(depths))
    chosen = choose_route(model, init, route, orders)
    return sum(L * -(-samples // _chunk(model, init, L, samples, chosen, chunk)) for L in dict.fromkeys(depths))


def sweep_params(
    model: Model, init: Init, schedules: Sequence[Schedule], depths: Sequence[int], samples: int, seed: int,
    route: str, orders: int | None, dtype: str,
) -> dict:
    """Everything that determines a sweep's numbers (a checkpoint's fingerprint); not chunk, threads or backend.

    >>> from residual_expansion.scaling.schedules import power
    >>> p = sweep_params(Model("res3"), Init("iid-uniform"), [power(1.0)], [4], 10, 0, "materialised", None, "float64")
    >>> p["depths"], p["schedules"]
    ([4], [{'beta': 1.0, 'c': 1.0, 'values': None}])
    """
    return {
        "sweep": "scaling", "seeds": SEED_SCHEME, "model": asdict(model), "init": asdict(init),
        "schedules": [asdict(s) for s in schedules], "depths": [int(L) for L in depths], "samples": samples,
        "seed": seed, "route": route, "orders": orders, "dtype": dtype,
    }


def _stats_json(st: SampleStats | None) -> list | None:
    return None if st is None else [st.n, st.mean, st.stderr, st.q05, st.q50, st.q95]


def _stats_of(v: list | None) -> SampleStats | None:
    return None if v is None else SampleStats(int(v[0]), *(float(x) for x in v[1:]))


def _num(x: float) -> float | str:
    """A float for JSON: finite as itself (exact round trip), else the string inf, -inf or nan."""
    return x if np.isfinite(x) else str(x)


def _logs_json(lm: LogMoments | None) -> list | None:
    return None if lm is None else [lm.n, _num(lm.mean), _num(lm.stderr), _num(lm.var), _num(lm.stderr_var)]


def _logs_of(v: list | None) -> LogMoments | None:
    return None if v is None else LogMoments(int(v[0]), *(float(x) for x in v[1:]))


def encode_runs(runs: Sequence[DepthRun]) -> list[dict]:
    """A cell's DepthRuns as JSON (finite numbers only; floats round-trip exactly).

    >>> from residual_expansion.scaling.montecarlo import simulate
    >>> from residual_expansion.scaling.schedules import power
    >>> runs = simulate(Model("res3", dim=4, input_dim=3), Init("iid-uniform"), [power(1.0)], 3, 3, 0)
    >>> runs[0].log_moments.stderr_var  # not finite with 3 samples: stored as the string "inf"
    inf
    >>> decode_runs(encode_runs(runs), [power(1.0)]) == runs
    True
    """
    out = []
    for r in runs:
        item = {
            "schedule": r.schedule.label, "depth": r.depth, "route": r.route, "samples": r.samples,
            "explodes_at": r.explodes_at,
            **{name: _stats_json(getattr(r, name)) for name in _STATS},
            "orders": None if r.orders is None else [_stats_json(o) for o in r.orders],
            "log_moments": _logs_json(r.log_moments),
        }
        out.append(item)
    return out


def decode_runs(items: Sequence[dict], schedules: Sequence[Schedule]) -> tuple[DepthRun, ...]:
    """The inverse of :func:`encode_runs` (schedules in the sweep's order).

    Raises
    ------
    UsageError
        When the stored cell does not match the schedules.
    """
    if len(items) != len(schedules) or any(it["schedule"] != s.label for it, s in zip(items, schedules)):
        raise UsageError("checkpoint cell does not match the sweep's schedules; give another file", parameters=("checkpoint",))
    return tuple(
        DepthRun(
            s, int(it["depth"]), it["route"], int(it["samples"]), it["explodes_at"],
            *(_stats_of(it[name]) for name in _STATS),
            None if it["orders"] is None else tuple(_stats_of(o) for o in it["orders"]),
            _logs_of(it["log_moments"]),
        )
        for it, s in zip(items, schedules)
    )


def sweep_cells(
    model: Model, init: Init, schedules: Sequence[Schedule], depths: Sequence[int], samples: int, seed: int,
    route: str, orders: int | None = None, chunk: int | None = None, dtype: str = "float64", threads: int = 1,
) -> list[Cell]:
    """One cell per distinct depth; its tasks are chunks of samples (:func:`simulate_chunk`).

    ``route`` must be a chosen route (see :func:`choose_route`).
    """
    cells = []
    for L in dict.fromkeys(depths):
        lams = np.stack([sch.scales(L) for sch in schedules])
        per = _chunk(model, init, L, samples, route, chunk)
        tasks = tuple(
            Task(simulate_chunk, (model, init, lams, seed, a, b, route, orders, dtype, threads), weight=L, reports_progress=True)
            for a, b in chunk_starts(samples, per)
        )

        def reduce(parts, L=L):
            return reduce_chunks(schedules, L, route, samples, parts)

        cells.append(Cell(f"depth={L}", tasks, reduce, encode_runs, lambda v: decode_runs(v, schedules)))
    return cells


def _array_json(a: np.ndarray | None) -> list | None:
    return None if a is None else [_num(float(x)) for x in a]


def _array_of(v: list | None) -> np.ndarray | None:
    return None if v is None else np.array([float(x) for x in v])


def encode_gradients(value: tuple) -> dict:
    """A gradient cell (DepthRuns, GradientRuns) as JSON; :func:`decode_gradients` inverts it exactly.

    >>> from residual_expansion.scaling.gradients import simulate_gradients
    >>> from residual_expansion.scaling.schedules import power
    >>> cell = simulate_gradients(Model("res3", dim=4, input_dim=3), Init("iid-uniform"), [power(1.0)], 3, 4, 0,
    ...                           keep_samples=True)
    >>> back = decode_gradients(encode_gradients(cell), [power(1.0)])
    >>> back == cell, bool(np.array_equal(back[1][0].grad_samples, cell[1][0].grad_samples))
    (True, True)
    """
    runs, grads = value
    return {
        "forward": encode_runs(runs),
        "gradients": [
            {"cotangent": g.cotangent, "explodes": g.explodes, "ratio": _stats_json(g.ratio), "diff_ratio": _stats_json(g.diff_ratio),
             "sq_ratio": _stats_json(g.sq_ratio),
             "predicted_sq_ratio": None if g.predicted_sq_ratio is None else _num(g.predicted_sq_ratio),
             "norm_samples": _array_json(g.norm_samples), "grad_samples": _array_json(g.grad_samples)}
            for g in grads
        ],
    }


def decode_gradients(item: dict, schedules: Sequence[Schedule]) -> tuple:
    """The inverse of :func:`encode_gradients` (schedules in the sweep's order).

    Raises
    ------
    UsageError
        When the stored cell does not match the schedules.
    """
    runs = decode_runs(item["forward"], schedules)
    if len(item["gradients"]) != len(schedules):
        raise UsageError("checkpoint cell does not match the sweep's schedules; give another file", parameters=("checkpoint",))
    grads = tuple(
        grad.GradientRun(s, r.depth, g["cotangent"], r.samples, bool(g["explodes"]), _stats_of(g["ratio"]),
                    _stats_of(g["diff_ratio"]), _stats_of(g["sq_ratio"]),
                    None if g["predicted_sq_ratio"] is None else float(g["predicted_sq_ratio"]),
                    _array_of(g["norm_samples"]), _array_of(g["grad_samples"]))
        for s, r, g in zip(schedules, runs, item["gradients"])
    )
    return runs, grads


def gradient_cells(
    model: Model, init: Init, schedules: Sequence[Schedule], depths: Sequence[int], samples: int, seed: int,
    cotangent: str, chunk: int | None = None, threads: int = 1, keep_samples: bool = False,
) -> list[Cell]:
    """One cell per distinct depth whose tasks are chunks of forward-and-backward passes
    (:func:`residual_expansion.scaling.gradients.gradient_chunk`)."""
    cells = []
    for L in dict.fromkeys(depths):
        lams = np.stack([sch.scales(L) for sch in schedules])
        per = chunk or grad.chunk_size(model, init, L, samples, len(schedules))
        tasks = tuple(
            Task(grad.gradient_chunk, (model, init, lams, seed, a, b, cotangent, threads), weight=2 * L,
                 reports_progress=True)
            for a, b in chunk_starts(samples, per)
        )

        def reduce(parts, L=L):
            return grad.reduce_gradients(model, init, schedules, L, samples, cotangent, parts, keep_samples)

        cells.append(Cell(f"depth={L}", tasks, reduce, encode_gradients, lambda v: decode_gradients(v, schedules)))
    return cells


def run_sweep(
    model: Model,
    init: Init,
    schedules: Sequence[Schedule],
    depths: Sequence[int],
    samples: int,
    seed: int,
    route: str = "auto",
    orders: int | None = None,
    progress: Progress | None = None,
    gradients: str | None = None,
    keep_samples: bool = False,
    chunk: int | None = None,
    dtype: str = "float64",
    threads: int = 1,
    backend: Backend = Backend(),
    checkpoint: str | None = None,
) -> Sweep:
    """Measure every schedule at every depth and attach predictions, regimes and trend fits.

    >>> from residual_expansion.scaling.schedules import power
    >>> sw = run_sweep(Model("res3", dim=8), Init("iid-uniform"), [power(1.0)], [4, 16], 100, 0)
    >>> [r.run.depth for r in sw.rows], sw.fits[0].expected
    ([4, 16], 'decay')

    ``gradients`` (``"loss"`` or ``"random"``, the cotangent) runs the forward and backward
    passes on materialised weights (:func:`residual_expansion.scaling.gradients.simulate_gradients`)
    and fits the trend of ||p_L - p_0|| / ||p_L|| as well (``grad_fits``).

    Execution (docs/distributed.md): each depth is a cell of chunks of ``chunk`` samples
    (default: the memory budget), run on ``backend`` (in-process by default) with
    ``threads`` threads per chunk; ``checkpoint`` names a JSON-lines file of finished
    depths to resume from and append to. None of these change the numbers, with or
    without ``gradients``.

    Raises
    ------
    UsageError
        For an empty schedule or depth list, a bad route (see :func:`simulate`), or a
        checkpoint written by another sweep.
    """
    if not schedules or not depths:
        raise UsageError("a sweep needs at least one schedule and one depth")
    if gradients is not None and orders is not None:
        raise UsageError("gradients and per-order energies cannot be combined")
    if chunk is not None and chunk < 1:
        raise UsageError(f"chunk must be a positive number of samples, got {chunk}", parameters=("chunk",))
    if threads < 1:
        raise UsageError(f"threads must be at least 1, got {threads}", parameters=("threads",))
    if gradients is not None:
        if dtype != "float64":
            raise UsageError(f"dtype {dtype} applies to the forward sweep only; gradients run in float64",
                             parameters=("dtype",))
        grad.validate_gradients(gradients, samples)
        grad.pointwise(model.activation)
        chosen = grad.ROUTE
        cells = gradient_cells(model, init, schedules, depths, samples, seed, gradients, chunk, threads, keep_samples)
        params = {**sweep_params(model, init, schedules, depths, samples, seed, chosen, None, dtype),
                  "gradients": gradients, "keep_samples": keep_samples}
    else:
        chosen = choose_route(model, init, route, orders)
        validate_simulation(model, samples, orders, dtype, chosen)
        cells = sweep_cells(model, init, schedules, depths, samples, seed, chosen, orders, chunk, dtype, threads)
        params = sweep_params(model, init, schedules, depths, samples, seed, chosen, orders, dtype)
    store = None if checkpoint is None else Checkpoint(checkpoint, params)
    computed = run_cells(cells, backend, store, progress)
    if gradients is None:
        computed = [(runs, None) for runs in computed]
    by_depth = dict(zip(dict.fromkeys(depths), computed))
    rows: list[SweepRow] = []
    for L in depths:
        runs, grads = by_depth[L]
        for j, run in enumerate(runs):
            lams = run.schedule.scales(L)
            energy = scaling.predicted_energy(model.kind, model.activation, init.iid, lams, model.s)
            pred_orders = None
            if orders is not None and energy is not None:
                full = scaling.linear_energy_spectrum(lams, model.s)  # orders 0..L, no cancellation
                spec = np.concatenate([full[: orders + 1], np.zeros(max(0, orders + 1 - len(full)))])
                tail = float(np.sum(full[orders + 1:]))
                pred_orders = (*(float(v) for v in spec), tail)
            reg = scaling.regime(run.schedule, init.kind, init.hurst)
            rows.append(SweepRow(run, energy, pred_orders, reg, None if grads is None else grads[j]))
    fits: list[TrendFit] = []
    grad_fits: list[TrendFit] = []
    if len(set(depths)) >= 2:
        crit = scaling.critical_beta(init.kind, init.hurst)
        for sch in schedules:
            mine = [r for r in rows if r.run.schedule == sch]
            expected = scaling.expected_trend(sch.beta, crit) if sch.beta is not None else None
            fit = _trend([r.run.depth for r in mine], [r.run.ratio for r in mine])
            fits.append(TrendFit(sch, fit, scaling.classify_slope(fit), expected))
            if gradients is not None:
                gfit = _trend([r.run.depth for r in mine], [r.gradient.diff_ratio for r in mine])
                grad_fits.append(TrendFit(sch, gfit, scaling.classify_slope(gfit), expected))
    return Sweep(model, init, samples, seed, chosen, orders, tuple(rows), tuple(fits),
                 cotangent=gradients, grad_fits=tuple(grad_fits))


def _trend(depths: Sequence[int], stats: Sequence) -> SlopeFit:
    """Weighted log-log slope of the means against L; +inf when a statistic is missing (overflow)."""
    if any(st is None for st in stats):
        return SlopeFit(float("inf"), 0.0, len(stats))
    return scaling.loglog_slope(depths, [st.mean for st in stats], [st.stderr for st in stats])
