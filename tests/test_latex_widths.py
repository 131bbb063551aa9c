"""LaTeX line packing (issue 14): token widths cached per rendering give the same sums, so the same lines."""

from __future__ import annotations

import io

from residual_expansion.render import expansion_output
from residual_expansion.render.expansion_output import _MATH_TOKEN, math_width, token_width, write_expansion
from residual_expansion.theorem.expansion import expand


def _terms(e):
    out = io.StringIO()
    write_expansion(e, "latex", out)
    return out.getvalue()


def test_cached_widths_equal_the_token_by_token_sum():
    e = expand(6, 4)
    text = _terms(e)
    cache: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(("S_", r"\\ ")):
            for term in line.split(" + "):
                direct = 0.0
                for tok in _MATH_TOKEN.findall(term):
                    direct += token_width(tok)
                assert math_width(term, cache) == math_width(term) == direct
    assert 10 < len(cache) < 500  # a few hundred distinct tokens serve every term


def test_line_packing_follows_the_widths(monkeypatch):
    """Doubling every token's width packs fewer terms per line: the widths are used, not assumed."""
    e = expand(5, 3)
    base = _terms(e)
    monkeypatch.setattr(expansion_output, "token_width", lambda tok: 2 * token_width(tok))
    wide = _terms(e)
    assert wide != base and wide.count(r"\\ &") > base.count(r"\\ &")
