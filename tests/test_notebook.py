"""The example notebook docs/tour.ipynb runs headless (nbclient + ipykernel) and shows rich outputs."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def executed():
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "docs" / "tour.ipynb", as_version=4)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        if env_path:
            os.environ["PYTHONPATH"] = env_path
        else:
            del os.environ["PYTHONPATH"]
    return [c for c in nb.cells if c.cell_type == "code"]


def _data(cell, mime):
    return "".join(o.get("data", {}).get(mime, "") for o in cell.outputs if o.output_type == "execute_result")


def test_every_cell_ran_without_error(executed):
    assert all(o.output_type != "error" for c in executed for o in c.outputs)


def test_expansion_term_and_results_render_rich(executed):
    expansion, term, counts, results, first, exact, jax_gap, paths, sweep, fig = executed
    assert _data(expansion, "text/latex").startswith("\\begin{align*}")
    assert "g_3''(x)" in _data(expansion, "text/latex")
    assert _data(term, "text/latex") == (r"$\tfrac{1}{2}\, \lambda_{1}^{2}\,\lambda_{2}\, "
                                         r"g_2''(x)\bigl[g_1(x), g_1(x)\bigr]$")
    assert "(3, 3, 5)" in _data(counts, "text/plain")
    md = _data(results, "text/markdown")
    assert "**3 PASS, 0 FAIL**" in md and "| REX | PASS |" in md
    assert "**REX** PASS" in _data(first, "text/markdown")
    assert "| status | PASS |" in _data(exact, "text/markdown")
    gap = float("".join(o.get("text", "") for o in jax_gap.outputs).split("=")[1])
    assert gap < 1e-15
    assert "total paths P(1) | 256 = 2^8" in _data(paths, "text/markdown")
    assert "| res3" in _data(sweep, "text/markdown") or "res3" in _data(sweep, "text/markdown")
    assert any("image/png" in o.get("data", {}) for o in fig.outputs)
