"""Renderers: turn the library's result objects into text, Markdown, LaTeX and JSON.

The package itself is callable: ``residual_expansion.render(result, fmt)`` (that is,
``rx.render``) dispatches any result to its renderer (:func:`residual_expansion.api.render`).
It is the package and the function at once because ``import residual_expansion.render.x``
rebinds the attribute ``residual_expansion.render`` to this package.
"""

import sys
import types

from residual_expansion.render.table import TABLE_FORMATS, Table, latex_escape, render_table, to_json


class _RenderPackage(types.ModuleType):
    """This package's module type: calling it renders a result (see the module docstring)."""

    def __call__(self, result, fmt: str = "text", **options):
        from residual_expansion.api import render  # api imports every result type: only when called

        return render(result, fmt, **options)


sys.modules[__name__].__class__ = _RenderPackage

__all__ = ["TABLE_FORMATS", "Table", "latex_escape", "render_table", "to_json"]
