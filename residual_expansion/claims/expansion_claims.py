"""Claims of the Residual Expansion Theorem: REX, REX2, COUNT, TIED.

Each check is a pure function taking the formula under test as an argument (default: the
project's closed form), so that the soundness tests can hand it a corrupted one and see
FAIL. The ground truths come from :mod:`residual_expansion.theorem.composition` and never
enumerate trees.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from fractions import Fraction
from math import factorial

import sympy

from residual_expansion.claims.base import SKIP, Claim, Outcome, verdict
from residual_expansion.theorem.budget import affordable_order, closed_form_terms
from residual_expansion.theorem.composition import (
    GenericRing,
    generic_ring,
    generic_taylor_coefficients,
    instance_taylor_coefficients,
    sympy_series_coefficients,
)
from residual_expansion.theorem.differentials import closed_form_instance, closed_form_ring, free_expansion
from residual_expansion.theorem.expansion import Expansion, Term, expand
from residual_expansion.theorem.instances import random_point, random_polymap
from residual_expansion.render.expansion_output import to_sympy
from residual_expansion.theorem.trees import (
    LabeledTree,
    RootedTree,
    count_labeled_trees,
    decreasing_labelings,
    labeled_trees,
    rooted_trees,
)

#: Size limits of each route (beyond them a route is not run; the method says so).
SERIES_MAX = (3, 3)           # sympy.series: depth, order (about 0.5 s at n = K = 3)
RING_MAX_TERMS = 2_000        # truncated-series ring route: number of closed-form terms
INSTANCE_MAX_TERMS = 12_000   # exact integer polynomial instances (about 1 s at the limit)
FREE_MAX_TERMS = 2_000        # proof induction with ordered tuples (COUNT)
INSTANCES = 2                 # polynomial instances per check
REX2_MAX_DEPTH = 315          # REX2: n(n+1)/2 terms, exact instance route ~2 s at the limit
REX2_MAX_TERMS = REX2_MAX_DEPTH * (REX2_MAX_DEPTH + 1) // 2
INSTANCE_DIM = 2


def _total_terms(depth: int, order: int) -> int:
    return closed_form_terms(depth, order)


def _size(depth: int, order: int) -> str:
    return f"n={depth}, K={order}"


def _affordable_order(depth: int, order: int, limit: int) -> int:
    """The largest k <= order whose expansion has at most ``limit`` terms (at least 1: order 1 is n terms)."""
    return max(1, affordable_order(depth, order, limit))


# --- REX ----------------------------------------------------------------------------

def rex_series_route(terms: Sequence[Term], depth: int, order: int,
                     truth: Sequence[sympy.Expr] | None = None) -> tuple[bool, int]:
    """Closed form vs ``sympy.series`` of the nested composition (scalar, uniform lambda).

    ``truth``: sympy's coefficients of lambda^1..lambda^K in the symbols ``x``, ``lambda``
    when already computed. Returns (equal, number of terms compared).
    """
    x, lam = sympy.symbols("x lambda")
    if truth is None:
        truth = sympy_series_coefficients(depth, order, x, lam)
    closed = to_sympy(Expansion(depth, order, False, tuple(terms), (lam,) * depth), x)
    closed = sympy.expand(closed - x)
    ok = all(sympy.expand(closed.coeff(lam, k) - truth[k - 1]) == 0 for k in range(1, order + 1))
    return ok, len(terms)


def rex_ring_route(terms: Sequence[Term], depth: int, order: int, tied: bool = False) -> tuple[bool, int]:
    """Closed form vs truncated Taylor composition in the ring of g_i^{(m)}(x), lambda_i.

    Returns (equal, number of ring monomials compared).
    """
    gr = generic_ring(depth, order)
    truth = generic_taylor_coefficients(gr, order) if not tied else _tied_truth(gr, depth, order)
    closed = closed_form_ring(terms, gr, order, tied=tied)
    return truth == closed, sum(len(p) for p in truth)


def _tied_truth(gr: GenericRing, depth: int, order: int):
    """Ring route with every module g_1 and every scale lambda_1 (weight tying)."""
    tied = GenericRing(gr.ring, (gr.lambdas[0],) * depth, (gr.G[0],) * depth)
    return generic_taylor_coefficients(tied, order)


def rex_instance_route(terms: Sequence[Term], depth: int, order: int, seed: int,
                       instances: int = INSTANCES, dim: int = INSTANCE_DIM) -> tuple[bool, int, int]:
    """Closed form vs exact composition of random polynomial maps at a rational point.

    Per-layer scales lambda_i = s_i * lambda with random integers s_i in 1..9; the modules
    have integer coefficients and degree max(K, 2), so that every elementary differential
    up to order K is generically nonzero, and are evaluated at an integer point: the
    Taylor side is then exact integer arithmetic, the closed form exact rationals.
    Returns (all equal, instances, degree).
    """
    rng = random.Random(seed)
    degree = max(order, 2)
    ok = True
    for _ in range(instances):
        modules = [random_polymap(rng, dim, degree) for _ in range(depth)]
        scales = [rng.randint(1, 9) for _ in range(depth)]
        x0 = random_point(rng, dim)
        truth = instance_taylor_coefficients(modules, scales, x0, order)
        closed = closed_form_instance(terms, modules, scales, x0, order)
        ok = ok and truth == closed
    return ok, instances, degree


def rex_free_route(terms: Sequence[Term], depth: int, order: int) -> tuple[bool, int]:
    """Closed form vs the induction of the proof with ordered tuples (vector case, exact)."""
    free = free_expansion(depth, order)
    closed: dict = {}
    for t in terms:
        closed[t.tree] = closed.get(t.tree, Fraction(0)) + t.coefficient
    closed = {t: c for t, c in closed.items() if c != 0}
    return free == closed, len(free)


def check_rex(depth: int, order: int, seed: int,
              closed_form: Callable[[int, int], Sequence[Term]] | None = None) -> Outcome:
    """REX: the closed form equals the Taylor coefficients of the actual composition.

    Routes, each run when the size allows: sympy.series of the nested composition
    (n, K <= 3, at min(n, 3), min(K, 3)); truncated Taylor composition in the ring of
    derivative symbols with per-layer lambda_i; the proof's induction over ordered
    argument tuples (distinct elementary differentials, no scalar merging); random
    polynomial instances in Q^2 composed exactly. PASS needs every route run to agree.
    """
    closed_form = closed_form or (lambda n, k: expand(n, k).terms)
    evidence: dict = {}
    methods = []
    ok = True
    sn, sk = min(depth, SERIES_MAX[0]), min(order, SERIES_MAX[1])
    good, compared = rex_series_route(closed_form(sn, sk), sn, sk)
    ok &= good
    methods.append(f"sympy.series (n={sn}, K={sk})")
    evidence["series_terms"] = compared
    # Symbolic routes (ring, proof induction) up to RING_MAX_TERMS terms; the exact integer
    # instances, cheaper per term, go further (INSTANCE_MAX_TERMS).
    k_sym = _affordable_order(depth, order, RING_MAX_TERMS)
    k_inst = _affordable_order(depth, order, INSTANCE_MAX_TERMS)
    if k_inst < order:
        evidence["orders"] = (f"order {order} has {_total_terms(depth, order)} terms, beyond the exact routes' "
                              f"limits ({RING_MAX_TERMS} symbolic, {INSTANCE_MAX_TERMS} instances)")
    terms = closed_form(depth, k_inst)
    sym_terms = [t for t in terms if t.order <= k_sym]
    good, monomials = rex_ring_route(sym_terms, depth, k_sym)
    ok &= good
    methods.append(f"Taylor ring (K={k_sym})")
    evidence["ring_monomials"] = monomials
    good, produced = rex_free_route(sym_terms, depth, k_sym)
    ok &= good
    methods.append(f"proof induction (K={k_sym})")
    evidence["trees_compared"] = produced
    instances = INSTANCES if k_inst == k_sym else 1
    good, instances, degree = rex_instance_route(terms, depth, k_inst, seed, instances=instances)
    ok &= good
    methods.append(f"polynomial instances (K={k_inst})")
    evidence["instances"] = f"{instances} x degree-{degree} maps Q^{INSTANCE_DIM}->Q^{INSTANCE_DIM}"
    evidence["largest_residual"] = 0 if ok else "nonzero"
    return Outcome(" + ".join(methods), _size(depth, k_inst), verdict(ok), evidence)


# --- REX2 ---------------------------------------------------------------------------

def dherin_munn_terms(depth: int) -> tuple[Term, ...]:
    """The second-order form written directly: sum_i g_i and sum_{j<i} g_i' g_j, coefficient 1."""
    first = tuple(Term(1, LabeledTree(i), Fraction(1)) for i in range(1, depth + 1))
    second = tuple(
        Term(2, LabeledTree(i, (LabeledTree(j),)), Fraction(1))
        for i in range(1, depth + 1) for j in range(1, i)
    )
    return first + second


