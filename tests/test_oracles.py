"""Property tests against independent oracles (issue 16, item 5).

* sigma(t) against a brute-force count of the label-preserving automorphisms;
* N(n, k) from the Euler-transform recursion against the enumeration of labeled trees;
* path polynomials (factored DP) against networkx path enumeration on random DAGs;
* the Monte Carlo energy estimator against the exact expectation on tiny linear stacks.
"""

from __future__ import annotations

import math
from itertools import permutations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.theorem.trees import count_labeled_trees, labeled_trees


def _flatten(tree):
    """(labels, parents) of the nodes in preorder; the root's parent is -1."""
    labels, parents = [], []

    def walk(t, parent):
        me = len(labels)
        labels.append(t.label)
        parents.append(parent)
        for c in t.children:
            walk(c, me)

    walk(tree, -1)
    return labels, parents


def brute_force_automorphisms(tree, use_labels: bool = True) -> int:
    """Permutations of the nodes keeping every parent-child edge (and every label)."""
    labels, parents = _flatten(tree)
    if not use_labels:
        labels = [0] * len(labels)
    n = len(labels)
    count = 0
    for perm in permutations(range(n)):
        if all(labels[perm[i]] == labels[i] for i in range(n)) and all(
                (parents[i] == -1 and parents[perm[i]] == -1) or
                (parents[i] != -1 and parents[perm[i]] == perm[parents[i]]) for i in range(n)):
            count += 1
    return count


@settings(max_examples=25)
@given(st.integers(1, 4), st.integers(1, 6), st.randoms(use_true_random=False))
def test_sigma_is_the_number_of_label_preserving_automorphisms(depth, order, rnd):
    trees = labeled_trees(depth, order)
    if not trees:
        return
    t = rnd.choice(trees)
    assert t.sigma() == brute_force_automorphisms(t)
    assert t.shape().sigma() == brute_force_automorphisms(t, use_labels=False)


def test_brute_force_oracle_can_disagree():
    """The oracle is not trivially equal to sigma: a tree with two equal children has 2."""
    from residual_expansion.theorem.trees import LabeledTree

    t = LabeledTree(3, (LabeledTree(1), LabeledTree(1)))
    assert brute_force_automorphisms(t) == 2 == t.sigma()
    u = LabeledTree(3, (LabeledTree(1), LabeledTree(2)))
    assert brute_force_automorphisms(u) == 1 == u.sigma()
    assert brute_force_automorphisms(u, use_labels=False) == 2 == u.shape().sigma()


@settings(max_examples=30)
@given(st.integers(1, 7), st.integers(1, 5))
def test_counts_recursion_equals_enumeration(depth, order):
    assert count_labeled_trees(depth, order) == len(labeled_trees(depth, order))


def _networkx_polynomial(arch):
    counts = [0] * (arch.modules + 1)
    g = arch.graph
    for path in nx.all_simple_paths(g, arch.input, arch.output):
        counts[sum(1 for v in path if g.nodes[v]["kind"] == "module")] += 1
    while len(counts) > 1 and counts[-1] == 0:
        counts.pop()
    return tuple(counts)


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1), st.integers(2, 10), st.sampled_from([0.2, 0.35, 0.5]))
def test_path_polynomial_equals_networkx_enumeration_on_random_dags(seed, size, p):
    from residual_expansion.paths.architectures import random_architecture
    from residual_expansion.paths.polynomial import path_polynomial, path_polynomial_dp

    arch = random_architecture(np.random.default_rng(seed), size, edge_probability=p)
    truth = _networkx_polynomial(arch)
    assert tuple(path_polynomial(arch)) == truth
    assert tuple(path_polynomial_dp(arch)) == truth


def test_monte_carlo_energy_matches_the_exact_expectation_on_tiny_linear_stacks():
    """E ||h_L||^2/||h_0||^2 = prod_l (1 + lambda_l^2 s^2) for independent linear modules
    with entries of variance s^2/d (exact); the Monte Carlo mean lies within 4 standard
    errors, and a wrong factor (s instead of s^2) does not."""
    from residual_expansion.scaling.montecarlo import Init, Model
    from residual_expansion.scaling.schedules import power
    from residual_expansion.scaling.sweep import run_sweep

    for s, L, seed in ((0.7, 3, 1), (1.6, 2, 2)):
        sweep = run_sweep(Model("linear", dim=6, input_dim=6, s=s), Init("iid-gaussian"), [power(0.5)], [L],
                          4000, seed)
        sq = sweep.rows[0].run.sq_ratio
        lams = power(0.5).scales(L)
        exact = math.prod(1 + lam**2 * s**2 for lam in lams) - 1
        assert abs(sq.mean - exact) < 4 * sq.stderr
        wrong = math.prod(1 + lam**2 * s for lam in lams) - 1
        assert abs(sq.mean - wrong) > 4 * sq.stderr
