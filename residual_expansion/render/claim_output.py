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
        (r.claim, r.status, r.size, r.method, evidence_line(r)) + ((f"{r.seconds:.2f}",) if timings else ())
        for r in results
    )
    return Table(
        headers=("claim", "status", "size", "method", "evidence") + (("seconds",) if timings else ()),
        rows=rows,
        caption=_caption(results, depth, order, seed),
        align="lllll" + ("r" if timings else ""),
    )


def render_text(results: Sequence[ClaimResult], depth: int, order: int, seed: int, timings: bool = False) -> str:
    """A block per claim: ``ID  STATUS  size`` then the method and the evidence, indented."""
    width = max((len(r.claim) for r in results), default=5)
    out = [_caption(results, depth, order, seed), ""]
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
        return to_json({"claims": [{"claim": r.claim.id, "source": r.source, "statement": r.claim.statement,
                                    "hypotheses": r.claim.hypotheses, "proof": r.claim.proof} for r in entries]})
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
            if not timings:
                row.pop("seconds")
            rows.append(row)
        return to_json(
            {"depth": depth, "order": order, "seed": seed,
             "all_pass": all(r.status == "PASS" for r in results), "results": rows}
        )
    if fmt == "text":
        return render_text(results, depth, order, seed, timings)
    return render_table(results_table(results, depth, order, seed, timings), fmt)
