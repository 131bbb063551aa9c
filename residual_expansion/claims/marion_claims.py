"""Claims of the backward pass and the continuous-time limits (Marion et al.'s other half):
GRAD-ENERGY, MARION-GRAD-REGIMES, MARION-ODE, MARION-SDE, MARION-HURST.

Each check takes the formula under test as a parameter (default: the real one), so the
tests can hand it a corrupted formula and see FAIL. Statistical checks use fixed seeds
and allow Z_SE = 4 standard errors computed from the samples; the ODE check derives its
tolerance from the measured convergence itself (see :func:`check_ode`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from residual_expansion.claims.base import Claim, Outcome, verdict
from residual_expansion.scaling import hurst as hurst_mod
from residual_expansion.scaling import limits
from residual_expansion.scaling import predictions as scaling
from residual_expansion.scaling.gradients import pointwise, predicted_grad_energy, simulate_gradients
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import Model
from residual_expansion.scaling.schedules import explicit, power

Z_SE = 4.0
ROUNDING = 1e-10
#: GRAD-ENERGY sizes.
GRAD_DIM = 8
GRAD_SAMPLES = 3000
#: MARION-GRAD-REGIMES grid (the forward MARION-REGIMES grid, gradients on the same networks).
REGIME_DEPTHS = (10, 40, 160)
REGIME_BETAS = {"iid-uniform": (0.25, 0.5, 1.0), "smooth": (0.5, 1.0, 2.0)}
REGIME_SAMPLES = 200
REGIME_DIM = 8
#: MARION-SDE sizes: L = SDE_LAYERS_PER_N * n layers, d, samples, KS level.
SDE_LAYERS_PER_N = 32
SDE_DIM = 8
SDE_SAMPLES = 2000
KS_LEVEL = 1e-3
#: MARION-ODE depths and sizes.
ODE_DEPTHS = (16, 32, 64, 128, 256)
ODE_NETWORKS = 4
ODE_DIM = 8
#: MARION-HURST grid.
HURST_GRID = (0.25, 0.9)
HURST_BETAS = tuple(0.2 + 0.05 * i for i in range(17))
HURST_DEPTHS = (16, 256)
HURST_NETWORKS = 48
HURST_INPUTS = 4
HURST_DIM = 6


def _within(mean: float, stderr: float, predicted: float, extra: float = 0.0) -> tuple[bool, float]:
    tol = Z_SE * stderr + extra + ROUNDING * max(1.0, abs(predicted))
    return bool(math.isfinite(predicted) and math.isfinite(mean) and abs(mean - predicted) <= tol), tol


def check_grad_energy(depth: int, seed: int, energy: Callable = predicted_grad_energy) -> Outcome:
    """GRAD-ENERGY: mean of ||J^T v||^2 / ||v||^2 (v ~ N(0, I)) from reverse mode against ``energy``.

    Linear modules (i.i.d. uniform) under lambda = n^(-1/2) and a ramp of per-layer scales, and
    res-3/ReLU under lambda = n^(-1/2) (the trace identity of proofs/backward.md).
    """
    method = "reverse-mode VJP through materialised i.i.d. uniform networks, random cotangent"
    ramp = explicit([0.75]) if depth == 1 else explicit([(0.5 + i / (depth - 1)) / math.sqrt(depth) for i in range(depth)])
    cases = (("linear", "identity", (power(0.5), ramp)), ("res3", "relu", (power(0.5),)))
    ev: dict = {"samples": GRAD_SAMPLES, "d": GRAD_DIM, "z": Z_SE}
    ok = True
    for kind, act, scheds in cases:
        model = Model(kind, act, dim=GRAD_DIM, input_dim=GRAD_DIM)
        _, grads = simulate_gradients(model, Init("iid-uniform"), scheds, depth, GRAD_SAMPLES, seed, "random")
        for sch, g in zip(scheds, grads):
            pred = energy(model, pointwise(act), True, "random", sch.scales(depth))
            name = f"{kind} {'ramp' if sch.values is not None else sch.label}"
            if g.explodes or pred is None:
                ok = False
                ev[f"{name}: measured"] = "explodes" if g.explodes else "no prediction"
                continue
            good, tol = _within(g.sq_ratio.mean, g.sq_ratio.stderr, pred)
            ok &= good
            ev[f"{name}: measured"] = g.sq_ratio.mean
            ev[f"{name}: stderr"] = g.sq_ratio.stderr
            ev[f"{name}: predicted"] = pred
            ev[f"{name}: tolerance"] = tol
    return Outcome(method, f"n={depth}, d={GRAD_DIM}, S={GRAD_SAMPLES}", verdict(ok), ev)


def check_grad_regimes(depth: int, seed: int, critical: Callable = scaling.critical_beta) -> Outcome:
    """MARION-GRAD-REGIMES: the log-log slope of the mean ||p_L - p_0|| / ||p_L|| (loss cotangent) reads
    growth / bounded / decay as beta is below / at / above ``critical(init)``, with the decision rule
    of MARION-REGIMES (:func:`residual_expansion.scaling.predictions.classify_slope`). Fixed grid.
    """
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.scaling.sweep import run_sweep

    method = "reverse mode through res-3/ReLU, materialised weights, loss cotangent, weighted log-log slope"
    model = Model("res3", "relu", dim=REGIME_DIM, input_dim=64)
    ev: dict = {"depths": ",".join(map(str, REGIME_DEPTHS)), "samples": REGIME_SAMPLES, "d": REGIME_DIM,
                "margin": scaling.MARGIN, "z": scaling.Z}
    ok = True
    for kind, betas in REGIME_BETAS.items():
        sw = run_sweep(model, Init(kind), [power(b) for b in betas], REGIME_DEPTHS, REGIME_SAMPLES, seed,
                       gradients="loss")
        crit = critical(kind)
        for tf in sw.grad_fits:
            expected = scaling.expected_trend(tf.schedule.beta, crit)
            ok &= tf.trend == expected
            ev[f"{kind} beta={tf.schedule.beta:g}"] = (
                f"slope {tf.fit.slope:.3f}+-{tf.fit.stderr:.3f}: {tf.trend} (expected {expected})"
            )
    return Outcome(method, f"L in {{10,40,160}}, d={REGIME_DIM}, S={REGIME_SAMPLES}", verdict(ok), ev)


def check_sde(depth: int, seed: int, law: Callable = limits.LogNormalLaw) -> Outcome:
    """MARION-SDE: log(||h_L||^2 / ||h_0||^2) at alpha = L^(-1/2), L = 32 n, i.i.d. Gaussian linear and
    res-3/ReLU networks, against the SDE limit ``law(gamma, d, T=1)``: mean and variance within
    4 standard errors plus the exact finite-L bias |finite - limit| (O(1/L),
    :func:`residual_expansion.scaling.limits.finite_log_moments`), and the one-sample KS
    distance below its critical value at level 1e-3.
    """
    method = "discrete network (exact Gaussian shortcut) vs the neural-SDE law N((d-2) gamma/d, 4 gamma/d)"
    layers = SDE_LAYERS_PER_N * depth
    lams = np.full(layers, layers**-0.5)
    ev: dict = {"L": layers, "samples": SDE_SAMPLES, "d": SDE_DIM, "z": Z_SE, "ks level": KS_LEVEL}
    ok = True
    crit = limits.ks_critical(SDE_SAMPLES, KS_LEVEL)
    for kind in ("linear", "res3"):
        model = Model(kind, "relu", dim=SDE_DIM)
        x = limits.log_ratio_samples(model, lams, SDE_SAMPLES, seed)
        limit = law(limits.sde_gamma(model), SDE_DIM, 1.0)
        fin_mean, fin_var = limits.finite_log_moments(model, lams)
        n = len(x)
        mean, var = float(np.mean(x)), float(np.var(x, ddof=1))
        se_mean = math.sqrt(var / n)
        m4 = float(np.mean((x - mean) ** 4))
        se_var = math.sqrt(max(m4 - var * var * (n - 3) / (n - 1), 0.0) / n)
        good_m, tol_m = _within(mean, se_mean, limit.mean, abs(fin_mean - limit.mean))
        good_v, tol_v = _within(var, se_var, limit.var, abs(fin_var - limit.var))
        ks = limits.ks_distance(x, limit) if np.all(np.isfinite(x)) else math.inf
        ok &= good_m and good_v and ks <= crit
        ev[f"{kind}: mean"] = f"{mean:.5g} +- {se_mean:.2g} (limit {limit.mean:.5g}, finite L {fin_mean:.5g}, tol {tol_m:.3g})"
        ev[f"{kind}: var"] = f"{var:.5g} +- {se_var:.2g} (limit {limit.var:.5g}, finite L {fin_var:.5g}, tol {tol_v:.3g})"
        ev[f"{kind}: KS distance"] = f"{ks:.4g} (critical {crit:.4g})"
    return Outcome(method, f"L={layers}, d={SDE_DIM}, S={SDE_SAMPLES}", verdict(ok), ev)


def check_ode(depth: int, seed: int, expected_slope: float = -1.0, end_time: float = 1.0) -> Outcome:
    """MARION-ODE: the error of the stack at alpha = 1/L against the neural ODE decays like L^(-1).

    The measured order is the log-log slope between the two largest depths. Tolerance
    (derived): the explicit scheme's error is C1/L + C2/L^2 + ..., so the slope between L and
    2L is -1 + O(1/L) and its distance to -1 is at most the change between the last two
    consecutive slopes (the deviation halves with each doubling); the check allows twice
    that, plus the reference solution's error propagated to the slope,
    4 * reference_error / (error at the largest L * log 2), plus 1e-9 for float64 rounding.
    The depth argument is not used (fixed depths). ``end_time`` != 1 corrupts the reference.
    """
    method = "Euler stack with smooth weight functions vs solve_ivp (DOP853, rtol 1e-11), log-log slope"
    res = limits.ode_errors(ODE_DEPTHS, ODE_NETWORKS, ODE_DIM, "tanh", seed, end_time=end_time)
    e = np.array(res.errors)
    logs = np.log(e)
    slopes = np.diff(logs) / np.diff(np.log(np.array(res.depths, dtype=float)))
    last, prev = float(slopes[-1]), float(slopes[-2])
    tol = 2.0 * abs(last - prev) + 4.0 * res.reference_error / (e[-1] * math.log(2.0)) + 1e-9
    ok = bool(np.all(np.isfinite(e)) and abs(last - expected_slope) <= tol)
    ev = {
        "depths": ",".join(map(str, res.depths)),
        "errors": ", ".join(f"{x:.4g}" for x in e),
        "pairwise slopes": ", ".join(f"{x:.4f}" for x in slopes),
        "slope": last,
        "expected_slope": expected_slope,
        "tolerance": float(tol),
        "reference_error": res.reference_error,
        "kernel_error": res.kernel_error,
    }
    return Outcome(method, f"L in {{16..256}}, d={ODE_DIM}, {ODE_NETWORKS} networks, tanh", verdict(ok), ev)


def check_hurst(depth: int, seed: int, line: Callable = hurst_mod.critical_beta_finite) -> Outcome:
    """MARION-HURST: the measured critical beta(H) of res-3/ReLU with fGn weights against ``line``.

    Measured (Marion et al.'s Figure 7 protocol, :func:`residual_expansion.scaling.hurst.run_hurst_map`:
    per H, 48 networks each run at every beta on the same 4 inputs): the zero crossing in beta
    of the growth exponent of the mean ||h_L - h_0||^2 / ||h_0||^2 between L1 = 16 and L2 = 256.
    Derived: the first-order line log(S_H(L2) / S_H(L1)) / (2 log(L2 / L1)) (tends to
    max(H, 1/2)). Pass when, for every H, |measured - derived| <= the beta grid's resolution +
    4 se, se the crossing's standard error (delta method on the two means, whose standard
    errors come from the spread over networks, divided by the exponent's slope in beta).
    """
    method = ("Monte Carlo res-3/ReLU with fGn weights (Davies-Harte), each network at every beta on the same "
              "inputs, zero crossing of the growth exponent")
    model = Model("res3", "relu", dim=HURST_DIM, input_dim=64)
    hm = hurst_mod.run_hurst_map(model, HURST_GRID, HURST_BETAS, HURST_DEPTHS, HURST_NETWORKS, HURST_INPUTS, seed)
    res = hm.resolution
    ev: dict = {"depths": ",".join(map(str, HURST_DEPTHS)), "networks": HURST_NETWORKS, "inputs": HURST_INPUTS,
                "d": HURST_DIM, "resolution": res}
    ok = True
    for h, (meas, se) in zip(HURST_GRID, hm.measured_forward):
        derived = line(HURST_DEPTHS[0], HURST_DEPTHS[1], h, "relu")
        tol = res + Z_SE * se if se is not None else math.nan
        good = meas is not None and se is not None and abs(meas - derived) <= tol
        ok &= good
        ev[f"H={h:g}"] = (
            f"measured {'none' if meas is None else f'{meas:.4f}'} +- {'-' if se is None else f'{se:.3f}'}, "
            f"derived {derived:.4f}, tolerance {tol:.3f}, limit max(H, 1/2) = {hurst_mod.critical_beta_asymptotic(h):.2f}"
        )
    return Outcome(method, f"H in {{0.25, 0.9}}, L in {{16, 256}}, d={HURST_DIM}, {HURST_NETWORKS} networks x "
                           f"{HURST_INPUTS} inputs", verdict(ok), ev)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="GRAD-ENERGY",
        statement="v ~ N(0, I) independent of the network: E ||J^T v||^2 / ||v||^2 = prod_i (1 + lambda_i^2 s^2) "
                  "for i.i.d. linear modules (prod (1 + lambda_i^2 s^4 / 2) for res-3/ReLU)",
        hypotheses="weights independent across layers, centred, sign-symmetric, variance s^2/d; J = d h_L / d h_0",
        proof="proofs/backward.md",
        check=lambda depth, order, seed: check_grad_energy(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="MARION-GRAD-REGIMES",
        statement="||p_L - p_0|| / ||p_L|| grows for beta below the critical beta, stays bounded at it and decays "
                  "above; the same critical beta as the forward pass: 1/2 (i.i.d.), 1 (smooth)",
        hypotheses="res-3/ReLU, alpha_L = L^(-beta), Marion et al.'s loss cotangent (read-out B, target y ~ U[0,1])",
        proof="proofs/backward.md",
        check=lambda depth, order, seed: check_grad_regimes(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="MARION-ODE",
        statement="smooth weights, alpha_L = 1/L: ||h_L - H(1)|| = O(1/L) for the neural ODE dH/dt = V(t) sigma(W(t) H)",
        hypotheses="V, W smooth Gaussian processes in t (squared-exponential spectrum, bandwidth 0.1), sigma = tanh",
        proof="proofs/limits.md",
        check=lambda depth, order, seed: check_ode(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="MARION-SDE",
        statement="i.i.d. weights, alpha_L = L^(-1/2): log(||h_L||^2 / ||h_0||^2) -> N((d-2) gamma/d, 4 gamma/d), "
                  "gamma = s^2 (linear), s^4/2 (res-3/ReLU)",
        hypotheses="Gaussian weights of variance s^2/d independent across layers; the limit is dH = sqrt(gamma/d) ||H|| dB",
        proof="proofs/limits.md",
        check=lambda depth, order, seed: check_sde(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="MARION-HURST",
        statement="res-3/ReLU with fGn weights of Hurst index H: critical beta(H) = max(H, 1/2); at depths "
                  "L1 < L2 the first-order line log(S_H(L2)/S_H(L1)) / (2 log(L2/L1))",
        hypotheses="every weight entry an independent unit fGn sequence over layers divided by sqrt(d)",
        proof="proofs/hurst.md",
        check=lambda depth, order, seed: check_hurst(depth, seed),
        monte_carlo=True,
    ),
)
