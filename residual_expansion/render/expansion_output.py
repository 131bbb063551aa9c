"""Render an :class:`~residual_expansion.theorem.expansion.Expansion`: text, LaTeX, JSON, sympy.

Elementary differentials are written as in docs/theory.md: ``g3''[g1, g2]`` in text and
``g_3''(x)\\bigl[g_1(x), g_2(x)\\bigr]`` in LaTeX (primes up to three, then ``g^{(4)}``);
a chain ``g3' g2' g1`` reads ``g_3'(x)\\, g_2'(x)\\, g_1(x)``.

Streaming: :func:`write_expansion` writes the terms one at a time to a text stream. Each
term's lambda weight ``prod_v lambda_label(v)`` is built from the tree's label counts by
string formatting (no sympy product per term; the result is byte-identical to printing the
sympy product, see :class:`WeightFormatter`), and the renderings of subtrees (every child is
itself a smaller tree, shared by many terms) are cached, so the cost per term is a few
string joins. Nothing holds a second copy of the expansion: the largest extra object is the
cache of subtree renderings, one string per distinct tree of order below K.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TextIO

from residual_expansion.errors import UsageError
from residual_expansion.render.table import Table, render_table, to_json
from residual_expansion.schemas import schema_id
from residual_expansion.theorem.trees import LabeledTree, RootedTree

if TYPE_CHECKING:  # sympy (and theorem.expansion, which needs it) only where sympy objects are built
    import sympy

    from residual_expansion.theorem.expansion import Expansion, Term

#: Lines handed to the stream in one ``write`` call.
CHUNK_LINES = 2048


def _name(tree: LabeledTree | RootedTree) -> tuple[str, str]:
    """(text name, LaTeX name) of the module at the root: g3 / g_3, or g / g when tied."""
    if isinstance(tree, LabeledTree):
        sub = str(tree.label) if tree.label < 10 else f"{{{tree.label}}}"
        return f"g{tree.label}", f"g_{sub}"
    return "g", "g"


def _primes_latex(m: int) -> str:
    return "'" * m if m <= 3 else f"^{{({m})}}"


def _text_node(tree: LabeledTree | RootedTree, children: list[str]) -> str:
    name, _ = _name(tree)
    m = len(children)
    head = name + ("'" * m if m <= 3 else f"^({m})")
    if m == 0:
        return head
    if m == 1:
        return f"{head} {children[0]}"
    return f"{head}[{', '.join(children)}]"


def _latex_node(tree: LabeledTree | RootedTree, children: list[str]) -> str:
    _, name = _name(tree)
    m = len(children)
    head = f"{name}{_primes_latex(m)}(x)"
    if m == 0:
        return head
    if m == 1:
        return rf"{head}\, {children[0]}"
    return rf"{head}\bigl[{', '.join(children)}\bigr]"


def _json_node(tree: LabeledTree | RootedTree, children: list[str]) -> str:
    if isinstance(tree, LabeledTree):
        return f'{{"layer": {tree.label}, "children": [{", ".join(children)}]}}'
    return f"[{', '.join(children)}]"


def differential_text(tree: LabeledTree | RootedTree) -> str:
    """``g3''[g1, g2]``; chains ``g3' g2' g1``; tied: ``g''[g, g]``.

    >>> differential_text(LabeledTree(3, (LabeledTree(2, (LabeledTree(1),)),)))
    "g3' g2' g1"
    """
    return _text_node(tree, [differential_text(c) for c in tree.children])


def differential_latex(tree: LabeledTree | RootedTree) -> str:
    """``g_3''(x)\\bigl[g_1(x), g_2(x)\\bigr]``; chains ``g_3'(x)\\, g_2'(x)\\, g_1(x)``.

    >>> differential_latex(LabeledTree(3, (LabeledTree(1), LabeledTree(2))))
    "g_3''(x)\\\\bigl[g_1(x), g_2(x)\\\\bigr]"
    """
    return _latex_node(tree, [differential_latex(c) for c in tree.children])


def _coef_text(c: Fraction) -> str:
    return "" if c == 1 else f"({c}) "


def _coef_latex(c: Fraction) -> str:
    if c == 1:
        return ""
    if c.denominator == 1:
        return f"{c.numerator}\\, "
    return rf"\tfrac{{{c.numerator}}}{{{c.denominator}}}\, "


def _rational_latex(x: Fraction) -> str:
    """sympy.latex of a Rational: ``\\frac{1}{6}``, ``- \\frac{1}{6}``, ``6``, ``-6``."""
    if x.denominator == 1:
        return str(x.numerator)
    sign = "- " if x < 0 else ""
    return rf"{sign}\frac{{{abs(x.numerator)}}}{{{x.denominator}}}"


class WeightFormatter:
    """The lambda weight of a term as text and LaTeX from its label counts, without sympy products.

    ``lambda(t) = prod_v lambda_label(v)`` (docs/theory.md#the-residual-expansion-theorem). The strings equal
    ``str(w).replace("**", "^")`` and ``sympy.latex(w)`` of the sympy product
    ``w = expansion.weight(term)`` (tests compare them on every term of several expansions):

    * every scale a sympy Symbol (the default ``lambda_1..lambda_n``, or one ``lambda``
      when uniform): the exponent of each distinct symbol is the sum of the label counts
      of its layers; factors sorted by sympy's default sort key, a power written ``a^m``
      (text) or ``a^{m}`` (LaTeX), factors joined by ``*`` (text) or a space (LaTeX);
    * every scale a rational number: the exact product as a Fraction, written as sympy
      writes a Rational;
    * anything else (weight-tied expansions included): sympy, once per distinct label
      count (weight-tied: once per order), cached.

    Arguments
    ---------
    expansion: the expansion whose ``scales`` (and ``tied``) fix the weights.

    >>> from residual_expansion.theorem.expansion import expand
    >>> e = expand(3, 3)
    >>> f = WeightFormatter(e)
    >>> t = e.terms[-2]
    >>> f.text(t), f.latex(t), str(e.weight(t))
    ('lambda_2^2*lambda_3', '\\\\lambda_{2}^{2} \\\\lambda_{3}', 'lambda_2**2*lambda_3')
    """

    def __init__(self, expansion: Expansion) -> None:
        # sympy is slow to import: loaded only where sympy objects are built (tests/test_startup.py)
        import sympy

        self._expansion = expansion
        self._cache: dict[Any, tuple[str, str]] = {}
        scales = expansion.scales
        self._mode = "sympy"
        if expansion.tied:
            return
        if all(isinstance(s, sympy.Symbol) for s in scales):
            distinct = sorted(set(scales), key=sympy.default_sort_key)
            rank = {s: i for i, s in enumerate(distinct)}
            names = [(str(s), sympy.latex(s)) for s in distinct]
            # the shortcut writes a power as base^exponent: only for names sympy prints plainly
            if all(n == s.name and "^" not in tex and "*" not in n for (n, tex), s in zip(names, distinct)):
                self._mode = "symbols"
                self._rank = [rank[s] for s in scales]  # layer - 1 -> index of its symbol
                self._names = names
        elif all(isinstance(s, sympy.Rational) for s in scales):
            self._mode = "rational"
            self._values = [Fraction(int(s.p), int(s.q)) for s in scales]

    def _key(self, term: Term) -> Any:
        return term.order if self._expansion.tied else term.tree.labels()

    def _via_sympy(self, term: Term) -> tuple[str, str]:
        # sympy is slow to import: loaded only where sympy objects are built (tests/test_startup.py)
        import sympy

        key = self._key(term)
        if key not in self._cache:
            w = self._expansion.weight(term)
            self._cache[key] = (str(w).replace("**", "^"), sympy.latex(w))
        return self._cache[key]

    def both(self, term: Term, labels: tuple[tuple[int, int], ...] | None = None) -> tuple[str, str]:
        """(text, LaTeX) of the weight of ``term``; ``labels`` (its label counts) if already known."""
        if self._mode == "sympy":
            return self._via_sympy(term)
        labels = term.tree.labels() if labels is None else labels
        if self._mode == "rational":
            w = Fraction(1)
            for label, m in labels:
                w *= self._values[label - 1] ** m
            return str(w), _rational_latex(w)
        exponents: dict[int, int] = {}
        for label, m in labels:
            r = self._rank[label - 1]
            exponents[r] = exponents.get(r, 0) + m
        text, tex = [], []
        for r in sorted(exponents):
            m = exponents[r]
            name, latex_name = self._names[r]
            text.append(name if m == 1 else f"{name}^{m}")
            tex.append(latex_name if m == 1 else f"{latex_name}^{{{m}}}")
        return "*".join(text), " ".join(tex)

    def text(self, term: Term) -> str:
        """``str(weight).replace("**", "^")``."""
        return self.both(term)[0]

    def latex(self, term: Term) -> str:
        """``sympy.latex(weight)``."""
        return self.both(term)[1]


class _Subtrees:
    """Cached text, LaTeX, compact JSON and label counts of the subtrees of an expansion.

    Only children are cached (every child has order below K), so the cache holds one entry
    per distinct subtree, never one per term.
    """

    def __init__(self) -> None:
        self.text: dict[Any, str] = {}
        self.latex: dict[Any, str] = {}
        self.json: dict[Any, str] = {}
        self.labels: dict[Any, tuple[tuple[int, int], ...]] = {}

    def text_of(self, tree: LabeledTree | RootedTree, cache: bool = True) -> str:
        s = self.text.get(tree) if cache else None
        if s is None:
            s = _text_node(tree, [self.text_of(c) for c in tree.children])
            if cache:
                self.text[tree] = s
        return s

    def latex_of(self, tree: LabeledTree | RootedTree, cache: bool = True) -> str:
        s = self.latex.get(tree) if cache else None
        if s is None:
            s = _latex_node(tree, [self.latex_of(c) for c in tree.children])
            if cache:
                self.latex[tree] = s
        return s

    def json_of(self, tree: LabeledTree | RootedTree, cache: bool = True) -> str:
        s = self.json.get(tree) if cache else None
        if s is None:
            s = _json_node(tree, [self.json_of(c) for c in tree.children])
            if cache:
                self.json[tree] = s
        return s

    def labels_of(self, tree: LabeledTree, cache: bool = True) -> tuple[tuple[int, int], ...]:
        """(label, count) sorted by label, as ``tree.labels()``, without storing it on the tree."""
        s = self.labels.get(tree) if cache else None
        if s is None:
            counts = {tree.label: 1}
            for c in tree.children:
                for label, m in self.labels_of(c):
                    counts[label] = counts.get(label, 0) + m
            s = tuple(sorted(counts.items()))
            if cache:
                self.labels[tree] = s
        return s


def term_latex(expansion: Expansion, term: Term) -> str:
    """``\\tfrac{1}{2}\\, \\lambda_{2}^{2} \\lambda_{3}\\, g_3''(x)\\bigl[g_2(x), g_2(x)\\bigr]``."""
    weight = WeightFormatter(expansion).latex(term)
    return f"{_coef_latex(term.coefficient)}{weight}\\, {differential_latex(term.tree)}"


def _text_lines(expansion: Expansion) -> Iterator[str]:
    kind = "weight-tied modules" if expansion.tied else "distinct modules"
    counts = expansion.counts()
    yield (f"x_{expansion.depth} = x + sum over {sum(counts)} terms up to order "
           f"{expansion.order} ({kind}) + O(lambda^{expansion.order + 1})")
    weights, sub = WeightFormatter(expansion), _Subtrees()
    labeled = not expansion.tied
    k = 0
    for t in expansion.terms:
        while k < t.order:  # a header for every order up to this term's, empty orders included
            k += 1
            yield f"order {k} ({counts[k - 1]} terms):"
        labels = sub.labels_of(t.tree, cache=False) if labeled else None
        w = weights.both(t, labels)[0]
        yield f"  {_coef_text(t.coefficient)}{w} {sub.text_of(t.tree, cache=False)}"
    while k < expansion.order:
        k += 1
        yield f"order {k} ({counts[k - 1]} terms):"


#: Width in points given to the terms of one display line (a 345 pt article line, less ``S_k =``).
LATEX_LINE_PT = 315.0
_MATH_TOKEN = re.compile(r"\\tfrac\{[^{}]*\}\{[^{}]*\}|\\[A-Za-z]+|\\,|[_^]\{[^{}]*\}|[_^].|.")


def math_width(latex: str, widths: dict[str, float] | None = None) -> float:
    r"""A generous estimate, in points at 10 pt, of the typeset width of inline math ``latex``.

    The sum, in order, of each token's width (:func:`token_width`). ``widths`` is a cache
    of token widths that the caller keeps for one rendering (the terms of an expansion
    share a few hundred distinct tokens); the sum is the same with or without it.

    >>> round(math_width(r"\lambda_{1} \lambda_{2}\, g_2'(x)\, g_1(x)"))
    74
    >>> cache = {}
    >>> math_width(r"\tfrac{1}{2} \lambda_{1}", cache) == math_width(r"\tfrac{1}{2} \lambda_{1}"), len(cache)
    (True, 4)
    """
    width = 0.0
    if widths is None:
        for tok in _MATH_TOKEN.findall(latex):
            width += token_width(tok)
        return width
    for tok in _MATH_TOKEN.findall(latex):
        w = widths.get(tok)
        if w is None:
            w = widths[tok] = token_width(tok)
        width += w
    return width  # the sum alone is 1.10 to 1.18 times the typeset width (lmodern, amsmath)


def token_width(tok: str) -> float:
    r"""The width in points of one token of :data:`_MATH_TOKEN` (see :func:`math_width`).

    >>> token_width(r"\lambda"), token_width("_{12}"), token_width(r"\,"), token_width(r"\tfrac{1}{2}")
    (6.5, 7.8, 1.7, 5.5)
    """
    if tok.startswith(r"\tfrac"):
        return 3.5 * max(len(g) for g in re.findall(r"\{([^{}]*)\}", tok)) + 2.0
    if tok == r"\,":
        return 1.7
    if tok in (r"\bigl", r"\bigr", " "):
        return 0.0
    if tok.startswith("\\"):
        return 6.5
    if tok[0] in "_^":
        inner = tok[2:-1] if tok[1:2] == "{" else tok[1:]
        return 3.9 * len(re.sub(r"\\[A-Za-z]+", "x", inner))
    if tok == "'":
        return 2.8
    if tok in "(),[]":
        return 3.9
    return 5.8


def _latex_lines(expansion: Expansion) -> Iterator[str]:
    """One ``align*`` display per order, terms packed into lines of :data:`LATEX_LINE_PT`, in a
    group with ``\allowdisplaybreaks`` so that long orders break across pages."""
    counts = expansion.counts()
    kind = "weight-tied modules" if expansion.tied else "distinct modules"
    yield r"\begingroup\allowdisplaybreaks"
    yield (rf"\noindent The closed form of the depth-{expansion.depth} stack up to order {expansion.order} "
           rf"({kind}), {sum(counts)} terms:")
    yield r"\begin{equation*}"
    orders = rf"\sum_{{k=1}}^{{{expansion.order}}} S_k" if expansion.order > 1 else "S_1"
    yield rf"x_{{{expansion.depth}}} = x + {orders} + O(\lambda^{{{expansion.order + 1}}}),"
    yield r"\end{equation*}"
    yield r"\noindent where $S_k$, the sum of the order-$k$ terms, is:"
    weights, sub = WeightFormatter(expansion), _Subtrees()
    widths: dict[str, float] = {}  # token widths, shared by the terms of this rendering
    labeled = not expansion.tied
    k = 0
    line: list[str] = []
    used = 0.0
    first = True

    def flush() -> str:
        lead = f"S_{{{k}}} &= " if first else r"\\ &\phantom{{}={}} + "
        return lead + " + ".join(line)

    for t in expansion.terms:
        while k < t.order:
            if line:
                yield flush()
                yield r"\end{align*}"
                line, used = [], 0.0
            k += 1
            yield rf"\par\noindent order {k} ({counts[k - 1]} terms):"
            if counts[k - 1]:
                yield r"\begin{align*}"
                first = True
        labels = sub.labels_of(t.tree, cache=False) if labeled else None
        term = f"{_coef_latex(t.coefficient)}{weights.both(t, labels)[1]}\\, {sub.latex_of(t.tree, cache=False)}"
        width = math_width(term, widths) + 12.0  # and its " + "
        if line and used + width > LATEX_LINE_PT:
            yield flush()
            first = False
            line, used = [], 0.0
        line.append(term)
        used += width
    if line:
        yield flush()
        yield r"\end{align*}"
    while k < expansion.order:
        k += 1
        yield rf"\par\noindent order {k} ({counts[k - 1]} terms): $S_{{{k}}} = 0$."
    yield r"\endgroup"


def math_block(expansion: Expansion) -> str:
    r"""The closed form as one ``align*`` that MathJax and KaTeX display (notebooks): terms packed
    into lines as in the LaTeX output, the orders in sequence, then the remainder.

    >>> from residual_expansion.theorem.expansion import expand
    >>> print(math_block(expand(2, 2)))
    \begin{align*}
    x_{2} &= x + \lambda_{1}\, g_1(x) + \lambda_{2}\, g_2(x)
    \\ &\quad + \lambda_{1} \lambda_{2}\, g_2'(x)\, g_1(x)
    \\ &\quad + O(\lambda^{3})
    \end{align*}
    """
    weights, sub = WeightFormatter(expansion), _Subtrees()
    widths: dict[str, float] = {}  # token widths, shared by the terms of this rendering
    labeled = not expansion.tied
    lines: list[list[str]] = []
    used, k = LATEX_LINE_PT, 0
    for t in expansion.terms:
        labels = sub.labels_of(t.tree, cache=False) if labeled else None
        term = f"{_coef_latex(t.coefficient)}{weights.both(t, labels)[1]}\\, {sub.latex_of(t.tree, cache=False)}"
        width = math_width(term, widths) + 12.0
        if t.order != k or used + width > LATEX_LINE_PT:  # a new line for each order, and when full
            lines.append([])
            used, k = 0.0, t.order
        lines[-1].append(term)
        used += width
    out = [r"\begin{align*}"]
    head = f"x_{{{expansion.depth}}} &= x"
    for i, line in enumerate(lines):
        out.append((head if i == 0 else r"\\ &\quad") + " + " + " + ".join(line))
    if not lines:
        out.append(head)
    out.append(rf"\\ &\quad + O(\lambda^{{{expansion.order + 1}}})")
    out.append(r"\end{align*}")
    return "\n".join(out)


def _markdown_lines(expansion: Expansion) -> Iterator[str]:
    """Markdown with math (GitHub, MyST): a line for the sum, then a bullet per term under each order."""
    counts = expansion.counts()
    kind = "weight-tied modules" if expansion.tied else "distinct modules"
    yield (f"**Closed form of the depth-{expansion.depth} stack up to order {expansion.order}** "
           f"({kind}, {sum(counts)} terms): $x_{{{expansion.depth}}} = x + \\sum_{{k \\le {expansion.order}}} S_k "
           f"+ O(\\lambda^{{{expansion.order + 1}}})$")
    weights, sub = WeightFormatter(expansion), _Subtrees()
    labeled = not expansion.tied
    k = 0
    for t in expansion.terms:
        while k < t.order:
            k += 1
            yield ""
            yield f"$S_{{{k}}}$, order {k} ({counts[k - 1]} terms):"
            yield ""
        labels = sub.labels_of(t.tree, cache=False) if labeled else None
        w = weights.both(t, labels)[1]
        yield f"- ${_coef_latex(t.coefficient)}{w}\\, {sub.latex_of(t.tree, cache=False)}$"
    while k < expansion.order:
        k += 1
        yield ""
        yield f"$S_{{{k}}}$, order {k} (0 terms): $S_{{{k}}} = 0$"


def _json_lines(expansion: Expansion) -> Iterator[str]:
    """The document of :func:`expansion_dict`, one term per line (valid JSON, same content)."""
    yield "{"
    yield f'  "schema": "{schema_id("expand")}",'
    yield f'  "depth": {expansion.depth},'
    yield f'  "order": {expansion.order},'
    yield f'  "tied": {json.dumps(expansion.tied)},'
    yield f'  "counts": {json.dumps(list(expansion.counts()))},'
    if not expansion.terms:
        yield '  "terms": []'
        yield "}"
        return
    yield '  "terms": ['
    sub = _Subtrees()
    last = len(expansion.terms) - 1
    for i, t in enumerate(expansion.terms):
        c = t.coefficient
        latex = json.dumps(sub.latex_of(t.tree, cache=False))
        yield (f'    {{"order": {t.order}, "tree": {sub.json_of(t.tree, cache=False)}, '
               f'"coefficient": "{c.numerator}/{c.denominator}", "latex": {latex}}}{"," if i < last else ""}')
    yield "  ]"
    yield "}"


_LINES = {"text": _text_lines, "markdown": _markdown_lines, "latex": _latex_lines, "json": _json_lines}


def write_expansion(expansion: Expansion, fmt: str, stream: TextIO) -> None:
    """Write ``expansion`` in ``fmt`` (text, latex, json) to ``stream``, term by term, with a final newline.

    The output equals ``render_expansion(expansion, fmt) + "\\n"``; lines are handed to the
    stream in chunks of :data:`CHUNK_LINES`, so memory beyond the expansion stays small.

    Raises
    ------
    UsageError
        When ``fmt`` is not text, latex or json.

    >>> import io
    >>> from residual_expansion.theorem.expansion import expand
    >>> out = io.StringIO(); write_expansion(expand(2, 2), "text", out); print(out.getvalue(), end="")
    x_2 = x + sum over 3 terms up to order 2 (distinct modules) + O(lambda^3)
    order 1 (2 terms):
      lambda_1 g1
      lambda_2 g2
    order 2 (1 terms):
      lambda_1*lambda_2 g2' g1
    """
    if fmt not in _LINES:
        raise UsageError(f"fmt must be one of {', '.join(_LINES)}, got {fmt!r}")
    chunk: list[str] = []
    for line in _LINES[fmt](expansion):
        chunk.append(line)
        if len(chunk) >= CHUNK_LINES:
            chunk.append("")
            stream.write("\n".join(chunk))
            chunk = []
    chunk.append("")
    stream.write("\n".join(chunk))


def render_expansion(expansion: Expansion, fmt: str) -> str:
    """``fmt`` in text, markdown, latex, json: what :func:`write_expansion` writes, without the final newline.

    >>> from residual_expansion.theorem.expansion import expand
    >>> print(render_expansion(expand(2, 1), "latex"))
    \\begingroup\\allowdisplaybreaks
    \\noindent The closed form of the depth-2 stack up to order 1 (distinct modules), 2 terms:
    \\begin{equation*}
    x_{2} = x + S_1 + O(\\lambda^{2}),
    \\end{equation*}
    \\noindent where $S_k$, the sum of the order-$k$ terms, is:
    \\par\\noindent order 1 (2 terms):
    \\begin{align*}
    S_{1} &= \\lambda_{1}\\, g_1(x) + \\lambda_{2}\\, g_2(x)
    \\end{align*}
    \\endgroup
    """
    out = io.StringIO()
    write_expansion(expansion, fmt, out)
    return out.getvalue()[:-1]


def render_text(expansion: Expansion) -> str:
    """One line per term, grouped by order, with the count of each order."""
    return render_expansion(expansion, "text")


def render_latex(expansion: Expansion) -> str:
    """An ``align*`` environment, one order per line group (compiles with amsmath)."""
    return render_expansion(expansion, "latex")


def render_json(expansion: Expansion) -> str:
    """The JSON document of :func:`expansion_dict`, one term per line."""
    return render_expansion(expansion, "json")


def tree_json(tree: LabeledTree | RootedTree) -> Any:
    """Distinct modules: ``{"layer": i, "children": [...]}``; tied: nested lists."""
    return tree.to_dict() if isinstance(tree, LabeledTree) else tree.to_list()


def expansion_dict(expansion: Expansion) -> dict[str, Any]:
    """The JSON document of ``expand`` (issue 2) as Python data: depth, order, tied, counts, terms.

    ``json.loads(render_json(e)) == expansion_dict(e)``.

    >>> from residual_expansion.theorem.expansion import expand
    >>> e = expand(2, 2)
    >>> json.loads(render_json(e)) == expansion_dict(e)
    True
    """
    return {
        "schema": schema_id("expand"),
        "depth": expansion.depth,
        "order": expansion.order,
        "tied": expansion.tied,
        "counts": list(expansion.counts()),
        "terms": [
            {
                "order": t.order,
                "tree": tree_json(t.tree),
                "coefficient": f"{t.coefficient.numerator}/{t.coefficient.denominator}",
                "latex": differential_latex(t.tree),
            }
            for t in expansion.terms
        ],
    }


def differential_sympy(tree: LabeledTree | RootedTree, x: sympy.Symbol) -> sympy.Expr:
    """F(t)(x) for scalar modules: product over nodes of ``Derivative(g_label(x), (x, m))``."""
    # sympy is slow to import: loaded only where sympy objects are built (tests/test_startup.py)
    import sympy

    g = sympy.Function(f"g{tree.label}" if isinstance(tree, LabeledTree) else "g")(x)
    m = len(tree.children)
    head = g if m == 0 else sympy.Derivative(g, (x, m))
    return sympy.Mul(head, *(differential_sympy(c, x) for c in tree.children))


def to_sympy(expansion: Expansion, x: sympy.Symbol | None = None) -> sympy.Expr:
    """The closed form as a scalar sympy expression in undefined functions g_i(x).

    >>> from residual_expansion.theorem.expansion import expand
    >>> to_sympy(expand(2, 2, uniform=True))
    lambda**2*g1(x)*Derivative(g2(x), x) + lambda*g1(x) + lambda*g2(x) + x
    """
    # sympy is slow to import: loaded only where sympy objects are built (tests/test_startup.py)
    import sympy

    x = x if x is not None else sympy.Symbol("x")
    total = [x]
    for t in expansion.terms:
        c = sympy.Rational(t.coefficient.numerator, t.coefficient.denominator)
        total.append(c * expansion.weight(t) * differential_sympy(t.tree, x))
    return sympy.Add(*total)


def counts_table(rows: dict[int, list[int]], orders: int) -> Table:
    """N(n, k) for each n (rows) and k = 1..orders (columns)."""
    return Table(
        headers=("n", *(f"k={k}" for k in range(1, orders + 1))),
        rows=tuple((str(n), *(str(v) for v in vals)) for n, vals in rows.items()),
        caption="N(n, k): labeled trees (elementary differentials) of order k at depth n",
        align="r" * (orders + 1),
    )


def tied_table(expansion: Expansion) -> Table:
    """The weight-tied table of docs/theory.md#weight-tied-modules: tree, a_n, sigma, gamma, coefficient."""
    rows = []
    for t in expansion.terms:
        tau = t.tree
        a_n = t.coefficient * tau.sigma()
        rows.append((str(tau), str(t.order), str(a_n), str(tau.sigma()), str(tau.gamma()), str(t.coefficient)))
    return Table(
        headers=("tree", "order", f"a_{expansion.depth}", "sigma", "gamma", "coefficient"),
        rows=tuple(rows),
        caption=f"Weight-tied expansion at depth {expansion.depth}: lambda^|tau| a_n(tau)/sigma(tau) F(tau)",
        align="lrrrrr",
    )


__all__ = [
    "counts_table", "differential_latex", "differential_sympy", "differential_text", "expansion_dict",
    "render_expansion", "render_table", "tied_table", "to_sympy", "WeightFormatter", "write_expansion",
]
