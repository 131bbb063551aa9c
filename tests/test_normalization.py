"""Normalization layers, normalization-free schemes, per-order energies, lesions and capacity.

Every claim passes with its real formula and FAILs with a corrupted one; the modules' Taylor
series, vector-Jacobian products and derivatives agree with each other and with plain evaluation.
"""

import json
import math

import numpy as np
import pytest

from residual_expansion.cli import main
from residual_expansion.claims import normalization_claims as nc
from residual_expansion.errors import UsageError
from residual_expansion.models.activations import activation
from residual_expansion.models.families import derivative_from_taylor
from residual_expansion.models.normalization import (
    PostNorm, PreNorm, norm_taylor, norm_value, norm_vjp,
)
from residual_expansion.scaling import capacity as cap
from residual_expansion.scaling import lesion as les
from residual_expansion.scaling import normalized as nz
from residual_expansion.scaling import orders as od
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import Model
from residual_expansion.scaling.schedules import power


class Res3:
    """g(x) = V tanh(W x), a Module of the protocol, for the tests."""

    def __init__(self, d, seed):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((d, d)) / math.sqrt(d)
        self.V = rng.standard_normal((d, d)) / math.sqrt(d)
        self.act = activation("tanh")
        self.dim, self.degree = d, None

    def value(self, x):
        return np.tanh(x @ self.W.T) @ self.V.T

    def taylor(self, series):
        return self.act.series(series @ self.W.T) @ self.V.T

    def vjp(self, x, u):
        z = self.W @ x
        return self.W.T @ ((1 - np.tanh(z) ** 2) * (self.V.T @ u))

    def derivative(self, x, vectors):
        return derivative_from_taylor(self, x, vectors)


# --------------------------------------------------------------------------- modules


@pytest.mark.parametrize("kind", ["rms", "ln"])
def test_norm_taylor_sums_to_the_value(kind):
    rng = np.random.default_rng(0)
    x, v, w = rng.standard_normal((3, 5))
    K, lam = 6, 1e-3
    series = np.zeros((K, 5))
    series[0], series[1], series[2] = x, v, w
    N = norm_taylor(series, kind)
    approx = sum(lam**k * N[k] for k in range(K))
    exact = norm_value(x + lam * v + lam**2 * w, kind)
    assert np.max(np.abs(approx - exact)) < 1e-14
    assert abs(np.sum(norm_value(x, kind) ** 2) - 5) < 1e-12


@pytest.mark.parametrize("kind", ["rms", "ln"])
def test_prenorm_vjp_is_the_transpose_of_the_taylor_derivative(kind):
    rng = np.random.default_rng(1)
    mod = PreNorm(Res3(4, 2), kind)
    x, v, u = rng.standard_normal((3, 4))
    jv = mod.derivative(x, [v])  # from Taylor mode
    assert abs(u @ jv - mod.vjp(x, u) @ v) < 1e-12
    h = 1e-6
    fd = (mod.value(x + h * v) - mod.value(x - h * v)) / (2 * h)
    assert np.max(np.abs(fd - jv)) < 1e-8


def test_prenorm_second_derivative_is_symmetric_and_matches_differences():
    rng = np.random.default_rng(3)
    mod = PreNorm(Res3(3, 4), "rms")
    x, a, b = rng.standard_normal((3, 3))
    dab, dba = mod.derivative(x, [a, b]), mod.derivative(x, [b, a])
    assert np.max(np.abs(dab - dba)) < 1e-12
    h = 1e-4
    fd = (mod.derivative(x + h * b, [a]) - mod.derivative(x - h * b, [a])) / (2 * h)
    assert np.max(np.abs(fd - dab)) < 1e-6


def test_postnorm_taylor_vjp_and_norm():
    rng = np.random.default_rng(5)
    step = PostNorm(Res3(4, 6), "ln")
    x, u, v = rng.standard_normal((3, 4))
    lam = 0.3
    y = step.step(x, lam)
    assert abs(np.sum(y**2) - 4) < 1e-12
    h = 1e-6
    fd = (step.step(x + h * v, lam) - step.step(x - h * v, lam)) / (2 * h)
    assert abs(u @ fd - step.vjp(x, lam, u) @ v) < 1e-8
    series = np.zeros((6, 4))
    series[0] = x
    T = step.taylor(series)
    small = 1e-3
    assert np.max(np.abs(sum(small**k * T[k] for k in range(6)) - step.step(x, small))) < 1e-14


