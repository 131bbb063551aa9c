"""Backward pass, continuous-time limits and the Hurst map: independent routes and soundness."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from residual_expansion.claims import marion_claims as mc
from residual_expansion.cli import main
from residual_expansion.errors import UsageError
from residual_expansion.scaling import gradients as grad
from residual_expansion.scaling import hurst, limits
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import LogMoments, Model
from residual_expansion.scaling.schedules import power

# ----------------------------------------------------------------- reverse mode vs exact rationals


def _frac_forward(kind: str, slope: Fraction, lams, h0, mats):
    """The stack in exact rational arithmetic (leaky ReLU with a rational slope, or identity if slope == 1)."""

    def sig(v):
        return [x if x > 0 else slope * x for x in v]

    def mv(a, v):
        return [sum(a[i][j] * v[j] for j in range(len(v))) for i in range(len(a))]

    h = list(h0)
    for lam, ms in zip(lams, mats):
        if kind == "linear":
            g = mv(ms[0], h)
        elif kind == "res1":
            g = mv(ms[0], sig(h))
        elif kind == "res2":
            g = sig(mv(ms[0], h))
        else:
            g = mv(ms[1], sig(mv(ms[0], h)))
        h = [x + lam * y for x, y in zip(h, g)]
    return h


class _WrongVjp:
    """A family module whose vector-Jacobian product forgets the activation's slope (a wrong formula)."""

    def __init__(self, module):
        self.module = module
        self.degree = module.degree
        self.pre_activation = module.pre_activation
        self.value_at = module.value_at

    def vjp_at(self, z, u):  # C^T B^T u instead of C^T (phi'(z) * B^T u)
        back = u if self.module.outer is None else np.matmul(u, self.module.outer)
        return back if self.module.inner is None else np.matmul(back, self.module.inner)


