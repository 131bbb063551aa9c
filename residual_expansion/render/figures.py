"""Figures for papers: every plot of the package, in one style (the only module that imports matplotlib).

The style (:data:`STYLE`): mathtext labels (``$\\|h_L - h_0\\| / \\|h_0\\|$``, ``$\\beta = 1/4$``,
``depth $L$``), the Okabe-Ito colour-blind-safe palette (:data:`PALETTE`; heatmaps use
``cividis``), sizes for one-column (3.25 in) and two-column (6.75 in) papers
(:data:`WIDTHS`) with every font at 8 pt at that size, and files written by
:func:`save_figure`: PNG, PDF, SVG or EPS chosen by the extension, byte-for-byte the same
on every run (no dates, no software versions, a fixed SVG hash salt).

Figures are :class:`matplotlib.figure.Figure` objects on an Agg canvas: pyplot is never
imported and the global backend is never switched, so the package can plot inside any
application; in a notebook the returned Figure displays itself as a PNG.

- :func:`plot_ratio`: Marion et al.'s panel, ``||h_L - h_0|| / ||h_0||`` against ``L`` on
  log-log axes per schedule (mean with its 5-95 % band), the measured root mean square and
  the predicted one where theory gives it (docs/scaling.md).
- :func:`plot_spectrum`: per-order energies of linear modules at the largest depth against
  ``e_k = C(n, k) (lambda s)^(2k)`` and, for ``beta = 1/2``, the Poisson limit.
- :func:`plot_gradients`, :func:`plot_histograms`, :func:`plot_heatmap`, :func:`plot_ode`:
  Marion et al.'s Figures 1+3, 2 and 7 and the neural-ODE limit.
- :func:`plot_norm_energy`, :func:`plot_order_profiles`, :func:`plot_lesion`: the
  normalization figures (docs/normalization.md).
- :func:`plot_remainders`: the remainders ``R_k(lambda)`` of ``crosscheck`` (docs/numeric.md).

Every ``plot_*`` function takes ``path`` (written when given) and ``figsize`` (``"one"``
or ``"two"`` columns; None: one column for a single panel, two for side-by-side panels)
and returns the Figure.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

import numpy as np

from residual_expansion.errors import UsageError

#: Okabe and Ito's colour-blind-safe palette (blue, vermillion, bluish green, reddish purple,
#: orange, sky blue, black, yellow): distinguishable under the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                            "#F0E442")
#: Colours for reference lines (predictions, guides) besides the palette.
NEUTRAL: tuple[str, ...] = ("#000000", "#FFFFFF")
#: The colour map of heatmaps: perceptually uniform and readable with colour-vision deficiencies.
HEATMAP_CMAP = "cividis"
#: Figure widths in inches: one column and two columns of a two-column paper (e.g. NeurIPS, IEEE).
WIDTHS: dict[str, float] = {"one": 3.25, "two": 6.75}
#: Every font, in points, at the figure's printed size.
FONT_PT = 8.0
#: The formats, by file extension (the allow-list of ``limits.FIGURE_SUFFIXES``).
FORMATS: tuple[str, ...] = ("png", "pdf", "svg", "eps")
#: Raster resolution of PNG files (dots per inch).
PNG_DPI = 200

#: rcParams applied (by ``matplotlib.rc_context``, never globally) while a figure is built and saved. PDF embeds
#: TrueType fonts (Type 42: accepted by publishers that refuse Type 3); EPS, the legacy route, uses Type 3
#: glyphs, five times faster to write.
STYLE: dict[str, Any] = {
    "font.size": FONT_PT, "axes.titlesize": FONT_PT, "axes.labelsize": FONT_PT, "xtick.labelsize": FONT_PT,
    "ytick.labelsize": FONT_PT, "legend.fontsize": FONT_PT, "legend.title_fontsize": FONT_PT,
    "figure.titlesize": FONT_PT, "mathtext.fontset": "dejavusans",
    "axes.linewidth": 0.6, "lines.linewidth": 1.1, "lines.markersize": 3.5, "grid.linewidth": 0.4,
    "grid.alpha": 0.35, "xtick.major.width": 0.6, "ytick.major.width": 0.6, "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4, "legend.frameon": False, "legend.handlelength": 1.8, "legend.labelspacing": 0.25,
    "legend.borderaxespad": 0.3, "legend.columnspacing": 1.0, "errorbar.capsize": 1.5,
    "image.cmap": HEATMAP_CMAP, "svg.hashsalt": "residual-expansion", "svg.fonttype": "path",
    "pdf.fonttype": 42, "ps.fonttype": 3, "savefig.dpi": PNG_DPI,
}

#: Metadata written into each format: nothing that changes between runs (dates) or installs (versions).
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    "svg": {"Creator": None, "Date": None},
    "eps": {"Creator": "residual-expansion"},
}
#: The creation date matplotlib writes into EPS (from the clock unless SOURCE_DATE_EPOCH is set).
_EPS_DATE = re.compile(rb"^%%CreationDate: [^\n]*\n", re.M)
_EPS_FIXED_DATE = b"%%CreationDate: Thu Jan  1 00:00:00 1970\n"


def require_matplotlib():
    """Import matplotlib (not pyplot; the backend is left as it is) and return it.

    Raises
    ------
    UsageError
        When matplotlib is not installed (the message names the ``plot`` extra).

    >>> require_matplotlib().__name__
    'matplotlib'
    """
    try:
        # optional extra (plot): matplotlib loads when a figure is drawn, never at import
        import matplotlib
        import matplotlib.figure  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    except ImportError:
        raise UsageError("plotting needs matplotlib; install the extra: pip install 'residual-expansion[plot]'",
                         parameters=("plot",)) from None
    return matplotlib


def figure_width(figsize: str | None, panels: int = 1) -> float:
    """The width in inches: ``"one"`` column 3.25, ``"two"`` columns 6.75; None picks one column for a
    single panel and two columns for side-by-side panels.

    Raises
    ------
    UsageError
        When ``figsize`` is not one, two or None.

    >>> figure_width("one"), figure_width(None, panels=2)
    (3.25, 6.75)
    """
    if figsize is None:
        figsize = "one" if panels == 1 else "two"
    if figsize not in WIDTHS:
        raise UsageError(f"figsize must be one or two (columns), not {figsize!r}", parameters=("figsize",))
    return WIDTHS[figsize]


def styled(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run a figure function inside ``matplotlib.rc_context(STYLE)``: the style applies to the figure
    it builds and saves, and the caller's rcParams are untouched."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        matplotlib = require_matplotlib()
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


@lru_cache(maxsize=1)
def _figure_class():
    """A Figure that shows itself as a PNG in a notebook (``_repr_png_``), without pyplot."""
    # optional extra (plot): matplotlib loads when a figure is drawn, never at import
    from matplotlib.figure import Figure

    class PaperFigure(Figure):
        """A matplotlib Figure in the package style that displays itself in a notebook."""

        def _repr_png_(self) -> bytes:
            return figure_bytes(self, "png")

    return PaperFigure


def new_figure(width: float, height: float):
    """An empty Figure of ``width`` x ``height`` inches on an Agg canvas, with constrained layout
    (labels and legends outside the axes are given room)."""
    # optional extra (plot): matplotlib loads when a figure is drawn, never at import
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def panel_grid(fig, count: int, figsize: str | None) -> list:
    """``count`` axes: side by side at two-column width, stacked at one-column width."""
    if figsize == "one" and count > 1:
        return list(fig.subplots(count, 1, squeeze=False)[:, 0])
    return list(fig.subplots(1, count, squeeze=False)[0])


def figure_bytes(fig, fmt: str) -> bytes:
    """The figure encoded as ``fmt`` (png, pdf, svg or eps), the same bytes on every call.

    >>> fig = plot_ode(_OdeDemo((8, 16, 32), (0.1, 0.05, 0.025), 3, 2))
    >>> figure_bytes(fig, "svg") == figure_bytes(fig, "svg"), figure_bytes(fig, "pdf")[:5]
    (True, b'%PDF-')
    """
    if fmt not in FORMATS:
        raise UsageError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}", parameters=("fmt",))
    matplotlib = require_matplotlib()
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE), (_opaque(fig) if fmt == "eps" else contextlib.nullcontext()):
        fig.savefig(buffer, format=fmt, metadata=_METADATA[fmt], dpi=PNG_DPI)
    data = buffer.getvalue()
    if fmt == "eps":
        data = _EPS_DATE.sub(lambda _: _EPS_FIXED_DATE, data, count=1)
    return data


@contextlib.contextmanager
def _opaque(fig):
    """PostScript has no transparency: while saving EPS, a translucent band becomes its outline in
    the same colour and a translucent bar becomes opaque (then both are restored)."""
    # optional extra (plot): matplotlib loads when a figure is drawn, never at import
    from matplotlib.collections import Collection
    from matplotlib.colors import to_rgba

    saved = []
    for artist in fig.findobj(lambda a: a.get_alpha() is not None and a.get_alpha() < 1):
        if isinstance(artist, Collection):
            saved.append((artist, artist.get_alpha(), artist.get_facecolor(), artist.get_edgecolor(),
                          artist.get_linewidth()))
            face = to_rgba(artist.get_facecolor()[0], 1.0)
            artist.set_alpha(None)
            artist.set_facecolor("none")
            artist.set_edgecolor(face)
            artist.set_linewidth(0.6)
        else:
            saved.append((artist, artist.get_alpha(), None, None, None))
            artist.set_alpha(None)
    try:
        yield
    finally:
        for artist, alpha, face, edge, width in saved:
            artist.set_alpha(alpha)
            if face is not None:
                artist.set_facecolor(face)
                artist.set_edgecolor(edge)
                artist.set_linewidth(width)


def save_figure(fig, path: str | Path) -> None:
    """Write ``fig`` to ``path`` in the format its extension names (.png, .pdf, .svg, .eps).

    Raises
    ------
    UsageError
        When the extension is not one of those.
    """
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"path {str(path)!r} has the suffix {Path(path).suffix or '(none)'!r}; allowed: "
                         + ", ".join("." + f for f in FORMATS), parameters=("path",))
    Path(path).write_bytes(figure_bytes(fig, fmt))


def _finish(fig, path: str | Path | None):
    if path is not None:
        save_figure(fig, path)
    return fig


# --- labels -----------------------------------------------------------------------------

def tex_number(x: float) -> str:
    """A number for mathtext: a fraction with denominator 2, 3, 4, 6 or 8 when ``x`` is one (``1/4``),
    an integer, else ``%g``.

    >>> tex_number(0.25), tex_number(1.0), tex_number(0.3333333333333333), tex_number(0.2)
    ('1/4', '1', '1/3', '0.2')
    """
    f = Fraction(x).limit_denominator(8)
    if f.denominator in (1, 2, 3, 4, 6, 8) and abs(float(f) - x) <= 1e-12 * max(1.0, abs(x)):
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
    return f"{x:g}"


def schedule_label(schedule) -> str:
    """``$\\beta = 1/4$`` (with ``, $c = 2$`` when c is not 1), or ``explicit, $n = 3$``.

    >>> from residual_expansion.scaling.schedules import power
    >>> schedule_label(power(0.25)), schedule_label(power(0.5, 2.0))
    ('$\\\\beta = 1/4$', '$\\\\beta = 1/2$, $c = 2$')
    """
    if schedule.beta is None:
        return f"explicit, $n = {len(schedule.values or ())}$"
    text = rf"$\beta = {tex_number(schedule.beta)}$"
    return text if schedule.c == 1.0 else text + f", $c = {tex_number(schedule.c)}$"


_ACTIVATIONS = {"relu": "ReLU", "tanh": "tanh", "identity": "identity", "abs": "abs"}
_INITS = {"iid-uniform": "i.i.d. uniform", "iid-gaussian": "i.i.d. Gaussian", "smooth": "smooth"}


def model_label(model) -> str:
    """``res-3, ReLU`` / ``linear`` / ``res-2, leaky ReLU 0.2`` for a scaling Model."""
    name = "linear" if model.kind == "linear" else f"res-{model.kind[3:]}" if model.kind.startswith("res") \
        else model.kind
    if model.kind == "linear":
        return name
    act = model.activation
    if act.startswith("leaky_relu"):
        act = "leaky ReLU " + act.partition(":")[2] if ":" in act else "leaky ReLU"
    return f"{name}, {_ACTIVATIONS.get(act, act)}"


def init_label(init) -> str:
    """``i.i.d. uniform``, ``smooth``, ``fBm $H = 0.7$``."""
    if init.kind == "fbm":
        return rf"fBm $H = {tex_number(init.hurst)}$"
    return _INITS.get(init.kind, init.kind)


def norm_label(norm) -> str:
    """``pre-RMSNorm``, ``post-LayerNorm``, ``no norm``."""
    if norm.placement is None:
        return "no norm"
    return f"{norm.placement}-{'RMSNorm' if norm.kind == 'rms' else 'LayerNorm'}"


def _title(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _samples(n: int, what: str = "samples") -> str:
    return f"{n} {what}"


def _text_width(label: str) -> float:
    """A rough printed width in inches of a legend entry at 8 pt (handle included): mathtext
    commands count as one character, dollar signs and braces as none."""
    visible = re.sub(r"\\[a-zA-Z]+", "x", label)
    visible = re.sub(r"[${}^_]", "", visible)
    return 0.42 + 0.062 * len(visible)


def _legend_columns(labels: Sequence[str], width: float) -> int:
    """How many legend columns fit the figure width."""
    widest = max((_text_width(label) for label in labels), default=1.0)
    return max(1, min(len(labels), int(width // widest)))


def _errorbar(ax, x, y, err, *, color: str, label: str, fmt: str = "o") -> None:
    """Points with error bars ``err``; the legend entry is a plain marker drawn with the lines, so that
    entries keep the order they were drawn in (matplotlib lists error-bar containers last)."""
    ax.errorbar(x, y, yerr=err, fmt=fmt, color=color)
    ax.plot([], [], fmt, color=color, label=label)


def _printed_width(text: str) -> float:
    """A rough width in inches of ``text`` at 8 pt (mathtext commands count as one character)."""
    visible = re.sub(r"\\[a-zA-Z]+", "x", text)
    return 0.062 * len(re.sub(r"[${}^_]", "", visible))


def wrap_title(text: str, width: float) -> str:
    r"""``text`` broken into lines at ", " (outside mathtext) so that each line fits ``width`` inches at 8 pt.

    >>> wrap_title("res-3, ReLU, i.i.d. uniform, $d = 40$, 50 samples", 2.0)
    'res-3, ReLU, i.i.d. uniform,\n$d = 40$, 50 samples'
    """
    if _printed_width(text) <= width:
        return text
    lines: list[str] = []
    current = ""
    for part in text.split(", "):
        candidate = part if not current else current + ", " + part
        if current and current.count("$") % 2 == 0 and _printed_width(candidate) > width:
            lines.append(current + ",")
            current = part
        else:
            current = candidate
    return "\n".join([*lines, current])


def _wrap_titles(fig) -> None:
    """Wrap the figure's title and each panel's title to the width they have."""
    width = fig.get_figwidth()
    if fig._suptitle is not None:
        fig._suptitle.set_text(wrap_title(fig._suptitle.get_text(), width - 0.2))
    for ax in fig.axes:
        if ax.get_title():
            ax.set_title(wrap_title(ax.get_title(), ax.get_position().width * width))


def _legend(fig, axes, panels_height: float, per_row: float = 0.16) -> None:
    """One legend for the figure, below the panels, with as many columns as fit its width
    (entries of the same label on several panels appear once); the figure's height becomes
    ``panels_height`` plus the legend's rows."""
    handles, labels = [], []
    for ax in (axes if isinstance(axes, (list, tuple)) else [axes]):
        for h, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    _wrap_titles(fig)
    width = fig.get_figwidth()
    if not handles:
        fig.set_size_inches(width, panels_height)
        return
    columns = _legend_columns(labels, width)
    fig.set_size_inches(width, panels_height + per_row * math.ceil(len(labels) / columns) + 0.08)
    fig.legend(handles, labels, loc="outside lower center", ncols=columns)


