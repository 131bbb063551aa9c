"""Architectures, path polynomials and path statistics (residual_expansion.paths.architectures, .paths).

Reference values: docs/theory.md#weighted-ensemble-size and docs/theory.md#computation-path-dags ((1+t)^n, (1+t)^(2n), Veit et al.'s 54-block
ResNet with 98.0% of paths through 19..35 modules); binomial coefficients from math.comb.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.paths.architectures import (
    architecture_from_dict,
    architecture_to_json,
    build_architecture,
    load_architecture,
    plain,
    random_architecture,
    two_branch,
)
from residual_expansion.claims.path_claims import check_paths
from residual_expansion.strategies import architectures
from residual_expansion.errors import UsageError
from residual_expansion.paths.polynomial import (
    binomial_polynomial,
    cut_nodes,
    evaluate,
    log_evaluate,
    moments,
    path_polynomial,
    path_polynomial_dp,
    path_polynomial_enumerated,
    path_statistics,
    poly_mul,
    product_of_powers,
    schedule,
    shortest_interval,
    shortest_intervals,
)

FAST = settings(max_examples=30, deadline=None)


# ----------------------------------------------------------------- architectures


def test_plain_structure():
    a = plain(3)
    assert a.input == "x0" and a.output == "x3"
    assert a.modules == 3 and a.graph.number_of_nodes() == 7 and a.graph.number_of_edges() == 9
    assert nx.is_frozen(a.graph)
    assert a.order[0] == "x0" and a.order[-1] == "x3"


def test_two_branch_structure():
    a = two_branch(2)
    assert a.modules == 4 and a.depth == 2
    assert set(a.graph.successors("x0")) == {"a1", "h1"}
    assert set(a.graph.successors("h1")) == {"m1", "x1"}
    assert cut_nodes(a) == ("x0", "h1", "x1", "h2", "x2")


@pytest.mark.parametrize("n", [0, -3])
def test_builtin_depth_must_be_positive(n):
    with pytest.raises(UsageError):
        plain(n)
    with pytest.raises(UsageError):
        two_branch(n)


def _round_trip(a):
    b = architecture_from_dict(json.loads(architecture_to_json(a)))
    assert b.to_dict() == a.to_dict()
    assert path_polynomial(b) == path_polynomial(a)


def test_json_round_trip_builtins():
    _round_trip(plain(4))
    _round_trip(two_branch(3))


@FAST
@given(architectures(max_size=12))
def test_json_round_trip_random(arch):
    _round_trip(arch)


def test_load_example_file():
    a = load_architecture("docs/examples/parallel-block.json")
    assert a.name == "parallel-block transformer" and a.depth == 3
    assert path_polynomial(a) == (1, 6, 12, 8)  # (1 + 2t)^3: three parallel blocks


def test_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError, match="not valid JSON"):
        load_architecture(bad)
    with pytest.raises(UsageError, match="cannot read"):
        load_architecture(tmp_path / "missing.json")


def _arch(nodes, edges, **extra):
    return {"nodes": [{"id": v, "kind": k} for v, k in nodes], "edges": [list(e) for e in edges], **extra}


J, M = "junction", "module"
GOOD_NODES = [("x", J), ("g", M), ("y", J)]
GOOD_EDGES = [("x", "g"), ("g", "y"), ("x", "y")]

# Each malformed architecture with the phrase its own error message must contain.
MALFORMED = {
    "not an object": ([1, 2], "must be a JSON object"),
    "unknown key": ({**_arch(GOOD_NODES, GOOD_EDGES), "edge": []}, "unknown key 'edge'"),
    "no nodes key": ({"edges": []}, "no 'nodes' list"),
    "nodes not a list": ({"nodes": {}, "edges": []}, "'nodes' must be a list"),
    "node entry malformed": ({"nodes": [{"id": "x"}], "edges": []}, "node #0 must be an object"),
    "node id not a string": ({"nodes": [{"id": 3, "kind": J}], "edges": []}, "node #0 has id 3"),
    "bad kind": (_arch([("x", J), ("g", "relu"), ("y", J)], GOOD_EDGES), "node 'g' has kind 'relu'"),
    "duplicate node": (_arch(GOOD_NODES + [("g", M)], GOOD_EDGES), "node 'g' is listed twice"),
    "edge malformed": (_arch(GOOD_NODES, [("x", "g", "y")]), "edge #0 must be a pair"),
    "unknown node in edge": (_arch(GOOD_NODES, GOOD_EDGES + [("g", "z")]), "names the unknown node 'z'"),
    "duplicate edge": (_arch(GOOD_NODES, GOOD_EDGES + [("x", "g")]), "edge 'x' -> 'g' is listed twice"),
    "self loop": (_arch(GOOD_NODES, GOOD_EDGES + [("g", "g")]), "edge 'g' -> 'g' is a self-loop"),
    "cycle": (
        _arch(GOOD_NODES + [("h", M)], GOOD_EDGES + [("g", "h"), ("h", "g")]),
        "cycle",
    ),
    "several sources": (_arch(GOOD_NODES + [("w", J)], GOOD_EDGES + [("w", "g")]), "no incoming edge ('x', 'w')"),
    "several sinks": (_arch(GOOD_NODES + [("z", J)], GOOD_EDGES + [("g", "z")]), "no outgoing edge ('y', 'z')"),
    "cannot reach output": (
        _arch(GOOD_NODES + [("z", J)], GOOD_EDGES + [("g", "z")], output="y"),
        "node 'z' cannot reach the output 'y'",
    ),
    "unreachable from input": (
        _arch(GOOD_NODES + [("w", J)], GOOD_EDGES + [("w", "g")], input="x"),
        "node 'w' is not reachable from the input 'x'",
    ),
    "declared output missing": (_arch(GOOD_NODES, GOOD_EDGES, output="q"), "the output 'q' is not a node"),
    "empty": ({"nodes": [], "edges": [], "depth": 1}, "has no nodes"),
    "no module": (_arch([("x", J), ("y", J)], [("x", "y")]), "no module node"),
    "bad depth": (_arch(GOOD_NODES, GOOD_EDGES, depth=0), "depth 0 is not a positive integer"),
    "input is output": (_arch([("x", J)], [], depth=1), "is also the output"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_rejected_with_own_message(case):
    data, phrase = MALFORMED[case]
    with pytest.raises(UsageError) as info:
        architecture_from_dict(data)
    message = str(info.value)
    assert phrase in message
    assert "\n" not in message


def test_malformed_messages_are_distinct():
    messages = []
    for data, _ in MALFORMED.values():
        with pytest.raises(UsageError) as info:
            architecture_from_dict(data)
        messages.append(str(info.value))
    assert len(set(messages)) == len(messages)


def test_cycle_message_names_an_edge_of_the_cycle():
    data = _arch(GOOD_NODES + [("h", M)], GOOD_EDGES + [("g", "h"), ("h", "g")])
    with pytest.raises(UsageError, match=r"'g' -> 'h'|'h' -> 'g'"):
        architecture_from_dict(data)


# ----------------------------------------------------------------- polynomials


@FAST
@given(n=st.integers(1, 300))
def test_plain_is_binomial(n):
    # docs/theory.md#computation-path-dags: (1+t)^n; coefficients C(n,k) by math.comb
    assert path_polynomial(plain(n)) == tuple(math.comb(n, k) for k in range(n + 1))


@FAST
@given(n=st.integers(1, 150))
def test_two_branch_is_binomial_squared(n):
    assert path_polynomial(two_branch(n)) == tuple(math.comb(2 * n, k) for k in range(2 * n + 1))


def test_small_builtins_all_routes():
    for a in (plain(1), plain(6), two_branch(1), two_branch(4)):
        p = path_polynomial(a)
        assert p == path_polynomial_dp(a) == path_polynomial_enumerated(a)


@FAST
@given(architectures(max_size=13))
def test_random_dag_polynomial_equals_enumeration(a):
    assert path_polynomial(a) == path_polynomial_enumerated(a) == path_polynomial_dp(a)


def _series(segments):
    """Glue small architectures in series (output of one = input of the next)."""
    nodes, edges = [], []
    prev = "c0"
    nodes.append((prev, J))
    for i, seg in enumerate(segments):
        rename = {seg.input: prev, seg.output: f"c{i + 1}"}
        name = lambda v: rename.get(v, f"s{i}_{v}")  # noqa: E731
        for v, kind in seg.graph.nodes(data="kind"):
            if v == seg.output:
                nodes.append((name(v), kind))
            elif v != seg.input:
                nodes.append((name(v), kind))
        edges += [(name(u), name(v)) for u, v in seg.graph.edges()]
        prev = f"c{i + 1}"
    return build_architecture("series", 1, nodes, edges)


@settings(max_examples=25, deadline=None)
@given(
    seeds=st.lists(st.integers(0, 10**6), min_size=1, max_size=3),
    pattern=st.lists(st.integers(0, 2), min_size=1, max_size=12),
)
def test_series_of_repeated_segments(seeds, pattern):
    # exercises the cut-node factoring with several distinct repeated segment polynomials
    kinds = [random_architecture(np.random.default_rng(s), 5, edge_probability=0.5, module_probability=0.6) for s in seeds]
    a = _series([kinds[i % len(kinds)] for i in pattern])
    assert path_polynomial(a) == path_polynomial_dp(a)


def test_cut_nodes_are_on_every_path():
    for seed in range(20):
        a = random_architecture(np.random.default_rng(seed), 10, edge_probability=0.25)
        paths = [set(p) for p in nx.all_simple_paths(a.graph, a.input, a.output)]
        on_all = set.intersection(*paths)
        assert set(cut_nodes(a)) == on_all


@FAST
@given(a=st.lists(st.integers(0, 10**30), min_size=1, max_size=40), b=st.lists(st.integers(0, 10**30), min_size=1, max_size=40))
def test_poly_mul_matches_schoolbook(a, b):
    expected = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            expected[i + j] += x * y
    while len(expected) > 1 and expected[-1] == 0:
        expected.pop()
    assert poly_mul(a, b) == tuple(expected)


@FAST
@given(
    factors=st.dictionaries(
        st.lists(st.integers(0, 5), min_size=1, max_size=4).map(tuple), st.integers(1, 6), min_size=1, max_size=3
    )
)
def test_product_of_powers_matches_repeated_multiplication(factors):
    expected = (1,)
    for q, m in factors.items():
        for _ in range(m):
            expected = poly_mul(expected, q) if any(q) else (0,)
    expected = list(expected)
    while len(expected) > 1 and expected[-1] == 0:
        expected.pop()
    assert product_of_powers(factors) == tuple(expected)


def test_enumeration_limit():
    with pytest.raises(UsageError, match="more than 16 paths"):
        path_polynomial_enumerated(plain(5), limit=16)


# ----------------------------------------------------------------- statistics


@FAST
@given(counts=st.lists(st.integers(0, 50), min_size=1, max_size=25).filter(any), share=st.fractions(0, 1).filter(lambda s: s > 0))
def test_shortest_interval_brute_force(counts, share):
    total = sum(counts)
    best = None
    for lo, hi in [(i, j) for i in range(len(counts)) for j in range(i, len(counts))]:
        mass = sum(counts[lo : hi + 1])
        if mass * share.denominator >= share.numerator * total:
            key = (hi - lo, -mass, lo)
            best = key if best is None or key < best else best
    iv = shortest_interval(counts, share)
    assert (iv.hi - iv.lo, -iv.count, iv.lo) == best


def test_veit_54_blocks():
    # docs/theory.md#computation-path-dags: 98.0% of the 2^54 paths pass through 19..35 modules
    s = path_statistics(plain(54))
    assert s.total == 2**54 and s.counts == tuple(math.comb(54, k) for k in range(55))
    assert s.mean == 27 and s.variance == Fraction(27, 2)
    (iv,) = [iv for iv in s.ladder if iv.target == Fraction(98, 100)]
    assert (iv.lo, iv.hi) == (19, 35)
    assert iv.count == sum(math.comb(54, k) for k in range(19, 36))
    assert round(float(iv.share), 3) == 0.980
    assert (s.interval.lo, s.interval.hi) == (20, 34)  # default share 0.95


def test_moments_binomial():
    # Binomial(n, 1/2): mean n/2, variance n/4
    for n in (1, 7, 100):
        assert moments(binomial_polynomial(n)) == (Fraction(n, 2), Fraction(n, 4))


def test_share_validation():
    for bad in (Fraction(0), Fraction(3, 2), Fraction(-1, 2)):
        with pytest.raises(UsageError):
            shortest_intervals((1, 1), [bad])
        with pytest.raises(UsageError):
            path_statistics(plain(2), bad)


@FAST
@given(counts=st.lists(st.integers(0, 10**6), min_size=1, max_size=30).filter(any), lam=st.fractions(Fraction(1, 50), 3))
def test_evaluate_matches_horner(counts, lam):
    expected = Fraction(0)
    for c in reversed(counts):
        expected = expected * lam + c
    assert evaluate(counts, lam) == expected
    assert math.isclose(log_evaluate(counts, float(lam)), math.log(expected), rel_tol=1e-12, abs_tol=1e-12)


def test_weighted_sizes_plain():
    # docs/theory.md#weighted-ensemble-size: P(lambda) = (1 + lambda)^n
    n = 16
    s = path_statistics(plain(n))
    w = {x.label: x for x in s.weighted}
    assert w["1"].exact == 2**n
    assert w["1/sqrt(n)"].exact == Fraction(5, 4) ** n  # n = 16 is a square: exact
    assert w["1/n"].exact == Fraction(n + 1, n) ** n
    s = path_statistics(plain(10))
    w = {x.label: x for x in s.weighted}
    assert w["1/sqrt(n)"].exact is None
    assert math.isclose(w["1/sqrt(n)"].value, (1 + 1 / math.sqrt(10)) ** 10, rel_tol=1e-12)


def test_weighted_size_overflow_is_reported():
    s = path_statistics(plain(2000))
    w = {x.label: x for x in s.weighted}
    assert w["1"].value is None and math.isclose(w["1"].log, 2000 * math.log(2))
    assert math.isclose(w["1/n"].value, (1 + 1 / 2000) ** 2000, rel_tol=1e-9)  # tends to e


def test_schedule():
    assert schedule(9)[1][1] == Fraction(1, 3)
    assert schedule(10)[1][1] is None
    assert schedule(10)[2][1] == Fraction(1, 10)


# ----------------------------------------------------------------- soundness of PATHS


def test_paths_claim_passes():
    for depth in (1, 3, 8, 60):
        assert check_paths(depth, seed=0).status == "PASS"


def _bump(k):
    def wrong(arch):
        p = list(path_polynomial(arch))
        if k < len(p):
            p[k] += 1
        return tuple(p)

    return wrong


@pytest.mark.parametrize("k", [0, 1, 5])
def test_paths_claim_fails_on_wrong_coefficient(k):
    assert check_paths(8, seed=0, polynomial=_bump(k)).status == "FAIL"


def test_paths_claim_fails_on_binomial_guess():
    # right on the built-ins, wrong on random DAGs
    assert check_paths(8, seed=0, polynomial=lambda a: binomial_polynomial(a.modules)).status == "FAIL"


def test_paths_claim_fails_on_dropped_top_coefficient():
    assert check_paths(5, seed=1, polynomial=lambda a: path_polynomial(a)[:-1]).status == "FAIL"


def test_module_endpoints_count():
    # a module as input and as output lies on every path: P gains a factor t each
    data = _arch([("g", M), ("x", J), ("f", M), ("h", M)], [("g", "x"), ("g", "f"), ("f", "x"), ("x", "h")])
    a = architecture_from_dict(data)
    assert path_polynomial(a) == path_polynomial_enumerated(a) == path_polynomial_dp(a) == (0, 0, 1, 1)
