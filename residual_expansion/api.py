"""The notebook entry points of ``import residual_expansion as rx`` that are not a library function as is.

* :func:`render`: any result (expansion, path statistics, cross-check, sweep, claim
  results, table) as text, Markdown, LaTeX or JSON, by dispatching to its renderer in
  :mod:`residual_expansion.render`;
* :func:`run_claims`: run registered claims by id at one size.

See docs/architecture.md#top-level-api.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from residual_expansion.errors import UsageError

FORMATS = ("text", "markdown", "latex", "json")


def run_claims(depth: int, order: int = 4, seed: int = 0, ids: str | Sequence[str] | None = None):
    """Run the claims ``ids`` (all registered claims when None) at depth n, order K, seed.

    Arguments
    ---------
    depth, order, seed: the size and seed every claim runs at (as ``verify``).
    ids: claim ids, comma-separated or a sequence (e.g. ``"REX,COUNT"``).

    Returns
    -------
    :class:`~residual_expansion.claims.base.ClaimResults` (a tuple of ClaimResult).

    Raises
    ------
    UsageError
        For an unknown claim id.

    >>> [r.status for r in run_claims(4, 2, ids="COUNT")]
    ['PASS']
    """
    from residual_expansion import claims  # the registry imports every claim module: only when used

    if ids is not None and not isinstance(ids, str):
        ids = ",".join(ids)
    return claims.run_claims(claims.select(ids), depth, order, seed)


def render(result: Any, fmt: str = "text", **options: Any) -> str:
    """``result`` in ``fmt`` (text, markdown, latex or json), by its renderer.

    Handles an :class:`~residual_expansion.theorem.expansion.Expansion`,
    :class:`~residual_expansion.paths.polynomial.PathStatistics`,
    :class:`~residual_expansion.numeric.crosscheck.CrossCheck`,
    :class:`~residual_expansion.scaling.sweep.Sweep`,
    :class:`~residual_expansion.render.table.Table`, and claim results (a sequence of
    ClaimResult, or one; ``options`` ``depth``, ``order``, ``seed`` give the header).
    Each renderer accepts the formats it lists; others raise UsageError.

    Raises
    ------
    UsageError
        For an unknown format, an unsupported result type, or a format the renderer lacks.

    >>> from residual_expansion.theorem.expansion import expand
    >>> print(render(expand(2, 1), "text"))
    x_2 = x + sum over 2 terms up to order 1 (distinct modules) + O(lambda^2)
    order 1 (2 terms):
      lambda_1 g1
      lambda_2 g2
    """
    if fmt not in FORMATS:
        raise UsageError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}", parameters=("fmt",))
    renderer = _renderer(result)
    if renderer is None:
        raise UsageError(f"result of type {type(result).__name__} has no renderer", parameters=("result",))
    return renderer(result, fmt, **options)


def _renderer(result: Any):
    """The renderer function for ``result``'s type (imported on demand: renderers pull in their libraries)."""
    # lazy: `import residual_expansion` stays light; a result type loads its renderer on use
    from residual_expansion.claims.base import ClaimResult
    from residual_expansion.numeric.crosscheck import CrossCheck
    from residual_expansion.paths.polynomial import PathStatistics
    from residual_expansion.render.table import Table
    from residual_expansion.scaling.sweep import Sweep
    from residual_expansion.theorem.expansion import Expansion

    if isinstance(result, Expansion):
        # lazy: `import residual_expansion` stays light; a result type loads its renderer on use
        from residual_expansion.render.expansion_output import render_expansion

        return _formats(render_expansion, ("text", "markdown", "latex", "json"))
    if isinstance(result, PathStatistics):
        # lazy: `import residual_expansion` stays light; a result type loads its renderer on use
        from residual_expansion.render.path_output import render_paths

        return render_paths
    if isinstance(result, CrossCheck):
        # lazy: `import residual_expansion` stays light; a result type loads its renderer on use
        from residual_expansion.render.numeric_output import render_crosscheck

        return _formats(render_crosscheck, ("text", "markdown", "latex", "json"))
    if isinstance(result, Sweep):
        # lazy: `import residual_expansion` stays light; a result type loads its renderer on use
        from residual_expansion.render.sweep_output import render_sweep

        return render_sweep
    if isinstance(result, Table):
        # lazy: `import residual_expansion` stays light; a result type loads its renderer on use
        from residual_expansion.render.table import render_table

        return render_table
    if isinstance(result, ClaimResult) or (
            isinstance(result, Sequence) and result and all(isinstance(r, ClaimResult) for r in result)):
        return _render_claims
    return None


def _formats(renderer, allowed: tuple[str, ...]):
    def checked(result: Any, fmt: str, **options: Any) -> str:
        if fmt not in allowed:
            raise UsageError(f"fmt {fmt!r} is not available for {type(result).__name__}; allowed: "
                             f"{', '.join(allowed)}", parameters=("fmt",))
        return renderer(result, fmt, **options)

    return checked


def _render_claims(results: Any, fmt: str, *, depth: int | None = None, order: int | None = None,
                   seed: int | None = None, timings: bool = False) -> str:
    # lazy: `import residual_expansion` stays light; a result type loads its renderer on use
    from residual_expansion.claims.base import ClaimResult
    from residual_expansion.render.claim_output import render_results

    if depth is None or order is None or seed is None:
        raise UsageError("claim results need depth, order and seed (the header of the report)",
                         parameters=("depth", "order", "seed"))
    rows = (results,) if isinstance(results, ClaimResult) else tuple(results)
    return render_results(rows, fmt, depth=depth, order=order, seed=seed, timings=timings)


__all__ = ["FORMATS", "render", "run_claims"]
