"""The predictions of a scaling sweep as checks: what makes ``scaling`` exit 1.

- energy: where theory gives E ||h_L - h_0||^2 / ||h_0||^2 exactly (linear, res-1 and
  res-3 with i.i.d. weights; docs/theory.md, proofs/), the measured mean squared ratio must
  lie within ``z_max`` standard errors of it (the project's z = 4 convention);
- orders: likewise for the energy of each order k (linear modules with ``orders``);
- trend: the fitted log-log slope of the mean ratio against L must read as the regime the
  theory expects (growth, bounded or decay) where it expects one; a slope too uncertain to
  read (``undecided``) is not a check.

Rows without a prediction (an explicit schedule list, a smooth or fBm init for the energy,
a sample of zero spread, fewer than :data:`MIN_SAMPLES` samples, or per-order energies
from fewer than :data:`MIN_ORDER_SAMPLES`) are not checks; a sweep
with no checks passes vacuously and says so (``checks == ()``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from residual_expansion.scaling.sweep import Sweep

Z_MAX = 4.0
#: A trend the fit cannot decide at 4 standard errors is reported in the trend table, not checked.
UNDECIDED = "undecided"
#: Fewer samples than this give too rough a standard error for a z check; such rows are not checks.
MIN_SAMPLES = 30
#: The order-k energy is a degree-2k polynomial in the weights: its distribution is heavy-tailed
#: (kurtosis growing with k), so the sample mean's standard error is trustworthy only from many
#: more samples (at 30 samples a correct order-4 prediction was seen at z = -6.6; at 3000, |z| < 2).
MIN_ORDER_SAMPLES = 1000


@dataclass(frozen=True)
class PredictionCheck:
    """One prediction held against its measurement.

    ``kind`` is ``"energy"``, ``"order"`` or ``"trend"``; ``depth`` is None for a trend;
    ``order`` is the order k of an ``"order"`` check; ``z`` the standardised difference
    (None for a trend); ``measured`` and ``predicted`` are what was compared.
    """

    kind: str
    schedule: str
    depth: int | None
    order: int | None
    measured: float | str
    predicted: float | str
    z: float | None
    passed: bool


def prediction_checks(sweep: Sweep, z_max: float = Z_MAX) -> tuple[PredictionCheck, ...]:
    """Every prediction of ``sweep`` that theory makes, as a pass/fail check.

    >>> from residual_expansion.scaling.montecarlo import Init, Model
    >>> from residual_expansion.scaling.schedules import power
    >>> from residual_expansion.scaling.sweep import run_sweep
    >>> sw = run_sweep(Model("linear", "identity", 8, 8), Init("iid-uniform"), [power(0.5)], (4, 16), 200, 0)
    >>> [(c.kind, c.passed) for c in prediction_checks(sw)]
    [('energy', True), ('energy', True), ('trend', True)]
    """
    checks: list[PredictionCheck] = []
    if sweep.samples < MIN_SAMPLES:
        return ()
    for r in sweep.rows:
        label = r.run.schedule.label
        z = r.z_score
        if z is not None:
            checks.append(PredictionCheck("energy", label, r.run.depth, None, r.run.sq_ratio.mean,
                                          r.predicted_sq_ratio, z, abs(z) <= z_max))
        if r.run.orders is not None and r.predicted_orders is not None and sweep.samples >= MIN_ORDER_SAMPLES:
            for k, (st, pred) in enumerate(zip(r.run.orders, r.predicted_orders)):
                if st.stderr > 0 and math.isfinite(pred):
                    zk = (st.mean - pred) / st.stderr
                    checks.append(PredictionCheck("order", label, r.run.depth, k, st.mean, pred, zk,
                                                  abs(zk) <= z_max))
    for kind, fits in (("trend", sweep.fits), ("gradient_trend", getattr(sweep, "grad_fits", ()))):
        for f in fits:
            if f.expected is not None and f.trend != UNDECIDED:
                checks.append(PredictionCheck(kind, f.schedule.label, None, None, f.trend, f.expected, None,
                                              f.trend == f.expected))
    return tuple(checks)


def z_checks(kind: str, results: list[dict], measured: str, predicted: str, stderr: str, samples: int,
             z_max: float = Z_MAX) -> tuple[PredictionCheck, ...]:
    """Checks from result rows (dicts of a JSON document): ``|measured - predicted| <= z_max stderr``
    wherever a row has a finite prediction and a positive standard error (and the run has at
    least :data:`MIN_SAMPLES` samples).

    >>> rows = [{"schedule": "beta=0.5", "depth": 8, "m": 1.0, "p": 1.1, "se": 0.05},
    ...         {"schedule": "beta=1", "depth": 8, "m": 1.0, "p": None, "se": 0.05}]
    >>> [(c.z, c.passed) for c in z_checks("energy", rows, "m", "p", "se", samples=100)]
    [(-2.0000000000000018, True)]
    """
    if samples < MIN_SAMPLES:
        return ()
    out = []
    for r in results:
        m, p, se = r.get(measured), r.get(predicted), r.get(stderr)
        if m is None or p is None or se is None or not (se > 0 and math.isfinite(p) and math.isfinite(m)):
            continue
        z = (m - p) / se
        out.append(PredictionCheck(kind, str(r.get("schedule", "")), r.get("depth"), None, m, p, z, abs(z) <= z_max))
    return tuple(out)
