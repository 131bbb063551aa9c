"""Render a numeric cross-check (``crosscheck``) as text, Markdown, LaTeX or JSON.

The plot of its remainders is :func:`residual_expansion.render.figures.plot_remainders`.
"""

from __future__ import annotations

import math
from typing import Any

from residual_expansion.render.latex import latex_text
from residual_expansion.render.table import Table, render_table, to_json
from residual_expansion.schemas import tag


def _g(x: float | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return "overflow" if math.isinf(x) else "nan"
    return f"{x:.3g}"


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def coefficient_table(result: Any) -> Table:
    """Per order: relative error (to the magnitude M_k), tolerance, condition ||M_k|| / ||T_k||."""
    c = result.coefficients
    rows = tuple(
        (str(k), _g(e), _g(c.tolerance), _g(cond))
        for k, (e, cond) in enumerate(zip(c.relative_errors, c.condition), start=1)
    )
    return Table(
        headers=("k", "||T_k(Taylor) - T_k(closed)|| / ||M_k||", "tolerance 2 gamma_L", "||M_k|| / ||T_k||"),
        rows=rows,
        caption=f"Coefficients: Taylor mode vs closed form ({c.terms} terms, {c.subtrees} distinct subtrees): "
                f"{_status(c.passed)}",
        align="rrrr",
    )


def remainder_table(result: Any) -> Table:
    """lambda, R_K(lambda) (and its rounding bound in the exact case)."""
    fit = result.fit
    w = fit.window
    how = "automatic" if w.automatic else "given"
    if fit.exact:
        caption = (f"Remainder R_{fit.order}: the series terminates (K >= n), so R must vanish to rounding on "
                   f"[{_g(w.lo)}, {_g(w.hi)}] ({how}): {_status(fit.passed)}")
        rows = tuple((_g(l), _g(r), _g(t)) for l, r, t in zip(fit.lambdas, fit.remainders, fit.tolerances))
        return Table(("lambda", f"R_{fit.order}(lambda)", "rounding bound"), rows, caption, "rrr")
    slope = "none" if fit.slope is None else f"{fit.slope:.3f}"
    caption = (f"Remainder R_{fit.order}(lambda) = ||x_n(lambda) - sum_(k<={fit.order}) lambda^k T_k||_inf on "
               f"[{_g(w.lo)}, {_g(w.hi)}] ({how}): slope {slope}, expected {fit.expected_slope} +- 0.25: "
               f"{_status(fit.passed)}")
    rows = tuple((_g(l), _g(r)) for l, r in zip(fit.lambdas, fit.remainders))
    return Table(("lambda", f"R_{fit.order}(lambda)"), rows, caption, "rr")


def exactness_table(result: Any) -> Table:
    """The order-n closed form (chain terms) against the forward pass."""
    ex = result.exactness
    where = "" if result.radius is None else f", inside the sign radius {_g(result.radius)}"
    signs = "" if ex.signs_unchanged is None else f"; pre-activation signs unchanged: {ex.signs_unchanged}"
    rows = tuple((_g(l), _g(r), _g(t)) for l, r, t in zip(ex.lambdas, ex.residuals, ex.tolerances))
    return Table(
        headers=("lambda", "||x_n - order-n closed form||", "rounding bound"),
        rows=rows,
        caption=f"Exactness: {ex.paths} path terms (order n = {result.depth}){where}{signs}: {_status(ex.passed)}",
        align="rrr",
    )


def _paragraph(text: str, fmt: str) -> str:
    if fmt == "latex":
        return "\\par\\noindent " + latex_text(text) + "\\par"
    return text


def render_crosscheck(result: Any, fmt: str) -> str:
    """The cross-check as ``text``, ``markdown``, ``latex`` (a headline and three tables) or
    ``json`` (``result.to_dict()`` with its schema tag)."""
    if fmt == "json":
        return to_json(tag("crosscheck", result.to_dict()))
    act = f"/{result.activation}" if result.activation else ""
    width = f", h {result.width}" if result.width is not None else ""
    head = (f"crosscheck: {result.module}{act}, depth {result.depth}, order {result.order}, d {result.dim}{width}, "
            f"seed {result.seed}: {_status(result.passed)}")
    parts = [_paragraph(head, fmt), render_table(coefficient_table(result), fmt),
             render_table(remainder_table(result), fmt)]
    if result.fit.reason:
        parts.append(_paragraph(f"note: {result.fit.reason}"
                                + ("; the exactness check below stands in for it" if result.exactness is not None
                                   and result.fit.window.reason else ""), fmt))
    if result.exactness is not None:
        parts.append(render_table(exactness_table(result), fmt))
    return "\n\n".join(parts)