def test_norm_rejects_zero():
    with pytest.raises(UsageError, match="x must not be 0"):
        norm_value(np.ones(3), "ln")
    with pytest.raises(UsageError, match="kind must be"):
        norm_vjp(np.ones(3), np.ones(3), "batch")


# --------------------------------------------------------------------------- exact identities


def test_post_rms_homogeneous_equals_one_final_norm_and_tanh_does_not():
    runs = {}
    for act in ("relu", "tanh"):
        (r,) = nz.simulate_normalized(Model("res3", act, dim=6, input_dim=6), Init("iid-gaussian"),
                                       nz.parse_norm("post-rms"), [power(0.0)], 5, 20, 0)
        runs[act] = r
    assert runs["relu"].homogeneity_residual < 1e-13
    assert runs["tanh"].homogeneity_residual is None


def test_lesion_fraction_formulas():
    m = Model("linear", dim=4)
    assert les.predicted_fraction(m, nz.Norm(None), False, 0.5, 3) == pytest.approx(1 - 1.25**-3)
    assert les.predicted_fraction(Model("linear", s=2.0), nz.Norm(None), True, 0.5, 2) == pytest.approx(1 + 1 / 16)
    assert les.predicted_fraction(Model("res3"), nz.Norm(None), False, 0.5, 2) is None


def test_flow_bound_of_identity_modules_is_exponential():
    y = od.flow_bound([2.0, 1.0], 5)
    assert np.allclose(y[1:], [2.0 / math.factorial(k) for k in range(1, 6)])


# --------------------------------------------------------------------------- claims fail on corrupted formulas


def test_norm_energy_fails_without_the_width_factor():
    assert nc.check_norm_energy(4, 0).passed
    bad = nc.check_norm_energy(4, 0, increment=lambda kind, act, s, d, lams: nz.pre_norm_increment(kind, act, s, d, lams) / d)
    assert bad.status == "FAIL"


def test_norm_energy_fails_with_the_multiplicative_law():
    def multiplicative(kind, act, s, d, lams):
        kappa = nz.branch_kappa(kind, act, s)
        return float(np.prod(1 + kappa * np.asarray(lams) ** 2) - 1) * d

    assert nc.check_norm_energy(4, 0, increment=multiplicative).status == "FAIL"


def test_norm_free_fails_when_the_rescaling_is_removed():
    assert nc.check_norm_free(4, 0).passed
    assert nc.check_norm_free(4, 0, alpha=lambda L: 1.0).status == "FAIL"
    assert nc.check_norm_free(4, 0, fixup=lambda L, m: 1.0).status == "FAIL"


def test_order_energy_fails_with_a_too_small_bound():
    assert nc.check_order_energy(4, 0).passed
    shrunk = lambda D, K: od.flow_bound(D, K) * 0.5 ** np.arange(K + 1)
    assert nc.check_order_energy(4, 0, bound=shrunk).status == "FAIL"


def test_lesion_fails_with_a_wrong_fraction():
    assert nc.check_lesion(4, 0).passed

    def no_square(model, norm, plain, lam, K):
        return 1.0 if plain else 1 - (1 + lam) ** (-K)

    assert nc.check_lesion(4, 0, fraction=no_square).status == "FAIL"


def test_complexity_fails_without_the_relu_half():
    assert nc.check_complexity(4, 0).passed

    def no_half(model, lams, K):
        return cap.predicted_jacobian(Model("linear", s=model.s), lams, K)

    assert nc.check_complexity(4, 0, spectrum=no_half).status == "FAIL"


# --------------------------------------------------------------------------- CLI


