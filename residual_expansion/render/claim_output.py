"""Render claim results (``verify``) as text, Markdown, LaTeX or JSON.

The header says the order each claim actually ran at (:func:`order_ran`): a claim may run
below the requested order (REX2 is an order-2 statement; a numeric claim lowers its order
to stay within its term budget) or at order n (the exact path sums).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from residual_expansion.claims.base import ClaimResult
from residual_expansion.render.table import Table, render_table, to_json
from residual_expansion.schemas import tag


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def evidence_line(result: ClaimResult) -> str:
    """The evidence as ``key=value; key=value``."""
    return "; ".join(f"{k}={_fmt(v)}" for k, v in result.evidence.items())


def order_ran(result: ClaimResult, depth: int) -> int | None:
    """The order a claim's check ran at: ``evidence["order_used"]``, else ``K=k`` in its size,
    else ``depth`` for ``order n``; ``None`` for a claim without an order (counts, Monte Carlo).

    >>> r = ClaimResult("X", "m", "n=8, K=2", "PASS", {}, 0.0)
    >>> order_ran(r, 8), order_ran(ClaimResult("Y", "m", "n=8, order n", "PASS", {}, 0.0), 8)
    (2, 8)
    """
    used = result.evidence.get("order_used")
    if isinstance(used, int):
        return used
    m = re.search(r"\bK=(\d+)", result.size)
    if m:
        return int(m.group(1))
    if re.search(r"\border n\b", result.size):
        return depth
    return None


def orders_line(results: Sequence[ClaimResult], depth: int) -> str:
    """``orders run: 4 (REX, COUNT), 2 (REX2); no order: PATHS``, orders in first-seen order."""
    groups: dict[int, list[str]] = {}
    none: list[str] = []
    for r in results:
        k = order_ran(r, depth)
        (none if k is None else groups.setdefault(k, [])).append(r.claim)
    parts = [f"{k} ({', '.join(ids)})" for k, ids in groups.items()]
    line = "orders run: " + ("; ".join(parts) if parts else "none")
    return line + (f"; no order: {', '.join(none)}" if none else "")


def _caption(results: Sequence[ClaimResult], depth: int, order: int, seed: int) -> str:
    passed = sum(r.status == "PASS" for r in results)
    failed = sum(r.status == "FAIL" for r in results)
    skipped = len(results) - passed - failed
    tail = f", {skipped} SKIP" if skipped else ""
    return (f"residual-expansion verify: depth {depth}, order {order}, seed {seed}: "
            f"{passed} PASS, {failed} FAIL{tail}")


def results_table(results: Sequence[ClaimResult], depth: int, order: int, seed: int,
                  timings: bool = False) -> Table:
    """One row per claim: id, status, size, method, evidence (and seconds with ``timings``)."""
    rows = tuple(
        (r.claim, r.status, _order_cell(r, depth), r.size, r.method, evidence_line(r))
        + ((f"{r.seconds:.2f}",) if timings else ())
        for r in results
    )
    return Table(
        headers=("claim", "status", "order run", "size", "method", "evidence") + (("seconds",) if timings else ()),
        rows=rows,
        caption=_caption(results, depth, order, seed),
        align="llrlll" + ("r" if timings else ""),
    )


def _order_cell(result: ClaimResult, depth: int) -> str:
    k = order_ran(result, depth)
    return "-" if k is None else str(k)


def summary_table(results: Sequence[ClaimResult], depth: int, order: int, seed: int,
                  timings: bool = False) -> Table:
    """For LaTeX: one row per claim without the evidence (id, status, order run, size, method)."""
    rows = tuple(
        (r.claim, r.status, _order_cell(r, depth), r.size, r.method) + ((f"{r.seconds:.2f}",) if timings else ())
        for r in results
    )
    return Table(
        headers=("claim", "status", "order run", "size", "method") + (("seconds",) if timings else ()),
        rows=rows,
        caption=_caption(results, depth, order, seed) + f" (order {order} requested)",
        align="llrll" + ("r" if timings else ""),
    )


def evidence_table(results: Sequence[ClaimResult]) -> Table:
    """For LaTeX: the evidence, one row per (claim, key), the claim named on its first row."""
    rows = []
    for r in results:
        for i, (key, value) in enumerate(r.evidence.items()):
            rows.append((r.claim if i == 0 else "", key.replace("_", " "), _fmt(value)))
    return Table(headers=("claim", "evidence", "value"), rows=tuple(rows),
                 caption="Evidence behind each verdict", align="lll")


def render_text(results: Sequence[ClaimResult], depth: int, order: int, seed: int, timings: bool = False) -> str:
    """A block per claim: ``ID  STATUS  size`` then the method and the evidence, indented."""
    width = max((len(r.claim) for r in results), default=5)
    out = [_caption(results, depth, order, seed), orders_line(results, depth), ""]
    for r in results:
        head = f"{r.claim.ljust(width)}  {r.status}  {r.size}"
        if timings:
            head += f"  ({r.seconds:.2f} s)"
        out.append(head)
        out.append(f"{' ' * width}  method:   {r.method}")
        for key, value in r.evidence.items():
            out.append(f"{' ' * width}  {key}: {_fmt(value)}")
    return "\n".join(out)


def claim_list_table(entries: Sequence[Any]) -> Table:
    """One row per registered claim: id, source package, statement (``verify --list``)."""
    return Table(
        headers=("claim", "source", "statement"),
        rows=tuple((r.claim.id, r.source, r.claim.statement) for r in entries),
        caption=f"residual-expansion verify --list: {len(entries)} claims",
    )


def render_claim_list(entries: Sequence[Any], fmt: str) -> str:
    """The registered claims (:func:`residual_expansion.claims.registered_claims`) in ``fmt``."""
    if fmt == "json":
        return to_json(tag("verify", {"mode": "list", "claims": [
            {"claim": r.claim.id, "source": r.source, "statement": r.claim.statement,
             "hypotheses": r.claim.hypotheses, "proof": r.claim.proof} for r in entries]}))
    return render_table(claim_list_table(entries), fmt)


def render_results(results: Sequence[ClaimResult], fmt: str, *, depth: int, order: int, seed: int,
                   timings: bool = False) -> str:
    """All results in ``fmt`` (``text``, ``markdown``, ``latex`` or ``json``).

    Wall times are shown only with ``timings``, so that by default the same command
    prints the same bytes.
    """
    if fmt == "json":
        rows = []
        for r in results:
            row = r.to_dict()
            row["order"] = order_ran(r, depth)
            if not timings:
                row.pop("seconds")
            rows.append(row)
        return to_json(tag("verify", {
            "mode": "check", "depth": depth, "order": order, "seed": seed,
            "all_pass": all(r.status == "PASS" for r in results), "results": rows}))
    if fmt == "text":
        return render_text(results, depth, order, seed, timings)
    if fmt == "latex":
        return "\n\n".join(render_table(t, "latex") for t in (
            summary_table(results, depth, order, seed, timings), evidence_table(results)))
    table = results_table(results, depth, order, seed, timings)
    return render_table(table, fmt) + "\n\n" + orders_line(results, depth)
