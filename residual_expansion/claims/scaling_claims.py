"""Claims of the scaling regimes (docs/theory.md#scaling-regimes): SCALE-ENERGY, SCALE-SPECTRUM,
MARION-RES3, MARION-REGIMES.

Each check is a pure function taking the prediction under test as a parameter (default:
the real one) and comparing it with a Monte Carlo forward pass of materialised random
weights (the independent route). Tolerances are derived from the samples: a measured
mean passes when |mean - prediction| <= Z_SE * stderr + float64 rounding allowance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from residual_expansion.scaling import predictions as scaling
from residual_expansion.claims.base import SKIP, Claim, Outcome, snake_key, verdict
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import Model, simulate
from residual_expansion.scaling.schedules import Schedule, explicit, power

#: Standard errors allowed between a mean and its prediction.
Z_SE = 4.0
#: Relative allowance for float64 rounding of the predictions and the forward pass.
ROUNDING = 1e-10
#: Fixed grid of MARION-REGIMES.
REGIME_DEPTHS = (10, 40, 160)
REGIME_BETAS = {"iid-uniform": (0.25, 0.5, 1.0), "smooth": (0.5, 1.0, 2.0)}
REGIME_SAMPLES = 200
REGIME_DIM = 8
#: Width of the i.i.d. checks (the identities hold for every d).
ENERGY_DIM = 16
MAX_DEPTH = 2000


def _samples(depth: int) -> int:
    """4000 samples up to depth 100, fewer beyond (at least 400) so a check stays in seconds."""
    return int(min(4000, max(400, 400_000 // depth)))


def _schedules(depth: int) -> tuple[Schedule, ...]:
    """lambda = n^(-1/2) and the ramp lambda_i = (1/2 + (i-1)/(n-1)) / sqrt(n) (per-layer scales)."""
    if depth == 1:
        ramp = explicit([0.75])
    else:
        ramp = explicit([(0.5 + i / (depth - 1)) / math.sqrt(depth) for i in range(depth)])
    return power(0.5), ramp


def _within(mean: float, stderr: float, predicted: float) -> tuple[bool, float]:
    tol = Z_SE * stderr + ROUNDING * max(1.0, abs(predicted))
    return bool(math.isfinite(predicted) and abs(mean - predicted) <= tol), tol


def _too_deep(depth: int, method: str) -> Outcome | None:
    if depth > MAX_DEPTH:
        return Outcome(method, f"n={depth}", SKIP, {"reason": f"depth {depth} is beyond this check's limit of {MAX_DEPTH} layers"})
    return None


def check_energy(depth: int, seed: int, energy: Callable = scaling.linear_energy) -> Outcome:
    """SCALE-ENERGY: Monte Carlo mean of ||x_n||^2 / ||x||^2 against ``energy(lams, s)``."""
    method = "Monte Carlo, materialised i.i.d. uniform linear modules"
    if (skip := _too_deep(depth, method)) is not None:
        return skip
    samples = _samples(depth)
    model = Model("linear", dim=ENERGY_DIM, input_dim=ENERGY_DIM)
    scheds = _schedules(depth)
    runs = simulate(model, Init("iid-uniform"), scheds, depth, samples, seed, route="materialised")
    ev: dict = {"samples": samples, "d": ENERGY_DIM, "s": 1.0, "z": Z_SE}
    ok = True
    for sch, run in zip(scheds, runs):
        pred = energy(sch.scales(depth), 1.0).value
        m = run.sq_norm_ratio
        good, tol = _within(m.mean, m.stderr, pred) if m is not None else (False, math.nan)
        ok &= good
        name = "sqrt" if sch.is_power else "ramp"
        ev[f"{name}_measured"] = m.mean if m else "explodes"
        ev[f"{name}_stderr"] = m.stderr if m else math.nan
        ev[f"{name}_predicted"] = pred
        ev[f"{name}_tolerance"] = tol
    return Outcome(method, f"n={depth}, d={ENERGY_DIM}, S={samples}", verdict(ok), ev)


def check_spectrum(depth: int, seed: int, spectrum: Callable = scaling.linear_energy_spectrum) -> Outcome:
    """SCALE-SPECTRUM: per-order energies E ||order-k part||^2 / ||x||^2, k = 0..K (K = min(n, 10)),
    and the tail beyond K, against ``spectrum(lams, s, K)`` (tail: the sum of its orders K+1..n)."""
    method = "Monte Carlo of the order-k recursion T_k <- T_k + lambda_i A_i T_(k-1), i.i.d. uniform"
    if (skip := _too_deep(depth, method)) is not None:
        return skip
    samples = _samples(depth)
    kmax = min(depth, 10)
    model = Model("linear", dim=ENERGY_DIM, input_dim=ENERGY_DIM)
    scheds = _schedules(depth)
    runs = simulate(model, Init("iid-uniform"), scheds, depth, samples, seed, route="materialised", orders=kmax)
    ev: dict = {"samples": samples, "d": ENERGY_DIM, "orders": f"0..{kmax} + tail", "z": Z_SE}
    ok = True
    for sch, run in zip(scheds, runs):
        lams = sch.scales(depth)
        pred = np.asarray(spectrum(lams, 1.0, kmax), dtype=float)
        tail = float(np.sum(np.asarray(spectrum(lams, 1.0, depth), dtype=float)[kmax + 1:]))
        preds = [*pred[: kmax + 1], tail]
        if len(pred) != kmax + 1 or run.orders is None:
            ok = False
            continue
        worst_z, failed = 0.0, []
        for k, (st, p) in enumerate(zip(run.orders, preds)):
            good, tol = _within(st.mean, st.stderr, p)
            if not good:
                failed.append("tail" if k == kmax + 1 else k)
            if st.stderr > 0:
                worst_z = max(worst_z, abs(st.mean - p) / st.stderr)
        ok &= not failed
        name = "sqrt" if sch.is_power else "ramp"
        ev[f"{name}_largest_abs_z"] = float(worst_z)
        ev[f"{name}_failed_orders"] = ",".join(map(str, failed)) or "none"
    return Outcome(method, f"n={depth}, K={kmax}, d={ENERGY_DIM}, S={samples}", verdict(ok), ev)


def check_res3(depth: int, seed: int, energy: Callable = scaling.res3_energy) -> Outcome:
    """MARION-RES3: mean of ||h_L - h_0||^2 / ||h_0||^2 for res-3/ReLU against ``energy(lams, s, act) - 1``."""
    method = "Monte Carlo, materialised i.i.d. uniform res-3 with ReLU, h_0 = A x"
    if (skip := _too_deep(depth, method)) is not None:
        return skip
    samples = _samples(depth)
    model = Model("res3", "relu", dim=ENERGY_DIM, input_dim=64)
    scheds = (power(0.5), power(1.0))
    runs = simulate(model, Init("iid-uniform"), scheds, depth, samples, seed, route="materialised")
    ev: dict = {"samples": samples, "d": ENERGY_DIM, "n_in": 64, "z": Z_SE}
    ok = True
    for sch, run in zip(scheds, runs):
        pred = energy(sch.scales(depth), 1.0, "relu").minus_one
        m = run.sq_ratio
        good, tol = _within(m.mean, m.stderr, pred) if m is not None else (False, math.nan)
        ok &= good
        ev[f"{snake_key(sch.label)}_measured"] = m.mean if m else "explodes"
        ev[f"{snake_key(sch.label)}_stderr"] = m.stderr if m else math.nan
        ev[f"{snake_key(sch.label)}_predicted"] = pred
        ev[f"{snake_key(sch.label)}_tolerance"] = tol
    return Outcome(method, f"L={depth}, d={ENERGY_DIM}, S={samples}", verdict(ok), ev)


def check_regimes(depth: int, seed: int, critical: Callable = scaling.critical_beta) -> Outcome:
    """MARION-REGIMES: on the fixed grid, the fitted log-log slope of the mean ||h_L - h_0|| / ||h_0||
    against L reads growth / bounded / decay as beta is below / at / above ``critical(init)``.

    Decision rule (:func:`residual_expansion.scaling.predictions.classify_slope`): with slope b and its
    standard error se from weighted least squares, growth if b - 4 se > 0.15, decay if
    b + 4 se < -0.15, bounded if [b - 4 se, b + 4 se] lies in [-0.15, 0.15], else undecided.
    The depth argument is not used (fixed grid).
    """
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.scaling.sweep import run_sweep

    method = "Monte Carlo res-3/ReLU, materialised weights, weighted log-log slope"
    model = Model("res3", "relu", dim=REGIME_DIM, input_dim=64)
    ev: dict = {
        "depths": ",".join(map(str, REGIME_DEPTHS)), "samples": REGIME_SAMPLES, "d": REGIME_DIM,
        "margin": scaling.MARGIN, "z": scaling.Z,
    }
    ok = True
    for kind, betas in REGIME_BETAS.items():
        sw = run_sweep(model, Init(kind), [power(b) for b in betas], REGIME_DEPTHS, REGIME_SAMPLES, seed,
                       route="materialised")
        crit = critical(kind)
        for tf in sw.fits:
            expected = scaling.expected_trend(tf.schedule.beta, crit)
            ok &= tf.trend == expected
            ev[snake_key(f"{kind} beta={tf.schedule.beta:g}")] = (
                f"slope {tf.fit.slope:.3f}+-{tf.fit.stderr:.3f}: {tf.trend} (expected {expected})"
            )
    return Outcome(method, f"L in {{10,40,160}}, d={REGIME_DIM}, S={REGIME_SAMPLES}", verdict(ok), ev)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="SCALE-ENERGY",
        statement="i.i.d. linear modules: E ||x_n||^2 / ||x||^2 = prod_i (1 + lambda_i^2 s^2)",
        hypotheses="A_i independent, i.i.d. zero-mean entries of variance s^2/d; any d, any lambda_i",
        proof="proofs/scaling.md",
        check=lambda depth, order, seed: check_energy(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="SCALE-SPECTRUM",
        statement="i.i.d. linear modules: the order-k energy is e_k(lambda_1^2 s^2, ..., lambda_n^2 s^2) = C(n,k) (lambda s)^(2k) for uniform lambda",
        hypotheses="as SCALE-ENERGY; path terms orthogonal in expectation",
        proof="proofs/scaling.md",
        check=lambda depth, order, seed: check_spectrum(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="MARION-RES3",
        statement="res-3 with ReLU: E ||h_L - h_0||^2 / ||h_0||^2 = (1 + alpha_L^2 / 2)^L - 1",
        hypotheses="no bias; V, W independent across layers with i.i.d. symmetric entries of variance 1/d",
        proof="proofs/scaling.md",
        check=lambda depth, order, seed: check_res3(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="MARION-REGIMES",
        statement="||h_L - h_0|| / ||h_0|| grows for beta below the critical beta, stays bounded at it and decays above; critical beta 1/2 (i.i.d.), 1 (smooth)",
        hypotheses="res-3/ReLU, alpha_L = L^(-beta); i.i.d. uniform or smooth (squared-exponential GP, bandwidth 0.1) weights",
        proof="proofs/scaling.md",
        check=lambda depth, order, seed: check_regimes(depth, seed),
        monte_carlo=True,
    ),
)