def test_scaling_norm_json(capsys):
    code = main(["scaling", "--model", "res3", "--norm", "pre-rms", "--init", "iid-gaussian", "--beta", "0",
                 "--depths", "4,16", "--samples", "200", "--dim", "8", "--format", "json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    row = doc["results"][1]
    assert row["norm"] == "pre-rms" and row["depth"] == 16
    z = (row["mean_norm_sq_ratio"] - row["predicted_norm_sq_ratio"]) / row["stderr_norm_sq_ratio"]
    assert abs(z) < 4
    assert row["unnormalized"]["predicted_norm_sq_ratio"] == pytest.approx(1.5**16)


def test_scaling_norm_text_has_both_columns(capsys):
    assert main(["scaling", "--model", "linear", "--norm", "post-ln", "--beta", "0.5", "--depths", "4",
                 "--samples", "50", "--dim", "6"]) == 0
    out = capsys.readouterr().out
    assert "post-ln: mean ||h_L||^2/||h_0||^2" in out and "none: predicted" in out


def test_lesion_json_fields(capsys):
    assert main(["lesion", "--model", "linear", "--depth", "6", "--delete", "1,3", "--samples", "300",
                 "--dim", "8", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    first = doc["results"][0]
    assert set(first) >= {"deleted", "change_energy_fraction", "stderr_change_energy_fraction",
                          "predicted_change_energy_fraction"}
    assert first["predicted_change_energy_fraction"] == pytest.approx(1 - (1 + 1 / 6) ** -1)


@pytest.mark.parametrize("argv, needle", [
    (["lesion", "--depth", "3", "--delete", "5"], "deletes 5 is outside 0..depth (3)"),
    (["lesion", "--depth", "3", "--delete", "1", "--plain", "--norm", "pre-rms"], "plain stacks"),
    (["scaling", "--norm", "pre-rms", "--init", "smooth", "--depths", "4", "--samples", "4"], "i.i.d. laws"),
    (["scaling", "--model", "linear", "--norm", "pre-rms", "--orders", "2", "--depths", "4"], "does not combine"),
])
def test_bad_input_is_one_line_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_scaling_orders_res3_json(capsys):
    assert main(["scaling", "--model", "res3", "--activation", "tanh", "--orders", "3", "--beta", "1,0",
                 "--depths", "4,16", "--samples", "40", "--dim", "6", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by = {(r["schedule"], r["depth"]): r for r in doc["results"]}
    # lambda = 1: the order-1 energy grows with depth; lambda = 1/n: it shrinks
    assert by[("beta=0", 16)]["orders"][0]["mean"] > by[("beta=0", 4)]["orders"][0]["mean"]
    assert by[("beta=1", 16)]["orders"][0]["mean"] < by[("beta=1", 4)]["orders"][0]["mean"]
    rem = [o["remainder"] for o in by[("beta=1", 16)]["orders"]]
    assert rem == sorted(rem, reverse=True)


def test_scaling_fixup_is_depth_independent_and_unscaled_grows(capsys):
    assert main(["scaling", "--model", "res3", "--scheme", "fixup", "--beta", "0", "--depths", "4,16",
                 "--samples", "200", "--dim", "6", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    for r in rows:
        assert abs(r["mean_ntk_trace"] - 0.5) < 4 * r["stderr_ntk_trace"]
        assert abs(r["unscaled_mean_ntk_trace"] - r["depth"] / 2) < 4 * r["unscaled_stderr_ntk_trace"]


def test_scaling_skipinit_folds_the_multiplier_into_the_schedule(capsys):
    assert main(["scaling", "--model", "res3", "--scheme", "skipinit", "--beta", "0", "--depths", "8",
                 "--samples", "50", "--dim", "6", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["results"]
    assert row["beta"] == 0.5


def test_tied_orders_are_depth_free_at_c_over_n(capsys):
    assert main(["scaling", "--model", "res3", "--activation", "tanh", "--orders", "2", "--tied", "--beta", "1",
                 "--c", "0.5", "--depths", "8,64", "--samples", "100", "--dim", "8", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    a, b = (r["orders"][0] for r in doc["results"])
    assert doc["tied"] and abs(a["mean"] - b["mean"]) < 4 * math.hypot(a["stderr"], b["stderr"])


def test_tied_needs_orders():
    assert main(["scaling", "--model", "res3", "--tied", "--depths", "4", "--samples", "4"]) == 2


@pytest.mark.parametrize("kind", ["rms", "ln"])
def test_norm_jacobian_matches_the_module_vjp(kind):
    rng = np.random.default_rng(8)
    h, u = rng.standard_normal((2, 5))
    J = cap.norm_jacobian(h[None], kind)[0]
    assert np.max(np.abs(J.T @ u - norm_vjp(h, u, kind))) < 1e-13


def test_scaling_capacity_json_matches_prediction(capsys):
    assert main(["scaling", "--model", "linear", "--capacity", "--beta", "0.5", "--depths", "4,16",
                 "--samples", "400", "--dim", "6", "--orders", "2", "--format", "json"]) == 0
    for r in json.loads(capsys.readouterr().out)["results"]:
        assert abs(r["mean_jacobian_energy"] - r["predicted_jacobian_energy"]) < 4 * r["stderr_jacobian_energy"]
        assert [o["k"] for o in r["orders"]] == [0, 1, 2]


@pytest.mark.parametrize("kind,norm", [("linear", None), ("res3", None), ("linear", "pre-rms"), ("res3", "post-ln")])
def test_capacity_numbers_do_not_depend_on_the_chunk(kind, norm, monkeypatch):
    """Each sample draws from its own stream: chunks of 1 sample, of 7, and one chunk give the same numbers."""
    model = Model(kind, "relu", dim=5, input_dim=3)
    args = (model, Init("iid-uniform"), [power(0.5), power(1.0)], 6, 3, 23, 4, None if norm is None else nz.parse_norm(norm))
    whole = cap.simulate_capacity(*args)
    placement = None if norm is None else norm.split("-")[0]
    per_sample = cap.chunk_bytes_per_sample(model, 2, 3 if norm is None else None, placement)
    for budget, per in ((cap.DRAW_BUDGET + 1, 1), (cap.DRAW_BUDGET + 7 * per_sample, 7)):
        monkeypatch.setattr(cap, "LAYER_BUDGET", budget)
        assert cap.chunk_samples(model, 2, 3 if norm is None else None, placement, 23) == per
        assert cap.simulate_capacity(*args) == whole


@pytest.mark.parametrize("schedules,orders,placement,blocks", [
    (1, 3, None, 5 + 4 + 2 + 1),   # J and T (K + 2), T * T (K + 1), branch Jacobians (m + 1), vectors (1)
    (3, 0, None, 6 + 6 + 4 + 1),   # K = 0: J and T (2 m); J_i J and its copy (2 m) beat T * T (m)
    (2, 4, None, 12 + 10 + 3 + 1),
    (3, None, None, 3 + 6 + 4 + 1),  # no split: J (m), J_i J and its copy (2 m)
    (2, None, "pre", 2 + 10 + 3 + 1),  # a normalization: 5 m at the peak
    (1, None, "post", 1 + 5 + 2 + 1),
])
def test_capacity_chunk_bytes_count_the_documented_blocks(schedules, orders, placement, blocks):
    """chunk_bytes_per_sample counts the d x d blocks its docstring lists, per schedule and order, plus the
    drawn weights (layer_draw_bytes); the tracemalloc test below checks that the count covers the real peak."""
    from residual_expansion.scaling.montecarlo import layer_draw_bytes

    model = Model("res3", "relu", dim=6)
    assert cap.chunk_bytes_per_sample(model, schedules, orders, placement) == 8 * 36 * blocks + layer_draw_bytes(model)


@pytest.mark.parametrize("kind,schedules,orders,norm", [
    ("linear", 1, 0, None), ("linear", 3, 4, None), ("res3", 1, 4, None), ("res3", 3, 2, None),
    ("linear", 3, 2, "pre-rms"), ("res3", 2, 2, "post-ln"),
])
def test_capacity_chunks_stay_within_the_layer_budget(kind, schedules, orders, norm, monkeypatch):
    """The peak memory of a run of three chunks (tracemalloc, which sees numpy's arrays) is at most
    capacity.LAYER_BUDGET and at least 25% of it: chunk_bytes_per_sample counts every array a chunk holds
    at once (J, the order split T, their updates, the weights drawn), without counting them twice over."""
    import tracemalloc

    monkeypatch.setattr(cap, "LAYER_BUDGET", 8 * 2**20)
    model = Model(kind, "relu", dim=24, input_dim=24)
    placement = None if norm is None else norm.split("-")[0]
    split = norm is None
    per = cap.chunk_samples(model, schedules, orders if split else None, placement, 10**9)
    scheds = [power(0.5 + 0.25 * i) for i in range(schedules)]
    tracemalloc.start()
    try:
        cap.simulate_capacity(model, Init("iid-gaussian"), scheds, 3, orders, 2 * per + 5, 0,
                              None if norm is None else nz.parse_norm(norm))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.25 * cap.LAYER_BUDGET <= peak <= cap.LAYER_BUDGET, (per, peak / cap.LAYER_BUDGET)


@pytest.mark.parametrize("tied", [False, True])
def test_taylor_sample_numbers_do_not_depend_on_the_chunk(tied, monkeypatch):
    """Each sample draws from its own stream: chunks of one sample give the coefficients, bounds and forward
    passes of one chunk."""
    args = (Model("res3", "tanh", dim=5, input_dim=3), Init("iid-gaussian"), 6, 3, 9, 2, tied)
    whole = od.taylor_sample(*args)
    monkeypatch.setattr(od, "LAYER_BUDGET", od.DRAW_BUDGET + 1)
    assert od.chunk_samples(args[0], 3, 9) == 1
    part = od.taylor_sample(*args)
    assert np.array_equal(part.coefficients, whole.coefficients) and np.array_equal(part.bounds, whole.bounds)
    assert np.array_equal(od.forward(part, 0.3), od.forward(whole, 0.3))


def test_taylor_sample_memory_does_not_grow_with_depth():
    """The stacks are not kept (forward draws them again): the peak memory (tracemalloc) of 64 layers is
    within 1.5 times that of 8; keeping every layer's weights took 8 times as much."""
    import tracemalloc

    def peak(depth):
        tracemalloc.start()
        try:
            ts = od.taylor_sample(Model("res3", "tanh", dim=16, input_dim=16), Init("iid-uniform"), depth, 2, 200, 0)
            od.order_profile(ts, 1.0 / depth, "c/n")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert peak(64) <= 1.5 * peak(8)


def test_forward_is_the_taylor_series_for_linear_stacks():
    """Linear stacks are polynomials of degree n in lambda: with K = n the series is the forward pass."""
    ts = od.taylor_sample(Model("linear", dim=4, input_dim=4), Init("iid-gaussian"), 3, 3, 20, 5)
    series = sum(0.7**k * ts.coefficients[k] for k in range(4))
    assert np.max(np.abs(od.forward(ts, 0.7) - series)) < 1e-12


@pytest.mark.parametrize("norm,law,route", [("pre-rms", "iid-gaussian", "gaussian-vector"), ("pre-ln", "iid-uniform", "materialised"),
                                            ("post-rms", "iid-gaussian", "materialised")])
def test_normalized_numbers_do_not_depend_on_the_chunk(norm, law, route, monkeypatch):
    """Each sample draws from its own stream: chunks of one sample give the numbers of one chunk (the post-RMS
    homogeneity residual included)."""
    args = (Model("res3", "relu", dim=5, input_dim=3), Init(law), nz.parse_norm(norm), [power(0.0), power(1.0)], 6, 9, 2,
            route)
    whole = nz.simulate_normalized(*args)
    monkeypatch.setattr(nz, "LAYER_BUDGET", nz.DRAW_BUDGET + 1)
    assert nz.chunk_samples(args[0], 2, 9) == 1
    assert nz.simulate_normalized(*args) == whole


def test_fixup_trace_does_not_depend_on_the_chunk_and_stays_within_the_budget(monkeypatch):
    """Fixup's reverse pass keeps each sample's forward pass: chunks of one sample give the numbers of one
    chunk, and with an 8 MiB budget the peak memory (tracemalloc) of three chunks stays within it."""
    import tracemalloc

    model = Model("res3", "relu", dim=24, input_dim=24)
    whole = nz.fixup_ntk_trace(Model("res3", "relu", dim=5, input_dim=3), Init("iid-uniform"), 7, 9, 4, 0.5)
    monkeypatch.setattr(nz, "LAYER_BUDGET", nz.DRAW_BUDGET + 1)
    assert nz.fixup_ntk_trace(Model("res3", "relu", dim=5, input_dim=3), Init("iid-uniform"), 7, 9, 4, 0.5) == whole
    monkeypatch.setattr(nz, "LAYER_BUDGET", 8 * 2**20)
    per = nz.fixup_chunk_samples(model, 32, 10**9)
    tracemalloc.start()
    try:
        nz.fixup_ntk_trace(model, Init("iid-gaussian"), 32, 2 * per + 5, 0, 32**-0.5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.25 * nz.LAYER_BUDGET <= peak <= nz.LAYER_BUDGET, (per, peak / nz.LAYER_BUDGET)


def test_normalized_chunks_stay_within_the_layer_budget(monkeypatch):
    """The peak memory (tracemalloc) of a normalized run of three chunks is within LAYER_BUDGET."""
    import tracemalloc

    monkeypatch.setattr(nz, "LAYER_BUDGET", 8 * 2**20)
    model = Model("res3", "relu", dim=24, input_dim=24)
    per = nz.chunk_samples(model, 3, 10**9)
    tracemalloc.start()
    try:
        nz.simulate_normalized(model, Init("iid-uniform"), nz.parse_norm("post-rms"),
                               [power(0.0), power(0.5), power(1.0)], 3, 2 * per + 5, 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.25 * nz.LAYER_BUDGET <= peak <= nz.LAYER_BUDGET, (per, peak / nz.LAYER_BUDGET)


def test_scaling_capacity_with_norm_has_no_prediction(capsys):
    assert main(["scaling", "--model", "res3", "--capacity", "--norm", "post-ln", "--beta", "0", "--depths", "4",
                 "--samples", "50", "--dim", "6", "--format", "json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)["results"]
    assert r["predicted_jacobian_energy"] is None and r["orders"] is None and r["mean_jacobian_energy"] > 0


def test_lesion_explosion_is_a_result_not_an_error(capsys):
    assert main(["lesion", "--model", "linear", "--depth", "20", "--beta", "0", "--c", "1e100", "--delete", "1",
                 "--samples", "10", "--dim", "4", "--format", "json"]) == 0
    out = capsys.readouterr().out
    (r,) = json.loads(out)["results"]
    assert r["explodes"] and r["change_energy_fraction"] is None and "NaN" not in out and "Infinity" not in out


@pytest.mark.parametrize("extra", [["--norm", "pre-rms"], ["--capacity"], ["--activation", "tanh", "--orders", "2"]])
def test_overflow_never_reaches_json_as_nan_or_infinity(extra, capsys):
    assert main(["scaling", "--model", "res3", "--beta", "0", "--c", "1e300", "--depths", "10", "--samples", "4",
                 "--dim", "3", "--format", "json", *extra]) == 0
    out = capsys.readouterr().out
    json.loads(out)
    assert "NaN" not in out and "Infinity" not in out


# --------------------------------------------------------------------------- crosscheck --norm


def test_crosscheck_prenormalized_stack_passes_and_differs_from_plain():
    from residual_expansion.numeric.crosscheck import crosscheck, prenormalized
    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric.taylor import taylor_coefficients

    r = crosscheck(5, 3, "res3", activation="tanh", dim=6, norm="pre-ln")
    assert r.passed and r.module == "res3+pre-ln"
    plain = make_stack("res3", 5, 6, activation_name="tanh", seed=0)
    normed = prenormalized(plain, "pre-rms")
    assert np.max(np.abs(taylor_coefficients(plain, 2)[1] - taylor_coefficients(normed, 2)[1])) > 1e-3


def test_crosscheck_prenormalized_fails_on_a_missing_tree():
    from residual_expansion.numeric.crosscheck import crosscheck, expansion_terms

    def drop_last(n, k, p=None):
        terms = expansion_terms(n, k, p)
        return terms[:-1]

    assert not crosscheck(5, 3, "res3", activation="tanh", dim=6, norm="pre-rms", terms_of=drop_last).passed


@pytest.mark.parametrize("argv, needle", [
    (["crosscheck", "--depth", "3", "--module", "res3", "--activation", "relu", "--norm", "pre-rms"], "piecewise"),
    (["crosscheck", "--depth", "3", "--module", "mlp", "--norm", "post-ln"], "invalid choice"),
])
def test_crosscheck_norm_bad_input(argv, needle, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse rejects the choice itself
        code = exc.code
    assert code == 2
    assert needle in capsys.readouterr().err


def test_normalized_branch_is_the_family_module(monkeypatch):
    """normalized.branch (used by the normalized, lesion routes) is models.families.from_weights(...).value:
    the branch formula written out agrees, and a corrupted family changes it."""
    from residual_expansion.models import families

    rng = np.random.default_rng(4)
    w, v = rng.standard_normal((2, 3, 4, 4))
    u = rng.standard_normal((3, 2, 4))
    act = nz.activation_fn("tanh")
    explicit = np.einsum("cij,cmj->cmi", v, np.tanh(np.einsum("cij,cmj->cmi", w, u)))
    assert np.allclose(nz.branch("res3", act, [w, v], u), explicit, rtol=1e-14, atol=1e-14)
    monkeypatch.setattr(nz, "from_weights", lambda kind, mats, phi: families.from_weights(kind, mats[::-1], phi))
    assert not np.allclose(nz.branch("res3", act, [w, v], u), explicit)
    with pytest.raises(UsageError, match="allowed: relu, tanh, identity"):
        nz.activation_fn("gelu")