@pytest.mark.parametrize("corrupt", [False, True])
@pytest.mark.parametrize("kind", ["linear", "res1", "res2", "res3"])
def test_vjp_matches_exact_rational_jacobian(kind, corrupt, monkeypatch):
    """p_0 from reverse mode equals J^T p_L with J from exact finite differences in Fractions
    (exact for a piecewise-linear network when the step crosses no kink). The backward pass runs
    the family modules' ``vjp_at`` (models/families.py); with a slope-blind vjp it fails (linear,
    whose slope is 1, is then unchanged)."""
    if corrupt:
        from residual_expansion.models import families

        monkeypatch.setattr(grad, "from_weights", lambda *a: _WrongVjp(families.from_weights(*a)))
    rng = np.random.default_rng(7)
    d, L = 3, 4
    nmat = 2 if kind == "res3" else 1
    ints = rng.integers(-4, 5, size=(L, nmat, d, d))
    mats_f = [[[[Fraction(int(x), 8) for x in row] for row in m] for m in layer] for layer in ints]
    lams = [Fraction(1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(1, 4)]
    h0 = [Fraction(int(x), 5) for x in rng.integers(-5, 6, size=d)]
    pl = [Fraction(int(x), 3) for x in rng.integers(-3, 4, size=d)]
    slope = Fraction(1, 4)
    eps = Fraction(1, 10**40)
    base = _frac_forward(kind, slope, lams, h0, mats_f)
    jac = []  # jac[j][i] = d h_L[i] / d h0[j]
    for j in range(d):
        bumped = list(h0)
        bumped[j] += eps
        out = _frac_forward(kind, slope, lams, bumped, mats_f)
        jac.append([(o - b) / eps for o, b in zip(out, base)])
    exact_p0 = [sum(jac[j][i] * pl[i] for i in range(d)) for j in range(d)]

    act = grad.pointwise("leaky_relu:0.25")
    w = ints.astype(float) / 8.0
    _, _, p0 = grad.forward_backward(
        kind, act, np.array([[float(x) for x in lams]]), np.array([[float(x) for x in h0]]),
        lambda k: [w[k, i][None] for i in range(nmat)], lambda h: np.array([[[float(x) for x in pl]]]),
    )
    agree = np.allclose(p0[0, 0], [float(x) for x in exact_p0], rtol=1e-13, atol=1e-13)
    assert agree == (not corrupt or kind == "linear")
    assert any(x != 0 for x in exact_p0)


@pytest.mark.parametrize("kind", ["res1", "res2", "res3"])
def test_vjp_matches_forward_mode_for_tanh(kind):
    """<p_0, u> = <p_L, J u>: reverse mode against central differences of the float forward pass."""
    rng = np.random.default_rng(3)
    d, L, c = 4, 5, 3
    nmat = 2 if kind == "res3" else 1
    w = rng.standard_normal((L, nmat, c, d, d)) / 2
    lams = np.array([[0.3] * L])
    h0 = rng.standard_normal((c, d))
    pl = rng.standard_normal((c, 1, d))
    act = grad.pointwise("tanh")

    def run(x):
        h, _, p0 = grad.forward_backward(kind, act, lams, x, lambda k: [w[k, i] for i in range(nmat)], lambda h: pl)
        return h, p0

    _, p0 = run(h0)
    u = rng.standard_normal((c, d))
    t = 1e-6
    ju = (run(h0 + t * u)[0] - run(h0 - t * u)[0]) / (2 * t)
    assert np.allclose(np.sum(p0[:, 0] * u, axis=-1), np.sum(pl[:, 0] * ju[:, 0], axis=-1), rtol=1e-7, atol=1e-9)


def test_random_cotangent_prediction_rules():
    lams = np.array([0.5, 0.5])
    relu, leaky = grad.pointwise("relu"), grad.pointwise("leaky_relu:0.5")
    assert grad.predicted_grad_energy(Model("res3"), relu, True, "random", lams) == pytest.approx(1.125**2)
    assert grad.predicted_grad_energy(Model("res3"), leaky, True, "random", lams) == pytest.approx((1 + 0.25 * 0.625) ** 2)
    assert grad.predicted_grad_energy(Model("res2", "relu"), relu, True, "random", lams) is None
    assert grad.predicted_grad_energy(Model("res3"), relu, False, "random", lams) is None
    with pytest.raises(UsageError, match="activation"):
        grad.pointwise("leaky_relu:x")
    with pytest.raises(UsageError, match="cotangent"):
        grad.simulate_gradients(Model("res3", dim=4), Init("iid-uniform"), [power(0.5)], 2, 4, 0, "nope")


def test_res2_nonlinear_is_not_predicted_by_the_trace_identity():
    """The reason res-2/ReLU has no prediction: the measured energy is far from the res-3-style product."""
    model = Model("res2", "leaky_relu:0.3", dim=8, input_dim=8)
    _, (g,) = grad.simulate_gradients(model, Init("iid-gaussian"), [power(0.5)], 40, 1000, 0, "random")
    naive = float(np.prod(1 + np.full(40, 1 / 40) * (1 + 0.09) / 2))
    assert abs(g.sq_ratio.mean - naive) > 8 * g.sq_ratio.stderr


def test_gradients_deterministic_and_chunk_independent(monkeypatch):
    args = (Model("res3", dim=6, input_dim=4), Init("iid-uniform"), [power(0.5)], 6, 12, 5, "loss")
    a = grad.simulate_gradients(*args)
    b = grad.simulate_gradients(*args)
    assert a == b


# ----------------------------------------------------------------- claims pass, and fail when corrupted


def test_grad_energy_passes_and_fails_corrupted():
    assert mc.check_grad_energy(4, 0).passed

    def no_kappa(model, act, iid, cot, lams):  # forgets E sigma'^2 = 1/2 for res-3
        return float(np.prod(1 + np.asarray(lams) ** 2 * (1 if model.kind == "res3" else model.s**2)))

    def squared(model, act, iid, cot, lams):  # lambda^4 instead of lambda^2
        return float(np.prod(1 + np.asarray(lams) ** 2))

    assert not mc.check_grad_energy(4, 0, energy=no_kappa).passed
    assert not mc.check_grad_energy(4, 0, energy=lambda *a: grad.predicted_grad_energy(*a) * 1.1).passed
    assert squared(Model("linear"), None, True, "random", [0.5]) == 1.25


def test_grad_regimes_fail_with_wrong_critical_beta():
    assert not mc.check_grad_regimes(8, 0, critical=lambda kind: 0.25).passed


def test_ode_claim_and_corruptions():
    assert mc.check_ode(8, 0).passed
    assert not mc.check_ode(8, 0, expected_slope=-2.0).passed
    assert not mc.check_ode(8, 0, end_time=1.05).passed


def test_sde_claim_and_corruptions():
    assert mc.check_sde(8, 0).passed

    class WrongDrift(limits.LogNormalLaw):  # (d gamma / d) T: forgets the Ito correction -2
        @property
        def mean(self):
            return self.gamma * self.horizon

    class WrongVar(limits.LogNormalLaw):
        @property
        def var(self):
            return 2.0 * self.gamma / self.dim * self.horizon

    assert not mc.check_sde(8, 0, law=WrongDrift).passed
    assert not mc.check_sde(8, 0, law=WrongVar).passed


def test_hurst_claim_and_corruptions():
    assert mc.check_hurst(8, 0).passed
    assert not mc.check_hurst(8, 0, line=lambda a, b, h, act: h).passed  # the naive line beta = H
    assert not mc.check_hurst(8, 0, line=lambda a, b, h, act: 0.5).passed
    for shift in (-0.2, 0.2):  # the right line moved by 0.2
        assert not mc.check_hurst(8, 0, line=lambda a, b, h, act: hurst.critical_beta_finite(a, b, h, act) + shift).passed


# ----------------------------------------------------------------- limits and Hurst formulas


def test_finite_moments_converge_at_rate_one_over_l():
    law = limits.LogNormalLaw(1.0, 8, 1.0)
    biases = []
    for L in (64, 256):
        m, v = limits.finite_log_moments(Model("linear", dim=8), np.full(L, L**-0.5))
        biases.append((L * (m - law.mean), L * (v - law.var)))
    assert biases[0] == pytest.approx(biases[1], rel=0.05)
    with pytest.raises(UsageError):
        limits.finite_log_moments(Model("res1", dim=8), [0.1])


def test_finite_moments_match_the_network():
    """Exact finite-L moments of the res-3/ReLU log ratio against the simulated network (4 se)."""
    model = Model("res3", dim=6)
    lams = np.full(16, 0.25)
    m, v = limits.finite_log_moments(model, lams)
    x = limits.log_ratio_samples(model, lams, 20000, 1)
    lm = LogMoments.of(x)
    assert abs(lm.mean - m) < 4 * lm.stderr
    assert abs(lm.var - v) < 4 * lm.stderr_var


def test_smooth_weights_covariance():
    f = limits.smooth_weights((4000,), np.random.default_rng(0))
    assert f.kernel_error() < 1e-12
    vals = f.value(np.array([0.2, 0.3, 0.6]))
    emp = vals[0] * vals[1]
    kern = math.exp(-0.01 / 0.02)
    assert abs(emp.mean() - kern) < 4 * emp.std() / math.sqrt(4000)
    assert abs(np.mean(vals[2] ** 2) - 1) < 4 * np.std(vals[2] ** 2) / math.sqrt(4000)


def test_relu_kernel_against_quadrature():
    """E relu(X) relu(Y) = int_0^inf x phi(x) E relu(r x + sqrt(1 - r^2) Z) dx, the inner mean in closed form."""
    from scipy import integrate, stats

    for r in (-0.7, 0.0, 0.4, 0.95):
        s = math.sqrt(1 - r * r)

        def inner(x):
            mu = r * x
            return mu * stats.norm.cdf(mu / s) + s * stats.norm.pdf(mu / s)

        quad, _ = integrate.quad(lambda x: x * stats.norm.pdf(x) * inner(x), 0, np.inf, epsabs=1e-13)
        assert float(hurst.relu_kernel(np.array(r))) == pytest.approx(quad, abs=1e-10)
    assert float(hurst.activation_kernel("leaky_relu:1", np.array(0.3))) == pytest.approx(0.3)


def test_first_order_energy_against_monte_carlo():
    """alpha^2 S_H(L) is the energy of alpha sum_k V_k relu(W_k h0): check it by sampling fGn weights."""
    from residual_expansion.models.weights import fgn_paths

    rng = np.random.default_rng(2)
    L, d, n, H = 12, 5, 4000, 0.8
    v = fgn_paths(L, n * d * d, H, rng).reshape(L, n, d, d) / math.sqrt(d)
    w = fgn_paths(L, n * d * d, H, rng).reshape(L, n, d, d) / math.sqrt(d)
    h0 = np.ones(d) / math.sqrt(d)
    s = np.einsum("knij,knj->ni", v, np.maximum(np.einsum("knij,j->knj", w, h0), 0))
    e = np.sum(s * s, axis=-1)
    assert abs(e.mean() - hurst.first_order_sum(L, H)) < 4 * e.std() / math.sqrt(n)


def test_critical_lines():
    assert hurst.critical_beta_asymptotic(0.3) == 0.5 and hurst.critical_beta_asymptotic(0.8) == 0.8
    assert hurst.critical_beta_finite(100, 10_000, 0.5) == pytest.approx(0.5)
    assert abs(hurst.critical_beta_finite(1000, 100_000, 0.8) - 0.8) < abs(hurst.critical_beta_finite(10, 1000, 0.8) - 0.8)
    with pytest.raises(UsageError):
        hurst.critical_beta_asymptotic(1.2)
    with pytest.raises(UsageError):
        hurst.activation_kernel("tanh", np.array(0.1))


# ----------------------------------------------------------------- CLI


def test_cli_gradients_json(capsys):
    assert main(["scaling", "--model", "res3", "--beta", "0.5,1", "--depths", "4,8", "--samples", "6", "--dim", "4",
                 "--gradients", "--cotangent", "random", "--quiet", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    row = doc["results"][0]
    for key in ("mean_log_norm_sq_ratio", "stderr_log_norm_sq_ratio", "var_log_norm_sq_ratio",
                "stderr_var_log_norm_sq_ratio", "mean_norm_sq_ratio", "stderr_norm_sq_ratio"):
        assert key in row and row[key] is not None
    g = row["gradient"]
    assert set(g) >= {"cotangent", "ratio_mean", "ratio_stderr", "diff_ratio_mean", "diff_ratio_stderr",
                      "sq_ratio_mean", "sq_ratio_stderr", "predicted_sq_ratio", "regime"}
    assert g["cotangent"] == "random" and g["predicted_sq_ratio"] == pytest.approx((1 + 0.25 / 2) ** 4)
    assert len(doc["gradient_trends"]) == 2


def test_cli_forward_rows_carry_log_moments(capsys):
    assert main(["scaling", "--model", "linear", "--beta", "0.5", "--depths", "4", "--samples", "5", "--dim", "3",
                 "--init", "iid-gaussian", "--quiet", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)["results"][0]
    assert row["var_log_norm_sq_ratio"] > 0 and "gradient" not in row


def test_cli_hurst_map(capsys, tmp_path):
    png = tmp_path / "h.png"
    assert main(["scaling", "--init", "fbm", "--hurst", "0.3:0.7:2", "--beta", "0.2:1:5", "--depths", "4,16",
                 "--networks", "2", "--inputs", "2", "--dim", "3", "--gradients", "--quiet", "--format", "json",
                 "--heatmap", str(png)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [h["hurst"] for h in doc["hurst"]] == [0.3, 0.7]
    assert all(r["hurst"] in (0.3, 0.7) and "gradient" in r for r in doc["results"])
    assert png.stat().st_size > 0


def test_cli_histogram(tmp_path, capsys):
    png = tmp_path / "hist.png"
    assert main(["scaling", "--beta", "0.5", "--depths", "8", "--samples", "20", "--dim", "4", "--gradients",
                 "--init", "iid-gaussian", "--quiet", "--histogram", str(png)]) == 0
    assert png.stat().st_size > 0


@pytest.mark.parametrize("argv", [
    ["scaling", "--init", "fbm", "--quiet"],
    ["scaling", "--hurst", "0.2,0.4", "--quiet"],
    ["scaling", "--histogram", "x.png", "--quiet"],
    ["scaling", "--heatmap", "x.png", "--quiet"],
    ["scaling", "--activation", "leaky_relu:abc", "--quiet"],
    ["scaling", "--beta", "0:1:0", "--quiet"],
    ["scaling", "--gradients", "--route", "gaussian-radial", "--init", "iid-gaussian", "--quiet"],
])
def test_cli_bad_input_one_line(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse rejects it
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0]


def test_cli_ode_and_gradient_plot(tmp_path, capsys):
    png = tmp_path / "ode.png"
    assert main(["scaling", "--ode", "--activation", "tanh", "--samples", "2", "--dim", "3", "--depths", "8,16,32",
                 "--quiet", "--format", "json", "--plot", str(png)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["depths"] == [8, 16, 32] and all(-1.3 < s < -0.7 for s in doc["slopes"][1:])
    assert png.stat().st_size > 0
    assert main(["scaling", "--ode", "--activation", "relu", "--quiet"]) == 2
    png2 = tmp_path / "g.png"
    assert main(["scaling", "--beta", "0.5,1", "--depths", "4,8", "--samples", "4", "--dim", "3", "--gradients",
                 "--quiet", "--plot", str(png2)]) == 0
    assert png2.stat().st_size > 0


@pytest.mark.parametrize("kind,act_name", [("linear", "identity"), ("res1", "tanh"), ("res2", "leaky_relu:0.2"),
                                           ("res3", "relu"), ("res3", "tanh")])
def test_reverse_mode_matches_the_module_protocol_vjp(kind, act_name):
    """Independent route: the same stack assembled from the model world's Modules (models.families,
    batched weights), backpropagated with their ``vjp`` one layer at a time."""
    from residual_expansion.models import families
    from residual_expansion.models.activations import activation

    rng = np.random.default_rng(11)
    c, m, d, L = 5, 2, 4, 6
    nmat = 2 if kind == "res3" else 1
    w = rng.standard_normal((L, nmat, c, d, d)) / math.sqrt(d)
    lams = np.array([[0.7] * L, [0.2] * L])
    h0 = rng.standard_normal((c, d))
    pl = rng.standard_normal((c, m, d))
    hl, _, p0 = grad.forward_backward(kind, grad.pointwise(act_name), lams, h0,
                                      lambda k: [w[k, i] for i in range(nmat)], lambda h: pl)

    phi = activation(act_name)

    def module(k):
        mats = [w[k, i] for i in range(nmat)]  # (c, d, d): states (c, m, d) are c batches of m rows
        if kind == "linear":
            return families.linear(mats[0])
        if kind == "res1":
            return families.res1(mats[0], phi)
        if kind == "res2":
            return families.Perceptron(d, phi, None, mats[0])
        return families.res3(mats[0], mats[1], phi)

    states = [np.repeat(h0[:, None, :], m, axis=1)]
    for k in range(L):
        states.append(states[-1] + lams[:, k][None, :, None] * module(k).value(states[-1]))
    p = pl.copy()
    for k in range(L - 1, -1, -1):
        p = p + lams[:, k][None, :, None] * module(k).vjp(states[k], p)
    assert np.allclose(hl, states[-1], rtol=1e-12, atol=1e-12)
    assert np.allclose(p0, p, rtol=1e-12, atol=1e-12)
