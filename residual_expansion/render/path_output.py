"""Render path statistics (``paths``) as text, Markdown, LaTeX or JSON.

Text formats show four tables: a summary, the weighted ensemble sizes, the shortest
central intervals for a ladder of shares, and the number of paths per length. When more
than :data:`MAX_LENGTH_ROWS` lengths carry paths, the per-length table groups lengths
into at most :data:`MAX_LENGTH_ROWS` bins of equal width covering the shortest interval
that holds all but 10^-9 of the paths, plus one row for each tail; the JSON output always
has every count. Integers longer than :data:`EXACT_DIGITS` digits are shown in scientific
notation in the tables (the JSON keeps them exact).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import sys
from collections.abc import Iterator
from fractions import Fraction
from typing import Any, TextIO

from residual_expansion.paths.polynomial import BinomialCounts, PathStatistics, shortest_interval
from residual_expansion.render.bigint import SMALL_BITS, decimal_string, fraction_string
from residual_expansion.render.table import Table, render_table, to_json
from residual_expansion.schemas import schema_id

MAX_LENGTH_ROWS = 60
EXACT_DIGITS = 24
#: Text formats show an exact rational P(lambda) only up to this many digits.
WEIGHTED_DIGITS = 40
TAIL_SHARE = Fraction(1, 10**9)


@contextlib.contextmanager
def unlimited_int_digits() -> Iterator[None]:
    """Lift Python's 4300-digit limit on ``int`` <-> ``str`` inside the block (restored after)."""
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)


def _digits(x: int) -> int:
    """Number of decimal digits of ``x > 0`` without converting it to a string."""
    d = int(x.bit_length() * math.log10(2))
    while 10 ** d <= x:
        d += 1
    while d > 1 and 10 ** (d - 1) > x:
        d -= 1
    return d


def big_int(x: int, latex: bool = False) -> str:
    """``x`` exactly when short, else ``m.mmmme+E`` (``m.mmmm \\times 10^{E}`` in LaTeX).

    >>> big_int(2**54), big_int(2**100)
    ('18014398509481984', '1.2677e+30')
    """
    if x < 0:
        return "-" + big_int(-x, latex)
    if x == 0 or _digits(x) <= EXACT_DIGITS:
        return str(x)
    e = _digits(x) - 1
    mantissa = (2 * x + 10 ** (e - 4)) // (2 * 10 ** (e - 4))  # x / 10^(e-4), rounded half up
    if mantissa >= 10**5:
        mantissa, e = mantissa // 10, e + 1
    m = f"{mantissa // 10**4}.{mantissa % 10**4:04d}"
    return f"{m} \\times 10^{{{e}}}" if latex else f"{m}e+{e}"


def _power_of_two(x: int) -> str:
    return f" = 2^{x.bit_length() - 1}" if x > 0 and x & (x - 1) == 0 else ""


def _percent(share: float | Fraction) -> str:
    value = 100 * float(share)
    if value == 0:
        return "0%"
    if share < 1 and value >= 99.995:
        return ">99.99%"
    if value >= 0.01:
        return f"{value:.4g}%"
    return f"{value:.3e}%"


def _fraction(x: Fraction) -> str:
    text = str(x)
    return text if len(text) <= 40 else f"{float(x):.6g} (exact in --format json)"


def _weighted_cells(w) -> tuple[str, str, str, str]:
    if w.exact is not None and w.exact.denominator == 1:
        exact = big_int(w.exact.numerator)
    elif w.exact is not None:
        exact = str(w.exact)
    elif w.lam_exact is not None:
        exact = "rational, long (see --format json)"
    else:
        exact = "irrational lambda: float only"
    value = f"{w.value:.6g}" if w.value is not None else f"beyond float64 (e^{w.log:.6g})"
    lam = str(w.lam_exact) if w.lam_exact is not None else f"{w.lam:.6g}"
    return (w.label, lam, value, exact)


def summary_table(s: PathStatistics) -> Table:
    rows = (
        ("architecture", s.name),
        ("depth n", str(s.depth)),
        ("modules", str(s.modules)),
        ("total paths P(1)", big_int(s.total) + _power_of_two(s.total)),
        ("mean length", _fraction(s.mean)),
        ("variance", _fraction(s.variance)),
        ("std deviation", f"{math.sqrt(s.variance):.6g}"),
        (
            f"shortest interval with >= {_percent(s.interval.target)} of paths",
            f"{s.interval.lo}..{s.interval.hi} ({_percent(s.interval.share)})",
        ),
    )
    return Table(headers=("quantity", "value"), rows=rows, caption=f"paths: {s.name}, n = {s.depth}", align="ll")


