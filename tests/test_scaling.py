"""Tests of the scaling regimes: schedules, predictions, Monte Carlo, claims (incl. soundness), CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.scaling import predictions as scaling
from residual_expansion.claims import scaling_claims as claims
from residual_expansion.cli import main
from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init, fgn_autocovariance, fgn_paths, parse_init, smooth_factor
from residual_expansion.scaling.montecarlo import Model, SampleStats, choose_route, simulate
from residual_expansion.scaling.schedules import explicit, parse_schedule, power
from residual_expansion.scaling.sweep import run_sweep

# ----------------------------------------------------------------------------- schedules


def test_named_schedules():
    # docs/theory.md#residual-stacks: const beta=0, sqrt beta=1/2, inv beta=1
    assert parse_schedule("const").scales(5).tolist() == [1.0] * 5
    assert parse_schedule("sqrt").scales(4).tolist() == [0.5] * 4
    assert parse_schedule("inv", c=2.0).scales(4).tolist() == [0.5] * 4
    assert parse_schedule("power:0.25").beta == 0.25
    assert parse_schedule("list:0.1/0.2").scales(2).tolist() == [0.1, 0.2]


@pytest.mark.parametrize("bad", ["", "half", "power:", "power:-1", "list:", "list:a/b", "list:-0.1"])
def test_bad_schedules(bad):
    with pytest.raises(UsageError):
        parse_schedule(bad)


def test_explicit_schedule_fixes_depth():
    with pytest.raises(UsageError):
        explicit([0.1, 0.2]).scales(3)
    with pytest.raises(UsageError):
        power(0.5, c=0.0)


# ----------------------------------------------------------------------------- predictions


def test_ensemble_size():
    # docs/theory.md#weighted-ensemble-size: lambda = 1 gives 2^n; lambda = 1/n tends to e
    assert scaling.ensemble_size([1.0] * 20).value == pytest.approx(2.0**20)
    assert scaling.ensemble_size([1e-4] * 10_000).value == pytest.approx(math.e, rel=1e-4)
    # lambda = 1/sqrt(n): about e^(sqrt(n) - 1/2)
    n = 10_000
    assert scaling.ensemble_size(power(0.5).scales(n)).log == pytest.approx(math.sqrt(n) - 0.5, abs=0.01)
    assert scaling.ensemble_size([1.0] * 2000).explodes


def test_linear_energy_and_overflow():
    assert scaling.linear_energy([1.0] * 10, s=1.0).value == pytest.approx(2.0**10)
    big = scaling.linear_energy([1.0] * 5000)
    assert big.explodes and big.value == math.inf and "explodes" in big.text()


@given(n=st.integers(1, 30), lam=st.floats(0.01, 2.0), s=st.floats(0.1, 2.0))
@settings(max_examples=40, deadline=None)
def test_spectrum_is_binomial_for_uniform_lambda(n, lam, s):
    # docs/theory.md#iid-linear-modules: e_k = C(n,k) (lambda s)^(2k); the orders sum to prod(1 + lambda^2 s^2)
    spec = scaling.linear_energy_spectrum([lam] * n, s)
    want = [comb(n, k) * (lam * s) ** (2 * k) for k in range(n + 1)]
    assert np.allclose(spec, want, rtol=1e-10)
    assert spec.sum() == pytest.approx(scaling.linear_energy([lam] * n, s).value, rel=1e-10)


@given(vals=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=8))
@settings(max_examples=40, deadline=None)
def test_elementary_symmetric_matches_brute_force(vals):
    from itertools import combinations

    got = np.exp(scaling.elementary_symmetric_log(vals, len(vals)))
    for k in range(len(vals) + 1):
        brute = sum(math.prod(c) for c in combinations(vals, k))
        assert got[k] == pytest.approx(brute, rel=1e-9, abs=1e-300)


def test_poisson_limit_of_spectrum():
    n = 100_000
    spec = scaling.linear_energy_spectrum(power(0.5).scales(n), 1.0, 6)
    assert np.allclose(spec, scaling.poisson_spectrum(1.0, 6), rtol=1e-3)


def test_res3_energy():
    # docs/theory.md#marion-models: (1 + alpha^2/2)^L
    L = 30
    assert scaling.res3_energy(power(0.5).scales(L)).value == pytest.approx((1 + 1 / (2 * L)) ** L)
    assert scaling.res3_energy([1.0] * 3, activation="identity").value == pytest.approx(8.0)
    with pytest.raises(UsageError):
        scaling.res3_energy([1.0], activation="tanh")
    assert scaling.predicted_energy("res3", "relu", False, [1.0]) is None
    assert scaling.predicted_energy("res1", "relu", True, [1.0]) is None


def test_regimes():
    iid, smooth = "iid-uniform", "smooth"
    assert scaling.regime(power(0.25), iid).name == "explosion"
    r = scaling.regime(power(0.5, 2.0), iid)
    assert (r.name, r.limit, r.quantity) == ("non-trivial", 4.0, "n lambda^2")
    assert scaling.regime(power(1.0), iid).name == "identity"
    assert scaling.regime(power(0.5), smooth).name == "explosion"
    assert scaling.regime(power(1.0, 3.0), smooth).limit == 3.0
    assert scaling.regime(power(2.0), smooth).name == "identity"
    assert scaling.regime(power(0.6), "fbm", 0.7).name == "explosion"
    assert scaling.regime(explicit([0.1]), iid) is None


@given(slope=st.floats(-2, 2), se=st.floats(0.001, 0.5))
@settings(max_examples=60, deadline=None)
def test_classify_slope_is_consistent(slope, se):
    label = scaling.classify_slope(scaling.SlopeFit(slope, se, 3))
    lo, hi = slope - 4 * se, slope + 4 * se
    if label == "growth":
        assert lo > scaling.MARGIN
    elif label == "decay":
        assert hi < -scaling.MARGIN
    elif label == "bounded":
        assert -scaling.MARGIN <= lo and hi <= scaling.MARGIN
    else:
        assert label == "undecided"


def test_loglog_slope_exact_power_law():
    L = np.array([10.0, 50.0, 250.0])
    fit = scaling.loglog_slope(L, L**-0.5, 0.01 * L**-0.5)
    assert fit.slope == pytest.approx(-0.5)
    assert fit.stderr > 0
    assert scaling.loglog_slope(L, [1.0, math.inf, 2.0], [0.1] * 3).slope == math.inf


# ----------------------------------------------------------------------------- weight laws


def test_smooth_factor_reproduces_kernel():
    F = smooth_factor(120)
    t = np.arange(1, 121) / 120
    assert np.abs(F @ F.T - np.exp(-((t[:, None] - t) ** 2) / 0.02)).max() < 1e-9


def test_fgn_covariance_and_samples():
    # H = 1/2 is white noise
    assert np.allclose(fgn_autocovariance(5, 0.5), [1, 0, 0, 0, 0])
    rng = np.random.default_rng(1)
    paths = fgn_paths(8, 40_000, 0.8, rng)
    emp = np.array([np.mean(paths[0] * paths[k]) for k in range(4)])
    # tolerance: 5 standard errors of an empirical covariance of unit-variance normals (< sqrt(2/40000))
    assert np.allclose(emp, fgn_autocovariance(4, 0.8), atol=5 * math.sqrt(2 / 40_000))


def test_parse_init():
    assert parse_init("fbm:0.3").hurst == 0.3
    for bad in ["fbm:1.5", "fbm:x", "gauss", "fbm"]:
        with pytest.raises(UsageError):
            parse_init(bad)


def test_routes():
    assert choose_route(Model("res3"), Init("iid-gaussian")) == "gaussian-radial"
    assert choose_route(Model("res3", "tanh"), Init("iid-gaussian")) == "gaussian-vector"
    assert choose_route(Model("res1"), Init("iid-gaussian")) == "gaussian-vector"
    assert choose_route(Model("linear"), Init("iid-gaussian"), orders=3) == "materialised"
    assert choose_route(Model("res3"), Init("smooth")) == "materialised"
    with pytest.raises(UsageError):
        choose_route(Model("res3"), Init("iid-uniform"), "gaussian-radial")
    with pytest.raises(UsageError):
        choose_route(Model("res1"), Init("iid-gaussian"), "gaussian-radial")


# ----------------------------------------------------------------------------- Monte Carlo


def _z(stat: SampleStats, pred: float) -> float:
    return abs(stat.mean - pred) / stat.stderr


@pytest.mark.parametrize("route", ["materialised", "gaussian-vector", "gaussian-radial"])
def test_res3_routes_agree_with_identity(route):
    # every exact route reproduces (1 + alpha^2/2)^L - 1 within 4 standard errors (docs/theory.md#marion-models)
    model = Model("res3", dim=12, input_dim=8)
    (run,) = simulate(model, Init("iid-gaussian"), [power(0.5)], 12, 3000, 3, route=route)
    assert run.route == route
    assert _z(run.sq_ratio, scaling.res3_energy(power(0.5).scales(12)).minus_one) < 4


@pytest.mark.parametrize("route", ["materialised", "gaussian-vector", "gaussian-radial"])
def test_linear_routes_agree_with_identity(route):
    model = Model("linear", dim=6, input_dim=6, s=0.7)
    sch = explicit([0.3, 0.9, 0.5, 0.2])
    (run,) = simulate(model, Init("iid-gaussian"), [sch], 4, 4000, 5, route=route)
    assert _z(run.sq_norm_ratio, scaling.linear_energy(sch.scales(4), 0.7).value) < 4


def test_res1_identity_activation_is_linear():
    model = Model("res1", "identity", dim=8, input_dim=8)
    (run,) = simulate(model, Init("iid-uniform"), [power(0.5)], 6, 3000, 2)
    assert _z(run.sq_norm_ratio, scaling.linear_energy(power(0.5).scales(6)).value) < 4


def test_orders_sum_to_the_output_and_match_spectrum():
    model = Model("linear", dim=10, input_dim=10)
    sch = power(0.5)
    (full,) = simulate(model, Init("iid-uniform"), [sch], 6, 3000, 7, orders=6)
    (cut,) = simulate(model, Init("iid-uniform"), [sch], 6, 3000, 7, orders=2)
    spec = scaling.linear_energy_spectrum(sch.scales(6))
    assert full.orders[-1].mean == 0.0  # nothing beyond order n = 6
    assert full.orders[0].mean == pytest.approx(1.0, rel=1e-12)  # order 0 is h_0 itself
    for k in range(1, 7):
        assert _z(full.orders[k], spec[k]) < 4
    # the tail beyond order 2 carries the energy of orders 3..6 (orthogonal in expectation)
    assert _z(cut.orders[-1], float(spec[3:].sum())) < 4
    # the orders tracked by both runs use the same draws, so they agree exactly
    assert [st.mean for st in cut.orders[:3]] == pytest.approx([st.mean for st in full.orders[:3]], rel=1e-12)


def test_overflow_is_a_result_not_a_crash():
    model = Model("linear", dim=4, input_dim=4, s=1.0)
    (run,) = simulate(model, Init("iid-uniform"), [power(0.0, c=1e80)], 12, 10, 0)
    assert run.explodes_at is not None and run.ratio is None


@pytest.mark.filterwarnings("error")
def test_first_bad_records_each_schedule_once_even_when_the_sum_overflows():
    from residual_expansion.scaling.montecarlo import _first_bad

    bad = np.zeros(3, dtype=int)
    big = np.full((2, 3, 4), 1e308)  # every entry finite, their sum overflows to inf
    _first_bad(big, bad, 1)
    assert bad.tolist() == [0, 0, 0]
    state = np.ones((2, 3, 4))
    state[1, 2, 0] = np.nan
    _first_bad(state, bad, 5)
    state[0, 0, 3] = -np.inf
    _first_bad(state, bad, 7)
    assert bad.tolist() == [7, 0, 5]  # schedule 2 keeps the layer where it first went bad


def test_determinism():
    a = simulate(Model("res3", dim=6, input_dim=5), Init("smooth"), [power(1.0)], 20, 30, 11)
    b = simulate(Model("res3", dim=6, input_dim=5), Init("smooth"), [power(1.0)], 20, 30, 11)
    assert a == b


def test_fbm_critical_beta_moves():
    # fGn weights of Hurst index H: the critical beta is max(H, 1/2) (proofs/hurst.md)
    sw = run_sweep(Model("res3", dim=8, input_dim=8), Init("fbm", 0.8), [power(0.4), power(1.6)], [10, 80], 100, 0)
    trends = {f.schedule.beta: f.trend for f in sw.fits}
    assert trends == {0.4: "growth", 1.6: "decay"}


# ----------------------------------------------------------------------------- claims


@pytest.mark.parametrize("check", [claims.check_energy, claims.check_spectrum, claims.check_res3, claims.check_regimes])
def test_claims_pass(check):
    out = check(8, 0)
    assert out.status == "PASS", out.evidence


def test_claims_large_depth_and_skip():
    assert claims.check_res3(60, 0).status == "PASS"
    assert claims.check_energy(10**6, 0).status == "SKIP"


# soundness: corrupted predictions must FAIL at the default seed and sample size

CORRUPT_ENERGY = {
    "dropped square": lambda lams, s: scaling.LogValue(float(np.sum(np.log1p(np.asarray(lams) * s**2)))),
    "one layer short": lambda lams, s: scaling.linear_energy(np.asarray(lams)[1:], s),
    "s^4": lambda lams, s: scaling.linear_energy(np.asarray(lams) * 1.1, s),
}


@pytest.mark.parametrize("name", CORRUPT_ENERGY)
def test_energy_soundness(name):
    assert claims.check_energy(8, 0, energy=CORRUPT_ENERGY[name]).status == "FAIL"


def _binom_shift(lams, s, kmax):
    n, lam = len(lams), float(lams[0])
    return np.array([comb(n, k + 1) * (lam * s) ** (2 * k) for k in range(kmax + 1)])


def _dropped_order(lams, s, kmax):
    spec = scaling.linear_energy_spectrum(lams, s, kmax).copy()
    spec[3] = 0.0
    return spec


def _shifted(lams, s, kmax):
    spec = scaling.linear_energy_spectrum(lams, s, kmax + 1)
    return np.concatenate([[1.0], spec[2:]])


@pytest.mark.parametrize("bad", [_binom_shift, _dropped_order, _shifted])
def test_spectrum_soundness(bad):
    assert claims.check_spectrum(8, 0, spectrum=bad).status == "FAIL"


CORRUPT_RES3 = {
    "(1+alpha^2)^L": lambda lams, s, act: scaling.res3_energy(lams, s, "identity"),
    "forgot -1": lambda lams, s, act: scaling.LogValue(math.log1p(scaling.res3_energy(lams, s, act).value)),
    "L-1 layers": lambda lams, s, act: scaling.res3_energy(np.asarray(lams)[1:], s, act),
}


@pytest.mark.parametrize("name", CORRUPT_RES3)
def test_res3_soundness(name):
    assert claims.check_res3(8, 0, energy=CORRUPT_RES3[name]).status == "FAIL"


@pytest.mark.parametrize("crit", [lambda kind: 0.5, lambda kind: 1.0, lambda kind: 0.75])
def test_regimes_soundness(crit):
    assert claims.check_regimes(8, 0, critical=crit).status == "FAIL"


# ----------------------------------------------------------------------------- CLI


def test_cli_json(capsys):
    code = main(["scaling", "--model", "res3", "--beta", "0.5,1", "--depths", "5,20", "--samples", "20",
                 "--dim", "6", "--input-dim", "4", "--format", "json", "--quiet"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"] == "res3" and doc["init"] == "iid-uniform" and doc["route"] == "materialised"
    row = doc["results"][0]
    for key in ("beta", "depth", "mean_ratio", "mean_sq_ratio", "stderr_sq_ratio", "predicted_sq_ratio", "regime"):
        assert key in row
    assert row["regime"] == "non-trivial"
    assert row["predicted_sq_ratio"] == pytest.approx((1 + 1 / 10) ** 5 - 1)


def test_cli_same_bytes(capsys):
    argv = ["scaling", "--init", "iid-gaussian", "--depths", "8,16", "--samples", "30", "--dim", "5", "--quiet"]
    main(argv)
    first = capsys.readouterr().out
    main(argv)
    assert capsys.readouterr().out == first
    assert "gaussian-radial" in first


def test_cli_orders_and_formats(capsys):
    for fmt in ("markdown", "latex", "text"):
        assert main(["scaling", "--model", "linear", "--schedule", "list:0.5/0.2/0.4", "--orders", "2",
                     "--samples", "40", "--dim", "4", "--format", fmt, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "order k" in out and ">2" in out


def test_cli_explosion_reported(capsys):
    assert main(["scaling", "--model", "linear", "--beta", "0", "--c", "1e100", "--depths", "10",
                 "--samples", "4", "--dim", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "explodes at layer" in out and "nan" not in out and "inf" not in out.replace("info", "")


@pytest.mark.parametrize("argv", [
    ["--init", "fbm:2"],
    ["--schedule", "half"],
    ["--samples", "1"],
    ["--model", "res3", "--orders", "0"],
    ["--route", "gaussian-radial"],
    ["--beta", "-1"],
    ["--model", "mlp"],
    ["--depths", "0"],
    ["--schedule", "list:0.1/0.2", "--depths", "5"],
])
def test_cli_bad_input_one_line(argv):
    proc = subprocess.run([sys.executable, "-m", "residual_expansion", "scaling", "--depths", "3", "--samples", "4",
                           "--dim", "3", *argv], capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_plots(tmp_path):
    pytest.importorskip("matplotlib")
    ratio, spec = tmp_path / "r.png", tmp_path / "s.png"
    assert main(["scaling", "--model", "linear", "--beta", "0.5", "--depths", "4,8", "--orders", "4",
                 "--samples", "30", "--dim", "4", "--quiet", "--plot", str(ratio), "--spectrum-plot", str(spec)]) == 0
    assert ratio.stat().st_size > 1000 and spec.stat().st_size > 1000


@pytest.mark.parametrize("module", ["scaling.schedules", "scaling.predictions", "scaling.montecarlo", "scaling.sweep"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"residual_expansion.{module}"))
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("kind", ["linear", "res1", "res2", "res3"])
def test_materialised_forward_runs_the_family_modules(kind, monkeypatch):
    """The Monte Carlo's forward is models.families.from_weights(...).value: an explicit loop over the
    same drawn weights gives the same numbers, and a corrupted family changes them."""
    from residual_expansion.models import families
    from residual_expansion.scaling import montecarlo as mc_mod

    model, init = Model(kind, "tanh", dim=5, input_dim=3), Init("iid-uniform")
    lams = np.array([[0.4] * 6, [0.1] * 6])
    seen, inputs = [], []

    class Spy:
        def __init__(self, module):
            self.module = module

        def value(self, x):
            inputs.append(np.array(x))
            return self.module.value(x)

    def spy(family, weights, phi):
        seen.append([np.array(w) for w in weights])
        return Spy(families.from_weights(family, weights, phi))

    monkeypatch.setattr(mc_mod, "from_weights", spy)
    out = mc_mod.simulate_chunk(model, init, lams, 3, 0, 4, "materialised")
    assert len(seen) == len(inputs) == 6
    # Independent route: the branch formula written out, over the weights the chunk drew.
    h0 = inputs[0][:, 0, :]
    h = np.repeat(h0[:, None, :], 2, axis=1)
    for k, mats in enumerate(seen):
        t = np.tanh
        if kind == "linear":
            g = np.einsum("cij,cmj->cmi", mats[0], h)
        elif kind == "res1":
            g = np.einsum("cij,cmj->cmi", mats[0], t(h))
        elif kind == "res2":
            g = t(np.einsum("cij,cmj->cmi", mats[0], h))
        else:
            g = np.einsum("cij,cmj->cmi", mats[1], t(np.einsum("cij,cmj->cmi", mats[0], h)))
        h = h + lams[:, k][None, :, None] * g
    n0 = np.linalg.norm(h0, axis=-1)[:, None]
    assert np.allclose(out.norm, np.linalg.norm(h, axis=-1) / n0, rtol=1e-12)

    def corrupted(family, weights, phi):  # every branch doubled: a wrong formula
        g = families.from_weights(family, weights, phi)
        return families.Perceptron(g.dim, g.activation, 2.0 * (np.eye(g.dim) if g.outer is None else g.outer),
                                   g.inner)

    monkeypatch.setattr(mc_mod, "from_weights", corrupted)
    bad = mc_mod.simulate_chunk(model, init, lams, 3, 0, 4, "materialised")
    assert not np.allclose(bad.norm, out.norm, rtol=1e-6)
