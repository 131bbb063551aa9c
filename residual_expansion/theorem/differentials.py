"""Elementary differentials F(t) evaluated in the exact settings the verifier compares.

``F(t)(x) = g_r^{(m)}(x)[F(t_1)(x), ..., F(t_m)(x)]`` (docs/theory.md#the-residual-expansion-theorem). Here it is
evaluated (a) symbolically for scalar modules, as a monomial in generators standing for
``g_i^{(m)}(x)``, and (b) exactly on polynomial instances at a rational point, sharing the
value of common subtrees. Also here: the *free* expansion, which builds the closed form
by the induction of the proof instead of by enumerating trees.

The evaluators accept any object with ``label`` and ``children`` attributes, so the
soundness tests can hand them trees that break the label order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from math import factorial, prod

from sympy.polys.domains import QQ
from sympy.polys.rings import PolyElement

from residual_expansion.theorem.composition import GenericRing
from residual_expansion.theorem.expansion import Term
from residual_expansion.theorem.instances import PolyMap, Vector, apply_multilinear
from residual_expansion.theorem.trees import LabeledTree, _canonical


def scalar_monomial(tree, gr: GenericRing, tied: bool = False) -> PolyElement:
    """F(t) for scalar modules: prod over nodes v of G[label(v)][children(v)] (tied: G[1][...]).

    For d = 1 a multilinear map is a product, so F(t) is the product over nodes of
    ``g_{label}^{(#children)}(x)``.
    """
    layer = 0 if tied else tree.label - 1
    out = gr.G[layer][len(tree.children)]
    for c in tree.children:
        out = out * scalar_monomial(c, gr, tied)
    return out


def closed_form_ring(terms: Iterable[Term], gr: GenericRing, order: int, tied: bool = False) -> tuple[PolyElement, ...]:
    """Degree-k parts (k = 1..K) of the closed form for scalar modules, as ring elements.

    Distinct modules: sum coefficient * prod lambda_label * F(t). Tied: the scale of every
    layer is lambda_1 and every module is g_1.
    """
    parts = [gr.ring.zero] * order
    for term in terms:
        if tied:
            weight = gr.lambdas[0] ** term.order
            mono = _tied_monomial(term.tree, gr)
        else:
            weight = prod((gr.lambdas[v.label - 1] for v in _nodes(term.tree)), start=gr.ring.one)
            mono = scalar_monomial(term.tree, gr)
        c = term.coefficient
        parts[term.order - 1] += QQ(c.numerator, c.denominator) * weight * mono
    return tuple(parts)


def _tied_monomial(tree, gr: GenericRing) -> PolyElement:
    out = gr.G[0][len(tree.children)]
    for c in tree.children:
        out = out * _tied_monomial(c, gr)
    return out


def _nodes(tree) -> Iterable:
    yield tree
    for c in tree.children:
        yield from _nodes(c)


def closed_form_instance(terms: Iterable[Term], modules: Sequence[PolyMap], scales: Sequence[Fraction],
                         x0: Vector, order: int) -> tuple[Vector, ...]:
    """T_1..T_K of the closed form on polynomial modules at x0, exactly.

    ``T_k = sum_{|t| = k} coefficient * prod_v scales[label(v)] * F(t)(x0)`` with
    ``F(t)(x0) = g_r^{(m)}(x0)[F(t_1)(x0), ...]`` from exact derivative tensors; values of
    common subtrees and tensors are computed once.
    """
    dim = len(x0)
    tensors: dict[tuple[int, int], dict] = {}
    values: dict = {}

    def F(t) -> Vector:
        key = t
        if key in values:
            return values[key]
        m = len(t.children)
        if (t.label, m) not in tensors:
            tensors[(t.label, m)] = modules[t.label - 1].derivative_tensor(x0, m)
        v = apply_multilinear(tensors[(t.label, m)], [F(c) for c in t.children], dim)
        values[key] = v
        return v

    sums = [[Fraction(0)] * dim for _ in range(order)]
    for term in terms:
        w = term.coefficient * prod((scales[v.label - 1] for v in _nodes(term.tree)), start=Fraction(1))
        f = F(term.tree)
        acc = sums[term.order - 1]
        for j in range(dim):
            acc[j] += w * f[j]
    return tuple(tuple(s) for s in sums)


def free_expansion(depth: int, order: int) -> dict[LabeledTree, Fraction]:
    """The closed form built by the induction of the proof, with ordered argument tuples.

    ``D_0 = 0``; ``D_i = D_{i-1} + lambda_i sum_m (1/m!) g_i^{(m)}[D_{i-1}, ..., D_{i-1}]``
    truncated at order K, where the m-linear map is expanded over *ordered* m-tuples of
    terms of ``D_{i-1}`` (no multiset counting, no symmetry factor), and each resulting
    elementary differential is put in canonical form. Returns {tree: coefficient} for
    every tree produced: by the theorem the keys are all labeled trees of order <= K and
    each coefficient is 1/sigma(t).

    >>> sorted((str(t), str(c)) for t, c in free_expansion(2, 3).items())
    [('g1', '1'), ('g2', '1'), ("g2' g1", '1'), ("g2''[g1, g1]", '1/2')]
    """
    D: dict[LabeledTree, Fraction] = {}
    for i in range(1, depth + 1):
        by_order: dict[int, list[tuple[LabeledTree, Fraction]]] = {}
        for t, c in D.items():
            by_order.setdefault(t.order, []).append((t, c))
        new: dict[LabeledTree, Fraction] = {}
        for m in range(order):
            scale = Fraction(1, factorial(m))
            for combo, coef in _ordered_tuples(by_order, m, order - 1):
                tree = _canonical(i, tuple(sorted(combo)))
                new[tree] = new.get(tree, Fraction(0)) + scale * coef
        for t, c in new.items():
            D[t] = D.get(t, Fraction(0)) + c
    return D


def _ordered_tuples(by_order: dict[int, list[tuple[LabeledTree, Fraction]]], m: int, budget: int):
    """Ordered m-tuples of terms whose orders add up to at most ``budget``, with coefficient products."""
    if m == 0:
        yield (), Fraction(1)
        return
    for k, items in by_order.items():
        if k + (m - 1) <= budget:  # every later slot needs at least one node
            for rest, coef in _ordered_tuples(by_order, m - 1, budget - k):
                for t, c in items:
                    yield (t, *rest), c * coef