def weighted_table(s: PathStatistics) -> Table:
    return Table(
        headers=("lambda", "value of lambda", "P(lambda)", "exact P(lambda)"),
        rows=tuple(_weighted_cells(w) for w in s.weighted),
        caption=f"weighted ensemble size P(lambda) = sum_k c_k lambda^k, n = {s.depth}",
        align="lrrl",
    )


def intervals_table(s: PathStatistics) -> Table:
    rows = tuple(
        (
            _percent(iv.target) + (" (requested)" if iv.target == s.interval.target else ""),
            f"{iv.lo}..{iv.hi}",
            str(iv.hi - iv.lo + 1),
            _percent(iv.share),
        )
        for iv in s.ladder
    )
    return Table(
        headers=("at least", "lengths", "lengths in it", "share of paths"),
        rows=rows,
        caption="shortest intervals of path lengths holding a share of the paths",
        align="lrrr",
    )


def _length_rows(s: PathStatistics) -> tuple[tuple[tuple[str, ...], ...], str]:
    counts = s.counts
    total = s.total
    if len(counts) <= MAX_LENGTH_ROWS:
        rows = []
        cumulative = 0
        for k, c in enumerate(counts):
            cumulative += c
            rows.append((str(k), big_int(c), _percent(Fraction(c, total)), _percent(Fraction(cumulative, total))))
        return tuple(rows), "paths per length (modules on the path)"
    core = shortest_interval(counts, 1 - TAIL_SHARE)
    width = -(-(core.hi - core.lo + 1) // (MAX_LENGTH_ROWS - 2))
    bins = []  # (label, lo, hi): the lower tail, bins of `width` over the core, the upper tail
    if core.lo > 0:
        bins.append((f"0..{core.lo - 1}", 0, core.lo - 1))
    for lo in range(core.lo, core.hi + 1, width):
        hi = min(lo + width - 1, core.hi)
        bins.append((str(lo) if lo == hi else f"{lo}..{hi}", lo, hi))
    if core.hi < len(counts) - 1:
        bins.append((f"{core.hi + 1}..{len(counts) - 1}", core.hi + 1, len(counts) - 1))
    sums = [0] * len(bins)
    b = 0
    for k, c in enumerate(counts):  # one pass: the counts may be computed on demand, never held
        while k > bins[b][2]:
            b += 1
        sums[b] += c
    rows = []
    cumulative = 0
    for (label, _, _), c in zip(bins, sums):
        cumulative += c
        rows.append((label, big_int(c), _percent(Fraction(c, total)), _percent(Fraction(cumulative, total))))
    caption = (
        f"paths per length, lengths grouped in bins of {width} over {core.lo}..{core.hi} "
        f"(the shortest interval holding all but 1e-9 of the paths); every count is in --format json"
    )
    return tuple(rows), caption


def lengths_table(s: PathStatistics) -> Table:
    rows, caption = _length_rows(s)
    return Table(headers=("length", "paths", "share", "cumulative"), rows=rows, caption=caption, align="rrrr")


def _weighted_json(w) -> Any:
    if w.exact is not None:
        return w.exact.numerator if w.exact.denominator == 1 else w.exact
    return w.value


#: JSON keys (snake_case) of the weighted ensemble sizes, by scale label.
WEIGHTED_KEYS = {"1": "lambda_1", "1/sqrt(n)": "lambda_inv_sqrt_n", "1/n": "lambda_inv_n"}


def _wkey(label: str) -> str:
    return WEIGHTED_KEYS.get(label) or re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def stats_to_dict(s: PathStatistics, held: bool = True) -> dict[str, Any]:
    """The JSON object of ``paths --format json`` (exact integers stay integers; exact
    rationals are ``"p/q"`` strings; a float beyond float64 is ``null``, see ``weighted_log``).
    The weighted sizes are keyed by scale: ``lambda_1`` (lambda = 1), ``lambda_inv_sqrt_n``
    (1/sqrt(n)) and ``lambda_inv_n`` (1/n). ``held=False`` leaves ``"counts"`` as the
    statistics' own sequence (possibly computed on demand) instead of a list."""
    return {
        "schema": schema_id("paths"),
        "arch": s.name,
        "depth": s.depth,
        "modules": s.modules,
        "total": s.total,
        "counts": list(s.counts) if held else s.counts,
        "mean": s.mean,
        "variance": s.variance,
        "interval": [s.interval.lo, s.interval.hi],
        "interval_share": float(s.interval.share),
        "interval_count": s.interval.count,
        "share_requested": s.interval.target,
        "weighted": {_wkey(w.label): _weighted_json(w) for w in s.weighted},
        "weighted_float": {_wkey(w.label): w.value for w in s.weighted},
        "weighted_log": {_wkey(w.label): w.log for w in s.weighted},
    }


#: Counts handed to the stream in one ``write`` call by :func:`write_paths_json`.
CHUNK_COUNTS = 512
_MARK = re.compile(r'"\\u0000(INT|LIST)(\d+)"')


def _placeholders(data: Any, big: list[Any]) -> Any:
    """``data`` with large ints and int lists swapped for marker strings (their values go to ``big``),
    and Fractions written ``"p/q"`` by the fast conversion (as the JSON encoder's default does)."""
    if isinstance(data, dict):
        return {k: _placeholders(v, big) for k, v in data.items()}
    if isinstance(data, BinomialCounts):  # streamed by its own decimal walk, never held
        big.append(data)
        return f"\x00LIST{len(big) - 1}"
    if isinstance(data, list) and len(data) > 1 and all(type(v) is int for v in data):
        big.append(data)
        return f"\x00LIST{len(big) - 1}"
    if isinstance(data, list):
        return [_placeholders(v, big) for v in data]
    if type(data) is int and data.bit_length() > SMALL_BITS:
        big.append(data)
        return f"\x00INT{len(big) - 1}"
    if isinstance(data, Fraction):
        return fraction_string(data.numerator, data.denominator)
    return data


def write_paths_json(s: PathStatistics, stream: TextIO) -> None:
    """Write ``to_json(stats_to_dict(s))`` and a newline to ``stream``, byte for byte, count by count.

    The small skeleton is encoded by ``json.dumps(indent=2)``; every list of counts and
    every large integer is written in its place one number at a time, each converted by
    :func:`~residual_expansion.render.bigint.decimal_string` (sub-quadratic), so no string
    holding all the counts is ever built. Binomial counts (plain and two-branch stacks,
    :class:`~residual_expansion.paths.polynomial.BinomialCounts`) are neither held nor
    converted: their decimal walk writes each count's digits as it reaches it.

    >>> import io
    >>> from residual_expansion.paths.architectures import plain
    >>> from residual_expansion.paths.polynomial import path_statistics
    >>> out = io.StringIO(); st = path_statistics(plain(3)); write_paths_json(st, out)
    >>> out.getvalue() == render_paths(st, "json") + "\\n"
    True
    """
    big: list[Any] = []
    skeleton = to_json(_placeholders(stats_to_dict(s, held=False), big))
    pos = 0
    for m in _MARK.finditer(skeleton):
        stream.write(skeleton[pos:m.start()])
        value = big[int(m.group(2))]
        if m.group(1) == "INT":
            stream.write(decimal_string(value))
        else:
            line_start = skeleton.rfind("\n", 0, m.start()) + 1
            indent = len(skeleton[line_start:m.start()]) - len(skeleton[line_start:m.start()].lstrip(" "))
            inner = "\n" + " " * (indent + 2)
            digits = value.decimal_strings() if isinstance(value, BinomialCounts) else map(decimal_string, value)
            stream.write("[")
            for i in range(0, len(value), CHUNK_COUNTS):
                part = itertools.islice(digits, CHUNK_COUNTS)
                stream.write(("," if i else "") + inner + ("," + inner).join(part))
            stream.write("\n" + " " * indent + "]")
        pos = m.end()
    stream.write(skeleton[pos:])
    stream.write("\n")


def write_paths(s: PathStatistics, fmt: str, stream: TextIO) -> None:
    """Write ``render_paths(s, fmt)`` and a newline to ``stream`` (JSON streamed by :func:`write_paths_json`)."""
    if fmt == "json":
        write_paths_json(s, stream)
        return
    stream.write(render_paths(s, fmt))
    stream.write("\n")


def render_paths(s: PathStatistics, fmt: str) -> str:
    """``s`` in ``fmt`` (``text``, ``markdown``, ``latex`` or ``json``)."""
    with unlimited_int_digits():
        if fmt == "json":
            return to_json(stats_to_dict(s))
        tables = [summary_table(s), weighted_table(s), intervals_table(s), lengths_table(s)]
        return "\n\n".join(render_table(t, fmt) for t in tables)
