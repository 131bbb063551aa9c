"""Render an :class:`~residual_expansion.theorem.expansion.Expansion`: text, LaTeX, JSON, sympy.

Elementary differentials are written as in theory.md: ``g3''[g1, g2]`` in text and
``g_3''(x)\\bigl[g_1(x), g_2(x)\\bigr]`` in LaTeX (primes up to three, then ``g^{(4)}``);
a chain ``g3' g2' g1`` reads ``g_3'(x)\\, g_2'(x)\\, g_1(x)``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from residual_expansion.theorem.expansion import Expansion, Term
from residual_expansion.render.table import Table, render_table, to_json
from residual_expansion.theorem.trees import LabeledTree, RootedTree


def _name(tree: LabeledTree | RootedTree) -> tuple[str, str]:
    """(text name, LaTeX name) of the module at the root: g3 / g_3, or g / g when tied."""
    if isinstance(tree, LabeledTree):
        sub = str(tree.label) if tree.label < 10 else f"{{{tree.label}}}"
        return f"g{tree.label}", f"g_{sub}"
    return "g", "g"


def _primes_latex(m: int) -> str:
    return "'" * m if m <= 3 else f"^{{({m})}}"


def differential_text(tree: LabeledTree | RootedTree) -> str:
    """``g3''[g1, g2]``; chains ``g3' g2' g1``; tied: ``g''[g, g]``."""
    name, _ = _name(tree)
    m = len(tree.children)
    head = name + ("'" * m if m <= 3 else f"^({m})")
    if m == 0:
        return head
    if m == 1:
        return f"{head} {differential_text(tree.children[0])}"
    return f"{head}[{', '.join(differential_text(c) for c in tree.children)}]"


def differential_latex(tree: LabeledTree | RootedTree) -> str:
    """``g_3''(x)\\bigl[g_1(x), g_2(x)\\bigr]``; chains ``g_3'(x)\\, g_2'(x)\\, g_1(x)``."""
    _, name = _name(tree)
    m = len(tree.children)
    head = f"{name}{_primes_latex(m)}(x)"
    if m == 0:
        return head
    if m == 1:
        return rf"{head}\, {differential_latex(tree.children[0])}"
    inner = ", ".join(differential_latex(c) for c in tree.children)
    return rf"{head}\bigl[{inner}\bigr]"


def _coef_text(c: Fraction) -> str:
    return "" if c == 1 else f"({c}) "


def _coef_latex(c: Fraction) -> str:
    if c == 1:
        return ""
    if c.denominator == 1:
        return f"{c.numerator}\\, "
    return rf"\tfrac{{{c.numerator}}}{{{c.denominator}}}\, "


def weight_text(expansion: Expansion, term: Term) -> str:
    return str(expansion.weight(term)).replace("**", "^")


def term_text(expansion: Expansion, term: Term) -> str:
    """``(1/2) lambda_1^2*lambda_3 g3''[g1, g1]``."""
    return f"{_coef_text(term.coefficient)}{weight_text(expansion, term)} {differential_text(term.tree)}"


def term_latex(expansion: Expansion, term: Term) -> str:
    return f"{_coef_latex(term.coefficient)}{sympy.latex(expansion.weight(term))}\\, {differential_latex(term.tree)}"


def render_text(expansion: Expansion) -> str:
    """One line per term, grouped by order, with the count of each order."""
    kind = "weight-tied modules" if expansion.tied else "distinct modules"
    lines = [f"x_{expansion.depth} = x + sum over {sum(expansion.counts())} terms up to order "
             f"{expansion.order} ({kind}) + O(lambda^{expansion.order + 1})"]
    for k in range(1, expansion.order + 1):
        terms = expansion.of_order(k)
        lines.append(f"order {k} ({len(terms)} terms):")
        lines.extend(f"  {term_text(expansion, t)}" for t in terms)
    return "\n".join(lines)


def render_latex(expansion: Expansion) -> str:
    """An ``align*`` environment, one order per line group (compiles with amsmath)."""
    rows = [r"\begin{align*}", f"x_{{{expansion.depth}}} &= x"]
    for k in range(1, expansion.order + 1):
        rows.append(rf"\\ &\quad \text{{order {k}:}}")
        for t in expansion.of_order(k):
            rows.append(rf"\\ &\qquad + {term_latex(expansion, t)}")
    rows.append(rf"\\ &\quad + O(\lambda^{{{expansion.order + 1}}})")
    rows.append(r"\end{align*}")
    return "\n".join(rows)


def tree_json(tree: LabeledTree | RootedTree) -> Any:
    """Distinct modules: ``{"layer": i, "children": [...]}``; tied: nested lists."""
    return tree.to_dict() if isinstance(tree, LabeledTree) else tree.to_list()


def expansion_dict(expansion: Expansion) -> dict[str, Any]:
    """The JSON document of ``expand`` (issue 2): depth, order, tied, counts, terms."""
    return {
        "depth": expansion.depth,
        "order": expansion.order,
        "tied": expansion.tied,
        "counts": list(expansion.counts()),
        "terms": [
            {
                "order": t.order,
                "tree": tree_json(t.tree),
                "coefficient": f"{t.coefficient.numerator}/{t.coefficient.denominator}",
                "latex": differential_latex(t.tree),
            }
            for t in expansion.terms
        ],
    }


def render_json(expansion: Expansion) -> str:
    return to_json(expansion_dict(expansion))


def render_expansion(expansion: Expansion, fmt: str) -> str:
    """``fmt`` in text, latex, json."""
    if fmt == "text":
        return render_text(expansion)
    if fmt == "latex":
        return render_latex(expansion)
    if fmt == "json":
        return render_json(expansion)
    raise ValueError(f"unknown format {fmt!r}; allowed: text, latex, json")


def differential_sympy(tree: LabeledTree | RootedTree, x: sympy.Symbol) -> sympy.Expr:
    """F(t)(x) for scalar modules: product over nodes of ``Derivative(g_label(x), (x, m))``."""
    g = sympy.Function(f"g{tree.label}" if isinstance(tree, LabeledTree) else "g")(x)
    m = len(tree.children)
    head = g if m == 0 else sympy.Derivative(g, (x, m))
    return sympy.Mul(head, *(differential_sympy(c, x) for c in tree.children))


def to_sympy(expansion: Expansion, x: sympy.Symbol | None = None) -> sympy.Expr:
    """The closed form as a scalar sympy expression in undefined functions g_i(x).

    >>> from residual_expansion.theorem.expansion import expand
    >>> to_sympy(expand(2, 2, uniform=True))
    lambda**2*g1(x)*Derivative(g2(x), x) + lambda*g1(x) + lambda*g2(x) + x
    """
    x = x if x is not None else sympy.Symbol("x")
    total = [x]
    for t in expansion.terms:
        c = sympy.Rational(t.coefficient.numerator, t.coefficient.denominator)
        total.append(c * expansion.weight(t) * differential_sympy(t.tree, x))
    return sympy.Add(*total)


def counts_table(rows: dict[int, list[int]], orders: int) -> Table:
    """N(n, k) for each n (rows) and k = 1..orders (columns)."""
    return Table(
        headers=("n", *(f"k={k}" for k in range(1, orders + 1))),
        rows=tuple((str(n), *(str(v) for v in vals)) for n, vals in rows.items()),
        caption="N(n, k): labeled trees (elementary differentials) of order k at depth n",
        align="r" * (orders + 1),
    )


def tied_table(expansion: Expansion) -> Table:
    """The weight-tied table of theory 3.2: tree, a_n, sigma, gamma, coefficient."""
    rows = []
    for t in expansion.terms:
        tau = t.tree
        a_n = t.coefficient * tau.sigma()
        rows.append((str(tau), str(t.order), str(a_n), str(tau.sigma()), str(tau.gamma()), str(t.coefficient)))
    return Table(
        headers=("tree", "order", f"a_{expansion.depth}", "sigma", "gamma", "coefficient"),
        rows=tuple(rows),
        caption=f"Weight-tied expansion at depth {expansion.depth}: lambda^|tau| a_n(tau)/sigma(tau) F(tau)",
        align="lrrrrr",
    )


__all__ = [
    "counts_table", "differential_latex", "differential_sympy", "differential_text", "expansion_dict",
    "render_expansion", "render_table", "tied_table", "to_sympy",
]
