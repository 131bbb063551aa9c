"""Path sums by the layer recurrence (issue 14): against enumeration, and corrupted routes FAIL."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from residual_expansion.claims.numeric_claims import check_linear, check_piecewise_linear
from residual_expansion.errors import UsageError
from residual_expansion.models.families import make_stack
from residual_expansion.numeric import path_sums as ps
from residual_expansion.numeric.path_sums import (
    PathSums,
    check_enumeration,
    path_sums,
    path_term,
    sample_paths,
    stack_path_sums,
)
from residual_expansion.numeric.taylor import chain_terms, closed_form, truncation


def enumerated(values, jacobians, K):
    """T_k by brute force: every path's product, summed by order."""
    n, d = values.shape
    out = np.zeros((K + 1, d))
    for k in range(1, K + 1):
        for path in itertools.combinations(range(n), k):
            v = values[path[0]]
            for s in path[1:]:
                v = jacobians[s] @ v
            out[k] += v
    return out


@pytest.mark.parametrize("n,d,K", [(1, 3, 1), (3, 2, 3), (6, 4, 6), (7, 3, 4)])
def test_recurrence_equals_enumeration(n, d, K):
    rng = np.random.default_rng(n * 100 + d)
    v, J = rng.normal(size=(n, d)), rng.normal(size=(n, d, d))
    got = path_sums(np.zeros(d), v, J, order=K)
    want = enumerated(v, J, K)
    assert np.allclose(got.coefficients[1:], want[1:], rtol=1e-12, atol=1e-12)
    assert np.allclose(got.magnitudes[1:], enumerated(np.abs(v), np.abs(J), K)[1:], rtol=1e-12)
    assert got.paths == sum(len(list(itertools.combinations(range(n), k))) for k in range(1, K + 1))


def test_recurrence_with_integer_matrices_is_exact():
    rng = np.random.default_rng(3)
    v, J = rng.integers(-2, 3, size=(8, 3)).astype(float), rng.integers(-1, 2, size=(8, 3, 3)).astype(float)
    assert np.array_equal(path_sums(np.zeros(3), v, J).coefficients[1:], enumerated(v, J, 8)[1:])


def test_path_term_is_one_product():
    rng = np.random.default_rng(5)
    v, J = rng.normal(size=(5, 3)), rng.normal(size=(5, 5, 3, 3))[0]
    assert np.allclose(path_term(v, J, (2, 4, 5)), J[4] @ (J[3] @ v[1]))
    assert np.allclose(path_term(v, J, (3,)), v[2])
    with pytest.raises(UsageError, match="path must be increasing"):
        path_term(v, J, (4, 2))


def test_linear_stack_sums_are_the_forward_pass():
    s = make_stack("linear", depth=10, dim=4, seed=2)
    sums = stack_path_sums(s)
    for lam in (0.5, 1.0, 2.0):
        assert np.allclose(truncation(sums.coefficients, lam), s.forward(lam), rtol=1e-12)


def test_samples_are_distinct_uniform_and_seeded():
    a = sample_paths(30, 200, 7)
    assert len(set(a)) == 200 and a == sample_paths(30, 200, 7) and a != sample_paths(30, 200, 8)
    assert all(1 <= p[0] and p[-1] <= 30 and list(p) == sorted(set(p)) for p in a)
    lengths = np.array([len(p) for p in a])
    assert abs(lengths.mean() - 15) < 4 * np.sqrt(30 / 4 / 200)  # Binomial(30, 1/2) lengths, z = 4
    assert sample_paths(3, 100, 0) == tuple(t.tree and tuple(int(c) for c in _labels(t)) for t in chain_terms(3))


def _labels(term):
    out, node = [], term.tree
    while True:
        out.append(node.label)
        if not node.children:
            return tuple(reversed(out))
        node = node.children[0]


