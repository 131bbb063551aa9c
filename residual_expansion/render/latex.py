"""LaTeX that fits a page: plain text with its mathematics in math mode, long tables, documents.

- :func:`latex_text` turns the plain text of a cell or caption into LaTeX: ``2^n``,
  ``Q^2->Q^2``, ``sum_k c_k lambda^k``, ``>=``, ``+-`` and ``1.5e-17`` become math
  (``$2^{n}$``, ``$\\mathbb{Q}^{2}\\to\\mathbb{Q}^{2}$``, ...); the rest is escaped text.
- :func:`render_longtable` typesets a :class:`~residual_expansion.render.table.Table` as a
  booktabs ``longtable`` that breaks across pages; columns too wide for the line become
  ragged-right ``p`` columns sized from their content, in a smaller font when needed.
- :func:`standalone` wraps a fragment in a complete article (``--standalone``).

A fragment needs the packages of :data:`PACKAGES` (its first line says so).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: The packages a fragment needs, in preamble order.
PACKAGES: tuple[str, ...] = ("amsmath", "amssymb", "booktabs", "longtable", "array")

_GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "lambda", "mu", "sigma", "tau", "theta", "rho", "phi", "pi",
          "Theta", "Sigma", "Lambda", "Delta", "Gamma")
_GREEK_RE = "|".join(_GREEK)
_BLACKBOARD = {"Q": r"\mathbb{Q}", "R": r"\mathbb{R}", "Z": r"\mathbb{Z}", "N": r"\mathbb{N}"}

_SCRIPT = r"(?:\{[^{}]*\}|\((?:[^()]|\([^()]*\))*\)|[A-Za-z0-9.]+)"
_TOKEN = re.compile(
    rf"(?P<sci>(?<![\w.])\d+(?:\.\d+)?e[+-]\d+(?![\w.]))"
    rf"|(?P<sum>(?<![A-Za-z0-9_])sum_{_SCRIPT})"
    rf"|(?P<atom>(?<![A-Za-z0-9_.])(?:{_GREEK_RE}|[A-Za-z]|\d+(?:\.\d+)?)"
    rf"(?:_{_SCRIPT}(?:\^{_SCRIPT})?|\^{_SCRIPT}(?:_{_SCRIPT})?)(?![A-Za-z0-9_]))"
    rf"|(?P<greek>(?<![A-Za-z0-9_])(?:{_GREEK_RE})(?![A-Za-z0-9_]))"
    rf"|(?P<wordpow>(?:(?<![A-Za-z0-9_])[A-Za-z]{{2,}}|(?<=[\])|]))\^{_SCRIPT}(?:_[A-Za-z0-9]+)?)"
    r"|(?P<op>\|\||->|>=|<=|\+-|<|>|\||(?<= )~(?= ))"
)
_OPS = {"~": r"\sim", "||": r"\|", "->": r"\to", ">=": r"\geq", "<=": r"\leq", "+-": r"\pm", "<": "<", ">": ">", "|": "|"}


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text (and brace square brackets).

    >>> latex_escape("a_b & 50%")
    'a\\\\_b \\\\& 50\\\\%'
    """
    out = []
    for ch in text:
        if ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "~":
            out.append(r"\textasciitilde{}")
        elif ch == "^":
            out.append(r"\textasciicircum{}")
        elif ch == "\\":
            out.append(r"\textbackslash{}")
        elif ch in "[]":  # braced, so a row starting with [ is not read as \\[<skip>]
            out.append("{" + ch + "}")
        elif ch in "<>|":
            out.append(f"${ch}$")
        else:
            out.append(ch)
    return "".join(out)


def _math(text: str) -> str:
    """The inside of a script, as math: outer braces dropped, Greek words as commands."""
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    text = re.sub(rf"\b({_GREEK_RE})\b", r"\\\1 ", text)
    text = re.sub(r"(?<=[A-Za-z])_([A-Za-z0-9]+)", r"_{\1}", text)
    for op in ("<=", ">=", "+-"):
        text = text.replace(op, _OPS[op] + " ")
    return text.strip()


def _scripts(rest: str) -> str:
    """``_k^2`` -> ``_{k}^{2}`` (a parenthesised script keeps its parentheses unless braced)."""
    out = []
    for mark, script in re.findall(rf"([_^])({_SCRIPT})", rest):
        out.append(f"{mark}{{{_math(script)}}}")
    return "".join(out)


