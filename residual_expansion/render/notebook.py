"""Rich display in Jupyter: LaTeX for expansions, terms and trees; Markdown for results.

The library's result objects define ``_repr_latex_`` / ``_repr_markdown_`` that call the
functions here (presentation stays in ``render``), so in a notebook

    expand(3, 3)                      # renders the closed form as an align* block
    run_claims(select("REX"), 4, 3, 0)  # renders a results table
    crosscheck(4, 2, "mlp")           # renders the coefficient and remainder tables

Reference: docs/api.md ("Notebooks"); docs/examples/tour.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from residual_expansion.render.expansion_output import _coef_latex, differential_latex, math_block
from residual_expansion.render.numeric_output import coefficient_table, remainder_table
from residual_expansion.render.path_output import render_paths
from residual_expansion.render.sweep_output import render_sweep
from residual_expansion.render.table import Table, render_table
from residual_expansion.theorem.trees import LabeledTree


def tree_latex(tree: Any) -> str:
    """``$g_3''(x)\\bigl[g_1(x), g_2(x)\\bigr]$`` (labeled) or the tied form (unlabeled)."""
    return f"${differential_latex(tree)}$"


def term_latex(term: Any) -> str:
    """A term alone: coefficient, weight prod_v lambda_label(v) (tied: lambda^k) and F(t)."""
    if isinstance(term.tree, LabeledTree):
        weight = r"\,".join(f"\\lambda_{{{label}}}" + (f"^{{{m}}}" if m > 1 else "")
                            for label, m in term.tree.labels())
    else:
        weight = r"\lambda" + (f"^{{{term.order}}}" if term.order > 1 else "")
    return f"${_coef_latex(Fraction(term.coefficient))}{weight}\\, {differential_latex(term.tree)}$"


def expansion_latex(expansion: Any) -> str:
    """One ``align*`` block (MathJax): :func:`residual_expansion.render.expansion_output.math_block`."""
    return math_block(expansion)


def _cell(value: Any) -> str:
    text = f"{value:.3g}" if isinstance(value, float) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def claim_result_markdown(result: Any) -> str:
    """One claim result: a header line with the status, then its evidence as a table."""
    head = f"**{result.claim}** {result.status} ({result.size}): {result.method}"
    table = Table(("evidence", "value"), tuple((str(k), _cell(v)) for k, v in result.evidence.items()))
    return head + "\n\n" + render_table(table, "markdown")


def claim_results_markdown(results: Sequence[Any]) -> str:
    """A results table (claim, status, size, method) with a PASS/FAIL count."""
    passed = sum(r.status == "PASS" for r in results)
    failed = sum(r.status == "FAIL" for r in results)
    rows = tuple((r.claim, r.status, _cell(r.size), _cell(r.method)) for r in results)
    table = Table(("claim", "status", "size", "method"), rows)
    return f"**{passed} PASS, {failed} FAIL** of {len(results)} claims\n\n" + render_table(table, "markdown")


def crosscheck_markdown(result: Any) -> str:
    """A cross-check: verdict, then the coefficient and remainder tables."""
    head = (f"**crosscheck {'PASS' if result.passed else 'FAIL'}**: depth {result.depth}, order {result.order}, "
            f"module {result.module}, d = {result.dim}, seed {result.seed}")
    return "\n\n".join([head, render_table(coefficient_table(result), "markdown"),
                        render_table(remainder_table(result), "markdown")])


def exact_markdown(result: Any) -> str:
    """The exact route's result as a two-column table."""
    rows = [("status", "PASS" if result.passed else "FAIL"), ("depth n", str(result.depth)),
            ("order K", str(result.order)), ("point x0", f"({', '.join(result.point)})"),
            ("terms", str(result.terms)), ("transcendental generators", str(result.generators)),
            ("mismatches", str(len(result.mismatches)))]
    if result.mismatches:
        rows.append(("lowest mismatch (order, coordinate)", str(result.mismatches[0])))
    return "**exact route**: composition vs closed form in one ring over Q\n\n" + render_table(
        Table(("", ""), tuple(rows)), "markdown")


def paths_markdown(stats: Any) -> str:
    """Path statistics as the Markdown tables of ``paths --format markdown``."""
    return render_paths(stats, "markdown")


def sweep_markdown(sweep: Any) -> str:
    """A scaling sweep as the Markdown tables of ``scaling --format markdown``."""
    return render_sweep(sweep, "markdown")


__all__ = [
    "tree_latex", "term_latex", "expansion_latex", "claim_result_markdown", "claim_results_markdown",
    "crosscheck_markdown", "exact_markdown", "paths_markdown", "sweep_markdown",
]