def _log_axes(ax, xlabel: str, ylabel: str, *, logx: bool = True) -> None:
    if logx:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major")


FORWARD_LABEL = r"$\|h_L - h_0\| / \|h_0\|$"
GRADIENT_LABEL = r"$\|p_L - p_0\| / \|p_L\|$"
DEPTH_LABEL = r"depth $L$"
ORDER_LABEL = r"order $k$"
ORDER_ENERGY_LABEL = r"$E\,\|\lambda^k T_k\|^2 / \|x\|^2$"
MEASURED_4SE = r"measured ($\pm 4$ s.e.)"


# --- scaling sweeps -------------------------------------------------------------------

@styled
def plot_ratio(sweep, path: str | Path | None = None, *, figsize: str | None = None):
    """Ratio against depth: mean of ``||h_L - h_0|| / ||h_0||`` with its 5-95 % band (circles), the
    measured RMS ``sqrt(mean ratio^2)`` (open squares) and the predicted RMS ``sqrt(E ratio^2)``
    (dashed) per schedule, log-log. ``sweep``: a :class:`residual_expansion.scaling.sweep.Sweep`.
    Written to ``path`` (format by extension) when given; returns the Figure."""
    schedules = list(dict.fromkeys(r.run.schedule for r in sweep.rows))
    width = figure_width(figsize)
    panels_height = 2.4
    fig = new_figure(width, panels_height)
    ax = fig.subplots()
    predicted_any = False
    for i, sch in enumerate(schedules):
        color = PALETTE[i % len(PALETTE)]
        rows = [r for r in sweep.rows if r.run.schedule == sch and r.run.ratio is not None]
        if not rows:
            continue
        L = np.array([r.run.depth for r in rows])
        ax.fill_between(L, [r.run.ratio.q05 for r in rows], [r.run.ratio.q95 for r in rows], color=color,
                        alpha=0.18, lw=0)
        ax.plot(L, [r.run.ratio.mean for r in rows], "o-", color=color, label=schedule_label(sch))
        ax.plot(L, np.sqrt([r.run.sq_ratio.mean for r in rows]), "s", color=color, mfc="none", ms=3)
        pred = [r.predicted_sq_ratio for r in rows]
        if all(p is not None and math.isfinite(p) for p in pred):
            ax.plot(L, np.sqrt(pred), "--", color=color, lw=1.0)
            predicted_any = True
    ax.plot([], [], "s", color=NEUTRAL[0], mfc="none", ms=3, label="measured RMS")
    if predicted_any:
        ax.plot([], [], "--", color=NEUTRAL[0], lw=1.0, label="predicted RMS")
    _log_axes(ax, DEPTH_LABEL, FORWARD_LABEL)
    ax.set_title(_title(model_label(sweep.model), init_label(sweep.init), f"$d = {sweep.model.dim}$",
                        _samples(sweep.samples)))
    _legend(fig, ax, panels_height)
    return _finish(fig, path)


