"""Command line: outputs, exit statuses, and one-line errors for bad input."""

import json
import subprocess
import sys

import pytest

from residual_expansion.cli import main


def run_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "residual_expansion", *args], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def test_verify_depth8_all_pass_json():
    code, out, err = run_cli("verify", "--depth", "8", "--claims", "REX,REX2,COUNT,TIED", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["all_pass"] and {r["claim"] for r in doc["results"]} == {"REX", "REX2", "COUNT", "TIED"}


def test_expand_depth3_order3_text(capsys):
    assert main(["expand", "--depth", "3", "--order", "3"]) == 0
    out = capsys.readouterr().out
    assert "order 1 (3 terms)" in out and "order 2 (3 terms)" in out and "order 3 (5 terms)" in out
    assert "(1/2) lambda_2^2*lambda_3 g3''[g2, g2]" in out


def test_expand_tied_table(capsys):
    assert main(["expand", "--depth", "4", "--order", "4", "--tied"]) == 0
    out = capsys.readouterr().out
    assert "[[],[[]]]       4   11      1      8           11" in out


def test_counts_table(capsys):
    assert main(["counts", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {r["depth"]: r["counts"] for r in doc["rows"]}[6] == [6, 15, 55, 205, 794, 3088]


@pytest.mark.parametrize("args,needle", [
    (["verify", "--depth", "0"], "--depth: 0 is not positive"),
    (["verify", "--depth", "x"], "'x' is not an integer"),
    (["verify", "--depth", "3", "--order", "-1"], "--order: -1 is not positive"),
    (["verify", "--depth", "3", "--claims", "FOO"], "unknown claim id FOO"),
    (["verify", "--depth", "3", "--format", "pdf"], "invalid choice: 'pdf'"),
    (["expand", "--depth", "40", "--order", "9"], "beyond the limit"),
    (["expand", "--order", "2"], "the following arguments are required: --depth"),
    (["counts", "--depths", "2,0"], "0 is not positive"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_input_one_line_exit_2(args, needle):
    code, out, err = run_cli(*args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in err


def test_verify_exit_1_on_failure(monkeypatch, capsys):
    """verify's exit status follows the claims: a FAIL row gives 1."""
    from residual_expansion import claims as claims_pkg
    from residual_expansion.claims.base import Claim, Outcome

    failing = Claim("BROKEN", "always false", "none", "proofs/none.md",
                    lambda d, k, s: Outcome("test", "n/a", "FAIL", {}))
    monkeypatch.setattr(claims_pkg, "select", lambda ids, **how: (failing,))
    assert main(["verify", "--depth", "2"]) == 1
    assert "BROKEN" in capsys.readouterr().out


def test_console_script_is_the_same_program():
    from importlib.metadata import PackageNotFoundError, entry_points

    try:
        eps = entry_points(group="console_scripts")
    except PackageNotFoundError:  # pragma: no cover
        pytest.skip("package not installed")
    scripts = {e.name: e.value for e in eps}
    if "residual-expansion" not in scripts:
        pytest.skip("package not installed (running from a source tree)")
    assert scripts["residual-expansion"] == "residual_expansion.cli:main"


def test_series_command_and_its_limit():
    code, out, err = run_cli("series", "--depth", "2", "--order", "2", "--show")
    assert code == 0 and "PASS" in out and "Derivative(g2(x), x)" in out
    code, out, err = run_cli("series", "--depth", "40", "--order", "3")
    assert code == 2 and "beyond the limit" in err and "verify --depth 40 --claims REX" in err
    assert len(err.strip().splitlines()) == 1


def test_expand_exact_scales(capsys):
    assert main(["expand", "--depth", "2", "--order", "2", "--scales", "1/2,1/3"]) == 0
    assert "1/6 g2' g1" in capsys.readouterr().out
    code, _, err = run_cli("expand", "--depth", "2", "--order", "2", "--scales", "1/2")
    assert code == 2 and "depth 2 needs exactly 2" in err


def test_verify_is_byte_deterministic():
    a = run_cli("verify", "--depth", "4", "--claims", "REX,TIED")
    b = run_cli("verify", "--depth", "4", "--claims", "REX,TIED")
    assert a == b and a[0] == 0
