"""Render the exact route of a user's sympy stack (``crosscheck --module SPEC --exact``) as text or JSON."""

from __future__ import annotations

from typing import Any

from residual_expansion.render.table import to_json
from residual_expansion.schemas import tag


def render_exact(result: Any, fmt: str, module: str = "") -> str:
    """An :class:`~residual_expansion.models.adapters.exact.ExactCheck` as ``text`` or ``json``.

    >>> import sympy
    >>> from residual_expansion.models.adapters import SympyModule
    >>> from residual_expansion.models.adapters.exact import exact_check
    >>> x = sympy.symbols("x1:2")
    >>> print(render_exact(exact_check([SympyModule((x[0] ** 2,), x)] * 2, 2, point=(1,)), "text"))
    residual-expansion crosscheck (exact): depth 2, order 2, dim 1: PASS
    method:      composition of Taylor polynomials (line derivatives) vs closed form over labeled trees (partial-derivative tensors), one ring over Q
    point x0:    (1)
    terms:       3
    subtrees:    3
    generators:  0 transcendental values
    mismatches:  0
    """
    d = result.to_dict()
    if module:
        d = {"module": module, **d}
    if fmt == "json":
        return to_json(tag("crosscheck", {"mode": "exact", **d}))
    head = (f"residual-expansion crosscheck (exact): depth {result.depth}, order {result.order}, dim {result.dim}"
            f"{', module ' + module if module else ''}: {'PASS' if result.passed else 'FAIL'}")
    lines = [
        head,
        "method:      composition of Taylor polynomials (line derivatives) vs closed form over labeled trees "
        "(partial-derivative tensors), one ring over Q",
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


__all__ = ["render_exact"]
