"""The top-level API: ``import residual_expansion as rx`` (docs/architecture.md#top-level-api)."""

import subprocess
import sys

import pytest

import residual_expansion as rx
from residual_expansion.errors import UsageError


def test_one_liner_prints_the_counts():
    out = subprocess.run([sys.executable, "-c", "import residual_expansion as rx; print(rx.expand(3, 3).counts())"],
                         capture_output=True, text=True, check=True).stdout
    assert out == "(3, 3, 5)\n"


def test_import_is_light():
    code = "import sys, residual_expansion; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "False False\n"


def test_every_exported_name_resolves():
    for name in rx.__all__:
        assert getattr(rx, name) is not None, name
    with pytest.raises(AttributeError):
        rx.no_such_name  # noqa: B018


def test_render_dispatches_and_refuses():
    e = rx.expand(2, 2)
    assert rx.render(e) == rx.render(e, "text") and rx.render(e, "json").startswith("{")
    import residual_expansion.render.table  # noqa: F401  (rebinds rx.render to the package: still callable)
    assert rx.render(e, "latex").startswith("\\begingroup\\allowdisplaybreaks")
    with pytest.raises(UsageError, match="fmt must be one of"):
        rx.render(e, "html")
    assert rx.render(e, "markdown").startswith("**Closed form")
    assert rx.render(rx.crosscheck(2, 1, "linear", dim=2), "latex").startswith("\\par\\noindent")
    with pytest.raises(UsageError, match="has no renderer"):
        rx.render(3)
    results = rx.run_claims(4, 2, ids=["COUNT"])
    assert results[0].passed and "COUNT  PASS" in rx.render(results, depth=4, order=2, seed=0)
    with pytest.raises(UsageError, match="need depth, order and seed"):
        rx.render(results)