@styled
def plot_spectrum(sweep, path: str | Path | None = None, *, figsize: str | None = None):
    """Per-order energy at the largest depth (linear modules run with orders): measured with 4 standard
    errors against ``e_k = C(n, k) (lambda s)^(2k)`` (bars) and, for ``beta = 1/2``, the Poisson limit
    ``(c^2 s^2)^k / k!`` (dotted).

    Raises
    ------
    UsageError
        When the sweep has no per-order energies.
    """
    if sweep.orders is None or sweep.model.kind != "linear":
        raise UsageError("spectrum_plot needs kind linear with orders K", parameters=("spectrum_plot", "kind", "orders"))
    # render does not import the Monte Carlo (scipy) at import time; only this figure needs it
    from residual_expansion.scaling import predictions as scaling

    depth = max(r.run.depth for r in sweep.rows)
    rows = [r for r in sweep.rows if r.run.depth == depth and r.run.orders is not None]
    width = figure_width(figsize)
    panels_height = 2.4
    fig = new_figure(width, panels_height)
    ax = fig.subplots()
    K = sweep.orders
    k = np.arange(K + 1)
    poisson = False
    for i, r in enumerate(rows):
        color = PALETTE[i % len(PALETTE)]
        sch = r.run.schedule
        mean = np.array([st.mean for st in r.run.orders[: K + 1]])
        se = np.array([st.stderr for st in r.run.orders[: K + 1]])
        _errorbar(ax, k + 0.08 * i, mean, 4 * se, color=color, label=schedule_label(sch))
        if r.predicted_orders is not None:
            ax.plot(k, r.predicted_orders[: K + 1], "_", color=color, ms=10, mew=1.5)
        if sch.beta == 0.5:
            mass = (sch.c * sweep.model.s) ** 2
            ax.plot(k, scaling.poisson_spectrum(mass, K), ":", color=color, lw=1.0)
            poisson = True
    ax.plot([], [], "o", color=NEUTRAL[0], label=MEASURED_4SE)
    ax.plot([], [], "_", color=NEUTRAL[0], ms=10, mew=1.5, label=r"binomial $e_k$")
    if poisson:
        ax.plot([], [], ":", color=NEUTRAL[0], label=r"Poisson $(c^2 s^2)^k / k!$")
    _log_axes(ax, ORDER_LABEL, ORDER_ENERGY_LABEL, logx=False)
    ax.set_title(_title("linear", init_label(sweep.init), f"$n = {depth}$", f"$d = {sweep.model.dim}$",
                        _samples(sweep.samples)))
    _legend(fig, ax, panels_height)
    return _finish(fig, path)