def _pieces(text: str) -> list[tuple[bool, str]]:
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() > pos:
            pieces.append((False, text[pos:m.start()]))
        kind, tok = m.lastgroup, m.group()
        if kind == "sci":
            mant, exp = tok.split("e")
            pieces.append((True, rf"{mant} \times 10^{{{int(exp)}}}"))
        elif kind == "sum":
            pieces.append((True, r"\sum" + _scripts(tok[3:])))
        elif kind == "atom":
            base = re.match(rf"{_GREEK_RE}|[A-Za-z]|\d+(?:\.\d+)?", tok).group()
            rest = tok[len(base):]
            if base in _GREEK:
                head = "\\" + base
            elif base in _BLACKBOARD and re.match(r"\^\d", rest):
                head = _BLACKBOARD[base]
            else:
                head = base
            pieces.append((True, head + _scripts(rest)))
        elif kind == "greek":
            pieces.append((True, "\\" + tok))
        elif kind == "wordpow":
            word, script = tok.split("^", 1)
            if word:
                pieces.append((False, word))
            pieces.append((True, f"^{{{_math(script)}}}"))
        else:
            pieces.append((True, _OPS[tok]))
        pos = m.end()
    if pos < len(text):
        pieces.append((False, text[pos:]))
    return pieces


def _breakable(text: str) -> str:
    """Escaped text that may break after ``/`` and ``+`` inside long words."""
    return re.sub(r"(?<=\w)([/+])(?=\w)", r"\1\\allowbreak{}", latex_escape(text))


def latex_text(text: str) -> str:
    """Plain text as LaTeX: mathematics in math mode, everything else escaped.

    >>> latex_text("2 x degree-4 maps Q^2->Q^2")
    '2 x degree-4 maps $\\\\mathbb{Q}^{2}\\\\to\\\\mathbb{Q}^{2}$'
    >>> latex_text("P(lambda) = sum_k c_k lambda^k, >= 95%")
    'P($\\\\lambda$) = $\\\\sum_{k} c_{k} \\\\lambda^{k}$, $\\\\geq$ 95\\\\%'
    >>> latex_text("error 1.5e-17, order_used")
    'error $1.5 \\\\times 10^{-17}$, order\\\\_used'
    """
    out: list[str] = []
    math: list[str] = []
    for is_math, piece in _pieces(text):
        if is_math:
            math.append(piece)
            continue
        if math and piece.strip() == "" and piece:
            math.append(" ")  # keep a space between adjacent math pieces, inside one $...$
            continue
        if math:
            out.append("$" + "".join(math).strip() + "$")
            math = []
        out.append(_breakable(piece))
    if math:
        out.append("$" + "".join(math).strip() + "$")
    # a space swallowed between two math runs must come back after the closing $
    return re.sub(r"\$(\s+)\$", r"\1", "".join(out)).replace("$$", "$ $")


# --- tables -------------------------------------------------------------------------------

#: Width of a standard article text block (10 pt, letter or A4), in points.
LINE_WIDTH_PT = 345.0
_SIZES = ((r"", 10.0), (r"\small", 9.0), (r"\footnotesize", 8.0))


def _text_width(text: str, size: float) -> float:
    """A generous estimate of the typeset width of ``text`` in points at font ``size``.

    Digits and lower case take about half an em in Computer Modern, capitals about 0.72;
    math (exponents written as ``e-17`` become ``x 10^{-17}``) is rounded up.
    """
    em = size
    width = 0.0
    for ch in text:
        if ch.isupper() or ch in "mwMW%&":
            width += 0.74 * em
        elif ch in "il.,;:'|!()[]":
            width += 0.3 * em
        elif ch == " ":
            width += 0.34 * em
        else:
            width += 0.5 * em
    width += 1.4 * em * len(re.findall(r"\de[+-]\d", text))
    return width


def _longest_word(text: str, size: float) -> float:
    words = re.split(r"(?<=[-/+ ])", text)
    return max((_text_width(w, size) for w in words), default=0.0)


@dataclass(frozen=True)
class ColumnLayout:
    """The column specification of a long table and the font size command it needs."""

    spec: str
    size: str
    tabcolsep_pt: float
    fallback: bool = False  # equal columns: the content does not fit any sensible layout


