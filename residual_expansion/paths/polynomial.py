"""The path-length generating polynomial of a residual architecture and its statistics.

For an architecture (a DAG with one input and one output, :mod:`.architectures`) the
*path polynomial* is

    P(t) = sum over input-output paths p of t^(number of module nodes on p)
         = sum_k c_k t^k,

so ``P(1)`` is the number of computation paths, ``c_k`` the number of paths of length
``k`` and, for modules scaled by ``lambda``, ``P(lambda)`` the weighted ensemble size
(docs/theory.md#weighted-ensemble-size, docs/theory.md#computation-path-dags). A plain stack of ``n`` blocks has ``P = (1+t)^n``, a two-branch
(Transformer) stack ``(1+t)^(2n)``.

Three independent routes compute ``P`` with exact integers:

- :func:`path_polynomial`: dynamic programming over a topological order, factored at the
  *cut nodes* (nodes on every path): ``P`` is ``t^[input is a module]`` times the product
  of the segment polynomials between consecutive cut nodes; equal segments are grouped
  and their powers are computed by the linear recurrence of ``P'/P`` (J. C. P. Miller's
  power recurrence, generalised to products), ``O(deg P)`` big-integer operations per
  distinct segment instead of ``O(n deg P)``. A 10,000-block stack takes milliseconds.
- :func:`path_polynomial_dp`: the plain DP ``P_v = t^[v module] * sum_{u -> v} P_u``
  without factoring (``O(E deg P)`` big-integer additions).
- :func:`path_polynomial_enumerated`: explicit enumeration of the paths
  (:func:`networkx.all_simple_paths`), for small graphs.

Polynomials are tuples of Python ints ``(c_0, c_1, ..., c_N)``.
"""

from __future__ import annotations

import bisect
import decimal
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import networkx as nx

from residual_expansion.paths.architectures import Architecture
from residual_expansion.errors import InconsistencyError, UsageError

Polynomial = tuple[int, ...]

DEFAULT_SHARE = Fraction(95, 100)
#: Shares whose shortest intervals the text report lists (the requested share is added).
SHARE_LADDER = (Fraction(1, 2), Fraction(9, 10), Fraction(95, 100), Fraction(98, 100), Fraction(99, 100), Fraction(999, 1000))
#: Enumeration of paths is refused above this many paths (it is a cross-check for small graphs).
ENUMERATION_LIMIT = 1 << 16


# --------------------------------------------------------------------------- polynomials


def _trim(c: list[int]) -> list[int]:
    while len(c) > 1 and c[-1] == 0:
        c.pop()
    return c


def _add_into(acc: list[int], c: Sequence[int], shift: int = 0) -> None:
    """``acc += t^shift * c`` in place (``acc`` grows as needed)."""
    need = len(c) + shift
    if len(acc) < need:
        acc.extend([0] * (need - len(acc)))
    for k, ck in enumerate(c):
        if ck:
            acc[k + shift] += ck


def poly_mul(a: Sequence[int], b: Sequence[int]) -> Polynomial:
    """The product of two polynomials with non-negative integer coefficients.

    Short factors are multiplied term by term; long ones by Kronecker substitution
    (pack each polynomial into one integer with slots wide enough that no slot carries,
    multiply the integers, unpack).

    Examples
    --------
    >>> poly_mul((1, 1), (1, 2, 1))
    (1, 3, 3, 1)
    """
    if min(len(a), len(b)) <= 16:
        out = [0] * (len(a) + len(b) - 1)
        for i, ai in enumerate(a):
            if ai:
                for j, bj in enumerate(b):
                    out[i + j] += ai * bj
        return tuple(_trim(out))
    if min(min(a), min(b)) < 0:
        raise ValueError("poly_mul's Kronecker route needs non-negative coefficients")
    bits = max(a).bit_length() + max(b).bit_length() + min(len(a), len(b)).bit_length() + 1
    width = (bits + 7) // 8

    def pack(c: Sequence[int]) -> int:
        return int.from_bytes(b"".join(x.to_bytes(width, "little") for x in c), "little")

    raw = (pack(a) * pack(b)).to_bytes(width * (len(a) + len(b) - 1), "little")
    out = [int.from_bytes(raw[i : i + width], "little") for i in range(0, len(raw), width)]
    return tuple(_trim(out))


