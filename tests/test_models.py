"""The Module protocol of the families, batched weights, activations by name, and degree pruning.

References: docs/theory.md#residual-stacks (modules), docs/theory.md#degree-pruning and
proofs/residual-expansion.md (g^(m) = 0 for m > p keeps trees with <= p children).
"""

import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.errors import UsageError
from residual_expansion.models.activations import activation
from residual_expansion.models.families import (
    FAMILIES, WEIGHT_MATRICES, Perceptron, ResidualStack, derivative_from_taylor, from_weights, make_stack, mlp,
    res3,
)
from residual_expansion.models.protocol import Module
from residual_expansion.numeric.taylor import taylor_coefficients
from residual_expansion.theorem.composition import instance_taylor_coefficients
from residual_expansion.theorem.differentials import closed_form_instance
from residual_expansion.theorem.expansion import expand
from residual_expansion.theorem.instances import random_point, random_polymap
from residual_expansion.theorem.trees import count_labeled_trees, labeled_trees


@pytest.mark.parametrize("family", FAMILIES)
def test_families_are_modules(family):
    s = make_stack(family, 2, 3, seed=1)
    assert all(isinstance(m, Module) for m in s.modules)
    assert s.degree == (1 if family in ("linear", "affine") else None)


def test_batched_weights_match_a_loop_over_samples():
    # Per-sample weights (c, d, d) act on states (c, m, d): sample i uses its own W_i, V_i.
    rng = np.random.default_rng(0)
    c, m, d = 3, 2, 4
    w, v = rng.standard_normal((2, c, d, d))
    h = rng.standard_normal((c, m, d))
    batched = res3(w, v, activation("tanh"))
    out = batched.value(h)
    series = rng.standard_normal((3, c, m, d))
    taylor = batched.taylor(series)
    u = rng.standard_normal((c, m, d))
    vjp = batched.vjp(h, u)
    for i in range(c):
        single = res3(w[i], v[i], activation("tanh"))
        assert np.allclose(out[i], single.value(h[i]))
        assert np.allclose(taylor[:, i], single.taylor(series[:, i]))
        assert np.allclose(vjp[i], single.vjp(h[i], u[i]))


@settings(max_examples=20)
@given(st.sampled_from(("tanh", "gelu", "relu", "leaky_relu:0.3", "sin")), st.integers(0, 2 ** 16))
def test_vjp_is_the_transpose_of_the_derivative(name, seed):
    rng = np.random.default_rng(seed)
    w1, w2 = rng.standard_normal((5, 3)), rng.standard_normal((3, 5))
    g = mlp(w1, rng.standard_normal(5), w2, rng.standard_normal(3), activation(name))
    x, u, v = rng.standard_normal((3, 3))
    assert np.isclose(u @ g.derivative(x, [v]), g.vjp(x, u) @ v)


def test_vjp_corrupted_fails():
    # A vjp that forgets phi' would disagree with the derivative: the check above can fail.
    rng = np.random.default_rng(1)
    g = mlp(rng.standard_normal((4, 3)), None, rng.standard_normal((3, 4)), None, activation("tanh"))
    x, u, v = rng.standard_normal((3, 3))
    wrong = (u @ g.outer) @ g.inner  # C^T B^T u without phi'(z)
    assert not np.isclose(u @ g.derivative(x, [v]), wrong @ v)


def test_leaky_relu_slope_by_name():
    a = activation("leaky_relu:0.2")
    z = np.array([-2.0, 3.0])
    assert a.value(z).tolist() == [-0.4, 3.0] and not a.smooth
    assert activation("leaky_relu").value(np.array([-1.0])).tolist() == [-0.01]
    assert activation("identity").smooth
    for bad in ("leaky_relu:x", "leaky_relu:nan", "leaky_relu:inf", "swish"):
        with pytest.raises(UsageError):
            activation(bad)


def test_kinks_are_pre_activations_for_piecewise_linear_only():
    s = make_stack("mlp", 1, 3, activation_name="relu", seed=0)
    g = s.modules[0]
    series = np.stack([s.x, np.ones(3)])
    assert np.allclose(g.kinks(series)[0], g.pre_activation(s.x))
    smooth = make_stack("mlp", 1, 3, seed=0).modules[0]
    assert smooth.kinks(series).shape == (2, 0)


