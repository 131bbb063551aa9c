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
        for cmd in re.findall(r"<!-- run(?:\([^)]*\))?: python -m residual_expansion (\S+)", page.read_text()):
            assert cmd in COMMANDS or cmd.startswith("-"), f"{page.name}: unknown command {cmd}"


def _regen_check(*options):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "docs/regen.py", "--check", "--jobs", "2", *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)


def unmarked_output_blocks(pages):
    """The ```text blocks (command output) neither generated from a <!-- run: ... --> line right above them
    nor in a section whose text says they are "Recorded" benchmark output (wall times too long to repeat)."""
    unmarked = []
    for page in pages:
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            if line != "```text" or (i and lines[i - 1].startswith("<!-- run")):
                continue
            section = lines[max((j for j in range(i) if lines[j].startswith("#")), default=0):i]
            if not any("Recorded" in line for line in section):
                unmarked.append(f"{page.name}:{i + 1}")
    return unmarked


def test_every_output_block_comes_from_a_run_marker(tmp_path):
    """Nothing in README or docs shows output that regen.py does not produce (and --check compare)."""
    assert unmarked_output_blocks(PAGES) == []
    pasted = tmp_path / "pasted.md"
    pasted.write_text("Run it:\n\n```text\nresidual-expansion verify: 24 PASS\n```\n")
    assert unmarked_output_blocks([pasted]) == ["pasted.md:3"]


def test_output_blocks_are_current():
    """Every output block of README.md and docs/*.md is what its command prints now, except the blocks
    marked slow (Monte Carlo figures at real sizes: test_slow_output_blocks_are_current) and benchmark
    blocks (run(timed): wall times, never compared)."""
    proc = _regen_check()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.docs_slow
def test_slow_output_blocks_are_current():
    """The blocks marked run(slow): deselected by default (pyproject addopts), run by .ci/run as its
    second step (``python -m pytest -m docs_slow``)."""
    proc = _regen_check("--slow-only")
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


def test_slow_blocks_are_left_to_their_marker(tmp_path):
    """A run(slow) block is not compared by the default check, and is reported by --slow-only."""
    import subprocess
    import sys

    page = ROOT / "docs" / f"_slow_probe_{tmp_path.name}.md"
    page.write_text("<!-- run(slow): python -m residual_expansion --version -->\n```text\nresidual-expansion 0.0.0\n```\n")
    try:
        runs = [subprocess.run([sys.executable, "docs/regen.py", "--check", *opts, str(page)], cwd=ROOT,
                               capture_output=True, text=True, timeout=120) for opts in ((), ("--slow-only",))]
    finally:
        page.unlink()
    assert runs[0].returncode == 0 and "every output block is current" in runs[0].stdout
    assert runs[1].returncode == 1 and "is stale" in runs[1].stdout