def _derivative(c: Sequence[int]) -> list[int]:
    return [k * c[k] for k in range(1, len(c))] or [0]


def product_of_powers(factors: dict[Polynomial, int]) -> Polynomial:
    """``prod Q^m`` over ``factors = {Q: m}`` (polynomials with non-negative coefficients).

    Each ``Q = t^a R`` with ``R(0) != 0``. For ``P = prod R^m``, ``P'/P = sum m R'/R``;
    with ``D = prod R`` and ``N = sum m R' prod_{other} R`` this is ``D P' = N P``, i.e.

        D_0 (k+1) p_{k+1} = sum_j N_j p_{k-j} - sum_{j>=1} D_j (k+1-j) p_{k+1-j},

    an exact recurrence from ``p_0 = prod R(0)^m`` (the division is exact because the
    ``p`` are integers). For a single ``R = 1 + t`` it is ``p_{k+1} = p_k (m-k)/(k+1)``.
    Factors with ``m = 1`` are multiplied in directly.

    Examples
    --------
    >>> product_of_powers({(1, 1): 3, (0, 1): 2})
    (0, 0, 1, 3, 3, 1)
    >>> product_of_powers({(1, 1): 2, (2, 0, 1): 2})
    (4, 8, 8, 8, 5, 2, 1)

    Reference: J. C. P. Miller's recurrence for powers of power series (Henrici, Applied
    and Computational Complex Analysis I, §1.6).
    """
    shift = 0
    repeated: list[tuple[list[int], int]] = []
    singles: list[list[int]] = []
    for q, m in factors.items():
        c = _trim(list(q))
        if not any(c):
            return (0,)
        a = next(i for i, x in enumerate(c) if x)
        r = c[a:]
        shift += a * m
        if len(r) == 1:
            singles.append([r[0] ** m])
        elif m == 1:
            singles.append(r)
        else:
            repeated.append((r, m))
    result: Polynomial = (1,)
    if len(repeated) == 1 and len(repeated[0][0]) == 2:  # (a + b t)^m: the binomial recurrence
        (a0, b1), m = repeated[0]
        p = [a0**m]
        for k in range(m):
            p.append(p[k] * b1 * (m - k) // (a0 * (k + 1)))
        result = tuple(p)
    elif repeated:
        d_poly: Polynomial = (1,)
        for r, _ in repeated:
            d_poly = poly_mul(d_poly, r)
        n_poly: list[int] = [0]
        for i, (r, m) in enumerate(repeated):
            term: Polynomial = tuple(m * x for x in _derivative(r))
            for j, (other, _) in enumerate(repeated):
                if j != i:
                    term = poly_mul(term, other)
            _add_into(n_poly, term)
        degree = sum((len(r) - 1) * m for r, m in repeated)
        p = [0] * (degree + 1)
        p[0] = math.prod(r[0] ** m for r, m in repeated)
        d0 = d_poly[0]
        nn = [(j, x) for j, x in enumerate(n_poly) if x]
        dd = [(j, x) for j, x in enumerate(d_poly) if x and j >= 1]
        for k in range(degree):
            s = 0
            for j, x in nn:
                if j > k:
                    break
                s += x * p[k - j]
            for j, x in dd:
                if j > k + 1:
                    break
                s -= x * (k + 1 - j) * p[k + 1 - j]
            p[k + 1] = s // (d0 * (k + 1))
        result = tuple(p)
    for r in sorted(singles, key=len):
        result = poly_mul(result, r)
    return (0,) * shift + result


def binomial_polynomial(m: int) -> Polynomial:
    """``(1+t)^m`` by the binomial theorem: ``(C(m,0), ..., C(m,m))`` (docs/theory.md#linear-modules, docs/theory.md#computation-path-dags).

    >>> binomial_polynomial(3)
    (1, 3, 3, 1)
    """
    out = [1] * (m + 1)
    for k in range(1, m + 1):
        out[k] = out[k - 1] * (m - k + 1) // k
    return tuple(out)


# --------------------------------------------------------------------------- path polynomials


def _indexed(arch: Architecture) -> tuple[list[bool], list[list[int]], list[int]]:
    """By position in ``arch.order``: module flags, predecessor positions, farthest successor position."""
    order = arch.order
    pos = {v: i for i, v in enumerate(order)}
    module = [False] * len(order)
    for v, kind in arch.graph.nodes(data="kind"):
        module[pos[v]] = kind == "module"
    preds: list[list[int]] = [[] for _ in order]
    farthest = list(range(len(order)))
    for v, nbrs in arch.graph.adjacency():
        i = pos[v]
        for w in nbrs:
            j = pos[w]
            preds[j].append(i)
            if j > farthest[i]:
                farthest[i] = j
    return module, preds, farthest


def _cut_positions(farthest: list[int]) -> list[int]:
    """Positions ``i`` that no edge jumps over (``max_{u < i} farthest[u] <= i``)."""
    reach = 0
    cuts = []
    for i, f in enumerate(farthest):
        if reach <= i:
            cuts.append(i)
        if f > reach:
            reach = f
    return cuts


def cut_nodes(arch: Architecture) -> tuple:
    """The nodes on every input-output path, in path order (input and output included).

    In a topological order that starts at the input and ends at the output (true for
    every validated architecture), a node lies on every path iff no edge jumps over it:
    no edge ``u -> w`` with ``pos(u) < pos(v) < pos(w)``.

    >>> from residual_expansion.paths.architectures import two_branch
    >>> cut_nodes(two_branch(1))
    ('x0', 'h1', 'x1')
    """
    _, _, farthest = _indexed(arch)
    return tuple(arch.order[i] for i in _cut_positions(farthest))


def path_polynomial(arch: Architecture) -> Polynomial:
    """``P(t) = sum_paths t^(modules on the path)`` by DP over a topological order, factored at cut nodes.

    Every path visits the cut nodes ``c_0 = input, c_1, ..., c_m = output`` in order, and
    between ``c_j`` and ``c_{j+1}`` runs inside its own segment, so
    ``P = t^[input module] * prod_j S_j`` with ``S_j`` the polynomial of the
    ``c_j -> c_{j+1}`` paths (counting ``c_{j+1}`` but not ``c_j``). Each ``S_j`` comes
    from the DP ``L_v = t^[v module] sum_{u -> v} L_u`` restarted at ``c_j``; equal
    segments are raised to their multiplicity by :func:`product_of_powers`.

    Returns
    -------
    tuple of int
        ``(c_0, ..., c_N)``, ``c_k`` = number of paths through ``k`` modules.

    Examples
    --------
    >>> from residual_expansion.paths.architectures import plain
    >>> path_polynomial(plain(4))
    (1, 4, 6, 4, 1)

    Reference: docs/theory.md#computation-path-dags; Veit, Wilber, Belongie (2016), §3.
    """
    return product_of_powers(path_factors(arch))


def path_factors(arch: Architecture) -> dict[Polynomial, int]:
    """The factors of :func:`path_polynomial`: ``{segment polynomial S: multiplicity}``, ``P = prod S^m``.

    Every path visits the cut nodes in order (see :func:`path_polynomial`); a module
    input contributes the factor ``t = (0, 1)``.

    >>> from residual_expansion.paths.architectures import plain, two_branch
    >>> path_factors(plain(5)), path_factors(two_branch(3))
    ({(1, 1): 5}, {(1, 1): 6})
    """
    module, preds, farthest = _indexed(arch)
    cuts = set(_cut_positions(farthest))
    local: list[list[int]] = [[1]] * len(module)
    segments: Counter = Counter()
    for i in range(1, len(module)):
        ps = preds[i]
        if len(ps) == 1:
            acc = list(local[ps[0]])
        else:
            acc = [0]
            for u in ps:
                _add_into(acc, local[u])
        if module[i]:
            acc.insert(0, 0)
        if i in cuts:
            segments[tuple(_trim(acc))] += 1
        else:
            local[i] = acc
    if module[0]:
        segments[(0, 1)] += 1
    return dict(segments)


def path_polynomial_dp(arch: Architecture) -> Polynomial:
    """``P(t)`` by the unfactored DP ``P_v = t^[v module] * sum_{u -> v} P_u`` over a topological order.

    ``O(E * deg P)`` big-integer additions: an independent route for cross-checks.

    >>> from residual_expansion.paths.architectures import two_branch
    >>> path_polynomial_dp(two_branch(1))
    (1, 2, 1)
    """
    graph = arch.graph
    poly: dict = {}
    for v in arch.order:
        acc: list[int] = [1] if v == arch.input else [0]
        for u in graph.predecessors(v):
            _add_into(acc, poly[u])
        if graph.nodes[v]["kind"] == "module":
            acc.insert(0, 0)
        poly[v] = acc
    return tuple(_trim(poly[arch.output]))


def path_polynomial_enumerated(arch: Architecture, limit: int = ENUMERATION_LIMIT) -> Polynomial:
    """``P(t)`` by listing every input-output path (:func:`networkx.all_simple_paths`).

    Raises
    ------
    UsageError
        When there are more than ``limit`` paths.

    >>> from residual_expansion.paths.architectures import plain
    >>> path_polynomial_enumerated(plain(3))
    (1, 3, 3, 1)
    """
    graph = arch.graph
    counts: list[int] = [0]
    for number, path in enumerate(nx.all_simple_paths(graph, arch.input, arch.output), start=1):
        if number > limit:
            raise UsageError(f"{arch.name} has more than {limit} paths; enumeration is for small graphs")
        k = sum(1 for v in path if graph.nodes[v]["kind"] == "module")
        _add_into(counts, [1], k)
    return tuple(_trim(counts))


# --------------------------------------------------------------------------- binomial counts, never all held


class BinomialCounts(Sequence):
    """The coefficients ``(c_0, ..., c_N)`` of ``t^shift (1+t)^m``, computed on demand, never all held.

    ``c_k = C(m, k - shift)``. The counts of a plain or two-branch stack of depth n take
    about ``0.72 n^2`` bits together; this sequence keeps :data:`ANCHORS` evenly spaced
    binomials (at most ``ANCHORS * m`` bits: linear in the depth) and a few *cursors* (the
    last values reached), and steps between neighbours exactly,

        C(m, j+1) = C(m, j) (m - j) / (j + 1),    C(m, j-1) = C(m, j) j / (m - j + 1),

    so a walk through consecutive lengths costs one small multiplication and one exact
    small division per step. Iteration never looks at the anchors. Equal to any sequence
    with the same items (``BinomialCounts(2) == (1, 2, 1)``).

    >>> c = BinomialCounts(4)
    >>> list(c), c[2], len(c), c[1:3], c == (1, 4, 6, 4, 1)
    ([1, 4, 6, 4, 1], 6, 5, [4, 6], True)
    >>> list(BinomialCounts(2, shift=1))
    [0, 1, 2, 1]

    Reference: docs/theory.md#computation-path-dags (a plain stack has ``P = (1+t)^n``).
    """

    ANCHORS = 64
    CURSORS = 4

    def __init__(self, m: int, shift: int = 0) -> None:
        if m < 0 or shift < 0:
            raise UsageError(f"m and shift must be non-negative, got m={m}, shift={shift}")
        self.m, self.shift = m, shift
        self._step = max(1, -(-(m + 1) // self.ANCHORS))
        self._anchors: tuple[int, ...] | None = None
        self._cursors: dict[int, int] = {}

    def __len__(self) -> int:
        return self.m + self.shift + 1

    def __iter__(self):
        yield from (0 for _ in range(self.shift))
        m, c = self.m, 1
        for j in range(m):
            yield c
            c = c * (m - j) // (j + 1)
        yield c

    def _binomial(self, j: int) -> int:
        """C(m, j) for 0 <= j <= m, stepped from the nearest anchor or cursor."""
        if self._anchors is None:
            anchors, m, c = [], self.m, 1
            for i in range(m + 1):
                if i % self._step == 0:
                    anchors.append(c)
                c = c * (m - i) // (i + 1)
            self._anchors = tuple(anchors)
        a = min(round(j / self._step), len(self._anchors) - 1)
        base, value = a * self._step, self._anchors[a]
        for i, v in self._cursors.items():
            if abs(j - i) < abs(j - base):
                base, value = i, v
        m = self.m
        while base < j:
            value = value * (m - base) // (base + 1)
            base += 1
        while base > j:
            value = value * base // (m - base + 1)
            base -= 1
        self._cursors[j] = value
        if len(self._cursors) > self.CURSORS:
            del self._cursors[next(iter(self._cursors))]  # the oldest cursor
        return value

    def __getitem__(self, k):
        n = len(self)
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return list(self.values(start, stop))
        k = k.__index__()
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError("BinomialCounts index out of range")
        return 0 if k < self.shift else self._binomial(k - self.shift)

    def values(self, start: int, stop: int):
        """Yield ``c_start, ..., c_{stop-1}`` (one step each after the first)."""
        for k in range(start, min(stop, self.shift)):
            yield 0
        lo = max(start, self.shift) - self.shift
        hi = min(stop, len(self)) - self.shift
        if lo >= hi:
            return
        m, c = self.m, self._binomial(lo)
        for j in range(lo, hi):
            yield c
            c = c * (m - j) // (j + 1)

    def decimal_strings(self):
        """Yield the decimal digits of every count in order, without converting a single int.

        The counts are stepped in :mod:`decimal` arithmetic (libmpdec, base 10^19), so each
        one is already in decimal and writing it is linear in its length (``str(int)`` is
        quadratic and GMP's conversion is about 3x slower than this walk). Each step is a
        true division in a context that traps Inexact and Rounded: a quotient that is not an
        integer (a wrong step) raises instead of writing a wrong digit, and the walk must
        end at C(m, m) = 1.

        >>> list(BinomialCounts(3, shift=1).decimal_strings())
        ['0', '1', '3', '3', '1']

        Raises
        ------
        InconsistencyError
            When the walk does not end at 1 (it cannot, unless the arithmetic is wrong).
        """
        yield from ("0" for _ in range(self.shift))
        ctx = decimal.Context(prec=int(self.m * 0.30103) + 30, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                              traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation,
                                     decimal.DivisionByZero, decimal.Overflow])
        m, c = self.m, decimal.Decimal(1)
        for j in range(m):
            yield str(c)
            c = self._decimal_step(ctx, c, j)
        if c != 1:
            raise InconsistencyError(f"the walk over C({m}, k) ended at {c}, not 1")
        yield str(c)

    def _decimal_step(self, ctx, c, j: int):
        """C(m, j+1) from ``c`` = C(m, j), in the exact decimal context ``ctx``."""
        return ctx.divide(ctx.multiply(c, self.m - j), j + 1)  # exact, or the Inexact trap fires

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BinomialCounts):
            return (self.m, self.shift) == (other.m, other.shift)
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("BinomialCounts", self.m, self.shift))

    def __repr__(self) -> str:
        return f"BinomialCounts(m={self.m}, shift={self.shift})"


