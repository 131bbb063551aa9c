"""The Python examples in README.md and docs/ run as written, and every docs page's
regenerated command blocks name commands that exist."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [
    pytest.param(block, id=f"{page.name}#{i}")
    for page in PAGES
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S))
]


@pytest.mark.parametrize("block", BLOCKS)
def test_python_example_runs(block, capsys):
    exec(compile(block, "<docs>", "exec"), {})


def test_run_markers_name_registered_commands():
    from residual_expansion.cli import COMMANDS

    for page in PAGES:
        for cmd in re.findall(r"<!-- run(?:\(exit=\d+\))?: python -m residual_expansion (\S+)", page.read_text()):
            assert cmd in COMMANDS or cmd.startswith("-"), f"{page.name}: unknown command {cmd}"