def check_rex2(depth: int, order: int, seed: int,
               second_order: Callable[[int], Sequence[Term]] = dherin_munn_terms) -> Outcome:
    """REX2: x_n = x + lambda sum g_i + lambda^2 sum_{j<i} g_i' g_j + O(lambda^3).

    The directly written second-order form is compared with the ring route (while it has
    at most ``RING_MAX_TERMS`` terms) and with polynomial instances at order 2 (independent
    of tree enumeration); beyond ``REX2_MAX_DEPTH`` the check is skipped with the reason.
    """
    size = depth * (depth + 1) // 2  # terms of the second-order form
    if size > REX2_MAX_TERMS:
        return Outcome("Taylor ring + polynomial instances", _size(depth, 2), SKIP, {
            "reason": f"the second-order form has {size} terms at depth {depth}, beyond this check's limit "
                      f"of {REX2_MAX_TERMS} (depth <= {REX2_MAX_DEPTH})",
        })
    terms = second_order(depth)
    evidence: dict = {"terms": len(terms)}
    ok = True
    methods = []
    if size <= RING_MAX_TERMS:
        ring_ok, evidence["ring_monomials"] = rex_ring_route(terms, depth, 2)
        ok &= ring_ok
        methods.append("Taylor ring")
    instances = INSTANCES if size <= RING_MAX_TERMS else 1
    inst_ok, evidence["instances"], _ = rex_instance_route(terms, depth, 2, seed, instances=instances)
    ok &= inst_ok
    methods.append("polynomial instances")
    evidence["largest_residual"] = 0 if ok else "nonzero"
    return Outcome(" + ".join(methods), _size(depth, 2), verdict(ok), evidence)


