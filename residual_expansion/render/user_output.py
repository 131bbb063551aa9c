"""Render the exact route of a user's sympy stack (``crosscheck --module SPEC --exact``) as text, Markdown,
LaTeX or JSON."""

from __future__ import annotations

from typing import Any

from residual_expansion.render.latex import latex_escape, latex_text
from residual_expansion.render.table import Table, render_table, to_json
from residual_expansion.schemas import tag


_EXACT_METHOD = ("composition of Taylor polynomials (line derivatives) vs closed form over labeled trees "
                 "(partial-derivative tensors), one ring over Q")


def exact_table(result: Any, module: str = "") -> Table:
    """The exact route's result as a two-column table (field, value): status, sizes, the point,
    counts and the first mismatch when there is one. LaTeX cells hold the point and rationals
    in math mode."""
    status = "PASS" if result.passed else "FAIL"
    point = f"({', '.join(result.point)})"
    rows = [("status", status, status, "status"),
            ("module", module, r"\texttt{" + latex_escape(module).replace("/", r"/\allowbreak{}") + "}", "module"),
            ("depth n", str(result.depth), f"${result.depth}$", "depth $n$"),
            ("order K", str(result.order), f"${result.order}$", "order $K$"),
            ("dimension d", str(result.dim), f"${result.dim}$", "dimension $d$"),
            ("point x0", point, "$" + _latex_tuple(result.point) + "$", "point $x_0$"),
            ("terms", str(result.terms), f"${result.terms}$", "terms"),
            ("subtrees", str(result.subtrees), f"${result.subtrees}$", "subtrees"),
            ("transcendental generators", str(result.generators), f"${result.generators}$",
             "transcendental generators"),
            ("mismatches", str(len(result.mismatches)), f"${len(result.mismatches)}$", "mismatches")]
    if not module:
        rows.pop(1)
    if result.mismatches:
        k, j = result.mismatches[0]
        comp, closed = result.first_mismatch
        text = f"order {k}, coordinate {j}: composition {comp} != closed form {closed}"
        latex = (f"order ${k}$, coordinate ${j}$: composition ${_latex_expr(comp)}$ $\\neq$ closed form "
                 f"${_latex_expr(closed)}$")
        rows.append(("first mismatch", text, latex, "first mismatch"))
    return Table(("field", "value"), tuple((a, b) for a, b, _, _ in rows), align="ll",
                 latex_rows=tuple((d, c) for _, _, c, d in rows))


def _latex_expr(value: Any) -> str:
    r"""An exact value (a sympy expression or its string) in LaTeX math, by ``sympy.latex``.

    >>> _latex_expr("sin(1/4)**2/2")
    '\\frac{\\sin^{2}{\\left(\\frac{1}{4} \\right)}}{2}'
    """
    import sympy  # start-up: sympy loads only to typeset a mismatch

    return sympy.latex(sympy.sympify(value))


def _latex_tuple(point: Any) -> str:
    r"""``("3/4", "-1", "0")`` -> ``(\tfrac{3}{4}, -1, 0)`` (breakable after each comma).

    >>> _latex_tuple(("3/4", "-1", "0"))
    '(\\tfrac{3}{4},\\allowbreak -1,\\allowbreak 0)'
    """
    parts = []
    for x in point:
        sign, body = ("-", x[1:]) if x.startswith("-") else ("", x)
        num, _, den = body.partition("/")
        parts.append(sign + (rf"\tfrac{{{num}}}{{{den}}}" if den else num))
    return "(" + r",\allowbreak ".join(parts) + ")"


def render_exact(result: Any, fmt: str, module: str = "") -> str:
    """An :class:`~residual_expansion.models.adapters.exact.ExactCheck` as ``text``, ``markdown``,
    ``latex`` (a headline and a two-column table, see :func:`exact_table`) or ``json``.

    >>> import sympy
    >>> from residual_expansion.models.adapters import SympyModule
    >>> from residual_expansion.models.adapters.exact import exact_check
    >>> x = sympy.symbols("x1:2")
    >>> result = exact_check([SympyModule((x[0] ** 2,), x)] * 2, 2, point=(1,))
    >>> print(render_exact(result, "text"))
    residual-expansion crosscheck (exact): depth 2, order 2, dim 1: PASS
    method:      composition of Taylor polynomials (line derivatives) vs closed form over labeled trees (partial-derivative tensors), one ring over Q
    point x0:    (1)
    terms:       3
    subtrees:    3
    generators:  0 transcendental values
    mismatches:  0
    >>> print(render_exact(result, "markdown").splitlines()[6])
    | status | PASS |
    """
    d = result.to_dict()
    if module:
        d = {"module": module, **d}
    if fmt == "json":
        return to_json(tag("crosscheck", {"mode": "exact", **d}))
    status = "PASS" if result.passed else "FAIL"
    if fmt in ("markdown", "latex"):
        head = (f"crosscheck (exact): depth {result.depth}, order {result.order}, dim {result.dim}: {status}")
        if fmt == "markdown":
            return f"**{head}**\n\nmethod: {_EXACT_METHOD}\n\n" + render_table(exact_table(result, module), fmt)
        return ("\\par\\noindent " + latex_text(head) + "\\par\n\\par\\noindent method: " + latex_text(_EXACT_METHOD)
                + "\\par\n\n" + render_table(exact_table(result, module), fmt))
    head = (f"residual-expansion crosscheck (exact): depth {result.depth}, order {result.order}, dim {result.dim}"
            f"{', module ' + module if module else ''}: {status}")
    lines = [
        head,
        "method:      " + _EXACT_METHOD,
        f"point x0:    ({', '.join(result.point)})",
        f"terms:       {result.terms}",
        f"subtrees:    {result.subtrees}",
        f"generators:  {result.generators} transcendental values",
        f"mismatches:  {len(result.mismatches)}",
    ]
    if result.mismatches:
        k, j = result.mismatches[0]
        comp, closed = result.first_mismatch
        lines.append(f"first:       order {k}, coordinate {j}: composition {comp} != closed form {closed}")
    return "\n".join(lines)


__all__ = ["exact_table", "render_exact"]
