"""Renderers: turn the library's result objects into text, Markdown, LaTeX and JSON."""

from residual_expansion.render.table import TABLE_FORMATS, Table, latex_escape, render_table, to_json

__all__ = ["TABLE_FORMATS", "Table", "latex_escape", "render_table", "to_json"]
