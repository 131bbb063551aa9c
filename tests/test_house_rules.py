"""House rules of the layout (issue 9): every function-local import says why it is local.

A function-local import is allowed for an optional extra (jax, matplotlib, Dask), for start-up
cost (commands register without loading numpy or sympy), or to break an import cycle; each one
carries a one-line ``#`` reason on its line or on a comment line above its import block.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "residual_expansion"


def unexplained_local_imports(source: str) -> list[int]:
    """Line numbers of imports inside functions with no reason comment on the line or above the block."""
    lines = source.splitlines()
    found = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            i = node.lineno - 1
            explained = "#" in lines[i]
            j = i - 1
            while not explained and j >= 0:
                text = lines[j].strip()
                if text.startswith("#") or (text.startswith(("from ", "import ")) and "#" in text):
                    explained = True
                elif text.startswith(("from ", "import ", ")")) or text.endswith(",") or not text:
                    j -= 1
                    continue
                break
            if not explained:
                found.append(node.lineno)
    return sorted(set(found))


def test_the_scan_finds_an_unexplained_local_import():
    bad = "def f():\n    x = 1\n    import json\n    return json\n"
    good = "def f():\n    x = 1\n    # start-up: json only here\n    import json\n    return json\n"
    assert unexplained_local_imports(bad) == [3]
    assert unexplained_local_imports(good) == []


def test_every_function_local_import_has_a_reason():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in unexplained_local_imports(path.read_text())
    ]
    assert offenders == [], "function-local imports without a one-line reason: " + ", ".join(offenders)