def binomial_form(factors: dict[Polynomial, int]) -> tuple[int, int] | None:
    """``(m, shift)`` when ``prod S^mult`` over ``factors`` is ``t^shift (1+t)^m``, else None.

    >>> binomial_form({(1, 1): 5, (0, 1): 1}), binomial_form({(1, 2): 2})
    ((5, 1), None)
    """
    if any(key not in ((1, 1), (0, 1), (1,)) for key in factors):
        return None
    return factors.get((1, 1), 0), factors.get((0, 1), 0)


def path_counts(arch: Architecture) -> Sequence[int]:
    """The path counts ``c_k`` of ``arch``: a :class:`BinomialCounts` (held lazily) when
    ``P = t^shift (1+t)^m`` (plain and two-branch stacks), else :func:`path_polynomial`.

    >>> from residual_expansion.paths.architectures import plain
    >>> path_counts(plain(3)), path_counts(plain(3)) == path_polynomial(plain(3))
    (BinomialCounts(m=3, shift=0), True)
    """
    factors = path_factors(arch)
    form = binomial_form(factors)
    if form is None:
        return product_of_powers(factors)
    return BinomialCounts(*form)


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class CentralInterval:
    """The shortest range of lengths ``lo..hi`` holding at least ``target`` of the paths.

    ``count`` paths (share ``count/total``) have a length in ``lo..hi``.
    """

    target: Fraction
    lo: int
    hi: int
    count: int
    total: int

    @property
    def share(self) -> Fraction:
        return Fraction(self.count, self.total)