@styled
def plot_gradients(sweep, path: str | Path | None = None, *, figsize: str | None = None):
    """Marion et al.'s Figures 1 and 3: ``||h_L - h_0|| / ||h_0||`` and ``||p_L - p_0|| / ||p_L||`` against
    ``L`` (mean with the 5-95 % band), the forward panel with the predicted RMS where it exists.

    Raises
    ------
    UsageError
        When the sweep has no gradients.
    """
    if sweep.cotangent is None:
        raise UsageError("the gradient panel needs a sweep run with gradients")
    schedules = list(dict.fromkeys(r.run.schedule for r in sweep.rows))
    width = figure_width(figsize, panels=2)
    base = 4.6 if width == WIDTHS["one"] else 2.5
    panels_height = base
    fig = new_figure(width, panels_height)
    axes = panel_grid(fig, 2, "one" if width == WIDTHS["one"] else "two")
    predicted_any = False
    for i, sch in enumerate(schedules):
        color = PALETTE[i % len(PALETTE)]
        rows = [r for r in sweep.rows if r.run.schedule == sch and r.run.ratio is not None and not r.gradient.explodes]
        if not rows:
            continue
        L = np.array([r.run.depth for r in rows])
        for ax, stats in ((axes[0], [r.run.ratio for r in rows]), (axes[1], [r.gradient.diff_ratio for r in rows])):
            ax.fill_between(L, [s.q05 for s in stats], [s.q95 for s in stats], color=color, alpha=0.18, lw=0)
            ax.plot(L, [s.mean for s in stats], "o-", color=color, label=schedule_label(sch))
        pred = [r.predicted_sq_ratio for r in rows]
        if all(p is not None and math.isfinite(p) for p in pred):
            axes[0].plot(L, np.sqrt(pred), "--", color=color, lw=1.0)
            predicted_any = True
    if predicted_any:
        axes[0].plot([], [], "--", color=NEUTRAL[0], lw=1.0, label="predicted RMS")
    for ax, label in zip(axes, (FORWARD_LABEL, GRADIENT_LABEL)):
        _log_axes(ax, DEPTH_LABEL, label)
    fig.suptitle(_title(model_label(sweep.model), init_label(sweep.init), f"$d = {sweep.model.dim}$",
                        _samples(sweep.samples, "networks"), f"cotangent {sweep.cotangent}"))
    _legend(fig, axes, panels_height)
    return _finish(fig, path)


