"""Figures for papers (issue 15, render/figures.py): every plotting command writes PNG, PDF, SVG and EPS
by extension, byte-for-byte the same on a second run; labels are mathtext; colours come from the
Okabe-Ito palette (cividis for heatmaps); widths are one or two paper columns with fonts >= 8 pt;
matplotlib's global state (backend, rcParams) is untouched. Each checker is shown to fail on a
corrupted figure."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")

from residual_expansion.cli import main  # noqa: E402
from residual_expansion.render import figures  # noqa: E402

#: Tiny runs of every figure the CLI draws: (name, argv with {P} for the output path, mathtext it must show).
FIGURES = [
    ("remainders", ["crosscheck", "--depth", "4", "--order", "2", "--plot", "{P}"],
     [r"$\lambda$", r"$R_{1}$ (slope 2 expected)"]),
    ("ratio", ["scaling", "--model", "linear", "--beta", "0.25,0.5,1", "--depths", "4,8", "--samples", "20",
               "--dim", "3", "--quiet", "--plot", "{P}"],
     [figures.FORWARD_LABEL, r"$\beta = 1/4$", r"$\beta = 1/2$", "depth $L$"]),
    ("spectrum", ["scaling", "--model", "linear", "--beta", "0.5", "--depths", "4,8", "--orders", "3",
                  "--samples", "20", "--dim", "3", "--quiet", "--spectrum-plot", "{P}"],
     [figures.ORDER_ENERGY_LABEL, r"order $k$", r"Poisson $(c^2 s^2)^k / k!$"]),
    ("gradients", ["scaling", "--beta", "0.5,1", "--depths", "4,8", "--samples", "4", "--dim", "3", "--gradients",
                   "--quiet", "--plot", "{P}"],
     [figures.FORWARD_LABEL, figures.GRADIENT_LABEL, r"$\beta = 1$"]),
    ("histogram", ["scaling", "--beta", "0.5", "--depths", "8", "--samples", "20", "--dim", "4", "--gradients",
                   "--init", "iid-gaussian", "--quiet", "--histogram", "{P}"],
     [r"$\|h_L\| / \|h_0\|$", r"$\|p_0\| / \|p_L\|$", "SDE limit density"]),
    ("heatmap", ["scaling", "--init", "fbm", "--hurst", "0.3:0.7:2", "--beta", "0.2:1:3", "--depths", "4,16",
                 "--networks", "2", "--inputs", "2", "--dim", "3", "--gradients", "--quiet", "--heatmap", "{P}"],
     [r"$\log_{10}\, \|h_L - h_0\| / \|h_0\|$", r"$\beta$", r"Hurst index $H$", r"derived: $\beta = \max(H, 1/2)$"]),
    ("ode", ["scaling", "--ode", "--activation", "tanh", "--samples", "2", "--dim", "3", "--depths", "8,16,32",
             "--quiet", "--plot", "{P}"],
     [r"$\|h_L - H(1)\| / \|H(1)\|$", "slope $-1$"]),
    ("norm", ["scaling", "--model", "res3", "--norm", "pre-rms", "--init", "iid-gaussian", "--beta", "0",
              "--depths", "4,16", "--samples", "40", "--dim", "6", "--quiet", "--plot", "{P}"],
     [r"$\|h_L\|^2 / \|h_0\|^2$", r"pre-RMSNorm: measured ($\pm 4$ s.e.)"]),
    ("orders", ["scaling", "--model", "res3", "--activation", "tanh", "--orders", "3", "--beta", "1,0.5",
                "--depths", "8,16", "--samples", "10", "--dim", "4", "--quiet", "--spectrum-plot", "{P}"],
     [figures.ORDER_ENERGY_LABEL, r"$\beta = 1$", r"$L = 16$"]),
    ("lesion", ["lesion", "--model", "linear", "--depth", "8", "--delete", "0,1,2", "--samples", "100", "--dim", "4",
                "--quiet", "--plot", "{P}"],
     [r"deleted blocks $K$", r"$E\,\|x_n - x_n^{(-D)}\|^2 / E\,\|x_n\|^2$"]),
]


def draw(argv, path, monkeypatch, capsys, figsize=None):
    """Run the command (exit 0 or 1: a failed prediction still draws) and return the Figure it saved."""
    saved = []
    real = figures.save_figure

    def spy(fig, target):
        saved.append(fig)
        real(fig, target)

    monkeypatch.setattr(figures, "save_figure", spy)
    extra = ["--figsize", figsize] if figsize else []
    code = main([a.replace("{P}", str(path)) for a in argv] + extra)
    capsys.readouterr()
    assert code in (0, 1) and len(saved) == 1 and path.exists()
    return saved[0]


#: Words and symbols that must be typeset as mathematics, not printed as ASCII.
RAW_MATH = re.compile(r"\^|_\{|\|\||\bbeta\b|\blambda\b|\balpha\b|\+-|<=|>=|\bsqrt\b|\blog10\b|\b[a-zA-Z]=\d")


def raw_math(texts):
    """The texts that show mathematics outside $...$ (ASCII formulas)."""
    return [t for t in texts if RAW_MATH.search(re.sub(r"\$[^$]*\$", "", t))]


def small_fonts(fig):
    """Every visible text (ticks included) smaller than 8 pt."""
    from matplotlib.text import Text

    fig.canvas.draw()
    return [(t.get_text(), t.get_fontsize()) for t in fig.findobj(Text)
            if t.get_text() and t.get_visible() and t.get_fontsize() < figures.FONT_PT]


def off_palette(fig):
    return figures.figure_colors(fig) - {c.lower() for c in figures.PALETTE + figures.NEUTRAL}


@pytest.mark.parametrize("name,argv,expected", FIGURES, ids=[f[0] for f in FIGURES])
def test_every_figure_is_paper_styled(name, argv, expected, tmp_path, monkeypatch, capsys):
    fig = draw(argv, tmp_path / f"{name}.png", monkeypatch, capsys)
    texts = figures.figure_texts(fig)
    missing = [e for e in expected if not any(e in t for t in texts)]
    assert not missing, (missing, texts)
    assert not raw_math(texts), raw_math(texts)
    assert not off_palette(fig), off_palette(fig)
    assert figures.colormaps(fig) <= {figures.HEATMAP_CMAP}
    if name == "heatmap":
        assert figures.colormaps(fig) == {"cividis"}
    assert not small_fonts(fig), small_fonts(fig)
    panels = len([ax for ax in fig.axes if ax.get_label() != "<colorbar>"])
    assert fig.get_figwidth() == (3.25 if panels == 1 else 6.75)
    assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_checkers_fail_on_a_default_styled_figure():
    """A figure in matplotlib's defaults (tab10 blue, ASCII labels, 6 pt legend) fails every check."""
    fig = figures.new_figure(4.0, 3.0)
    ax = fig.subplots()
    ax.plot([1, 2], [1, 4], label="beta=0.25")
    ax.set_ylabel("||h_L - h_0|| / ||h_0||")
    ax.imshow([[0, 1]], cmap="RdBu_r")
    ax.legend(fontsize=6)
    texts = figures.figure_texts(fig)
    assert raw_math(texts) == ["||h_L - h_0|| / ||h_0||", "beta=0.25"]
    assert off_palette(fig) == {"#1f77b4"}
    assert figures.colormaps(fig) == {"RdBu_r"}
    assert small_fonts(fig) == [("beta=0.25", 6.0)]


