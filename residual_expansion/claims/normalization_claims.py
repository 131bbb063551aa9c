"""Claims of normalization, normalization-free schemes, per-order energies, lesions and capacity:
NORM-ENERGY, NORM-FREE, ORDER-ENERGY, LESION, COMPLEXITY (proofs/normalization.md).

Each check takes the formula under test as a parameter (default: the real one) and compares it
with a measurement along another route: Monte Carlo forward passes of materialised random
weights, reverse mode through the stack, or Taylor-mode propagation. Statistical tolerances are
Z_SE standard errors of the samples plus a float64 rounding allowance; bounds are checked per
sample with a rounding allowance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from residual_expansion.claims.base import SKIP, Claim, Outcome, snake_key, verdict
from residual_expansion.scaling import capacity as cap
from residual_expansion.scaling import lesion as les
from residual_expansion.scaling import normalized as nz
from residual_expansion.scaling import orders as od
from residual_expansion.scaling import predictions
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import Model, simulate
from residual_expansion.scaling.schedules import power

Z_SE = 4.0
ROUNDING = 1e-10
DIM = 16
MAX_DEPTH = 512
UNIFORM = Init("iid-uniform")


def _samples(depth: int, base: int = 2000) -> int:
    """``base`` samples up to depth 8, fewer beyond (at least 200) so a check stays near a second."""
    return int(min(base, max(200, base * 8 // depth)))


def _within(mean: float, stderr: float, predicted: float) -> tuple[bool, float]:
    tol = Z_SE * stderr + ROUNDING * max(1.0, abs(predicted))
    return bool(math.isfinite(predicted) and math.isfinite(mean) and abs(mean - predicted) <= tol), tol


def _too_deep(depth: int, method: str, limit: int = MAX_DEPTH) -> Outcome | None:
    if depth > limit:
        return Outcome(method, f"n={depth}", SKIP, {"reason": f"depth {depth} is beyond this check's limit of {limit} layers"})
    return None


# --------------------------------------------------------------------------- NORM-ENERGY


def check_norm_energy(depth: int, seed: int, increment: Callable = nz.pre_norm_increment) -> Outcome:
    """Pre-norm: mean ||h_L||^2/||h_0||^2 against 1 + increment(...) * mean(1/||h_0||^2) (linear/pre-rms and
    res-3 ReLU/pre-ln, lambda = 1 and n^(-1/2)); post-norm: ||h_L||^2 = d per sample, and post-RMS with
    res-3/ReLU equals N applied once to the unnormalized stack (per sample, to rounding)."""
    method = "Monte Carlo, materialised i.i.d. uniform weights, with and without normalization"
    if (skip := _too_deep(depth, method)) is not None:
        return skip
    S = _samples(depth)
    ev: dict = {"samples": S, "d": DIM, "z": Z_SE}
    ok = True
    scheds = (power(0.0), power(0.5))
    for kind, act, norm in (("linear", "relu", "pre-rms"), ("res3", "relu", "pre-ln")):
        model = Model(kind, act, dim=DIM, input_dim=64)
        runs = nz.simulate_normalized(model, UNIFORM, nz.parse_norm(norm), scheds, depth, S, seed, "materialised")
        for run in runs:
            inc = increment(kind, act, 1.0, DIM, run.schedule.scales(depth))
            pred = 1.0 + inc * run.inv_input_energy
            st = run.sq_norm_ratio
            good, tol = _within(st.mean, st.stderr, pred) if st is not None else (False, math.nan)
            ok &= good
            name = f"{kind}/{norm} {run.schedule.label}"
            ev[snake_key(f"{name} measured")] = st.mean if st else "explodes"
            ev[snake_key(f"{name} predicted")] = pred
            ev[snake_key(f"{name} tolerance")] = tol
    eps = np.finfo(float).eps
    # Heuristic rounding allowance: per layer two length-d products, an addition and a normalization
    # (3d + 5 roundings), accumulated over L layers without amplification.
    rel_tol = depth * (3 * DIM + 5) * eps
    for norm in ("post-rms", "post-ln"):
        model = Model("res3", "relu", dim=DIM, input_dim=64)
        (run,) = nz.simulate_normalized(model, UNIFORM, nz.parse_norm(norm), (power(0.0),), depth, 200, seed, "materialised")
        pred = DIM * run.inv_input_energy
        err = abs(run.sq_norm_ratio.mean - pred) / pred
        ok &= err <= rel_tol
        ev[snake_key(f"res3 {norm} relative error of d mean inverse input energy")] = err
        if run.homogeneity_residual is not None:
            ok &= run.homogeneity_residual <= rel_tol
            ev["res3_post_rms_homogeneity_residual"] = run.homogeneity_residual
    ev["post_tolerance"] = float(rel_tol)
    return Outcome(method, f"n={depth}, d={DIM}, S={S}", verdict(ok), ev)


# --------------------------------------------------------------------------- NORM-FREE


def check_norm_free(
    depth: int, seed: int, alpha: Callable = nz.skipinit_alpha, fixup: Callable = nz.fixup_scale
) -> Outcome:
    """SkipInit: res-3/ReLU with branch multiplier alpha(L) at L = n and 4n matches prod(1 + alpha^2/2) and stays
    under the depth-free bound e^(1/2); Fixup: tr Theta / (d ||h_0||^2) by reverse mode at L = n and 4n matches
    the depth-free value 1/2."""
    method = "Monte Carlo res-3/ReLU (forward energy; reverse-mode tangent kernel at V = 0)"
    if (skip := _too_deep(4 * depth, method, 4 * MAX_DEPTH)) is not None:
        return skip
    S = _samples(depth, 1000)
    model = Model("res3", "relu", dim=8, input_dim=64)
    ev: dict = {"samples": S, "d": 8, "z": Z_SE, "skipinit_bound": math.exp(0.5), "fixup_value": 0.5}
    ok = True
    for L in (depth, 4 * depth):
        a = alpha(L)
        sch = power(0.0, a) if a > 0 else power(0.0)
        (run,) = simulate(model, UNIFORM, [sch], L, S, seed, route="materialised")
        pred = predictions.res3_energy(sch.scales(L), 1.0, "relu").value
        st = run.sq_norm_ratio
        good, tol = _within(st.mean, st.stderr, pred) if st is not None else (False, math.nan)
        bounded = st is not None and st.mean <= math.exp(0.5) + tol
        ok &= good and bounded
        ev[f"skipinit_l{L}_alpha"] = a
        ev[f"skipinit_l{L}_measured"] = st.mean if st else "explodes"
        ev[f"skipinit_l{L}_predicted"] = pred
        ev[f"skipinit_l{L}_tolerance"] = tol
        ntk = nz.fixup_ntk_trace(model, UNIFORM, L, S, seed, fixup(L, 2))
        good, tol = _within(ntk.mean, ntk.stderr, 0.5)
        ok &= good
        ev[f"fixup_l{L}_inner_scale"] = fixup(L, 2)
        ev[f"fixup_l{L}_ntk_trace"] = ntk.mean
        ev[f"fixup_l{L}_tolerance"] = tol
    return Outcome(method, f"L in {{{depth},{4 * depth}}}, d=8, S={S}", verdict(ok), ev)


# --------------------------------------------------------------------------- ORDER-ENERGY


def check_order_energy(depth: int, seed: int, bound: Callable = od.flow_bound) -> Outcome:
    """At lambda = c/n (c = 1) every sample's ||(c/n)^k T_k|| is at most c^k y_k (``bound``), for tied and
    independent res-3/tanh at L = n and 4n; identity modules meet the bound with ratio C(n,k) k!/n^k exactly;
    at lambda = 1 the order-k energy grows from n to 4n."""
    method = "Taylor-mode series of random res-3/tanh stacks, batched; exact flow of the majorant ODE"
    if (skip := _too_deep(4 * depth, method, 4 * MAX_DEPTH)) is not None:
        return skip
    K = 4
    S = int(min(200, max(50, 6400 // depth)))
    model = Model("res3", "tanh", dim=8, input_dim=64)
    eps = np.finfo(float).eps
    ev: dict = {"orders": K, "samples": S, "d": 8}
    ok = True
    worst = 0.0
    energies_at_one = {}
    for tied in (True, False):
        for L in (depth, 4 * depth):
            ts = od.taylor_sample(model, UNIFORM, L, K, S, seed, tied=tied)
            T = ts.coefficients
            allowance = 1.0 + 16 * (L + 8) * K * eps
            for i in range(S):
                y = bound(ts.bounds[i], K)
                for k in range(1, K + 1):
                    meas = np.linalg.norm(T[k, i]) / L**k
                    if not meas <= y[k] * allowance:
                        ok = False
                    if y[k] > 0:
                        worst = max(worst, meas / y[k])
            if not tied:
                energies_at_one[L] = od.order_profile(ts, 1.0, "1").energies
            name = "tied" if tied else "independent"
            ev[snake_key(f"{name} L{L} remainder below 1 percent from order")] = ", ".join(
                str(od.order_profile(ts, lam, lab).negligible_from or f">{K}") for lab, lam in od.standard_lambdas(L)
            )
    ev["largest_measured_over_bound"] = float(worst)
    # identity modules: T_k = C(n, k) x, the bound c^k ||x|| / k!.
    x = np.array([3.0, -4.0])
    y = bound(np.array([np.linalg.norm(x), 1.0]), K)
    for k in range(1, K + 1):
        truth = math.comb(depth, k) / depth**k * np.linalg.norm(x)
        ratio = truth / y[k] if y[k] > 0 else math.inf
        expected = math.comb(depth, k) * math.factorial(k) / depth**k
        ok &= abs(ratio - expected) <= 1e-12 * expected
    ev["identity_modules_bound_ratio"] = "exact" if ok else "mismatch"
    grows = []
    for k in range(K):
        a, b = energies_at_one[depth][k], energies_at_one[4 * depth][k]
        grows.append(b.mean - a.mean > Z_SE * math.hypot(a.stderr, b.stderr))
    ok &= all(grows)
    ev["lambda_1_orders_growing_n_to_4n"] = ",".join(str(k + 1) for k, g in enumerate(grows) if g) or "none"
    return Outcome(method, f"n={depth}, 4n, K={K}, d=8, S={S}", verdict(ok), ev)


# --------------------------------------------------------------------------- LESION


def check_lesion(depth: int, seed: int, fraction: Callable = les.predicted_fraction) -> Outcome:
    """i.i.d. linear modules, lambda = n^(-1/2): mean ||x_n - x_n^(-D)||^2 / mean ||x_n||^2 against
    ``fraction`` for K = 1 and ceil(n/2) (residual) and K = 1 (plain)."""
    method = "Monte Carlo lesions, materialised i.i.d. uniform linear modules, residual and plain"
    if (skip := _too_deep(depth, method)) is not None:
        return skip
    S = _samples(depth)
    model = Model("linear", dim=DIM, input_dim=64)
    ks = sorted({1, (depth + 1) // 2})
    sch = power(0.5)
    ev: dict = {"samples": S, "d": DIM, "z": Z_SE}
    ok = True
    for plain in (False, True):
        run = les.run_lesion(model, UNIFORM, nz.Norm(None), sch, depth, ks if not plain else [1], S, seed, plain)
        for r in run.results:
            pred = fraction(model, nz.Norm(None), plain, float(sch.scales(depth)[0]), r.deleted)
            good, tol = _within(r.fraction, r.stderr, pred)
            ok &= good
            name = f"{'plain' if plain else 'residual'} K={r.deleted}"
            ev[snake_key(f"{name} measured")] = r.fraction
            ev[snake_key(f"{name} predicted")] = pred
            ev[snake_key(f"{name} tolerance")] = tol
    return Outcome(method, f"n={depth}, d={DIM}, S={S}", verdict(ok), ev)


# --------------------------------------------------------------------------- COMPLEXITY


def check_complexity(depth: int, seed: int, spectrum: Callable = cap.predicted_jacobian) -> Outcome:
    """E ||J||_F^2 / d and E ||J_k||_F^2 / d (k = 0..min(n, 4)) of linear and res-3/ReLU stacks at lambda = n^(-1/2)
    against ``spectrum``: prod(1 + kappa lambda^2) and e_k(kappa lambda^2)."""
    method = "Monte Carlo Jacobians along the forward pass, and the order recursion J_k <- J_k + lambda J_i(x) J_(k-1)"
    if (skip := _too_deep(depth, method)) is not None:
        return skip
    S = _samples(depth, 1000)
    K = min(depth, 4)
    ev: dict = {"samples": S, "d": 8, "orders": f"0..{K}", "z": Z_SE}
    ok = True
    for model in (Model("linear", dim=8, input_dim=64), Model("res3", "relu", dim=8, input_dim=64)):
        (run,) = cap.simulate_capacity(model, UNIFORM, [power(0.5)], depth, K, S, seed)
        total, orders = spectrum(model, run.schedule.scales(depth), K)
        name = "linear" if model.kind == "linear" else "res3/relu"
        good, tol = _within(run.total.mean, run.total.stderr, total)
        ok &= good
        ev[snake_key(f"{name} jacobian sq norm over d measured")] = run.total.mean
        ev[snake_key(f"{name} jacobian sq norm over d predicted")] = total
        ev[snake_key(f"{name} tolerance")] = tol
        worst = 0.0
        for st, p in zip(run.orders, orders):
            good, _ = _within(st.mean, st.stderr, p)
            ok &= good
            if st.stderr > 0:
                worst = max(worst, abs(st.mean - p) / st.stderr)
        ev[snake_key(f"{name} orders largest abs z")] = worst
    return Outcome(method, f"n={depth}, K={K}, d=8, S={S}", verdict(ok), ev)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="NORM-ENERGY",
        statement="pre-normalization: E[||h_L||^2 | h_0] = ||h_0||^2 + kappa d sum_k lambda_k^2 (additive; kappa = s^2 linear, s^4/2 res-3/ReLU); post-normalization: ||h_L||^2 = d, and post-RMS of homogeneous branches = N of the unnormalized stack",
        hypotheses="i.i.d. symmetric weights of variance s^2/d, independent across layers; N = RMSNorm or LayerNorm without gain or bias",
        proof="proofs/normalization.md",
        check=lambda depth, order, seed: check_norm_energy(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="NORM-FREE",
        statement="SkipInit's multiplier L^(-1/2) (the i.i.d. scaling principle) keeps E||h_L||^2/||h_0||^2 <= e^(1/2); Fixup's L^(-1/(2m-2)) with zero last layers makes the first-update kernel trace depth-independent (the 1/n principle for the aligned updated branches)",
        hypotheses="res-3/ReLU branches (m = 2 weight layers), i.i.d. symmetric weights of variance 1/d",
        proof="proofs/normalization.md",
        check=lambda depth, order, seed: check_norm_free(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="ORDER-ENERGY",
        statement="at lambda = c/n the order-k part of x_n is at most c^k y_k, y' = sum_m D_m y^m/m! (depth-independent for modules with bounded derivatives); at lambda = 1 it grows with n",
        hypotheses="smooth modules with ||g_i^(m)(x)|| <= D_m for every layer (checked on random res-3/tanh, tied and independent)",
        proof="proofs/normalization.md",
        check=lambda depth, order, seed: check_order_energy(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="LESION",
        statement="deleting K blocks of i.i.d. linear modules removes E||x_n - x_n^(-D)||^2 / E||x_n||^2 = 1 - (1 + lambda^2 s^2)^(-K); a plain stack loses 1 + s^(-2K)",
        hypotheses="A_i independent with i.i.d. zero-mean entries of variance s^2/d; uniform lambda; D uniform among K-subsets",
        proof="proofs/normalization.md",
        check=lambda depth, order, seed: check_lesion(depth, seed),
        monte_carlo=True,
    ),
    Claim(
        id="COMPLEXITY",
        statement="E||dx_n/dx||_F^2 = d prod_i (1 + kappa lambda_i^2), order k: d e_k(kappa lambda_1^2, ...); kappa = s^2 linear, s^4/2 res-3/ReLU",
        hypotheses="i.i.d. symmetric weights of variance s^2/d independent across layers; no bias",
        proof="proofs/normalization.md",
        check=lambda depth, order, seed: check_complexity(depth, seed),
        monte_carlo=True,
    ),
)
