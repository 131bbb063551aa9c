"""Library errors name Python parameters; the CLI turns them into flags (docs/architecture.md#errors)."""

import ast
import pathlib

import pytest

from residual_expansion.cli import cli_message, flag, main
from residual_expansion.errors import UsageError
from residual_expansion.numeric.crosscheck import crosscheck

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "residual_expansion"


def _library_raise_messages():
    """(file, line, text) of every string constant inside a raise of the library (cli/ excluded)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cli" in path.relative_to(PACKAGE).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                for sub in ast.walk(node.exc):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        yield path.relative_to(PACKAGE), node.lineno, sub.value


def test_the_scan_sees_raise_messages():
    # The scan must find real messages, or the next test would pass vacuously.
    texts = [t for _, _, t in _library_raise_messages()]
    assert len(texts) > 50 and any("must be" in t for t in texts)


def test_no_library_message_names_a_cli_flag():
    offenders = [f"{p}:{line}: {text!r}" for p, line, text in _library_raise_messages() if "--" in text]
    assert not offenders, "\n".join(offenders)


def test_the_cli_maps_parameters_to_flags():
    assert flag("lambda_range") == "--lambda-range" and flag("activation_name") == "--activation"
    exc = UsageError("depth 8, order 8 is too big; use order 6 or less; lambda_range reaches 2",
                     parameters=("order", "lambda_range"))
    assert cli_message(exc) == "depth 8, --order 8 is too big; use --order 6 or less; --lambda-range reaches 2"
    # words that merely contain a parameter name are left alone
    assert cli_message(UsageError("orders and reorder", parameters=("order",))) == "orders and reorder"


def test_library_message_names_the_parameter_and_cli_the_flag(capsys):
    with pytest.raises(UsageError, match=r"use order 6 or less") as info:
        crosscheck(8, 8, "mlp")
    assert "--" not in str(info.value)
    assert main(["crosscheck", "--depth", "8", "--order", "8"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "use --order 6 or less" in err
