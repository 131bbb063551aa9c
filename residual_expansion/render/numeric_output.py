"""Render a numeric cross-check (``crosscheck``) as text or JSON, and plot its remainders.

matplotlib is imported only by :func:`require_matplotlib` / :func:`plot_remainders`.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from residual_expansion.errors import UsageError
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


def require_matplotlib():
    """Import matplotlib (Agg backend) or raise UsageError naming the optional extra."""
    try:
        # optional extra (plot): matplotlib
        import matplotlib
    except ImportError:
        raise UsageError("plot needs matplotlib: pip install 'residual-expansion[plot]'",
                         parameters=("plot",)) from None

    if "ipykernel" not in sys.modules:  # in a Jupyter kernel keep its (inline) backend: Figures display
        matplotlib.use("Agg")
    return matplotlib


def plot_remainders(result: Any, path: str | None = None):
    """A log-log plot of R_k(lambda), k = 1..K, with the fitted window of R_K and slope guides, as a matplotlib
    Figure (also written to ``path`` when given)."""
    require_matplotlib()
    # optional extra (plot): matplotlib
    import matplotlib.pyplot as plt

    if result.curves is None:
        raise ValueError("plot_remainders needs a result computed with curves=True")
    lams, rows = result.curves
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    for k, rs in enumerate(rows, start=1):
        pts = [(l, r) for l, r in zip(lams, rs) if r > 0 and math.isfinite(r)]
        if pts:
            ax.loglog(*zip(*pts), label=f"R_{k}  (slope {k + 1} expected)")
    fit = result.fit
    if fit.lambdas and not fit.exact:
        ax.loglog(fit.lambdas, fit.remainders, "ko", ms=3, label=f"fit window of R_{fit.order}: slope "
                  + ("none" if fit.slope is None else f"{fit.slope:.2f}"))
    act = f"/{result.activation}" if result.activation else ""
    ax.set_title(f"Remainder of the order-k closed form: {result.module}{act}, n={result.depth}, d={result.dim}")
    ax.set_xlabel("lambda")
    ax.set_ylabel("||x_n(lambda) - sum_{j<=k} lambda^j T_j||_inf")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, metadata={"Software": None})
        plt.close(fig)
    return fig