@styled
def plot_histograms(sweep, path: str | Path | None = None, *, figsize: str | None = None):
    """Marion et al.'s Figure 2: histograms of ``||h_L|| / ||h_0||`` and ``||p_0|| / ||p_L||`` at the largest
    depth for the first schedule, with the neural-SDE limit density of ``||H_1|| / ||H_0||`` on the
    forward panel where it exists (beta = 1/2, i.i.d. weights; docs/scaling.md).

    Raises
    ------
    UsageError
        When the sweep kept no per-sample values (run with gradients and keep_samples).
    """
    # render does not import the Monte Carlo (scipy) at import time; only this figure needs it
    from residual_expansion.scaling.limits import sde_limit_for

    depth = max(r.run.depth for r in sweep.rows)
    row = next(r for r in sweep.rows if r.run.depth == depth)
    g = row.gradient
    if g is None or g.norm_samples is None:
        raise UsageError("histogram needs gradients (per-sample values of both ratios)",
                         parameters=("histogram", "gradients"))
    width = figure_width(figsize, panels=2)
    one = width == WIDTHS["one"]
    panels_height = 4.4 if one else 2.4
    fig = new_figure(width, panels_height)
    axes = panel_grid(fig, 2, "one" if one else "two")
    fwd = g.norm_samples[np.isfinite(g.norm_samples)]
    back = g.grad_samples[np.isfinite(g.grad_samples)]
    axes[0].hist(fwd, bins=50, density=True, color=PALETTE[0], alpha=0.7, label="measured")
    law = sde_limit_for(sweep.model, sweep.init, row.run.schedule, depth)
    if law is not None and len(fwd):
        r = np.linspace(max(fwd.min() * 0.8, 1e-6), fwd.max() * 1.2, 400)
        axes[0].plot(r, law.pdf_of_norm_ratio(r), "--", color=NEUTRAL[0], lw=1.2, label="SDE limit density")
    axes[1].hist(back, bins=50, density=True, color=PALETTE[1], alpha=0.7, label="measured (gradient)")
    axes[0].set_xlabel(r"$\|h_L\| / \|h_0\|$")
    axes[1].set_xlabel(r"$\|p_0\| / \|p_L\|$")
    for ax in axes:
        ax.set_ylabel("density")
        ax.grid(True)
    fig.suptitle(_title(model_label(sweep.model), init_label(sweep.init), f"$d = {sweep.model.dim}$",
                        f"$L = {depth}$", schedule_label(row.run.schedule), _samples(sweep.samples, "networks"),
                        f"cotangent {sweep.cotangent}"))
    _legend(fig, axes, panels_height)
    return _finish(fig, path)