@dataclass(frozen=True)
class WeightedSize:
    """The weighted ensemble size ``P(lambda) = sum_k c_k lambda^k`` for one scale.

    ``exact`` is the exact rational value when ``lambda`` is rational (else ``None``);
    ``value`` its float (``None`` when beyond float64); ``log`` its natural logarithm.
    """

    label: str
    lam: float
    lam_exact: Fraction | None
    exact: Fraction | None
    value: float | None
    log: float


@dataclass(frozen=True)
class PathStatistics:
    """Everything ``paths`` reports about an architecture's path-length distribution.

    ``counts[k]`` paths have ``k`` modules (a :class:`BinomialCounts` computed on demand for
    plain and two-branch stacks, else a tuple); ``mean`` and ``variance`` of the length over
    the uniform distribution on paths are exact; ``interval`` is the shortest central
    interval for the requested share, ``ladder`` the same for :data:`SHARE_LADDER`;
    ``weighted`` holds ``P(lambda)`` for ``lambda = 1, 1/sqrt(n), 1/n`` with ``n = depth``.
    """

    name: str
    depth: int
    modules: int
    counts: Sequence[int]
    total: int
    mean: Fraction
    variance: Fraction
    interval: CentralInterval
    ladder: tuple[CentralInterval, ...]
    weighted: tuple[WeightedSize, ...]

    def _repr_markdown_(self) -> str:
        # renderers import the result types, not the reverse: a result loads its renderer on display
        from residual_expansion.render.notebook import paths_markdown

        return paths_markdown(self)