# --- COUNT --------------------------------------------------------------------------

def check_count(depth: int, order: int, seed: int,
                count: Callable[[int, int], int] = count_labeled_trees) -> Outcome:
    """COUNT: recursion N(n, k) = enumeration = distinct elementary differentials produced.

    For each k <= K: the Euler-transform recursion, the length of the enumeration, and the
    number of distinct trees produced by the proof's induction (ordered tuples) agree.
    """
    k_max = _affordable_order(depth, order, FREE_MAX_TERMS)
    produced = free_expansion(depth, k_max)
    per_order = [0] * k_max
    for t in produced:
        per_order[t.order - 1] += 1
    rec = [count(depth, k) for k in range(1, k_max + 1)]
    enum = [len(labeled_trees(depth, k)) for k in range(1, k_max + 1)]
    ok = rec == enum == per_order
    evidence = {"recursion": rec, "enumerated": enum, "produced": per_order}
    if k_max < order:
        evidence["orders"] = f"1..{k_max} (order {order} has {_total_terms(depth, order)} terms)"
    return Outcome("recursion vs enumeration vs proof induction", _size(depth, k_max), verdict(ok), evidence)


# --- TIED ---------------------------------------------------------------------------

def interpolate_leading(values: Sequence[int]) -> tuple[int, Fraction]:
    """Degree and leading coefficient of the polynomial through (m, values[m]), m = 0..len-1.

    Newton forward differences: the degree is the last nonzero difference order d, and the
    leading coefficient is Delta^d / d!.
    """
    diffs = [Fraction(v) for v in values]
    table = [diffs]
    while len(table[-1]) > 1:
        prev = table[-1]
        table.append([b - a for a, b in zip(prev, prev[1:])])
    degree = max((d for d, row in enumerate(table) if any(row)), default=0)
    return degree, table[degree][0] / factorial(degree)


