"""Resource limits: every size a command accepts, checked before any work is done.

Each limit bounds one parameter (or a product of parameters that measures the work) so
that a request inside every limit finishes in well under a minute and a few hundred
megabytes on a 2-core machine. The numbers below come from measured runs (idle machine
unless said otherwise; see docs/cli.md, section "Limits", for the table and the
measurements); the cost model that makes each one a bound on time or memory is in the
comment next to it. A request beyond a limit raises :class:`UsageError` naming the
parameter and the limit, computed from the arguments alone (nothing is allocated; the
checks take microseconds).

The checks are pure functions of the arguments, one per command
(:func:`check_verify`, :func:`check_expand`, ...); the CLI calls them first.

>>> check_verify(depth=8, order=4)
>>> check_verify(depth=100000, order=4)
Traceback (most recent call last):
...
residual_expansion.errors.UsageError: depth 100000 is beyond the limit depth <= 1000 of verify (REX, TIED and the Monte Carlo claims grow linearly in depth: about 10 s at depth 1000)

Reference: docs/cli.md, section "Limits".
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from residual_expansion.errors import UsageError
from residual_expansion.theorem.trees import count_labeled_trees

# --- numbers ------------------------------------------------------------------------

#: Characters of one number on the command line (digits, sign, point, exponent).
NUMBER_CHARS = 40
#: Decimal exponent of an exact number (``1e40``): beyond it the exact rational has more
#: digits than any meaningful scale and its printing is refused by Python (4300 digits).
EXPONENT_MAX = 40
#: Digits of an integer argument: every integer limit below has at most 10 digits.
INT_DIGITS = 12

# --- verify -------------------------------------------------------------------------
#: REX (instances), TIED, LINEAR and the Monte Carlo claims are linear in depth:
#: verify takes about 10 s at depth 1000 (22 s on the loaded machine) and 40 s at 2000.
VERIFY_MAX_DEPTH = 1000
#: With an explicit claim list each claim's own budget applies (SKIP or a lower order).
VERIFY_MAX_DEPTH_CHOSEN = 20_000
#: TIED enumerates the rooted trees (719 of order 10, 4766 of order 12): verify --depth 3
#: takes about 4 s at order 10, 11 s at order 12 (loaded 11 s and 29 s), 2.7x per order.
VERIFY_MAX_ORDER = 10

# --- expand / counts / series -------------------------------------------------------
#: expand prints every term; sympy builds the n scale symbols and each term's weight,
#: about 1 ms per term and quadratic in depth (5000 terms of depth 5000: 3.8 s loaded).
EXPAND_MAX_TERMS = 20_000
EXPAND_MAX_DEPTH = 5_000
#: expand --tied: a_n(tau) costs O(n |tau|) per shape; 1842 shapes up to order 10.
TIED_MAX_ORDER = 10
TIED_MAX_DEPTH = 10_000
#: counts: N(n, k) for k = 1..K costs about n K^3 / 3 big-integer operations per depth
#: (depth 1000, order 50: 4e7 operations, 18 s loaded).
COUNTS_MAX_DEPTH = 10_000
COUNTS_MAX_ORDER = 100
COUNTS_MAX_WORK = 5_000_000
#: series: sympy.series of the nested composition grows with depth at every order
#: (loaded: n=8, K=1 16 s; n=6, K=3 14 s; n=4, K=4 7.5 s; n=3, K=6 5.7 s; n=12, K=1 > 60 s).
SERIES_MAX_DEPTH = 6
SERIES_MAX_ORDER = 6
SERIES_MAX_PRODUCT = 18  # depth * order

# --- paths --------------------------------------------------------------------------
#: The path-length polynomial of n blocks has n + 1 big-integer coefficients of up to n
#: bits, built in O(n^2) bit operations (paths --depth 20000: about 4 s loaded).
PATHS_MAX_DEPTH = 20_000
#: An architecture file: bytes, nodes + edges, JSON nesting.
ARCH_MAX_BYTES = 4_000_000
ARCH_MAX_NODES = 2 * PATHS_MAX_DEPTH + 1
ARCH_MAX_EDGES = 4 * PATHS_MAX_DEPTH
ARCH_MAX_NESTING = 8

# --- crosscheck ---------------------------------------------------------------------
#: Taylor-mode propagation costs depth * K^2 matrix-vector products of size dim x width;
#: the weights take 2 * depth * dim * width doubles (16 MB at the product limit).
CROSSCHECK_MAX_DEPTH = 1000
CROSSCHECK_MAX_DIM = 1024
CROSSCHECK_MAX_WIDTH = 4096
CROSSCHECK_MAX_WEIGHTS = 2_000_000  # depth * dim * width
#: The remainder fit needs a window above rounding (lambda^(K+1) >= 1e-12 needs lambda >= 1e-6
#: at K = 1) and inside the asymptotic range (modules of size ~1: far below lambda = 10).
LAMBDA_MIN = 1e-6
LAMBDA_MAX = 10.0

# --- scaling ------------------------------------------------------------------------
#: One network of depth L and width d costs L d^2 multiply-adds; the default sweep
#: (Figure 1 depths, 50 samples, d = 40, three schedules) is 1.2e9 and takes ~10 s.
SCALING_MAX_DEPTH = 100_000
SCALING_MAX_SAMPLES = 100_000
SCALING_MAX_DIM = 2048
SCALING_MAX_INPUT_DIM = 100_000
SCALING_MAX_ORDERS = 64
SCALING_MAX_DEPTHS = 100         # number of depths in the grid
SCALING_MAX_SCHEDULES = 200  # Marion et al.'s Figure 7 uses 70 betas; the work limit bounds the rest
SCALING_MAX_WORK = 1_000_000_000_000  # schedules * samples * sum(L) * d^p: about 4 hours on 2 cores (Figure 2 in full is 1e11, 25 min)
SCALING_MAX_INPUT_WORK = 2_000_000_000  # schedules * samples * d * n_in (the input h_0 = A x)
SCALING_MAX_TAYLOR_BYTES = 2 * 2**30  # (K + 8) * samples * d float64: the Taylor coefficients of --orders for res1/res3, and their reads
SCALING_MAX_FIXUP_BYTES = 2 * 2**30  # L * (d^2 + 2d) float64: one sample's forward pass, kept for the reverse pass of --scheme fixup
#: |beta| beyond 10 makes lambda = c L^(-beta) underflow or overflow float64 at L >= 1e31.
SCALING_MAX_BETA = 10.0
SCALING_MAX_WEIGHT_SCALE = 1e6

#: Output files: the figure formats render/figures.py writes (a fixed allow-list, so that the
#: suffix is checked before the run without importing matplotlib).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".eps")


def _beyond(name: str, value, limit, command: str, why: str) -> UsageError:
    """The refusal; a plain parameter name is listed so that the CLI shows its flag."""
    return UsageError(f"{name} {value} is beyond the limit {name} <= {limit} of {command} ({why})",
                      parameters=(name,) if name.isidentifier() and name not in _NOT_FLAGS else ())


#: Names in limit messages that are not options of the command they refer to.
_NOT_FLAGS = ("terms", "work")


def _at_most(name: str, value, limit, command: str, why: str) -> None:
    if value > limit:
        raise _beyond(name, value, limit, command, why)


def check_verify(depth: int, order: int, claims: str | None = None) -> None:
    """Limits of ``verify``: depth <= 1000 for every claim, <= 20,000 for chosen ``claims``
    (each claim caps its own work by its budget, lowering the order or SKIPping), order <= 10.

    >>> check_verify(1000, 10)
    >>> check_verify(10000, 4, "PATHS")
    """
    if claims is None:
        _at_most("depth", depth, VERIFY_MAX_DEPTH, "verify",
                 "REX, TIED and the Monte Carlo claims grow linearly in depth: about 10 s at depth 1000")
    _at_most("depth", depth, VERIFY_MAX_DEPTH_CHOSEN, "verify",
             "the largest depth any claim's budget handles (PATHS at 20,000 takes about 2 s)")
    _at_most("order", order, VERIFY_MAX_ORDER, "verify",
             "TIED enumerates the rooted trees, 2.7x more time per order: about 4 s at order 10")


def total_terms(depth: int, order: int) -> int:
    """N(n, 1) + ... + N(n, K), the number of labeled trees with at most K nodes.

    >>> total_terms(3, 3)
    11
    """
    return sum(count_labeled_trees(depth, k) for k in range(1, order + 1))


def check_expand(depth: int, order: int, tied: bool = False, scales: Sequence | None = None) -> None:
    """Limits of ``expand``: distinct modules at most 20,000 terms (depth <= 5000);
    weight-tied depth <= 10,000 and order <= 10; at most ``depth`` scales.

    >>> check_expand(8, 4)
    >>> check_expand(100, 3)
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: terms 333400 is beyond the limit terms <= 20000 of expand (N(100, <=3) terms; sympy builds and prints about 1000 terms per second)
    """
    if scales is not None and len(scales) != depth:
        raise UsageError(f"scales has {len(scales)} entries; depth {depth} needs exactly {depth}")
    if tied:
        _at_most("depth", depth, TIED_MAX_DEPTH, "the weight-tied expand", "a_n(tau) costs O(depth) per node of each shape")
        _at_most("order", order, TIED_MAX_ORDER, "the weight-tied expand",
                 "the shapes of order 11 alone are 1842; their labelings take minutes")
        return
    _at_most("depth", depth, EXPAND_MAX_DEPTH, "expand", "building the depth scale symbols is quadratic in depth")
    # N(n, k) >= C(n, k) grows like n^k/k!: bound the order before counting exactly.
    if order > 1 and math.comb(depth, min(order, depth)) > 10 * EXPAND_MAX_TERMS and depth >= order:
        raise _beyond("terms", f"N({depth}, <={order}) > {math.comb(depth, order)}", EXPAND_MAX_TERMS, "expand",
                      "sympy builds and prints about 1000 terms per second")
    terms = total_terms(depth, min(order, 2 * depth + 8))
    _at_most("terms", terms, EXPAND_MAX_TERMS, "expand",
             f"N({depth}, <={order}) terms; sympy builds and prints about 1000 terms per second")


def check_counts(depths: Sequence[int], order: int) -> None:
    """Limits of ``counts``: each depth <= 10,000, order <= 100, sum(depths) * order^3 / 3 <= 5e6.

    >>> check_counts((2, 3, 4, 5, 6), 6)
    """
    for n in depths:
        _at_most("depth", n, COUNTS_MAX_DEPTH, "counts", "the recursion is linear in depth")
    _at_most("order", order, COUNTS_MAX_ORDER, "counts", "the recursion is cubic in order")
    work = sum(depths) * order ** 3 // 3
    _at_most("sum(depths)*order^3/3", work, COUNTS_MAX_WORK, "counts",
             "big-integer operations of the Euler-transform recursion; 5e6 take about 2 s")


def check_series(depth: int, order: int) -> None:
    """Limits of ``series``: depth <= 6, order <= 6, depth * order <= 18.

    >>> check_series(3, 3)
    """
    why = ("sympy.series of the nested composition: n=6, K=3 takes ~5 s, n=8, K=1 ~6 s, n=12, K=1 minutes; "
           f"use `verify depth {depth} claims REX`, whose Taylor-ring and polynomial-instance routes are exact "
           "and fast")
    for name, value, limit in (("depth", depth, SERIES_MAX_DEPTH), ("order", order, SERIES_MAX_ORDER),
                               ("depth*order", depth * order, SERIES_MAX_PRODUCT)):
        if value > limit:
            raise UsageError(f"{name} {value} is beyond the limit {name} <= {limit} of series ({why})",
                             parameters=("depth", "order", "claims"))


def check_paths(depth: int | None) -> None:
    """Limit of ``paths`` for the built-in architectures: depth <= 20,000.

    >>> check_paths(10000)
    """
    if depth is not None:
        _at_most("depth", depth, PATHS_MAX_DEPTH, "paths",
                 "n + 1 big-integer coefficients of n bits, O(n^2) bit operations: about 2 s at the limit")


def check_crosscheck(depth: int, order: int, dim: int, width: int | None,
                     lambda_range: tuple[float, float] | None) -> None:
    """Limits of ``crosscheck``: depth <= 1000, dim <= 1024, width <= 4096,
    depth * dim * width <= 2e6, a lambda range 1e-6 <= lo < hi <= 10.

    >>> check_crosscheck(8, 4, 16, None, None)
    >>> check_crosscheck(8, 4, 16, None, (1e-300, 1e-299))
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: lambda_range (1e-300, 1e-299) must satisfy 0 < lo < hi, 1e-06 <= lo, hi <= 10: below 1e-06 the remainder lambda^(K+1) sinks into float64 rounding, above 10 the series is no longer asymptotic
    """
    _at_most("depth", depth, CROSSCHECK_MAX_DEPTH, "crosscheck",
             "Taylor-mode propagation is linear in depth, the closed form's term budget caps the order")
    _at_most("dim", dim, CROSSCHECK_MAX_DIM, "crosscheck", "d x width weight matrices per layer")
    h = dim if width is None else width
    _at_most("width", h, CROSSCHECK_MAX_WIDTH, "crosscheck", "d x width weight matrices per layer")
    _at_most("depth*dim*width", depth * dim * h, CROSSCHECK_MAX_WEIGHTS, "crosscheck",
             "2 depth*dim*width float64 weights: 32 MB at the limit")
    if lambda_range is not None:
        lo, hi = lambda_range
        if not (LAMBDA_MIN <= lo < hi <= LAMBDA_MAX):
            raise UsageError(
                f"lambda_range ({lo:g}, {hi:g}) must satisfy 0 < lo < hi, {LAMBDA_MIN:g} <= lo, hi <= {LAMBDA_MAX:g}: below "
                f"{LAMBDA_MIN:g} the remainder lambda^(K+1) sinks into float64 rounding, above {LAMBDA_MAX:g} the series is no "
                "longer asymptotic", parameters=("lambda_range",)
            )


#: Multiply-adds per layer and sample of each Monte Carlo route, as a power of d: the
#: materialised route multiplies d x d matrices, the Gaussian-vector shortcut draws a
#: d-vector, the Gaussian-radial shortcut updates a few scalars (scaling/montecarlo.py).
ROUTE_DIM_POWER = {"materialised": 2, "gaussian-vector": 1, "gaussian-radial": 0}
#: Multiply-add equivalents of the fixed per-layer, per-sample cost (draws, norms, checks).
LAYER_OVERHEAD = 64


def check_scaling(depths: Sequence[int], samples: int, dim: int, input_dim: int, orders: int | None,
                  schedules: int, betas: Sequence[float] = (), c: float = 1.0, weight_scale: float = 1.0,
                  capacity: bool = False, route: str = "materialised", passes: int = 1, taylor: bool = False,
                  fixup: bool = False) -> None:
    """Limits of ``scaling``: each depth <= 1e5, samples <= 1e5, dim <= 2048, input_dim <= 1e5,
    orders <= 64, and the work passes * schedules * samples * sum(L) * (d^p + 64) <= 1e12, where p is 2
    on the materialised route, 1 on the Gaussian-vector and 0 on the Gaussian-radial shortcut
    (:data:`ROUTE_DIM_POWER`), and ``passes`` the forward passes per network (``lesion``: one per
    deleted block, plus the full network); d^p is multiplied by d for ``capacity`` and ``fixup`` (a d x d
    Jacobian or cotangent per sample and layer). ``taylor`` (``--orders`` for res1/res3, which keeps every
    sample's K + 1 Taylor coefficients): also 8 (K + 8) samples d bytes <= 2 GiB; ``fixup`` (``--scheme
    fixup``, whose reverse pass keeps a sample's forward pass): 8 L (d^2 + 2 d) bytes <= 2 GiB.

    >>> check_scaling((1000,), 10000, 100, 64, None, 1, route="gaussian-radial")

    >>> check_scaling((10, 100), 50, 40, 64, None, 3)
    >>> check_scaling((100000000,), 2, 2, 64, None, 3)
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: depth 100000000 is beyond the limit depth <= 100000 of scaling (one network of depth L is L matrix products)
    """
    for L in depths:
        _at_most("depth", L, SCALING_MAX_DEPTH, "scaling", "one network of depth L is L matrix products")
    _at_most("depths", len(depths), SCALING_MAX_DEPTHS, "scaling", "one Monte Carlo run per depth")
    _at_most("samples", samples, SCALING_MAX_SAMPLES, "scaling", "independent networks per depth")
    _at_most("dim", dim, SCALING_MAX_DIM, "scaling", "a d x d weight matrix per layer and sample chunk")
    _at_most("input_dim", input_dim, SCALING_MAX_INPUT_DIM, "scaling", "the d x n_in input matrix A per sample")
    if orders is not None:
        _at_most("orders", orders, SCALING_MAX_ORDERS, "scaling", "one energy accumulator of width d per order")
    _at_most("schedules", schedules, SCALING_MAX_SCHEDULES, "scaling", "one Monte Carlo run per schedule")
    for b in betas:
        if abs(b) > SCALING_MAX_BETA:
            raise UsageError(f"beta {b!r} is beyond the limit abs(beta) <= {SCALING_MAX_BETA:g} of scaling "
                             "(lambda = c L^(-beta) leaves the float64 range)", parameters=("beta",))
    # c has no limit: an overflow it causes is a result ("explodes"). The weight scale enters
    # the predictions as s^4 and the SDE limit as s^2 in Python floats.
    if not 0 < weight_scale <= SCALING_MAX_WEIGHT_SCALE:
        raise UsageError(f"weight_scale {weight_scale!r} is beyond the limit 0 < weight_scale <= "
                         f"{SCALING_MAX_WEIGHT_SCALE:g} of scaling (s^4 must stay far inside float64; "
                         "larger scales explode at the first layer anyway)", parameters=("weight_scale",))
    power = ROUTE_DIM_POWER.get(route, 2)
    # + LAYER_OVERHEAD: a layer costs numpy a few dozen operations per sample even at tiny d.
    work = passes * schedules * samples * sum(depths) * (dim**power * (dim if capacity or fixup else 1) + LAYER_OVERHEAD)
    _at_most("work", work, SCALING_MAX_WORK, "scaling",
             f"{'passes*' if passes > 1 else ''}schedules*samples*sum(depths)*(dim^{power} + {LAYER_OVERHEAD}) multiply-adds on the {route} route (dim^2 times dim for the "
             "capacity and Fixup, a d x d Jacobian or cotangent per sample); the default sweep is 1.2e9 (~10 s)")
    _at_most("input work", schedules * samples * dim * input_dim, SCALING_MAX_INPUT_WORK, "scaling",
             "schedules*samples*dim*input_dim for the inputs h_0 = A x")
    if fixup and depths:
        _at_most("Fixup bytes per sample", 8 * max(depths) * (dim * dim + 2 * dim), SCALING_MAX_FIXUP_BYTES, "scaling",
                 "--scheme fixup keeps 8*depth*(dim^2+2*dim) bytes per sample: its forward pass, for the reverse pass")
    if taylor and orders is not None:
        _at_most("Taylor coefficient bytes", 8 * (orders + 8) * samples * dim, SCALING_MAX_TAYLOR_BYTES, "scaling",
                 "--orders for res1/res3 keeps 8*(orders+8)*samples*dim bytes: every sample's Taylor coefficients")


def check_hurst_map(hursts: int, networks: int, inputs: int, betas: int, depths: Sequence[int], dim: int) -> None:
    """Limits of the Hurst map (``scaling --hurst``) beyond those of ``scaling`` per Hurst index:
    at most 200 Hurst indices, networks and inputs each <= 1e5, and the work
    hursts * betas * networks * inputs * sum(L) * (d^2 + 64) <= 1e12 (Marion et al.'s Figure 7
    is 51 * 70 * 5 * 10 * 1000 * (40^2 + 64), 3.0e11).

    >>> check_hurst_map(51, 5, 10, 70, (1000,), 40)
    >>> check_hurst_map(1000, 5, 10, 70, (1000,), 40)
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: hursts 1000 is beyond the limit hursts <= 200 of scaling (one cell of networks per Hurst index)
    """
    _at_most("hursts", hursts, SCALING_MAX_SCHEDULES, "scaling", "one cell of networks per Hurst index")
    _at_most("networks", networks, SCALING_MAX_SAMPLES, "scaling", "networks per Hurst index")
    _at_most("inputs", inputs, SCALING_MAX_SAMPLES, "scaling", "inputs per network")
    work = hursts * betas * networks * inputs * sum(depths) * (dim**2 + LAYER_OVERHEAD)
    _at_most("work", work, SCALING_MAX_WORK, "scaling",
             f"hursts*betas*networks*inputs*sum(depths)*(dim^2 + {LAYER_OVERHEAD}) multiply-adds of the Hurst map; "
             "Marion et al.'s Figure 7 is 3.0e11")


def check_lesion(depth: int, samples: int, dim: int, input_dim: int, delete: Sequence[int],
                 beta: float = 0.5, c: float = 1.0, weight_scale: float = 1.0) -> None:
    """Limits of ``lesion``: the limits of ``scaling`` for one depth and one schedule, with
    one extra pass per deleted block; each deleted block at most ``depth``.

    >>> check_lesion(16, 1000, 16, 64, (1, 8))
    """
    if len(delete) > SCALING_MAX_DEPTHS:
        raise _beyond("delete", f"({len(delete)} blocks)", SCALING_MAX_DEPTHS, "lesion", "one extra pass per block")
    check_scaling((depth,), samples, dim, input_dim, None, 1, betas=(beta,), c=c, weight_scale=weight_scale,
                  passes=len(delete) + 1)


# --- files --------------------------------------------------------------------------

def check_output_path(path: str, option: str, suffixes: Sequence[str] = FIGURE_SUFFIXES) -> None:
    """An output file the run may write at its end: known suffix, not a directory, existing writable folder.

    >>> check_output_path("fig.png", "plot")
    >>> check_output_path("out.txt", "plot")
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: plot 'out.txt' has the suffix '.txt'; allowed: .png, .pdf, .svg, .eps

    ``option`` is the Python parameter name (``plot``, ``spectrum_plot``); the CLI shows its flag.
    """
    p = Path(path)
    if p.is_dir() or path.endswith(("/", os.sep)):
        raise UsageError(f"{option} {path!r} is a directory; give a file name such as {p / 'figure.png'}", parameters=(option,))
    if p.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {path!r} has the suffix {p.suffix or '(none)'!r}; allowed: {', '.join(suffixes)}", parameters=(option,))
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option} {path!r}: the folder {str(parent)!r} does not exist", parameters=(option,))
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{option} {path!r}: the folder {str(parent)!r} is not writable", parameters=(option,))


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _nested_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON brackets outside strings nest deeper than ``limit``.

    Strings are removed by a regex, then ``limit`` passes each delete every innermost
    bracket pair; a pair of height h goes in pass h, so brackets left over (with an opening
    one among them) nest deeper than ``limit``. C-speed string operations, no recursion.

    >>> _nested_deeper_than('{"a": [[1], "]]]"]}', 3), _nested_deeper_than('[[[[]]]]', 3)
    (False, True)
    """
    brackets = re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text)).translate(str.maketrans("{}", "[]"))
    for _ in range(limit):
        shorter = brackets.replace("[]", "")
        if shorter == brackets:
            break
        brackets = shorter
    return "[]" in brackets


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > INT_DIGITS:
        raise UsageError(f"an integer of {len(text.lstrip('-'))} digits is beyond the limit of {INT_DIGITS} digits")
    return int(text)