def test_bad_shapes_and_orders():
    with pytest.raises(UsageError, match="values must have shape"):
        path_sums(np.zeros(2), np.zeros((3, 2)), np.zeros((3, 3, 3)))
    with pytest.raises(UsageError, match="order must be in 1..3"):
        path_sums(np.zeros(2), np.zeros((3, 2)), np.zeros((3, 2, 2)), order=4)
    with pytest.raises(UsageError, match="depth and count must be positive"):
        sample_paths(0, 3, 0)


# ---------------------------------------------------------------- the claims on the recurrence


def _wrong_recurrence(stack):
    """The recurrence reading V_{k-1}(r) instead of V_{k-1}(r-1): paths may repeat a layer."""
    v, J, av, aJ = ps.stack_jacobians(stack)
    n, d = v.shape
    V = np.zeros((n + 1, d))
    for r in range(n):
        V[1] += v[r]
        V[2:] += V[1:n] @ J[r].T
    good = stack_path_sums(stack)
    return PathSums(np.vstack([stack.x, V[1:]]), good.magnitudes, good.paths)


def _last_layer_dropped(stack):
    v, J, av, aJ = ps.stack_jacobians(stack)
    good = stack_path_sums(stack)
    short = path_sums(stack.x, v[:-1], J[:-1], av[:-1], aJ[:-1])
    coef = np.zeros_like(good.coefficients)
    coef[: short.coefficients.shape[0]] = short.coefficients
    return PathSums(coef, good.magnitudes, good.paths)


def _one_order_scaled(stack):
    good = stack_path_sums(stack)
    coef = good.coefficients.copy()
    coef[3] *= 1.01
    return PathSums(coef, good.magnitudes, good.paths)


@pytest.mark.parametrize("bad", [_wrong_recurrence, _last_layer_dropped, _one_order_scaled])
@pytest.mark.parametrize("depth", [8, 24])  # 24: MAX_PATH_DEPTH, the largest depth the claims check
def test_claims_fail_on_a_wrong_recurrence(bad, depth):
    assert check_linear(depth, 4, 0, sums_of=bad).status == "FAIL"
    assert check_piecewise_linear(depth, 4, 0, sums_of=bad).status == "FAIL"


def _repeating_recurrence(values, jacobians, K):
    """The recurrence reading the updated V_{k-1}(r): paths may use one layer twice."""
    n, d = values.shape
    V = np.zeros((K + 1, d))
    for r in range(n):
        V[1] += values[r]
        if K >= 2:
            V[2:] += V[1:K] @ jacobians[r].T
    return V


def test_enumeration_route_catches_a_wrong_recurrence_alone(monkeypatch):
    """Even with the forward-pass comparison set aside, the enumerated paths disagree:
    at depth 8 every path (the sums compared), at depth 20 a sample (the recurrence compared)."""
    small = make_stack("linear", 8, 16, seed=0)
    assert check_enumeration(small, stack_path_sums(small), 0).passed
    assert not check_enumeration(small, _one_order_scaled(small), 0).passed
    assert not check_enumeration(small, _wrong_recurrence(small), 0).passed
    large = make_stack("linear", 20, 16, seed=0)
    assert check_enumeration(large, stack_path_sums(large), 0).passed
    monkeypatch.setattr(ps, "_recurrence", _repeating_recurrence)
    assert not check_enumeration(large, stack_path_sums(large), 0).passed


def test_claims_pass_at_depth_24_with_a_sample_in_the_evidence():
    lin = check_linear(24, 4, 3)
    assert lin.status == "PASS" and lin.evidence["linear_enumerated"] == "256 paths sampled uniformly, seed 3"
    pl = check_piecewise_linear(24, 4, 3)
    assert pl.status == "PASS" and pl.evidence["paths"] == 2**24 - 1


def test_enumeration_at_small_depth_covers_every_path():
    stack = make_stack("affine", 5, 4, seed=1)
    enum = check_enumeration(stack, stack_path_sums(stack), 0)
    assert enum.mode == "all" and enum.paths == 31 and enum.passed
    cf = closed_form(stack, chain_terms(5), 5)
    assert np.allclose(cf.coefficients, stack_path_sums(stack).coefficients)