FORMAT_MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF-", "svg": b"<?xml", "eps": b"%!PS-Adobe"}
COMMANDS = [FIGURES[0], FIGURES[6], FIGURES[9]]  # crosscheck, scaling, lesion (PNG: the test above)


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
@pytest.mark.parametrize("name,argv,expected", COMMANDS, ids=[f[0] for f in COMMANDS])
def test_each_plotting_command_writes_the_format_of_the_extension(name, argv, expected, fmt, tmp_path, monkeypatch,
                                                                  capsys):
    path = tmp_path / f"{name}.{fmt}"
    draw(argv, path, monkeypatch, capsys)
    assert path.read_bytes().startswith(FORMAT_MAGIC[fmt])


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg", "eps"])
def test_the_same_command_writes_the_same_bytes(fmt, tmp_path, monkeypatch, capsys):
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    draw(FIGURES[6][1], first, monkeypatch, capsys)
    draw(FIGURES[6][1], second, monkeypatch, capsys)
    data = first.read_bytes()
    assert data.startswith(FORMAT_MAGIC[fmt])
    assert data == second.read_bytes()  # no dates, versions or random SVG ids
    if fmt == "svg":
        assert b"<dc:date>" not in data and b"Matplotlib" not in data
    if fmt == "pdf":
        assert b"/CreationDate" not in data and b"Matplotlib" not in data
    if fmt == "eps":
        assert b"%%CreationDate: Thu Jan  1 00:00:00 1970" in data