@styled
def plot_heatmap(hmap, path: str | Path | None = None, *, figsize: str | None = None):
    """Marion et al.'s Figure 7: per (beta, H) at the largest depth, the mean over networks x inputs of
    log10 of ||h_L - h_0|| / ||h_0|| (and of ||p_L - p_0|| / ||p_L||), colour range [-1, 1] (cividis;
    overflow drawn at the top colour, as the paper's code does), with the derived critical line
    max(H, 1/2) and, with two depths, the finite-depth first-order line and the measured crossings."""
    depth = max(hmap.depths)
    panels = [("forward", hmap.heat_forward, r"mean $\log_{10}\, \|h_L - h_0\| / \|h_0\|$")]
    if hmap.heat_gradient is not None:
        panels.append(("gradient", hmap.heat_gradient, r"mean $\log_{10}\, \|p_L - p_0\| / \|p_L\|$"))
    width = figure_width(figsize, panels=len(panels))
    one = width == WIDTHS["one"]
    panels_height = (2.6 * len(panels)) if one else 2.7
    fig = new_figure(width, panels_height)
    axes = panel_grid(fig, len(panels), "one" if one else "two")
    betas = np.array(hmap.betas)
    hs = np.array(hmap.hursts)
    for ax, (kind, heat, label) in zip(axes, panels):
        grid = np.array(heat, dtype=float)
        grid = np.where(np.isnan(grid), 1.0, grid)
        extent = None
        if len(betas) > 1 and len(hs) > 1:  # cell edges half a grid step beyond the first and last values
            db, dh = (betas[-1] - betas[0]) / (len(betas) - 1), (hs[-1] - hs[0]) / (len(hs) - 1)
            extent = (betas[0] - db / 2, betas[-1] + db / 2, hs[0] - dh / 2, hs[-1] + dh / 2)
        im = ax.imshow(np.clip(grid, -1, 1), origin="lower", aspect="auto", cmap=HEATMAP_CMAP, vmin=-1, vmax=1,
                       extent=extent, interpolation="nearest")
        fig.colorbar(im, ax=ax, label=label)
        if extent is not None and all(a is not None for a in hmap.derived_asymptotic):
            # optional extra (plot): matplotlib loads when a figure is drawn, never at import
            from matplotlib.patheffects import withStroke

            halo = [withStroke(linewidth=2.8, foreground=NEUTRAL[1])]  # black on a white halo: visible on any colour
            ax.plot(hmap.derived_asymptotic, hs, "-", color=NEUTRAL[0], lw=1.3, path_effects=halo,
                    label=r"derived: $\beta = \max(H, 1/2)$")
            if all(f is not None for f in hmap.derived_finite):
                ax.plot(hmap.derived_finite, hs, "--", color=NEUTRAL[0], lw=1.0, path_effects=halo,
                        label=f"first-order line, $L$ from {min(hmap.depths)} to {max(hmap.depths)}")
            meas = hmap.measured_forward if kind == "forward" else hmap.measured_gradient
            pts = [(m[0], h) for m, h in zip(meas, hs) if m[0] is not None]
            if pts:
                ax.plot(*zip(*pts), "o", color=NEUTRAL[0], mfc=NEUTRAL[1], ms=3, mew=0.6, label="measured crossing")
        ax.set_xlabel(r"$\beta$")
        ax.set_ylabel(r"Hurst index $H$")
        ax.set_title(f"{kind}, $L = {depth}$")
    fig.suptitle(_title(model_label(hmap.model), "fBm weights", f"$d = {hmap.model.dim}$",
                        f"{hmap.networks} networks x {hmap.inputs} inputs per $H$ (each network at every $\\beta$)"))
    _legend(fig, axes, panels_height)
    return _finish(fig, path)


@styled
def plot_ode(errors, path: str | Path | None = None, *, figsize: str | None = None):
    """The neural-ODE limit: ``||h_L - H(1)|| / ||H(1)||`` against ``L``, log-log, with a slope -1 guide
    (``errors`` from :func:`residual_expansion.scaling.limits.ode_errors`)."""
    width = figure_width(figsize)
    panels_height = 2.4
    fig = new_figure(width, panels_height)
    ax = fig.subplots()
    L = np.array(errors.depths, dtype=float)
    e = np.array(errors.errors)
    ax.plot(L, e, "o-", color=PALETTE[0], label=r"stack at $\alpha = 1/L$ against the ODE solution")
    ax.plot(L, e[-1] * L[-1] / L, "--", color=NEUTRAL[0], lw=1.0, label="slope $-1$")
    _log_axes(ax, DEPTH_LABEL, r"$\|h_L - H(1)\| / \|H(1)\|$")
    ax.set_title(_title("neural ODE limit, smooth weights", f"$d = {errors.dim}$", f"{errors.networks} networks"))
    _legend(fig, ax, panels_height)
    return _finish(fig, path)


# --- normalization ----------------------------------------------------------------------

