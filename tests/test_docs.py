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


#: Pages whose output blocks the suite checks for staleness (docs/regen.py --check). The
#: scaling, normalization and numeric pages run Monte Carlo figures for minutes: check them
#: with `python docs/regen.py --check` before a release; benchmark blocks (run(timed)) hold
#: wall times and are never compared.
CHECKED_PAGES = ["README.md", "docs/quickstart.md", "docs/cli.md", "docs/json.md", "docs/paths.md"]


def test_output_blocks_are_current():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "docs/regen.py", "--check", "--jobs", "2", *CHECKED_PAGES],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_regen_check_reports_a_stale_block(tmp_path):
    """The check can fail: a page whose block shows other output is reported, exit status 1."""
    import subprocess
    import sys

    page = ROOT / "docs" / f"_stale_probe_{tmp_path.name}.md"
    page.write_text("<!-- run: python -m residual_expansion --version -->\n```text\nresidual-expansion 0.0.0\n```\n")
    try:
        proc = subprocess.run([sys.executable, "docs/regen.py", "--check", str(page)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    finally:
        page.unlink()
    assert proc.returncode == 1 and "is stale" in proc.stdout
