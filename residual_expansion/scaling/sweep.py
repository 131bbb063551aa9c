"""A scaling sweep: Monte Carlo measurements next to the predictions, over schedules and depths.

:func:`run_sweep` runs :func:`residual_expansion.scaling.montecarlo.simulate` at each depth, attaches
the exact prediction of E ||h_L - h_0||^2 / ||h_0||^2 where theory gives one
(:func:`residual_expansion.scaling.predictions.predicted_energy`), the predicted regime of each power
schedule, and for each schedule the fitted log-log slope of the mean ratio against L with
its growth / bounded / decay reading (:func:`residual_expansion.scaling.predictions.classify_slope`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from residual_expansion.scaling import predictions as scaling
from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import DepthRun, Model, Progress, choose_route, simulate
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
        if pred is None or sq is None or not np.isfinite(pred) or sq.stderr == 0:
            return None
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
        from residual_expansion.render.notebook import sweep_markdown

        return sweep_markdown(self)

    def explodes_at(self) -> int | None:
        """The smallest depth at which a measurement overflowed, or None."""
        bad = [r.run.depth for r in self.rows if r.run.explodes_at is not None]
        return min(bad) if bad else None


def total_layers(depths: Sequence[int], samples: int, model: Model, init: Init, route: str, orders: int | None,
                 gradients: str | None = None, schedules: int = 1) -> int:
    """Units of work reported to ``progress`` by :func:`run_sweep` (layers times chunks)."""
    from residual_expansion.scaling.montecarlo import chunk_size

    if gradients is not None:
        from residual_expansion.scaling import gradients as grad

        return sum(2 * L * -(-samples // grad.chunk_size(model, init, L, samples, schedules)) for L in depths)
    chosen = choose_route(model, init, route, orders)
    return sum(L * -(-samples // chunk_size(model, init, L, samples, chosen)) for L in depths)


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
) -> Sweep:
    """Measure every schedule at every depth and attach predictions, regimes and trend fits.

    >>> from residual_expansion.scaling.schedules import power
    >>> sw = run_sweep(Model("res3", dim=8), Init("iid-uniform"), [power(1.0)], [4, 16], 100, 0)
    >>> [r.run.depth for r in sw.rows], sw.fits[0].expected
    ([4, 16], 'decay')

    ``gradients`` (``"loss"`` or ``"random"``, the cotangent) runs the forward and backward
    passes on materialised weights (:func:`residual_expansion.scaling.gradients.simulate_gradients`)
    and fits the trend of ||p_L - p_0|| / ||p_L|| as well (``grad_fits``).

    Raises
    ------
    UsageError
        For an empty schedule or depth list, or a bad route (see :func:`simulate`).
    """
    if not schedules or not depths:
        raise UsageError("a sweep needs at least one schedule and one depth")
    if gradients is not None and orders is not None:
        raise UsageError("gradients and per-order energies cannot be combined")
    chosen = choose_route(model, init, route, orders) if gradients is None else "materialised-backprop"
    rows: list[SweepRow] = []
    for L in depths:
        if gradients is None:
            runs, grads = simulate(model, init, schedules, L, samples, seed, chosen, orders, progress), None
        else:
            from residual_expansion.scaling.gradients import simulate_gradients

            runs, grads = simulate_gradients(model, init, schedules, L, samples, seed, gradients, progress, keep_samples)
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
