"""Render claim results (``verify``) as text, Markdown, LaTeX or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from residual_expansion.claims.base import ClaimResult
from residual_expansion.render.table import Table, render_table, to_json


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def evidence_line(result: ClaimResult) -> str:
    """The evidence as ``key=value; key=value``."""
    return "; ".join(f"{k}={_fmt(v)}" for k, v in result.evidence.items())


def results_table(results: Sequence[ClaimResult], depth: int, order: int, seed: int) -> Table:
    rows = tuple(
        (r.claim, r.status, r.size, r.method, evidence_line(r), f"{r.seconds:.2f}") for r in results
    )
    passed = sum(r.status == "PASS" for r in results)
    return Table(
        headers=("claim", "status", "size", "method", "evidence", "seconds"),
        rows=rows,
        caption=f"residual-expansion verify: depth {depth}, order {order}, seed {seed}: "
        f"{passed}/{len(results)} PASS",
        align="lllllr",
    )


def render_results(results: Sequence[ClaimResult], fmt: str, *, depth: int, order: int, seed: int) -> str:
    """All results in ``fmt`` (``text``, ``markdown``, ``latex`` or ``json``)."""
    if fmt == "json":
        return to_json(
            {
                "depth": depth,
                "order": order,
                "seed": seed,
                "all_pass": all(r.status == "PASS" for r in results),
                "results": [r.to_dict() for r in results],
            }
        )
    return render_table(results_table(results, depth, order, seed), fmt)
