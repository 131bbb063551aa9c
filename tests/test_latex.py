"""Every command's LaTeX compiles with pdflatex and fits a standard article page.

At the realistic sizes of :data:`tests.cli_runs.SIZES` (expand depth 5 order 4 and depth 8
order 3, verify depth 8, paths depth 54, counts to depth 8, crosscheck, scaling, ...), the
``--standalone`` document compiles with no error and no overfull box wider than 1 pt, and
the bare fragment does the same inside a document that loads the packages its first line
names. CI installs pdflatex (.ci/run), so these tests run there.
"""

import re
import shutil

import pytest

from residual_expansion.render.latex import PACKAGES, latex_text, render_longtable, standalone
from residual_expansion.render.latex_check import compile_latex, parse_log
from tests.cli_runs import SIZES, run_cli

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")


@needs_pdflatex
@pytest.mark.parametrize("case", sorted(SIZES))
def test_standalone_document_fits_the_page(case, tmp_path):
    status, doc = run_cli(*SIZES[case], "--format", "latex", "--standalone")
    assert status == 0
    assert doc.startswith(r"\documentclass") and doc.rstrip().endswith(r"\end{document}")
    report = compile_latex(doc, tmp_path)
    assert report.errors == () and report.returncode == 0, report.errors
    assert report.pages > 0
    assert report.worst_overfull() <= 1.0, report.overfull


@needs_pdflatex
def test_fragments_compile_with_the_packages_they_name(tmp_path):
    """All fragments in one user document whose preamble is what the first lines ask for."""
    bodies = []
    for case in ("expand-5-4", "verify-8", "paths-54", "counts-8-6", "crosscheck-8", "crosscheck-exact",
                 "scaling-res3"):
        status, fragment = run_cli(*SIZES[case], "--format", "latex")
        first = fragment.splitlines()[0]
        assert first.startswith("% needs \\usepackage{") and ",".join(PACKAGES) in first
        bodies.append(fragment)
    doc = "\n".join([r"\documentclass{article}", *(rf"\usepackage{{{p}}}" for p in PACKAGES),
                     r"\begin{document}", *bodies, r"\end{document}"])
    report = compile_latex(doc, tmp_path)
    assert report.fits(), (report.errors, report.overfull)


@needs_pdflatex
def test_the_check_fails_on_a_table_wider_than_the_page(tmp_path):
    """The fit test can fail: the old single-tabular verify table (all evidence in one row) overflows."""
    row = " & ".join(["PASS", "sympy.series (n=3, K=3) + Taylor ring + proof induction + polynomial instances",
                      "series terms=11; ring monomials=834; trees compared=904; largest residual=0"])
    doc = standalone("\\begin{tabular}{lll}\n" + row + r" \\" + "\n\\end{tabular}")
    report = compile_latex(doc, tmp_path)
    assert report.errors == () and not report.fits() and report.worst_overfull() > 100


@needs_pdflatex
def test_the_check_fails_on_an_error(tmp_path):
    report = compile_latex(standalone(r"\begin{longtable}{l} x"), tmp_path)
    assert not report.fits() and report.errors


def test_log_parsing_reads_overfull_boxes_and_pages():
    log = ("Overfull \\hbox (0.5pt too wide) in paragraph\nOverfull \\vbox (1707.2pt too high) has occurred\n"
           "Output written on doc.pdf (3 pages, 1 bytes).")
    errors, overfull, pages = parse_log(log)
    assert errors == () and pages == 3 and [o[:2] for o in overfull] == [("h", 0.5), ("v", 1707.2)]


@pytest.mark.parametrize("text,expected", [
    ("2 x degree-4 maps Q^2->Q^2", r"2 x degree-4 maps $\mathbb{Q}^{2}\to\mathbb{Q}^{2}$"),
    ("expected 2^n", r"expected $2^{n}$"),
    ("sum_k c_k lambda^k", r"$\sum_{k} c_{k} \lambda^{k}$"),
    ("share >= 95%", r"share $\geq$ 95\%"),
    ("1.234 +- 0.012", r"1.234 $\pm$ 0.012"),
    ("1.5e-17", r"$1.5 \times 10^{-17}$"),
    ("order_used", r"order\_used"),
])
def test_mathematics_goes_into_math_mode(text, expected):
    assert latex_text(text) == expected


def test_no_bare_text_comparison_or_caret_in_any_output():
    """Nothing that prints as a wrong glyph in OT1 text (<, >, |) or as escaped ^ is left in text mode."""
    for case in ("verify-8", "paths-54", "counts-8-6", "crosscheck-8", "scaling-res3"):
        _, out = run_cli(*SIZES[case], "--format", "latex")
        text_mode = re.sub(r"\$[^$]*\$", "", "\n".join(ln for ln in out.splitlines() if not ln.startswith("%")))
        text_mode = re.sub(r"\\begin\{longtable\}\{[^\n]*", "", text_mode)  # column specs use >{...}
        assert not re.search(r"[<>|]", text_mode), case
        assert r"\textasciicircum" not in out, case


def test_wide_tables_get_paragraph_columns():
    wide = render_longtable(("claim", "method"), (("REX", "a very long description " * 12),))
    assert r"p{" in wide and r"\begin{longtable}" in wide
    narrow = render_longtable(("k", "N"), (("1", "8"),), align="rr")
    assert "{rr}" in narrow and "p{" not in narrow


@needs_pdflatex
def test_a_failing_exact_crosscheck_prints_its_first_mismatch_in_latex(tmp_path):
    """crosscheck --exact in LaTeX: a corrupted closed form (1/sigma forgotten) shows FAIL and the first
    mismatch (two exact expressions), and still compiles within the page."""
    from dataclasses import replace
    from fractions import Fraction

    import sympy

    from residual_expansion.models.adapters import SympyModule
    from residual_expansion.models.adapters.exact import exact_check
    from residual_expansion.render.user_output import render_exact
    from residual_expansion.theorem.expansion import expand

    x = sympy.symbols("x1:3")
    g1 = SympyModule((sympy.sin(x[1] / 2), x[0] * x[1]), x)
    g2 = SympyModule((sympy.cos(x[0]) * x[1], sympy.exp(x[0] - x[1])), x)

    def no_sigma(n, k):
        return [replace(t, coefficient=Fraction(1)) for t in expand(n, k, uniform=True).terms]

    good = render_exact(exact_check([g1, g2, g1], 4, seed=2), "latex", module="demo.py:stack")
    bad = render_exact(exact_check([g1, g2, g1], 4, seed=2, terms_of=no_sigma), "latex", module="demo.py:stack")
    assert "PASS" in good and "first mismatch" not in good
    assert "FAIL" in bad and "first mismatch" in bad and r"$\neq$" in bad
    report = compile_latex(standalone(bad), tmp_path)
    assert report.errors == () and report.worst_overfull() <= 1.0, (report.errors, report.overfull)
