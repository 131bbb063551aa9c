"""Regenerate, or check, the real output shown in docs/ and README.md.

Every Markdown block of the form

    <!-- run: python -m residual_expansion expand --depth 3 --order 3 -->
    ```text
    ...
    ```

has its fenced block replaced by the command's actual stdout (run from the repository
root). Options in parentheses after ``run``, comma-separated:

- ``exit=N``: the command is expected to exit with status N (default 0); any other status
  stops the regeneration with an error;
- ``timed``: the output holds wall times (benchmarks), so it is regenerated but never
  compared by ``--check``;
- ``slow``: the command runs longer than a few seconds (Monte Carlo figures at their real
  sizes): regenerated as usual, compared by ``--check --slow`` (or ``--slow-only``), which
  the test suite leaves to its ``docs_slow`` marker (run by CI as a second step).

Usage: ``python docs/regen.py [--check [--slow | --slow-only]] [--jobs N] [--skip TEXT]
[--skip-slow] [FILE.md ...]`` (default: README.md and docs/*.md). With ``--check`` nothing is written:
every block whose command now prints something else is listed, with the first differing
line, and the exit status is 1 (0 when all are current). Figures a command writes
(``--plot FILE``, ``--spectrum-plot FILE``, ``--heatmap FILE``, ``--histogram FILE``) go
to a temporary directory under ``--check``, so checking leaves docs/img alone; without
``--check`` they are written where the command says (docs/img), so regenerating the pages
regenerates every figure in the docs. ``--skip TEXT`` leaves the blocks whose command
contains TEXT as they are (for instance a figure another change is recomputing).
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(?P<head><!-- run(?:\((?P<opts>[^)]*)\))?: (?P<cmd>.+?) -->\n```(?P<lang>[a-z]*)\n)(?P<body>.*?)(?P<tail>```)",
    re.S,
)
FILE_OPTIONS = ("--plot", "--spectrum-plot", "--heatmap", "--histogram")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    cmd: str
    exit: int
    timed: bool
    body: str
    slow: bool = False


def parse_options(opts: str | None) -> tuple[int, bool, bool]:
    """``"exit=2, timed"`` -> ``(2, True, False)``; ``"slow"`` -> ``(0, False, True)``."""
    expected, timed, slow = 0, False, False
    for opt in (o.strip() for o in (opts or "").split(",") if o.strip()):
        if opt == "timed":
            timed = True
        elif opt == "slow":
            slow = True
        elif opt.startswith("exit="):
            expected = int(opt[5:])
        else:
            raise SystemExit(f"docs/regen.py: unknown run option {opt!r}")
    return expected, timed, slow


def blocks(path: Path) -> list[Block]:
    text = path.read_text()
    out = []
    for m in BLOCK.finditer(text):
        expected, timed, slow = parse_options(m.group("opts"))
        out.append(Block(path, text.count("\n", 0, m.start()) + 1, m.group("cmd"), expected, timed, m.group("body"),
                         slow))
    return out


def run_command(cmd: str, expected_exit: int, scratch: Path | None = None) -> str:
    """The command's stdout (stderr when it printed nothing), ending in a newline.

    With ``scratch``, files the command would write (``--plot FILE``) go there instead.
    """
    argv = shlex.split(cmd)
    if argv and argv[0] == "python":
        argv[0] = sys.executable
    if scratch is not None:
        argv = [scratch / Path(a).name if i and argv[i - 1] in FILE_OPTIONS else a for i, a in enumerate(argv)]
    proc = subprocess.run([str(a) for a in argv], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != expected_exit:
        raise SystemExit(f"docs/regen.py: `{cmd}` exited {proc.returncode} (expected {expected_exit}):\n{proc.stderr}")
    out = proc.stdout if proc.stdout else proc.stderr
    return out if out.endswith("\n") else out + "\n"


def regenerate(path: Path, skip: tuple[str, ...] = (), skip_slow: bool = False) -> bool:
    text = path.read_text()

    def replace(m: re.Match) -> str:
        expected, _, slow = parse_options(m.group("opts"))
        if any(s in m.group("cmd") for s in skip) or (slow and skip_slow):
            return m.group(0)
        return m.group("head") + run_command(m.group("cmd"), expected) + m.group("tail")

    new = BLOCK.sub(replace, text)
    if new != text:
        path.write_text(new)
        return True
    return False


def first_difference(old: str, new: str) -> str:
    a, b = old.splitlines(), new.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"line {i + 1}: shown {x!r}, now {y!r}"
    return f"shown {len(a)} lines, now {len(b)}"


def check(files: list[Path], jobs: int, slow: str = "skip", skip: tuple[str, ...] = ()) -> list[str]:
    """One message per stale block (empty when every block is current). ``slow``: ``"skip"`` the blocks
    marked slow, ``"include"`` them, or check ``"only"`` them."""
    wanted = {"skip": (False,), "include": (False, True), "only": (True,)}[slow]
    todo = [b for f in files for b in blocks(f)
            if not b.timed and b.slow in wanted and not any(s in b.cmd for s in skip)]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outputs = list(pool.map(lambda b: run_command(b.cmd, b.exit, Path(tmp)), todo))
    return [f"{b.path.relative_to(ROOT)}:{b.line}: `{b.cmd}` is stale ({first_difference(b.body, out)})"
            for b, out in zip(todo, outputs) if out != b.body]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="docs/regen.py", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing, exit 1 when a block is stale")
    parser.add_argument("--jobs", type=int, default=1, help="commands run at once under --check (default 1)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--slow", action="store_true", help="with --check: also compare the blocks marked slow")
    group.add_argument("--slow-only", action="store_true", help="with --check: compare only the blocks marked slow")
    parser.add_argument("--skip-slow", action="store_true", help="regenerate only the blocks not marked slow")
    parser.add_argument("--skip", action="append", default=[], metavar="TEXT",
                        help="leave the blocks whose command contains TEXT as they are (repeatable)")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    files = [f if f.is_absolute() else (Path.cwd() / f) for f in args.files] or [
        ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    if args.check:
        stale = check(files, args.jobs, "only" if args.slow_only else "include" if args.slow else "skip",
                      tuple(args.skip))
        for message in stale:
            print(message)
        print(f"{len(stale)} stale block(s); run python docs/regen.py" if stale else "every output block is current")
        return 1 if stale else 0
    for f in files:
        changed = regenerate(f, tuple(args.skip), args.skip_slow)
        print(f"{'updated' if changed else 'unchanged'}: {f.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