def moments(counts: Sequence[int]) -> tuple[Fraction, Fraction]:
    """Exact mean and variance of the length ``k`` with probability ``c_k / sum c``.

    ``mean = P'(1)/P(1)``, ``variance = (P''(1) + P'(1))/P(1) - mean^2``.

    >>> moments((1, 2, 1))
    (Fraction(1, 1), Fraction(1, 2))
    """
    total = first = second = 0
    for k, c in enumerate(counts):  # one pass (the counts may be computed on demand)
        total += c
        first += k * c
        second += k * k * c
    if total == 0:
        raise UsageError("the architecture has no input-output path")
    mean = Fraction(first, total)
    return mean, Fraction(second, total) - mean * mean


class _Prefix:
    """Prefix sums ``P(i) = c_0 + ... + c_{i-1}``, i = 0..N, keeping only every :attr:`STRIDE`-th.

    The full list of prefix sums is as large as the counts themselves (n^2 bits at depth
    n); the checkpoints are 1/STRIDE of that, and any ``P(i)`` is a checkpoint plus fewer
    than STRIDE additions. Counts computed on demand (:class:`BinomialCounts`, not held)
    get at most STRIDE + 1 checkpoints instead (a stride of ``ceil(N / STRIDE)``), so the
    checkpoints too take memory linear in the depth.
    """

    STRIDE = 64

    def __init__(self, counts: Sequence[int]) -> None:
        self.counts = counts
        self.n = len(counts)
        held = isinstance(counts, (tuple, list))
        self.stride = self.STRIDE if held else max(self.STRIDE, -(-self.n // self.STRIDE))
        checkpoints, run = [0], 0
        for i, c in enumerate(counts, start=1):
            run += c
            if i % self.stride == 0:
                checkpoints.append(run)
        self.checkpoints = checkpoints
        self.total = run

    def _counts(self, start: int, stop: int):
        values = getattr(self.counts, "values", None)  # BinomialCounts: consecutive steps
        return values(start, stop) if values is not None else (self.counts[k] for k in range(start, stop))

    def at(self, i: int) -> int:
        """P(i), 0 <= i <= N."""
        block = i // self.stride
        value = self.checkpoints[block]
        for c in self._counts(block * self.stride, i):
            value += c
        return value

    def first_reaching(self, v: int, start: int = 0) -> int:
        """The least i >= start with P(i) >= v, or N + 1 when there is none (``bisect_left`` on the prefix list)."""
        j = bisect.bisect_left(self.checkpoints, v)
        i = (j - 1) * self.stride if j > 0 else 0  # P at checkpoint j-1 is below v
        p = self.at(i)
        while p < v:
            if i >= self.n:
                return self.n + 1
            p += self.counts[i]
            i += 1
        return max(i, start)


def shortest_intervals(counts: Sequence[int], shares: Sequence[Fraction]) -> tuple[CentralInterval, ...]:
    """For each share ``s``: the shortest ``lo..hi`` with ``sum_{lo<=k<=hi} c_k >= s * total``.

    Among equally short intervals the one holding the most paths wins, then the smallest
    ``lo``. A first candidate centred on the distribution bounds the width, so only starts
    ``lo`` from ``q - width - 1`` (q: where the prefix first reaches the need) to the last
    start that can still reach it are scanned; the end ``hi`` of each start moves only
    forward (two pointers), so a share costs O(N) exact additions. Prefix sums are kept
    every 64th only (:class:`_Prefix`): memory beyond the counts is 1/64 of them.

    Raises
    ------
    UsageError
        When a share is not in ``(0, 1]`` or there are no paths.

    >>> [(iv.lo, iv.hi, iv.count) for iv in shortest_intervals((1, 4, 6, 4, 1), [Fraction(1, 2), 1])]
    [(1, 2, 10), (0, 4, 16)]
    """
    prefix = _Prefix(counts)
    total = prefix.total
    if total <= 0:
        raise UsageError("the architecture has no input-output path")
    out = []
    for share in shares:
        share = Fraction(share)
        if not 0 < share <= 1:
            raise UsageError(f"share {share} is not in (0, 1]")
        need = -((-share.numerator * total) // share.denominator)  # ceil(share * total)
        last_lo = prefix.first_reaching(total - need + 1) - 1  # beyond it even lo..N falls short
        # A first candidate centred on the distribution bounds the width w; any interval of
        # width <= w holding `need` paths ends at or after q (the first index whose prefix
        # reaches `need`), so it starts at lo >= q - w - 1: the scan starts there.
        centre = min(prefix.first_reaching((total - need + 1) // 2 + 1) - 1, last_lo)
        centre_hi = prefix.first_reaching(prefix.at(centre) + need, centre + 1) - 1
        q = prefix.first_reaching(need) - 1
        first_lo = max(0, q - (centre_hi - centre) - 1)
        best: tuple[int, int, int, int] | None = None  # (width, mass, lo, hi)
        p_lo = prefix.at(first_lo)
        j, p_j = first_lo, p_lo  # j: the end pointer (hi + 1), p_j = P(j)
        for lo in range(first_lo, last_lo + 1):
            if counts[lo] != 0 or lo == last_lo:  # starting one later is never worse
                if j < lo + 1:
                    j, p_j = lo + 1, p_lo + counts[lo]
                target = p_lo + need
                while p_j < target:
                    p_j += counts[j]
                    j += 1
                hi, mass = j - 1, p_j - p_lo
                if best is None or hi - lo < best[0] or (hi - lo == best[0] and mass > best[1]):
                    best = (hi - lo, mass, lo, hi)
            p_lo += counts[lo]
        assert best is not None
        out.append(CentralInterval(target=share, lo=best[2], hi=best[3], count=best[1], total=total))
    return tuple(out)


def shortest_interval(counts: Sequence[int], share: Fraction) -> CentralInterval:
    """The shortest central interval for one share (see :func:`shortest_intervals`).

    >>> iv = shortest_interval((1, 4, 6, 4, 1), Fraction(1, 2))
    >>> iv.lo, iv.hi, iv.count
    (1, 2, 10)
    """
    return shortest_intervals(counts, (share,))[0]


def _homogenized(c: Sequence[int], p: int, q: int, lo: int, hi: int) -> int:
    """``sum_{lo<=k<=hi} c_k p^(k-lo) q^(hi-k)`` by splitting the range in halves."""
    if hi - lo < 32:
        acc, pk = 0, 1
        for k in range(lo, hi + 1):
            acc = acc * q + c[k] * pk
            pk *= p
        return acc
    mid = (lo + hi) // 2
    return _homogenized(c, p, q, lo, mid) * q ** (hi - mid) + p ** (mid + 1 - lo) * _homogenized(c, p, q, mid + 1, hi)


def evaluate(counts: Sequence[int], lam: Fraction) -> Fraction:
    """``P(lam)`` exactly for rational ``lam = p/q``: ``sum_k c_k p^k q^(N-k) / q^N``.

    >>> evaluate((1, 2, 1), Fraction(1, 2))
    Fraction(9, 4)
    """
    lam = Fraction(lam)
    n = len(counts) - 1
    return Fraction(_homogenized(counts, lam.numerator, lam.denominator, 0, n), lam.denominator**n)


def log_evaluate(counts: Sequence[int], lam: float) -> float:
    """``log P(lam)`` for real ``lam > 0``, by log-sum-exp over ``log c_k + k log lam`` (no overflow).

    >>> round(log_evaluate((1, 2, 1), 0.5), 12) == round(math.log(2.25), 12)
    True
    """
    terms = [math.log(c) + k * math.log(lam) for k, c in enumerate(counts) if c]
    top = max(terms)
    return top + math.log(math.fsum(math.exp(x - top) for x in terms))


def schedule(depth: int) -> tuple[tuple[str, Fraction | None, float], ...]:
    """The scales ``lambda = 1, 1/sqrt(n), 1/n`` (docs/theory.md#weighted-ensemble-size): ``(label, exact or None, float)``.

    ``1/sqrt(n)`` is exact when ``n`` is a perfect square.

    >>> schedule(4)[1]
    ('1/sqrt(n)', Fraction(1, 2), 0.5)
    """
    root = math.isqrt(depth)
    inv_sqrt = Fraction(1, root) if root * root == depth else None
    return (
        ("1", Fraction(1), 1.0),
        ("1/sqrt(n)", inv_sqrt, 1 / math.sqrt(depth)),
        ("1/n", Fraction(1, depth), 1 / depth),
    )


def weighted_size(
    counts: Sequence[int], label: str, lam_exact: Fraction | None, lam: float, exact_digits: int | None = None
) -> WeightedSize:
    """``P(lambda)``: exact when ``lam_exact`` is given, else float via :func:`log_evaluate`.

    ``exact_digits`` (default: no limit) skips the exact value when its denominator
    ``q^N`` would have more digits than that (the float and log are still given): a
    10,000-block stack's ``P(1/n)`` has 40,000-digit numerator and denominator.

    >>> weighted_size((1, 2, 1), "1/n", Fraction(1, 2), 0.5).exact
    Fraction(9, 4)
    >>> weighted_size((1, 2, 1), "1/n", Fraction(1, 2), 0.5, exact_digits=0).exact is None
    True
    """
    if lam_exact is not None and lam_exact.denominator == 1:
        exact = Fraction(sum(c * lam_exact.numerator**k for k, c in enumerate(counts)))
    elif lam_exact is not None and (
        exact_digits is None or (len(counts) - 1) * math.log10(lam_exact.denominator) <= exact_digits
    ):
        exact = evaluate(counts, lam_exact)
    else:
        log = log_evaluate(counts, lam)
        value = math.exp(log) if log < 709.0 else None
        return WeightedSize(label, lam, lam_exact, None, value, log)
    log = math.log(exact.numerator) - math.log(exact.denominator)
    try:
        value: float | None = float(exact)
    except OverflowError:
        value = None
    return WeightedSize(label, float(lam_exact), lam_exact, exact, value, log)


def path_statistics(arch: Architecture, share: Fraction = DEFAULT_SHARE, exact_digits: int | None = None) -> PathStatistics:
    """The path-length distribution of ``arch``: counts, total, exact mean and variance,
    shortest central intervals, and weighted ensemble sizes.

    ``exact_digits`` limits the exact weighted sizes (see :func:`weighted_size`).

    Raises
    ------
    UsageError
        When ``share`` is not in ``(0, 1]``.

    Examples
    --------
    >>> from residual_expansion.paths.architectures import plain
    >>> s = path_statistics(plain(54))
    >>> s.total == 2**54, (s.interval.lo, s.interval.hi)
    (True, (20, 34))
    >>> [(i.lo, i.hi) for i in s.ladder if i.target == Fraction(98, 100)]
    [(19, 35)]

    Reference: docs/theory.md#weighted-ensemble-size, docs/theory.md#computation-path-dags; Veit, Wilber, Belongie (2016), Fig. 6.
    """
    share = Fraction(share)
    if not 0 < share <= 1:
        raise UsageError(f"share {share} is not in (0, 1]")
    counts = path_counts(arch)
    mean, variance = moments(counts)
    targets = sorted(set(SHARE_LADDER) | {share})
    ladder = shortest_intervals(counts, targets)
    interval = next(iv for iv in ladder if iv.target == share)
    weighted = tuple(weighted_size(counts, *s, exact_digits=exact_digits) for s in schedule(arch.depth))
    return PathStatistics(
        name=arch.name,
        depth=arch.depth,
        modules=arch.modules,
        counts=counts,
        total=ladder[0].total,
        mean=mean,
        variance=variance,
        interval=interval,
        ladder=ladder,
        weighted=weighted,
    )
