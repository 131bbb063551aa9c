"""LaTeX output compiles with pdflatex (skipped only where pdflatex is absent; CI installs it)."""

import shutil
import subprocess

import pytest

from residual_expansion.theorem.expansion import expand
from residual_expansion.render.expansion_output import render_expansion, tied_table
from residual_expansion.render.table import render_table

pdflatex = shutil.which("pdflatex")


def _compile(tmp_path, body):
    doc = "\n".join([
        r"\documentclass{article}", r"\usepackage{amsmath}", r"\usepackage{booktabs}",
        r"\allowdisplaybreaks", r"\begin{document}", body, r"\end{document}",
    ])
    (tmp_path / "doc.tex").write_text(doc)
    proc = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 0


@pytest.mark.skipif(pdflatex is None, reason="pdflatex not installed")
def test_expansion_latex_compiles(tmp_path):
    body = render_expansion(expand(4, 4), "latex") + "\n" + render_expansion(expand(12, 2), "latex")
    _compile(tmp_path, body)


@pytest.mark.skipif(pdflatex is None, reason="pdflatex not installed")
def test_tables_compile(tmp_path):
    from residual_expansion.claims import REGISTRY, run_claims
    from residual_expansion.render.claim_output import render_results

    results = run_claims(tuple(c for c in REGISTRY if c.id in ("COUNT", "TIED")), 4, 3, 0)
    body = render_table(tied_table(expand(4, 4, tied=True)), "latex") + "\n" + render_results(
        results, "latex", depth=4, order=3, seed=0)
    _compile(tmp_path, body)