def test_the_byte_check_fails_without_the_fixes(tmp_path):
    """Without the fixed hash salt and metadata, two saves of the same figure differ (so the test above
    would catch a regression)."""
    import io

    import matplotlib

    fig = figures.plot_ode(figures._OdeDemo((8, 16, 32), (0.1, 0.05, 0.025), 3, 2))
    outputs = []
    for _ in range(2):
        buf = io.BytesIO()
        with matplotlib.rc_context({**figures.STYLE, "svg.hashsalt": None}):
            fig.savefig(buf, format="svg")
        outputs.append(buf.getvalue())
    assert outputs[0] != outputs[1]
    assert figures.figure_bytes(fig, "svg") == figures.figure_bytes(fig, "svg")


@pytest.mark.parametrize("figsize,width", [("one", 3.25), ("two", 6.75)])
def test_figsize_sets_the_column_width(figsize, width, tmp_path, monkeypatch, capsys):
    for _, argv, _ in (FIGURES[1], FIGURES[3]):  # one panel and two panels
        fig = draw(argv, tmp_path / "f.pdf", monkeypatch, capsys, figsize=figsize)
        assert fig.get_figwidth() == width
        assert not small_fonts(fig)


@pytest.mark.parametrize("argv,fragment", [
    (["scaling", "--depths", "4", "--samples", "2", "--dim", "2", "--quiet", "--figsize", "one"],
     "--figsize applies only with a figure"),
    (["lesion", "--depth", "4", "--delete", "1", "--quiet", "--figsize", "two"], "--figsize applies only with a figure"),
    (["crosscheck", "--depth", "3", "--plot", "x.png", "--figsize", "three"], "--figsize"),
    (["crosscheck", "--depth", "3", "--plot", "x.jpg"], "allowed: .png, .pdf, .svg, .eps"),
    (["scaling", "--depths", "4", "--samples", "2", "--dim", "2", "--plot", "/nonexistent/dir/x.pdf"],
     "does not exist"),
])
def test_bad_figure_options_are_one_line_before_the_run(argv, fragment):
    proc = subprocess.run([sys.executable, "-m", "residual_expansion", *argv], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and fragment in proc.stderr, proc.stderr


def test_plotting_leaves_the_backend_and_rcparams_alone():
    code = (
        "import sys, matplotlib\n"
        "from residual_expansion.render import figures\n"
        "before = dict(matplotlib.rcParams)\n"
        "fig = figures.plot_ode(figures._OdeDemo((8, 16), (0.1, 0.05), 3, 2))\n"
        "figures.figure_bytes(fig, 'pdf'); figures.figure_bytes(fig, 'png')\n"
        "changed = [k for k in before if matplotlib.rcParams[k] != before[k]]\n"
        "print('matplotlib.pyplot' in sys.modules, matplotlib.rcParams['backend'], changed)\n"
    )
    env = {**__import__("os").environ, "MPLBACKEND": "svg"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120).stdout
    assert out.strip() == "False svg []"


def test_a_figure_displays_itself_in_a_notebook():
    fig = figures.plot_ode(figures._OdeDemo((8, 16), (0.1, 0.05), 3, 2))
    assert fig._repr_png_()[:4] == b"\x89PNG"


@pytest.mark.parametrize("value,text", [(0.25, "1/4"), (0.5, "1/2"), (1.0, "1"), (0.0, "0"), (2 / 3, "2/3"),
                                        (0.123, "0.123"), (1.3, "1.3"), (0.2, "0.2"), (0.375, "3/8")])
def test_tex_number(value, text):
    assert figures.tex_number(value) == text


def test_the_allow_list_checked_before_the_run_is_what_figures_writes():
    """limits.FIGURE_SUFFIXES (checked at parse time, without matplotlib) and figures.FORMATS agree, and
    every format is one matplotlib can write."""
    import matplotlib.figure

    from residual_expansion.limits import FIGURE_SUFFIXES

    assert FIGURE_SUFFIXES == tuple("." + f for f in figures.FORMATS)
    supported = matplotlib.figure.Figure().canvas.get_supported_filetypes()
    assert set(figures.FORMATS) <= set(supported)