def column_layout(headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...], align: str,
                  line_width: float = LINE_WIDTH_PT) -> ColumnLayout:
    """Natural columns when the table fits the line; else ragged-right ``p`` columns.

    Tries the normal font, then ``\\small``, then ``\\footnotesize``; columns whose
    natural width is below their fair share stay natural (``l``/``r``/``c``), the others
    get their longest word and share the rest of the line in proportion to what they lack
    of their natural widths.
    """
    n = len(headers)
    cols = list(zip(headers, *rows))
    for size_cmd, size in _SIZES:
        sep = 6.0 if n <= 6 else 4.0
        avail = line_width - 2 * sep * n - 8.0  # a margin for the estimate
        natural = [max(_text_width(c, size) for c in col) for col in cols]
        if sum(natural) <= avail:
            return ColumnLayout("".join(align), size_cmd, sep)
        floor = [max(_longest_word(c, size) for c in col) for col in cols]
        fixed: dict[int, float] = {}
        while True:
            free = [i for i in range(n) if i not in fixed]
            share = (avail - sum(fixed.values())) / max(len(free), 1)
            newly = [i for i in free if natural[i] <= share]
            if not newly:
                break
            for i in newly:
                fixed[i] = natural[i]
        free = [i for i in range(n) if i not in fixed]
        room = avail - sum(fixed.values())
        least = {i: min(floor[i], natural[i]) for i in free}
        spare = room - sum(least.values())
        if spare < 0:
            continue
        stretch = sum(natural[i] - least[i] for i in free) or 1.0
        widths = {i: least[i] + spare * (natural[i] - least[i]) / stretch for i in free}
        spec = []
        for i in range(n):
            if i in fixed:
                spec.append(align[i])
            else:
                spec.append(_p_column(widths[i] / line_width))
        return ColumnLayout("".join(spec), size_cmd, sep)
    # last resort: equal p columns in the smallest font
    sep = 3.0
    return ColumnLayout(_p_column((line_width - 2 * sep * n) / n / line_width) * n, r"\footnotesize", sep, True)


def _p_column(fraction: float) -> str:
    """A ragged-right paragraph column of ``fraction`` of the line (rounded down, so the sum fits)."""
    return rf">{{\raggedright\arraybackslash}}p{{{math.floor(fraction * 1000) / 1000:.3f}\linewidth}}"


def render_longtable(headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...], *, caption: str = "",
                     align: str = "", latex_rows: tuple[tuple[str, ...], ...] | None = None) -> str:
    """A booktabs ``longtable`` (breaks across pages), its columns fitted to the line.

    ``rows`` are plain text (converted by :func:`latex_text`) unless ``latex_rows`` gives
    the same cells already in LaTeX. The table is set in a group that restores the font
    size and column separation afterwards.

    >>> print(render_longtable(("k", "N"), (("1", "8"),), caption="N(n, k) at n = 8", align="rr"))
    {\\setlength{\\tabcolsep}{6pt}
    \\begin{longtable}{rr}
    \\caption{N(n, k) at n = 8}\\\\
    \\toprule
    k & N \\\\
    \\midrule
    \\endfirsthead
    \\toprule
    k & N \\\\
    \\midrule
    \\endhead
    \\bottomrule
    \\endlastfoot
    1 & 8 \\\\
    \\end{longtable}}
    """
    align = align or "l" * len(headers)
    layout = column_layout(headers, rows, align)
    cells = latex_rows if latex_rows is not None else tuple(tuple(latex_text(c) for c in r) for r in rows)
    head = " & ".join(latex_text(h) for h in headers) + r" \\"
    out = ["{" + (layout.size + "\n" if layout.size else "") + rf"\setlength{{\tabcolsep}}{{{layout.tabcolsep_pt:g}pt}}",
           r"\begin{longtable}{" + layout.spec + "}"]
    if caption:
        out.append(r"\caption{" + latex_text(caption) + r"}\\")
    out += [r"\toprule", head, r"\midrule", r"\endfirsthead", r"\toprule", head, r"\midrule", r"\endhead",
            r"\bottomrule", r"\endlastfoot"]
    out.extend(" & ".join(r) + r" \\" for r in cells)
    out.append(r"\end{longtable}}")
    return "\n".join(out)


def requirements_comment() -> str:
    """The first line of every LaTeX fragment: the packages it needs."""
    return "% needs \\usepackage{" + ",".join(PACKAGES) + "} (or use --standalone)"


def standalone(body: str, *, title: str = "") -> str:
    """A complete article around ``body``: encodings, fonts, the packages of :data:`PACKAGES`.

    >>> doc = standalone("$x$")
    >>> doc.splitlines()[0], doc.splitlines()[-1]
    ('\\\\documentclass[10pt]{article}', '\\\\end{document}')
    """
    lines = [
        r"\documentclass[10pt]{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{lmodern}",
        *(rf"\usepackage{{{p}}}" for p in PACKAGES),
        r"\allowdisplaybreaks",
        r"\begin{document}",
    ]
    if title:
        lines.append(r"\section*{" + latex_text(title) + "}")
    lines += [body, r"\end{document}"]
    return "\n".join(lines)