@styled
def plot_norm_energy(sweep, path: str | Path | None = None, *, figsize: str | None = None):
    """Energy ``||h_L||^2 / ||h_0||^2`` against depth, log-log: the normalized stack (measured with 4
    standard errors, predicted additive growth) and the unnormalized one (mean, median, predicted
    multiplicative growth). ``sweep``: a :class:`residual_expansion.scaling.normalized.NormSweep`."""
    schedules = list(dict.fromkeys(r.run.schedule for r in sweep.rows))
    width = figure_width(figsize)
    panels_height = 2.4
    fig = new_figure(width, panels_height)
    ax = fig.subplots()
    name = norm_label(sweep.norm)
    for i, sch in enumerate(schedules):
        rows = [r for r in sweep.rows if r.run.schedule == sch]
        L = np.array([r.run.depth for r in rows])
        tag = f", {schedule_label(sch)}" if len(schedules) > 1 else ""
        color = PALETTE[(2 * i) % len(PALETTE)]
        good = [r for r in rows if r.run.sq_norm_ratio is not None]
        _errorbar(ax, [r.run.depth for r in good], [r.run.sq_norm_ratio.mean for r in good],
                  [4 * r.run.sq_norm_ratio.stderr for r in good], color=color, label=f"{name}{tag}: {MEASURED_4SE}")
        pred = [r.predicted_sq_norm_ratio for r in rows]
        if all(p is not None for p in pred):
            ax.plot(L, pred, "-", color=color, lw=1.0, label=f"{name}: predicted (additive)")
        color = PALETTE[(2 * i + 1) % len(PALETTE)]
        ref = [r for r in rows if r.reference.sq_norm_ratio is not None]
        ax.plot([r.run.depth for r in ref], [r.reference.sq_norm_ratio.mean for r in ref], "s", color=color,
                label=f"no norm{tag}: measured mean")
        ax.plot([r.run.depth for r in ref], [r.reference.sq_norm_ratio.q50 for r in ref], "v", color=color,
                mfc="none", label="no norm: measured median")
        refp = [r.reference_predicted for r in rows]
        if all(p is not None and not p.explodes for p in refp):
            ax.plot(L, [p.value for p in refp], "--", color=color, lw=1.0, label="no norm: predicted (multiplicative)")
    _log_axes(ax, DEPTH_LABEL, r"$\|h_L\|^2 / \|h_0\|^2$")
    ax.set_title(_title(model_label(sweep.model), init_label(sweep.init), f"$d = {sweep.model.dim}$",
                        _samples(sweep.samples)))
    _legend(fig, ax, panels_height)
    return _finish(fig, path)


@styled
def plot_order_profiles(profiles, path: str | Path | None = None, *, figsize: str | None = None):
    """Per-order energies ``E||lambda^k T_k||^2 / ||x||^2`` against ``k`` (4 standard errors), one panel per
    schedule, one curve per depth (``profiles`` from
    :func:`residual_expansion.scaling.orders.run_order_profiles`)."""
    labels = list(dict.fromkeys(p.label for _, p in profiles.rows))
    depths = sorted({L for L, _ in profiles.rows})
    width = figure_width(figsize, panels=len(labels))
    one = width == WIDTHS["one"]
    panels_height = 2.0 * len(labels) if one else 2.4
    fig = new_figure(width, panels_height)
    axes = panel_grid(fig, len(labels), "one" if one else "two")
    for ax, lab in zip(axes, labels):
        for j, L in enumerate(depths):
            (p,) = [p for M, p in profiles.rows if M == L and p.label == lab]
            k = np.arange(1, len(p.energies) + 1)
            mean = np.array([st.mean for st in p.energies])
            se = np.array([st.stderr for st in p.energies])
            _errorbar(ax, k, mean, 4 * se, fmt="o-", color=PALETTE[j % len(PALETTE)], label=f"$L = {L}$")
        _log_axes(ax, ORDER_LABEL, ORDER_ENERGY_LABEL, logx=False)
        ax.set_title(_schedule_text(lab))
    for ax in axes[1:] if not one else ():
        ax.set_ylabel("")
    m = profiles.model
    fig.suptitle(_title("per-order energies by Taylor mode", model_label(m), init_label(profiles.init),
                        f"$d = {m.dim}$", _samples(profiles.samples)) + r" ($\pm 4$ s.e.)")
    _legend(fig, axes, panels_height)
    return _finish(fig, path)


def _schedule_text(label: str) -> str:
    """A schedule's plain label (``beta=0.5``, ``2*n^-0.5``) in mathtext.

    >>> _schedule_text("beta=0.5"), _schedule_text("2*n^-0.5"), _schedule_text("tied")
    ('$\\\\beta = 1/2$', '$\\\\lambda = 2\\\\, n^{-1/2}$', 'tied')
    """
    m = re.fullmatch(r"beta=([-+0-9.eE]+)(.*)", label)
    if m:
        return rf"$\beta = {tex_number(float(m.group(1)))}$" + m.group(2)
    m = re.fullmatch(r"([0-9.eE+-]+)\*n\^-([0-9.eE+-]+)(.*)", label)
    if m:
        return (rf"$\lambda = {tex_number(float(m.group(1)))}\, n^{{-{tex_number(float(m.group(2)))}}}$"
                + m.group(3))
    return label


