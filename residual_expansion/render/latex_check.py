"""Compile LaTeX with pdflatex and report what a reader would see go wrong.

:func:`compile_latex` runs ``pdflatex`` twice (longtable settles its column widths on the
second run) in a directory and parses the log: errors (lines starting ``!``), overfull
boxes with their excess in points, and the page count. The test suite holds every
command's LaTeX to :func:`CompileReport.fits`: no error and no overfull box wider than
1 pt.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from residual_expansion.errors import UsageError

_OVERFULL = re.compile(r"^Overfull \\([hv])box \(([\d.]+)pt too (?:wide|high)\)(.*)$", re.M)


@dataclass(frozen=True)
class CompileReport:
    """What pdflatex said about a document.

    Attributes
    ----------
    returncode:
        pdflatex's exit status on the last run.
    errors:
        The log's error lines (``! ...``).
    overfull:
        ``(kind, points, where)`` per overfull box: kind ``"h"`` (too wide) or ``"v"`` (too high).
    pages:
        Pages written (0 when no PDF was produced).
    pdf:
        The PDF path.
    """

    returncode: int
    errors: tuple[str, ...]
    overfull: tuple[tuple[str, float, str], ...]
    pages: int
    pdf: Path

    def worst_overfull(self) -> float:
        """The largest overfull excess in points (0 when none)."""
        return max((pt for _, pt, _ in self.overfull), default=0.0)

    def fits(self, tolerance_pt: float = 1.0) -> bool:
        """No error, a PDF, and no overfull box beyond ``tolerance_pt``."""
        return self.returncode == 0 and not self.errors and self.pages > 0 and self.worst_overfull() <= tolerance_pt


def parse_log(log: str) -> tuple[tuple[str, ...], tuple[tuple[str, float, str], ...], int]:
    """Errors, overfull boxes and page count from a pdflatex log.

    >>> parse_log("Overfull \\\\hbox (12.5pt too wide) in paragraph at lines 3--4\\n"
    ...           "! Undefined control sequence.\\nOutput written on doc.pdf (2 pages, 100 bytes).")
    (('! Undefined control sequence.',), (('h', 12.5, ' in paragraph at lines 3--4'),), 2)
    """
    errors = tuple(line for line in log.splitlines() if line.startswith("! "))
    overfull = tuple((m.group(1), float(m.group(2)), m.group(3)) for m in _OVERFULL.finditer(log))
    m = re.search(r"Output written on .*? \((\d+) pages?", log)
    return errors, overfull, int(m.group(1)) if m else 0


def compile_latex(document: str, workdir: str | Path, *, name: str = "doc", runs: int = 2,
                  timeout: float = 300) -> CompileReport:
    """Write ``document`` to ``workdir/name.tex``, run pdflatex ``runs`` times, parse the log.

    Raises
    ------
    UsageError
        When pdflatex is not installed.
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        raise UsageError("pdflatex is not installed (Debian: texlive-latex-base texlive-latex-recommended lmodern)")
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    (work / f"{name}.tex").write_text(document, encoding="utf-8")
    proc = None
    for _ in range(runs):
        proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                              cwd=work, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            break
    log_path = work / f"{name}.log"
    log = log_path.read_text(encoding="latin-1") if log_path.exists() else proc.stdout
    errors, overfull, pages = parse_log(log)
    return CompileReport(proc.returncode, errors, overfull, pages, work / f"{name}.pdf")
