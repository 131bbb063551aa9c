"""Streaming expansion renderers (issue 14): same bytes as the sympy route, valid JSON, same content."""

from __future__ import annotations

import io
import json
import re
from fractions import Fraction

import pytest
import sympy

from residual_expansion.errors import UsageError
from residual_expansion.render import expansion_output as eo
from residual_expansion.theorem.expansion import expand

CASES = [
    dict(depth=3, order=3),
    dict(depth=12, order=3),  # lambda_10 .. lambda_12 sort between lambda_1 and lambda_2
    dict(depth=5, order=5, uniform=True),
    dict(depth=4, order=6, tied=True),
    dict(depth=2, order=5, tied=True),  # empty orders
    dict(depth=3, order=4, scales=[Fraction(1, 2), Fraction(-1, 3), Fraction(5)]),
    dict(depth=3, order=3, scales=list(sympy.symbols("b a B"))),
    dict(depth=3, order=3, scales=["x", "x", "y"]),
    dict(depth=3, order=3, scales=[sympy.Symbol("a"), 0.5, 2]),  # mixed: falls back to sympy
]


def sympy_weight(e, t):
    w = e.weight(t)
    return str(w).replace("**", "^"), sympy.latex(w)


@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_weights_equal_sympy_products(case):
    e = expand(**case)
    f = eo.WeightFormatter(e)
    for t in e.terms:
        assert f.both(t) == sympy_weight(e, t)


def test_comparison_catches_a_wrong_weight():
    """The check above fails on a formatter that gets one exponent wrong."""
    e = expand(4, 3)

    class Wrong(eo.WeightFormatter):
        def both(self, term, labels=None):
            labels = term.tree.labels() if labels is None else labels
            return super().both(term, tuple((lab, m + (lab == 1)) for lab, m in labels))

    f = Wrong(e)
    assert any(f.both(t) != sympy_weight(e, t) for t in e.terms)


def reference_text(e):
    """The rendering built the old way: a sympy product per term, no caches."""
    lines = [f"x_{e.depth} = x + sum over {sum(e.counts())} terms up to order {e.order} "
             f"({'weight-tied modules' if e.tied else 'distinct modules'}) + O(lambda^{e.order + 1})"]
    for k in range(1, e.order + 1):
        terms = e.of_order(k)
        lines.append(f"order {k} ({len(terms)} terms):")
        for t in terms:
            coef = "" if t.coefficient == 1 else f"({t.coefficient}) "
            lines.append(f"  {coef}{sympy_weight(e, t)[0]} {eo.differential_text(t.tree)}")
    return "\n".join(lines)


def reference_latex_terms(e):
    """Per order, the LaTeX terms built the old way (a sympy product per term, no caches)."""
    out = {}
    for k in range(1, e.order + 1):
        terms = []
        for t in e.of_order(k):
            c = t.coefficient
            coef = "" if c == 1 else (f"{c.numerator}\\, " if c.denominator == 1
                                      else rf"\tfrac{{{c.numerator}}}{{{c.denominator}}}\, ")
            terms.append(rf"{coef}{sympy_weight(e, t)[1]}\, {eo.differential_latex(t.tree)}")
        out[k] = terms
    return out


def latex_terms(text):
    """Per order, the terms of the rendered LaTeX (its display lines split at the top-level ' + ')."""
    out, k, inside = {}, 0, False
    for line in text.splitlines():
        m = re.match(r"\\par\\noindent order (\d+) \((\d+) terms\)", line)
        if m:
            k = int(m.group(1))
            out[k] = []
        elif line == r"\begin{align*}":
            inside = True
        elif line == r"\end{align*}":
            inside = False
        elif inside:
            body = re.sub(r"^(S_\{\d+\} &= |\\\\ &\\phantom\{\{\}=\{\}\} \+ )", "", line)
            out[k].extend(body.split(" + "))
    return out


def reference_latex(e):
    """Same terms in the same order, every display line within the page."""
    return reference_latex_terms(e)


@pytest.mark.parametrize("case", CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_streamed_output_equals_reference(case):
    e = expand(**case)
    assert eo.render_expansion(e, "text") == reference_text(e)
    latex = eo.render_expansion(e, "latex")
    assert latex_terms(latex) == reference_latex(e)
    assert latex.startswith(r"\begingroup\allowdisplaybreaks") and latex.endswith(r"\endgroup")
    assert json.loads(eo.render_expansion(e, "json")) == eo.expansion_dict(e)


def test_write_expansion_streams_in_chunks(monkeypatch):
    """Many writes of bounded size; the concatenation is the rendering plus a newline."""
    monkeypatch.setattr(eo, "CHUNK_LINES", 7)
    e = expand(5, 4)

    class Recorder(io.StringIO):
        writes: list[int] = []

        def write(self, s):
            self.writes.append(s.count("\n"))
            return super().write(s)

    for fmt in ("text", "latex", "json"):
        out = Recorder()
        out.writes = []
        eo.write_expansion(e, fmt, out)
        assert out.getvalue() == eo.render_expansion(e, fmt) + "\n"
        assert len(out.writes) > 3 and max(out.writes) <= 8


def test_json_one_term_per_line_and_valid():
    e = expand(4, 3)
    text = eo.render_json(e)
    lines = text.splitlines()
    assert sum(1 for ln in lines if ln.lstrip().startswith('{"order"')) == len(e.terms)
    doc = json.loads(text)
    assert doc["counts"] == [4, 6, 14] and len(doc["terms"]) == 24


def test_subtree_cache_holds_children_only():
    e = expand(6, 4)
    sub = eo._Subtrees()
    for t in e.terms:
        sub.text_of(t.tree, cache=False)
    assert sub.text and all(tree.order < 4 for tree in sub.text)
    assert len(sub.text) < len(e.terms)


def test_unknown_format():
    with pytest.raises(UsageError, match="fmt must be"):
        eo.write_expansion(expand(2, 2), "html", io.StringIO())
