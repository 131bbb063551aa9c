"""Claims about computation paths: PATHS (path-length polynomials) and LINEAR (exact unraveling).

Each check is a pure function that takes the formula under test as an argument (default:
the project's own), so the soundness tests can hand it a corrupted one and see FAIL.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from math import comb

import numpy as np

from residual_expansion.paths.architectures import Architecture, plain, random_architecture, two_branch
from residual_expansion.claims.base import Claim, Outcome, SKIP, snake_key, verdict
from residual_expansion.paths.polynomial import (
    Polynomial,
    binomial_polynomial,
    path_polynomial,
    path_polynomial_dp,
    path_polynomial_enumerated,
)

#: PATHS: random DAGs per check, and their sizes (nodes).
RANDOM_DAGS = 12
RANDOM_DAG_NODES = (3, 13)
#: PATHS: the unfactored DP also runs on the built-in stacks up to this many modules.
DP_MAX_MODULES = 400
#: PATHS: enumeration also runs on the built-in stacks up to this many paths.
ENUMERATION_MAX_PATHS = 1 << 10

#: LINEAR: depths listed symbolically (2^n words); deeper stacks use exact integer matrices.
LINEAR_SYMBOLIC_MAX = 10
#: LINEAR: most closed-form terms built (expand) and most words enumerated per check.
CLOSED_FORM_BUDGET = 6_000
WORD_BUDGET = 6_000
MATRIX_DIM = 3


def _first_difference(a: Polynomial, b: Polynomial) -> str:
    for k in range(max(len(a), len(b))):
        x = a[k] if k < len(a) else 0
        y = b[k] if k < len(b) else 0
        if x != y:
            return f"t^{k}: {x} vs {y}"
    return ""


def check_paths(depth: int, seed: int, polynomial: Callable[[Architecture], Polynomial] = path_polynomial) -> Outcome:
    """PATHS: ``polynomial`` equals ``(1+t)^n`` on ``plain(n)``, ``(1+t)^(2n)`` on
    ``two_branch(n)``, and explicit enumeration and the unfactored DP on seeded random DAGs.

    The binomial coefficients come from the binomial theorem (:func:`binomial_polynomial`);
    small built-in stacks are also enumerated and run through the unfactored DP.
    """
    evidence: dict = {}
    mismatches: list[str] = []
    routes = []
    for name, arch, expected in (
        ("plain", plain(depth), binomial_polynomial(depth)),
        ("two-branch", two_branch(depth), binomial_polynomial(2 * depth)),
    ):
        got = polynomial(arch)
        checks = [("binomial", expected)]
        if arch.modules <= DP_MAX_MODULES:
            checks.append(("unfactored DP", path_polynomial_dp(arch)))
        if 2 ** arch.modules <= ENUMERATION_MAX_PATHS:
            checks.append(("enumeration", path_polynomial_enumerated(arch)))
        for route, reference in checks:
            if got != reference:
                mismatches.append(f"{name} vs {route} at {_first_difference(got, reference)}")
        routes.append(f"{name}: " + "+".join(r for r, _ in checks))
        evidence[f"{snake_key(name)}_coefficients"] = len(expected)
    rng = np.random.default_rng(seed)
    paths_seen = 0
    for i in range(RANDOM_DAGS):
        size = int(rng.integers(*RANDOM_DAG_NODES))
        arch = random_architecture(rng, size)
        got = polynomial(arch)
        listed = path_polynomial_enumerated(arch)
        paths_seen += sum(listed)
        for route, reference in (("enumeration", listed), ("unfactored DP", path_polynomial_dp(arch))):
            if got != reference:
                mismatches.append(f"random DAG #{i} ({size} nodes) vs {route} at {_first_difference(got, reference)}")
    evidence["random_dags"] = RANDOM_DAGS
    evidence["random_dag_paths_enumerated"] = paths_seen
    evidence["routes"] = "; ".join(routes)
    evidence["mismatches"] = len(mismatches)
    if mismatches:
        evidence["first_mismatch"] = mismatches[0]
    return Outcome(
        method="factored DP vs binomial theorem, unfactored DP and path enumeration (networkx)",
        size=f"n={depth}, {2 * depth} modules (two-branch), {RANDOM_DAGS} random DAGs (seed {seed})",
        status=verdict(not mismatches),
        evidence=evidence,
    )


def _affordable(depth: int, order: int, budget: int, count: Callable[[int, int], int] | None = None) -> int:
    """The largest k <= min(order, depth) whose route builds at most ``budget`` terms (0 when even k = 1 is over)."""
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.theorem.budget import affordable_order

    return affordable_order(depth, min(order, depth), budget, count=count)


def _words_up_to(depth: int, k: int) -> int:
    return sum(comb(depth, j) for j in range(k + 1))


def check_linear_symbolic(depth: int, order: int, product=None, paths=None, closed_form=None) -> Outcome:
    """LINEAR, symbolic route: the expanded noncommutative product, the path words of
    ``plain(n)`` and the closed form's chain terms (orders ``<= K``) are the same words
    with the same scale monomials; the words are exactly the decreasing sequences of
    ``1..n`` (one per subset), ``2^n`` of them.
    """
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.paths import unraveling as linear

    product = product or linear.product_words
    paths = paths or linear.path_words
    closed_form = closed_form or linear.closed_form_words
    P = product(depth)
    W = paths(depth)
    subsets = {tuple(reversed(c)) for k in range(depth + 1) for c in combinations(range(1, depth + 1), k)}
    k_cf = _affordable(depth, order, CLOSED_FORM_BUDGET)
    C, vanishing = closed_form(depth, k_cf)
    failures = []
    if set(P) != subsets:
        failures.append(f"product words != decreasing subsets ({len(set(P) ^ subsets)} differ)")
    if len(W) != len(P) or W != P:
        bad = sorted(set(P) ^ set(W)) or [w for w in P if P[w] != W.get(w)]
        failures.append(f"product vs paths differ at word {bad[0] if bad else '?'}")
    low = {w: c for w, c in P.items() if len(w) <= k_cf}
    if C != low:
        bad = sorted(set(C) ^ set(low)) or [w for w in low if low[w] != C.get(w)]
        failures.append(f"product vs closed form differ at word {bad[0] if bad else '?'}")
    evidence = {
        "words_product": len(P),
        "words_paths": len(W),
        "expected_words": 2**depth,
        "closed_form_order": k_cf,
        "closed_form_chain_words": len(C) - 1,
        "closed_form_vanishing_non_chain": vanishing,
        "failures": len(failures),
    }
    if failures:
        evidence["first_failure"] = failures[0]
    return Outcome(
        method="sympy noncommutative expansion vs plain-DAG path words vs expand() chain terms",
        size=f"n={depth}, {2**depth} words, closed form to K={k_cf}",
        status=verdict(not failures),
        evidence=evidence,
    )


def check_linear_integer(depth: int, order: int, seed: int, graded=None, enumerated=None, closed_form=None) -> Outcome:
    """LINEAR, exact integer-matrix route (large depth): on seeded random integer
    ``3x3`` matrices ``A_i`` and integer scales, the order-``k`` parts ``G_k`` of
    ``prod (I + t lambda_i A_i)`` equal the sum of the ``C(n,k)`` path words listed one by
    one (``k <= K_w``) and the closed form's chain terms (``k <= K_cf``).
    """
    # start-up: the registry imports every claim module; numeric routes load when the claim runs
    from residual_expansion.paths import unraveling as linear

    graded = graded or linear.graded_product
    enumerated = enumerated or linear.enumerated_word_sums
    closed_form = closed_form or linear.closed_form_sums
    k_words = max(1, _affordable(depth, order, WORD_BUDGET, _words_up_to))  # order 1 costs only n matrices
    k_cf = _affordable(depth, order, CLOSED_FORM_BUDGET)
    if max(k_words, k_cf) < 1:
        return Outcome(
            method="exact integer matrices",
            size=f"n={depth}",
            status=SKIP,
            evidence={"reason": f"even order 1 needs more than {WORD_BUDGET} words and {CLOSED_FORM_BUDGET} closed-form terms"},
        )
    rng = np.random.default_rng(seed)
    matrices = linear.random_integer_matrices(rng, depth, MATRIX_DIM)
    scales = [int(x) for x in rng.integers(1, 4, size=depth)]
    G = graded(matrices, scales, max(k_words, k_cf))
    failures = []
    if k_words >= 1:
        E = enumerated(matrices, scales, k_words)
        for k in range(k_words + 1):
            if E[k] != G[k]:
                failures.append(f"order {k}: path-word sum != product")
    vanishing = 0
    if k_cf >= 1:
        C, vanishing = closed_form(matrices, scales, k_cf)
        for k in range(k_cf + 1):
            if C[k] != G[k]:
                failures.append(f"order {k}: closed form != product")
    largest = max(abs(x) for k in range(len(G)) for row in G[k] for x in row)
    evidence = {
        "orders_compared_with_path_words": k_words,
        "path_words_listed": _words_up_to(depth, k_words) if k_words >= 1 else 0,
        "orders_compared_with_closed_form": k_cf,
        "closed_form_vanishing_non_chain": vanishing,
        "matrices": f"{depth} random {MATRIX_DIM}x{MATRIX_DIM}, entries -2..2, scales 1..3 (seed {seed})",
        "largest_entry": f"{largest:.3e}" if largest > 10**12 else largest,
        "failures": len(failures),
    }
    if k_cf < 1:
        evidence["closed_form"] = f"not built: order 1 already has more than {CLOSED_FORM_BUDGET} terms"
    if failures:
        evidence["first_failure"] = failures[0]
    return Outcome(
        method="exact integer matrices: graded product vs listed path words vs expand() chain terms",
        size=f"n={depth}, words to order {k_words}, closed form to order {k_cf}",
        status=verdict(not failures),
        evidence=evidence,
    )


def check_linear(depth: int, order: int, seed: int) -> Outcome:
    """LINEAR: symbolic up to depth :data:`LINEAR_SYMBOLIC_MAX`, exact integer matrices beyond."""
    if depth <= LINEAR_SYMBOLIC_MAX:
        return check_linear_symbolic(depth, order)
    return check_linear_integer(depth, order, seed)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="PATHS",
        statement="The path-length polynomial of a plain stack is (1+t)^n, of a two-branch stack (1+t)^(2n); "
        "on any DAG the factored DP equals path enumeration.",
        hypotheses="Architecture: a DAG with one input and one output; length = module nodes on the path.",
        proof="proofs/paths.md",
        check=lambda depth, order, seed: check_paths(depth, seed),
    ),
    Claim(
        id="LINEAR",
        statement="(I + l_n A_n)...(I + l_1 A_1) = sum over the 2^n paths of l_S A_{s_k}...A_{s_1}, "
        "and these are exactly the chain terms of the closed form.",
        hypotheses="Linear modules g_i(x) = A_i x (noncommuting A_i), any scales l_i.",
        proof="proofs/linear-unraveling.md",
        check=check_linear,
    ),
)