def read_architecture_json(path: str) -> object:
    """The parsed JSON of an architecture file, within the size limits (bytes, nesting,
    integer digits, nodes, edges); :func:`residual_expansion.paths.architectures.architecture_from_dict`
    validates the content.

    Raises
    ------
    UsageError
        When the file is missing, larger than 4 MB, not UTF-8 text, nested deeper than 8,
        not JSON, holds an integer of more than 12 digits, or more than 40,001 nodes or
        80,000 edges.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > ARCH_MAX_BYTES:
            raise UsageError(f"architecture file {path!r} has {size} bytes, beyond the limit of {ARCH_MAX_BYTES}")
        raw = p.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read architecture file {path!r}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"architecture file {path!r} is not UTF-8 text (a binary file?)") from None
    if "\x00" in text:
        raise UsageError(f"architecture file {path!r} is not text (it holds NUL bytes)")
    if _nested_deeper_than(text, ARCH_MAX_NESTING):
        raise UsageError(f"architecture file {path!r} is nested deeper than the limit of {ARCH_MAX_NESTING} "
                         "(the schema needs 3)")
    try:
        data = json.loads(text, parse_int=_json_int, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path!r} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if isinstance(data, dict):
        nodes, edges = data.get("nodes"), data.get("edges")
        if isinstance(nodes, list) and len(nodes) > ARCH_MAX_NODES:
            raise UsageError(f"architecture file {path!r} has {len(nodes)} nodes, beyond the limit of "
                             f"{ARCH_MAX_NODES} (a plain stack of depth {PATHS_MAX_DEPTH})")
        if isinstance(edges, list) and len(edges) > ARCH_MAX_EDGES:
            raise UsageError(f"architecture file {path!r} has {len(edges)} edges, beyond the limit of {ARCH_MAX_EDGES}")
        depth = data.get("depth")
        if isinstance(depth, int) and not isinstance(depth, bool) and depth > PATHS_MAX_DEPTH:
            raise _beyond("depth", depth, PATHS_MAX_DEPTH, "paths", "the depth sets the scale schedules")
    return data


def _reject_constant(name: str) -> None:
    raise UsageError(f"{name} is not a JSON number")


# --- strict numbers -----------------------------------------------------------------

_INT = re.compile(r"[+-]?[0-9]+\Z")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\Z")
_FRACTION = re.compile(r"[+-]?[0-9]+/[0-9]+\Z")


def parse_int(text: str) -> int:
    """An integer written in ASCII digits (optional sign), at most 12 digits.

    >>> parse_int("12"), parse_int("-3")
    (12, -3)
    >>> parse_int("1_0")
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: '1_0' is not an integer (ASCII digits, optional sign)
    """
    s = text.strip()
    if not _INT.match(s) or not s.isascii():
        raise UsageError(f"{text!r} is not an integer (ASCII digits, optional sign)")
    if len(s.lstrip("+-")) > INT_DIGITS:
        raise UsageError(f"{text[:20]!r}... has {len(s.lstrip('+-'))} digits, beyond the limit of {INT_DIGITS} digits")
    return int(s)


def parse_float(text: str) -> float:
    """A finite decimal number such as ``0.5``, ``-2``, ``1e-3`` (ASCII, at most 40 characters).

    >>> parse_float("-1e-3")
    -0.001
    >>> parse_float("nan")
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: 'nan' is not a number (a decimal such as 0.5, -2 or 1e-3)
    """
    s = text.strip()
    if len(s) > NUMBER_CHARS:
        raise UsageError(f"{s[:20]!r}... has {len(s)} characters, beyond the limit of {NUMBER_CHARS}")
    if not s.isascii() or not _DECIMAL.match(s):
        raise UsageError(f"{text!r} is not a number (a decimal such as 0.5, -2 or 1e-3)")
    value = float(s)
    if not math.isfinite(value):
        raise UsageError(f"{text!r} overflows float64 (|x| < 1.8e308 is required)")
    return value


def parse_rational(text: str) -> Fraction:
    """An exact rational: ``1/3``, ``0.25``, ``-2`` or ``1e-3`` (decimal exponent at most 40).

    >>> parse_rational("1/3"), parse_rational("2.5e-1")
    (Fraction(1, 3), Fraction(1, 4))
    >>> parse_rational("1e100000")
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: '1e100000' has the exponent 100000, beyond the limit |exponent| <= 40
    """
    s = text.strip()
    if len(s) > NUMBER_CHARS:
        raise UsageError(f"{s[:20]!r}... has {len(s)} characters, beyond the limit of {NUMBER_CHARS}")
    if not s.isascii():
        raise UsageError(f"{text!r} is not a rational number like 1/3 or 0.25 (ASCII digits)")
    if _FRACTION.match(s):
        num, den = s.split("/")
        if int(den) == 0:
            raise UsageError(f"{text!r} has the denominator 0")
        return Fraction(int(num), int(den))
    m = _DECIMAL.match(s)
    if not m:
        raise UsageError(f"{text!r} is not a rational number like 1/3 or 0.25")
    if m.group(1) is not None and abs(int(m.group(1))) > EXPONENT_MAX:
        raise UsageError(f"{text!r} has the exponent {int(m.group(1))}, beyond the limit |exponent| <= {EXPONENT_MAX}")
    return Fraction(s)
