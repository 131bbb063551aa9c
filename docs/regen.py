"""Regenerate the real output shown in docs/ and README.md.

Every Markdown block of the form

    <!-- run: python -m residual_expansion expand --depth 3 --order 3 -->
    ```text
    ...
    ```

has its fenced block replaced by the command's actual stdout (run from the repository
root). Usage: ``python docs/regen.py [FILE.md ...]`` (default: README.md and docs/*.md).
A command that exits with a status other than 0 or the one written as
``<!-- run(exit=1): ... -->`` stops the regeneration with an error.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(?P<head><!-- run(?:\(exit=(?P<exit>\d+)\))?: (?P<cmd>.+?) -->\n```(?P<lang>[a-z]*)\n)(?P<body>.*?)(?P<tail>```)",
    re.S,
)


def run_command(cmd: str, expected_exit: int) -> str:
    argv = shlex.split(cmd)
    if argv and argv[0] == "python":
        argv[0] = sys.executable
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != expected_exit:
        raise SystemExit(f"docs/regen.py: `{cmd}` exited {proc.returncode} (expected {expected_exit}):\n{proc.stderr}")
    out = proc.stdout if proc.stdout else proc.stderr
    return out if out.endswith("\n") else out + "\n"


def regenerate(path: Path) -> bool:
    text = path.read_text()

    def replace(m: re.Match) -> str:
        out = run_command(m.group("cmd"), int(m.group("exit") or 0))
        return m.group("head") + out + m.group("tail")

    new = BLOCK.sub(replace, text)
    if new != text:
        path.write_text(new)
        return True
    return False


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for f in files:
        changed = regenerate(f)
        print(f"{'updated' if changed else 'unchanged'}: {f.relative_to(ROOT) if f.is_absolute() else f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
