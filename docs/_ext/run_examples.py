"""Sphinx extension: run every ```python block of every Markdown page while the site is built.

Each block executes in a fresh namespace from the repository root; an exception stops the
build with the page and block named (the examples of a page that fails cannot be shown).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def run_page_examples(app: Sphinx, docname: str, source: list[str]) -> None:
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".md":
        return
    root = Path(app.confdir).parent
    cwd = os.getcwd()
    try:
        os.chdir(root)
        for i, code in enumerate(BLOCK.findall(source[0])):
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(code, f"{docname}.md#python-{i}", "exec"), {"__name__": f"docs_example_{i}"})
            except Exception as exc:  # noqa: BLE001 - any failure of an example is a build error
                raise ExtensionError(f"{docname}.md: python example {i} failed: {exc!r}") from exc
    finally:
        os.chdir(cwd)


def setup(app: Sphinx) -> dict:
    app.connect("source-read", run_page_examples)
    return {"version": "1", "parallel_read_safe": True}