def test_derivative_from_taylor_orders_zero_to_three():
    g = make_stack("mlp", 1, 3, width=4, activation_name="gelu", seed=3).modules[0]
    rng = np.random.default_rng(3)
    x = rng.standard_normal(3)
    vs = list(rng.standard_normal((3, 3)))
    for m in range(4):
        assert np.allclose(derivative_from_taylor(g, x, vs[:m]), g.derivative(x, vs[:m]), rtol=1e-8, atol=1e-10)


def test_a_stack_of_any_modules_goes_through_the_protocol():
    # A module that only has the protocol methods (no kinks, magnitude, bound, at).
    class Square:
        dim, degree = 2, 2

        def value(self, x):
            return x * x

        def derivative(self, x, vectors):
            return derivative_from_taylor(self, x, vectors)

        def taylor(self, series):
            return np.stack([sum(series[i] * series[k - i] for i in range(k + 1)) for k in range(len(series))])

        def vjp(self, x, u):
            return 2 * x * u

    x = np.array([0.5, -1.0])
    stack = ResidualStack((Square(), Square()), x)
    assert stack.degree == 2 and not stack.terminates
    T = taylor_coefficients(stack, 3)
    assert np.allclose(T[1], 2 * x * x)  # g1(x) + g2(x)
    assert np.allclose(stack.forward(0.1), (0.1 ** np.arange(13)) @ taylor_coefficients(stack, 12))


# ---------------------------------------------------------------- degree pruning


def _instance(n, k, p, seed, dim=2):
    rng = random.Random(seed)
    modules = [random_polymap(rng, dim, p) for _ in range(n)]
    # nonzero scales, so every tree's term carries a nonzero weight
    scales = [Fraction(rng.choice((-4, -3, -2, -1, 1, 2, 3, 4)), rng.randint(1, 4)) for _ in range(n)]
    return modules, scales, random_point(rng, dim)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10 ** 6))
def test_pruned_closed_form_equals_the_full_one_on_degree_p_modules(n, k, p, seed):
    modules, scales, x0 = _instance(n, k, p, seed)
    pruned = expand(n, k, degree=p).terms
    full = expand(n, k).terms
    truth = instance_taylor_coefficients(modules, scales, x0, k)
    assert closed_form_instance(pruned, modules, scales, x0, k) == truth
    assert closed_form_instance(full, modules, scales, x0, k) == truth
    assert len(pruned) == sum(count_labeled_trees(n, j, p) for j in range(1, k + 1))


def test_a_corrupted_pruning_fails():
    # Dropping a tree whose root has exactly p = 2 children (it must be kept) breaks exactness.
    n, k, p = 3, 3, 2
    modules, scales, x0 = _instance(n, k, p, seed=7)
    truth = instance_taylor_coefficients(modules, scales, x0, k)
    pruned = expand(n, k, degree=p).terms
    i = next(i for i, t in enumerate(pruned) if len(t.tree.children) == 2)
    wrong = pruned[:i] + pruned[i + 1:]
    assert closed_form_instance(pruned, modules, scales, x0, k) == truth
    assert closed_form_instance(wrong, modules, scales, x0, k) != truth
    # Pruning one degree too far (p - 1) also fails.
    assert closed_form_instance(expand(n, k, degree=p - 1).terms, modules, scales, x0, k) != truth


def test_pruned_enumeration_is_the_filtered_one():
    for p in (0, 1, 2):
        kept = {t for t in labeled_trees(5, 4) if max(len(v.children) for v in t.nodes()) <= p}
        assert set(labeled_trees(5, 4, max_children=p)) == kept
        assert count_labeled_trees(5, 4, max_children=p) == len(kept)
    assert expand(4, 4, degree=1).counts() == (4, 6, 4, 1)  # chains: C(n, k), Veit's paths


