"""Tables as plain text, Markdown and LaTeX (booktabs), and JSON encoding of results.

A :class:`Table` is data: a caption, column headers and rows of strings. Every command
that prints a table builds one and hands it to :func:`render_table`, so the four output
formats behave the same everywhere.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from residual_expansion.render.latex import column_layout, latex_escape, render_longtable

TABLE_FORMATS = ("text", "markdown", "latex")


@dataclass(frozen=True)
class Table:
    """A rectangular table.

    ``headers`` are plain text; cells are plain text, except that ``latex_rows`` (same
    shape as ``rows``) may give cells already in LaTeX (math), used by the LaTeX renderer.
    ``align`` holds one of ``l``/``r``/``c`` per column. ``key_columns`` leading columns
    identify a row: a LaTeX table too wide for the page is split in two, each repeating them.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    align: str = ""
    latex_rows: tuple[tuple[str, ...], ...] | None = None
    key_columns: int = 1

    def __post_init__(self) -> None:
        width = len(self.headers)
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"row {row!r} has {len(row)} cells, table has {width} columns")
        if self.align and len(self.align) != width:
            raise ValueError(f"align {self.align!r} must give one of l/r/c per column ({width})")

    def alignment(self) -> str:
        return self.align or "l" * len(self.headers)


def render_text(table: Table) -> str:
    """Columns padded to their widest cell; numbers right-aligned per ``align``."""
    cols = list(zip(table.headers, *table.rows))
    widths = [max(len(c) for c in col) for col in cols]
    align = table.alignment()

    def line(cells: tuple[str, ...]) -> str:
        parts = [c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(cells, widths, align)]
        return "  ".join(parts).rstrip()

    out = []
    if table.caption:
        out.append(table.caption)
    out.append(line(table.headers))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(r) for r in table.rows)
    return "\n".join(out)


def render_markdown(table: Table) -> str:
    """A GitHub-flavoured Markdown table, caption as a bold line above it."""
    marks = {"l": ":--", "r": "--:", "c": ":-:"}

    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    out = []
    if table.caption:
        out.append(f"**{esc(table.caption)}**\n")
    out.append("| " + " | ".join(esc(h) for h in table.headers) + " |")
    out.append("|" + "|".join(marks[a] for a in table.alignment()) + "|")
    out.extend("| " + " | ".join(esc(c) for c in r) + " |" for r in table.rows)
    return "\n".join(out)


def render_latex(table: Table) -> str:
    """A booktabs ``longtable`` fitted to the line width (see :mod:`residual_expansion.render.latex`).

    Needs ``\\usepackage{amsmath,amssymb,booktabs,longtable,array}``; the table breaks
    across pages, and columns too wide for the line become ragged-right ``p`` columns.
    """
    align = table.alignment()
    n = len(table.headers)
    if n > 4 and column_layout(table.headers, table.rows, align).fallback:
        # too many columns for one line: two tables, each repeating the leading key columns
        keys = max(1, min(table.key_columns, n - 2))
        half = keys + (n - keys + 1) // 2
        parts = []
        for part, cols in enumerate((range(half), [*range(keys), *range(half, n)])):
            cols = list(cols)
            sub = Table(
                headers=tuple(table.headers[i] for i in cols),
                rows=tuple(tuple(r[i] for i in cols) for r in table.rows),
                caption=(table.caption if part == 0 else table.caption.split(";")[0] + " (continued)"),
                align="".join(align[i] for i in cols),
                latex_rows=None if table.latex_rows is None else tuple(tuple(r[i] for i in cols) for r in table.latex_rows),
                key_columns=keys,
            )
            parts.append(render_latex(sub))
        return "\n\n".join(parts)
    return render_longtable(table.headers, table.rows, caption=table.caption, align=align,
                            latex_rows=table.latex_rows)


def render_table(table: Table, fmt: str) -> str:
    """Render ``table`` as ``text``, ``markdown`` or ``latex``.

    Raises
    ------
    ValueError
        For any other format name.
    """
    if fmt == "text":
        return render_text(table)
    if fmt == "markdown":
        return render_markdown(table)
    if fmt == "latex":
        return render_latex(table)
    raise ValueError(f"unknown table format {fmt!r}; allowed: {', '.join(TABLE_FORMATS)}")


def _default(obj: Any) -> Any:
    if isinstance(obj, Fraction):
        return str(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):  # numpy arrays
        return obj.tolist()
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


#: How a float that is not finite is written in JSON (strict JSON has no NaN or Infinity):
#: an overflow (what the text output calls "explodes") or an unbounded quantity such as a
#: sign radius with no sign change is ``"inf"``; NaN never reaches a renderer on purpose
#: and is written ``"nan"`` so that it is visible, not a parse error.
NONFINITE = {math.inf: "inf", -math.inf: "-inf"}


def finite_json(data: Any) -> Any:
    """``data`` with every non-finite float replaced by ``"inf"``, ``"-inf"`` or ``"nan"``.

    >>> finite_json({"a": [1.5, float("inf")], "b": float("nan")})
    {'a': [1.5, 'inf'], 'b': 'nan'}
    """
    if isinstance(data, float):
        if math.isfinite(data):
            return data
        return NONFINITE.get(data, "nan")
    if isinstance(data, dict):
        return {k: finite_json(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite_json(v) for v in data]
    return data


def _default_finite(obj: Any) -> Any:
    return finite_json(_default(obj))


def to_json(data: Any) -> str:
    """Strict JSON text, keys in insertion order, Fractions as ``"p/q"`` strings, numpy as lists.

    Python ints stay JSON integers, however large. A float that is not finite becomes the
    string ``"inf"``, ``"-inf"`` or ``"nan"`` (:func:`finite_json`); the output never holds
    the non-standard tokens ``NaN`` or ``Infinity`` (``allow_nan=False`` guarantees it).

    >>> print(to_json({"r": float("inf")}))
    {
      "r": "inf"
    }
    """
    return json.dumps(finite_json(data), indent=2, default=_default_finite, allow_nan=False)
