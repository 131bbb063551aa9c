"""Render page 1 of ``verify --depth 8 --format latex --standalone`` to docs/img/latex-verify-page1.png.

Needs pdflatex and pdftoppm (poppler-utils). Usage: ``python docs/latex_page.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from residual_expansion.render.latex_check import compile_latex  # noqa: E402

OUT = ROOT / "docs" / "img" / "latex-verify-page1.png"


def main() -> int:
    doc = subprocess.run([sys.executable, "-m", "residual_expansion", "verify", "--depth", "8", "--format", "latex",
                          "--standalone", "--quiet"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    if shutil.which("pdftoppm") is None:
        raise SystemExit("docs/latex_page.py: pdftoppm not found (Debian: poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        report = compile_latex(doc, tmp)
        if not report.fits():
            raise SystemExit(f"docs/latex_page.py: the document does not fit: {report.errors} {report.overfull}")
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(report.pdf),
                        str(Path(tmp) / "page")], check=True)
        shutil.copyfile(Path(tmp) / "page.png", OUT)
    print(f"written: {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
