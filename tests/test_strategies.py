"""Public hypothesis strategies: they draw valid objects and shrink to minimal counterexamples."""

import math

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis.errors import NoSuchExample

from residual_expansion.paths.polynomial import path_polynomial
from residual_expansion.strategies import (
    architectures,
    expansions,
    labeled_trees,
    monte_carlo_models,
    residual_stacks,
    rooted_trees,
    schedules,
    weight_laws,
)
from residual_expansion.theorem.trees import LabeledTree, RootedTree, count_labeled_trees, labeled_trees as enumerate_trees


def test_shrinking_reaches_a_minimal_tree_on_a_false_property():
    """A deliberately false property ("every labeled tree has symmetry 1"): hypothesis must
    report the smallest counterexample, a root with two identical leaf children labeled 1."""
    failures = []

    @settings(max_examples=300, database=None, derandomize=True)
    @given(labeled_trees(depth=6, max_order=7))
    def sigma_is_always_one(t):
        if t.sigma() != 1:
            failures.append(t)
        assert t.sigma() == 1

    with pytest.raises(AssertionError):
        sigma_is_always_one()
    minimal = failures[-1]  # hypothesis re-runs the shrunk example last
    assert minimal == LabeledTree(2, (LabeledTree(1), LabeledTree(1)))
    assert minimal.order == 3 and minimal.sigma() == 2


def test_find_gives_the_minimal_unlabeled_and_labeled_trees():
    no_db = settings(database=None, max_examples=500)
    assert find(rooted_trees(), lambda t: t.order >= 4, settings=no_db) == RootedTree.from_list([[], [], []])  # the bush
    assert find(labeled_trees(depth=5), lambda t: t.order >= 2, settings=no_db) == LabeledTree(2, (LabeledTree(1),))
    with pytest.raises(NoSuchExample):
        find(labeled_trees(depth=3, max_order=4), lambda t: t.order > 4, settings=settings(max_examples=200, database=None))


@given(labeled_trees(depth=4, max_order=5))
def test_drawn_labeled_trees_are_among_the_enumerated_ones(t):
    assert 1 <= t.order <= 5
    assert t in set(enumerate_trees(4, t.order))


@given(rooted_trees(max_order=6))
def test_rooted_trees_sigma_gamma_divide_factorial(t):
    assert math.factorial(t.order) % t.gamma() == 0 and t.sigma() >= 1


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(expansions(max_depth=4, max_order=3, tied=None))
def test_expansions_have_the_counted_terms(e):
    if not e.tied:
        assert e.counts() == tuple(count_labeled_trees(e.depth, k) for k in range(1, e.order + 1))
    else:
        assert all(t.coefficient > 0 for t in e.terms)


@settings(max_examples=20)
@given(residual_stacks())
def test_residual_stacks_cover_families_and_have_finite_forward_passes(s):
    import numpy as np

    assert s.depth >= 1 and s.dim >= 1
    assert np.all(np.isfinite(s.forward(0.1)))


@settings(max_examples=20)
@given(monte_carlo_models(), weight_laws())
def test_monte_carlo_models_and_laws_are_valid(model_law, law):
    model, first = model_law
    assert model.dim >= 2 and first.kind in ("iid-uniform", "iid-gaussian", "smooth", "fbm")
    assert law.hurst is None or 0 < law.hurst < 1


@given(architectures(max_size=7))
def test_architectures_have_one_input_one_output(a):
    assert a.input == "0" and a.output == str(len(a.graph) - 1)
    assert sum(path_polynomial(a)) >= 1


@given(schedules(depth=3))
def test_schedules_give_nonnegative_scales(s):
    assert (s.scales(3) >= 0).all()
