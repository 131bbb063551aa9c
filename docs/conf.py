"""Sphinx configuration of the residual-expansion documentation site.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors; the
test suite builds it into a temporary directory, tests/test_sphinx_site.py). The Markdown
pages are read by MyST; the API reference comes from the docstrings (autodoc, numpy style
through napoleon); every ```python example of a page runs while the site is built
(docs/_ext/run_examples.py), so a broken example breaks the build.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import residual_expansion  # noqa: E402

project = "residual-expansion"
author = "the residual-expansion authors"
copyright = "the residual-expansion authors"  # noqa: A001
version = release = residual_expansion.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "run_examples",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "examples", "**/__pycache__", "*.ipynb", "img/*.md"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
# Pages link to the repository's proofs/ and README.md, which live outside the site: those
# links stay plain links on GitHub, and are not cross-references Sphinx could resolve.
suppress_warnings = [
    "myst.xref_missing",
    "misc.highlighting_failure",  # abbreviated JSON ("...") in a page is shown unhighlighted
    "ref.python",  # a field name such as lo shared by two dataclasses is not a unique target
]

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "description"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_ivar = True  # dataclass fields are documented once (by autodoc), not twice
nitpicky = False

html_theme = "alabaster"
html_title = f"residual-expansion {version}"
html_static_path: list[str] = []


def _escape_bars(app, what, name, obj, options, lines):
    """Docstrings write norms and sizes as |x| (plain text, read in terminals); reST would read
    |x| as a substitution, so bars outside literals and doctest lines are escaped."""
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith((">>>", "...")) or "|" not in line:
            continue
        parts = line.split("``")
        lines[i] = "``".join(p if k % 2 else p.replace("|", "\\|") for k, p in enumerate(parts))


def setup(app):
    app.connect("autodoc-process-docstring", _escape_bars)