@styled
def plot_lesion(lesions: Sequence[Any], path: str | Path | None = None, *, figsize: str | None = None):
    """Change-energy fraction ``E||x_n - x_n^(-D)||^2 / E||x_n||^2`` against the number ``K`` of deleted
    blocks, one curve per lesion study (residual, plain; 4 standard errors), with the exact
    prediction ``1 - (1 + lambda^2 s^2)^(-K)`` where it exists (docs/normalization.md)."""
    width = figure_width(figsize)
    panels_height = 2.4
    fig = new_figure(width, panels_height)
    ax = fig.subplots()
    for i, les in enumerate(lesions):
        color = PALETTE[i % len(PALETTE)]
        ok = [r for r in les.results if not r.explodes]
        K = np.array([r.deleted for r in ok])
        name = f"{'plain' if les.plain else 'residual'} {model_label(les.model)}"
        _errorbar(ax, K, [r.fraction for r in ok], [4 * r.stderr for r in ok], color=color,
                  label=f"{name}: {MEASURED_4SE}")
        pred = [r.predicted for r in ok]
        if ok and all(p is not None for p in pred):
            ax.plot(K, pred, "-", color=color, lw=1.0, label=f"{name}: predicted")
    ax.set_xlabel(r"deleted blocks $K$")
    ax.set_ylabel(r"$E\,\|x_n - x_n^{(-D)}\|^2 / E\,\|x_n\|^2$")
    ax.grid(True)
    first = lesions[0]
    ax.set_title(_title("lesions", f"$n = {first.depth}$", schedule_label(first.schedule), init_label(first.init),
                        f"$d = {first.model.dim}$", _samples(first.samples)))
    _legend(fig, ax, panels_height)
    return _finish(fig, path)


# --- crosscheck -----------------------------------------------------------------------

@styled
def plot_remainders(result, path: str | Path | None = None, *, figsize: str | None = None):
    """The remainders ``R_k(lambda) = ||x_n(lambda) - sum_{j<=k} lambda^j T_j||_inf``, k = 1..K, log-log,
    with the fit window of ``R_K`` and its slope (``result`` from
    :func:`residual_expansion.numeric.crosscheck.crosscheck` with ``curves=True``; docs/numeric.md).

    Raises
    ------
    UsageError
        When the result was computed without curves.
    """
    if result.curves is None:
        raise UsageError("plot_remainders needs a result computed with curves=True", parameters=("result",))
    lams, rows = result.curves
    width = figure_width(figsize)
    panels_height = 2.4
    fig = new_figure(width, panels_height)
    ax = fig.subplots()
    for k, rs in enumerate(rows, start=1):
        pts = [(lam, r) for lam, r in zip(lams, rs) if r > 0 and math.isfinite(r)]
        if pts:
            ax.plot(*zip(*pts), "-", color=PALETTE[(k - 1) % len(PALETTE)],
                    label=f"$R_{{{k}}}$ (slope {k + 1} expected)")
    fit = result.fit
    if fit.lambdas and not fit.exact:
        slope = "none" if fit.slope is None else f"{fit.slope:.2f}"
        ax.plot(fit.lambdas, fit.remainders, "o", color=NEUTRAL[0], ms=3,
                label=f"fit window of $R_{{{fit.order}}}$: slope {slope}")
    _log_axes(ax, r"$\lambda$", r"$\|x_n(\lambda) - \sum_{j \leq k} \lambda^j T_j\|_\infty$")
    act = f", {_ACTIVATIONS.get(result.activation, result.activation)}" if result.activation else ""
    ax.set_title(_title(f"remainders, {result.module}{act}", f"$n = {result.depth}$", f"$d = {result.dim}$"))
    _legend(fig, ax, panels_height)
    return _finish(fig, path)


# --- inspection (tests and docs) -----------------------------------------------------------

def figure_texts(fig) -> list[str]:
    """Every text the figure shows: titles, axis labels, legend entries, colour-bar labels (not ticks)."""
    texts = [t.get_text() for t in fig.texts]
    for leg in fig.legends:
        texts += [t.get_text() for t in leg.get_texts()]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return [t for t in texts if t]


def figure_colors(fig) -> set[str]:
    """The colours (``#rrggbb``) of every line, marker, band and bar of the figure's axes."""
    # optional extra (plot): matplotlib loads when a figure is drawn, never at import
    from matplotlib.colors import to_hex

    colors: set[str] = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            for c in (line.get_color(), line.get_markerfacecolor(), line.get_markeredgecolor()):
                if not (isinstance(c, str) and c == "none"):
                    colors.add(to_hex(c))
        for coll in ax.collections:
            if coll.get_array() is None:  # a colour-mapped collection is checked by its cmap instead
                colors.update(to_hex(c) for c in coll.get_facecolors() if c[3] > 0)
                colors.update(to_hex(c) for c in coll.get_edgecolors() if c[3] > 0)
        for patch in ax.patches:
            colors.add(to_hex(patch.get_facecolor()))
    return colors


def colormaps(fig) -> set[str]:
    """The names of the colour maps the figure's images use."""
    return {im.get_cmap().name for ax in fig.axes for im in ax.images}


@dataclass(frozen=True)
class _OdeDemo:
    """A stand-in for ``ode_errors``' result, for the doctest of :func:`figure_bytes`."""

    depths: tuple[int, ...]
    errors: tuple[float, ...]
    dim: int
    networks: int