def test_degree_and_max_children_are_validated():
    with pytest.raises(UsageError, match="degree must be"):
        expand(3, 3, degree=-1)
    with pytest.raises(UsageError, match="max_children must be"):
        count_labeled_trees(3, 3, max_children=-2)


def test_kink_series_do_not_alias_the_propagated_state():
    # res1 has C = I: its kink series must be a copy, not a view of the Taylor state that
    # later layers update (else the sign radius of deeper layers is computed on moved data).
    from residual_expansion.numeric.taylor import propagate

    s = make_stack("res1", 3, 6, activation_name="relu", seed=80)
    _, kinks = propagate(s, 2, kinks=True)
    assert np.array_equal(kinks[0][0], s.x) and not np.any(kinks[0][1:])


# ----------------------------------------------------------------- one definition per family (issue 9)


def _explicit(family, mats, phi, h):
    """The four Monte Carlo branches written out with einsum (row convention h W^T), an independent route."""
    if family == "linear":
        return np.einsum("cij,cmj->cmi", mats[0], h)
    if family == "res1":
        return np.einsum("cij,cmj->cmi", mats[0], phi.value(h))
    if family == "res2":
        return phi.value(np.einsum("cij,cmj->cmi", mats[0], h))
    return np.einsum("cij,cmj->cmi", mats[1], phi.value(np.einsum("cij,cmj->cmi", mats[0], h)))


@pytest.mark.parametrize("family", ["linear", "res1", "res2", "res3"])
@pytest.mark.parametrize("name", ["tanh", "relu", "leaky_relu:0.3", "identity"])
def test_from_weights_is_the_branch_formula(family, name):
    rng = np.random.default_rng(5)
    c, m, d = 3, 2, 4
    phi = activation(name)
    mats = list(rng.standard_normal((WEIGHT_MATRICES[family], c, d, d)))
    h = rng.standard_normal((c, m, d))
    g = from_weights(family, mats, phi)
    assert np.allclose(g.value(h), _explicit(family, mats, phi, h), rtol=1e-14, atol=1e-14)
    u = rng.standard_normal((c, m, d))
    z = g.pre_activation(h)
    assert np.array_equal(g.vjp_at(None if g.degree == 1 else z, u), g.vjp(h, u))
    assert np.array_equal(g.value_at(z), g.value(h))
    # <vjp(u), v> = <u, J v> against central differences of the explicit formula.
    v = rng.standard_normal((c, m, d))
    t = 1e-6
    jv = (_explicit(family, mats, phi, h + t * v) - _explicit(family, mats, phi, h - t * v)) / (2 * t)
    assert np.allclose(np.sum(g.vjp(h, u) * v, axis=-1), np.sum(u * jv, axis=-1), rtol=1e-6, atol=1e-8)


def test_from_weights_swapped_matrices_fail():
    # The check above fails on a wrong formula: res3 with W and V exchanged is another branch.
    rng = np.random.default_rng(6)
    w, v = rng.standard_normal((2, 2, 3, 3))
    h = rng.standard_normal((2, 1, 3))
    phi = activation("tanh")
    assert not np.allclose(from_weights("res3", [v, w], phi).value(h), _explicit("res3", [w, v], phi, h))


def test_from_weights_rejects_families_with_biases_and_wrong_counts():
    with pytest.raises(UsageError, match="family must be"):
        from_weights("mlp", [np.eye(2)], activation("tanh"))
    with pytest.raises(UsageError, match="weights must hold 2 matrices"):
        from_weights("res3", [np.eye(2)], activation("tanh"))


def test_identity_branch_keeps_float32():
    a = np.eye(3, dtype=np.float32)[None]
    h = np.ones((1, 2, 3), dtype=np.float32)
    assert from_weights("linear", [a], activation("identity")).value(h).dtype == np.float32


def test_res2_family_draws():
    s = make_stack("res2", 3, 4, activation_name="tanh", seed=2)
    g = s.modules[0]
    assert g.outer is None and g.inner.shape == (4, 4) and g.activation.name == "tanh"
    x = s.x
    assert np.allclose(g.value(x), np.tanh(g.inner @ x))