def check_tied(depth: int, order: int, seed: int,
               tied_form: Callable[[int, int], Sequence[Term]] | None = None) -> Outcome:
    """TIED: weight-tied coefficients a_n(tau)/sigma(tau) are sums over labeled trees, and
    a_n(tau) is a polynomial in n of degree |tau| with leading coefficient 1/gamma(tau).

    Routes: (1) sum of 1/sigma(t) over the labeled trees of each shape; (2) ring route with
    one g and one lambda (the composition of n explicit Euler steps, no trees);
    (3) forward differences of a_m(tau), m = 0..|tau|+1.
    """
    tied_form = tied_form or (lambda n, k: expand(n, k, tied=True).terms)
    k_max = _affordable_order(depth, order, RING_MAX_TERMS)
    terms = tied_form(depth, k_max)
    coef = {t.tree: t.coefficient for t in terms}
    # (1) labeled-tree sums
    sums: dict[RootedTree, Fraction] = {}
    for k in range(1, k_max + 1):
        for t in labeled_trees(depth, k):
            sums[t.shape()] = sums.get(t.shape(), Fraction(0)) + Fraction(1, t.sigma())
    ok_sum = sums == {tau: c for tau, c in coef.items() if c != 0}
    # (2) ring route
    ok_ring, monomials = rex_ring_route(terms, depth, k_max, tied=True)
    # (3) leading coefficients of a_n as polynomials in n
    ok_lead = True
    shapes = [tau for k in range(1, k_max + 1) for tau in rooted_trees(k)]
    for tau in shapes:
        values = [decreasing_labelings(tau, m) for m in range(tau.order + 2)]
        degree, lead = interpolate_leading(values)
        ok_lead &= degree == tau.order and lead == Fraction(1, tau.gamma())
    ok = ok_sum and ok_ring and ok_lead
    return Outcome("labeled sums + Euler-step ring + interpolation", _size(depth, k_max), verdict(ok), {
        "shapes": len(shapes),
        "sum_over_labelings": verdict(ok_sum),
        "euler_steps": verdict(ok_ring),
        "leading_inverse_gamma": verdict(ok_lead),
    })


CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="REX",
        statement="x_n = x + sum_{|t|<=K} lambda(t)/sigma(t) F(t)(x) + O(lambda^(K+1)) over labeled trees t",
        hypotheses="g_i smooth near x; distinct modules; per-layer scales lambda_i",
        proof="proofs/residual-expansion.md#theorem",
        check=check_rex,
    ),
    Claim(
        id="REX2",
        statement="x_n = x + lambda sum_i g_i + lambda^2 sum_{j<i} g_i' g_j + O(lambda^3) (Dherin-Munn)",
        hypotheses="g_i twice differentiable near x; uniform or per-layer lambda",
        proof="proofs/residual-expansion.md#second-order-corollary",
        check=check_rex2,
    ),
    Claim(
        id="COUNT",
        statement="N(n,k) by the Euler-transform recursion = number of labeled trees = distinct elementary differentials",
        hypotheses="none (combinatorial)",
        proof="proofs/residual-expansion.md#counting",
        check=check_count,
    ),
    Claim(
        id="TIED",
        statement="weight-tied: coefficient a_n(tau)/sigma(tau), a_n a degree-|tau| polynomial with leading coefficient 1/gamma(tau)",
        hypotheses="g_i = g, lambda_i = lambda",
        proof="proofs/residual-expansion.md#weight-tied-corollary",
        check=check_tied,
    ),
)
