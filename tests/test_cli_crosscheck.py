"""``crosscheck`` command: JSON shape, exit statuses 0/1/2, one-line errors, the optional plot."""

import json
import subprocess
import sys

import numpy as np
import pytest

from residual_expansion.models.activations import ACTIVATIONS
from residual_expansion.cli import main
from residual_expansion.cli.crosscheck_command import ACTIVATION_CHOICES, FAMILY_CHOICES
from residual_expansion.models.families import FAMILIES

SPEC_KEYS = ["depth", "order", "module", "activation", "per_order_relative_error", "tolerance",
             "remainder_slope", "expected_slope", "pass"]


def run_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "residual_expansion", *args], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def test_choices_match_the_library():
    assert FAMILY_CHOICES == FAMILIES
    assert ACTIVATION_CHOICES == tuple(ACTIVATIONS)


def test_json_default_configuration(capsys):
    assert main(["crosscheck", "--depth", "8", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc)[1 : len(SPEC_KEYS) + 1] == SPEC_KEYS  # after "schema"
    assert doc["module"] == "mlp" and doc["activation"] == "tanh" and doc["order"] == 4
    assert len(doc["per_order_relative_error"]) == 4 and doc["expected_slope"] == 5
    assert all(e <= doc["tolerance"] for e in doc["per_order_relative_error"])
    assert abs(doc["remainder_slope"] - 5) <= 0.25 and doc["pass"] is True


def test_same_command_same_bytes(capsys):
    main(["crosscheck", "--depth", "5", "--order", "3", "--module", "res3", "--activation", "gelu", "--seed", "3"])
    first = capsys.readouterr().out
    main(["crosscheck", "--depth", "5", "--order", "3", "--module", "res3", "--activation", "gelu", "--seed", "3"])
    assert capsys.readouterr().out == first


def test_text_output_names_the_checks(capsys):
    assert main(["crosscheck", "--depth", "6", "--order", "2", "--module", "mlp", "--activation", "relu"]) == 0
    out = capsys.readouterr().out
    assert "crosscheck: mlp/relu, depth 6, order 2" in out
    assert "inside the sign radius" in out and "pre-activation signs unchanged: True" in out


def test_fail_exits_1(capsys):
    # A window at the lowest allowed lambda (limits.LAMBDA_MIN), where lambda^5 is below the
    # rounding floor: the slope collapses and the command says FAIL.
    assert main(["crosscheck", "--depth", "8", "--order", "4", "--lambda-range", "1e-6,1e-5"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_linear_lambda_one_is_exact(capsys):
    assert main(["crosscheck", "--depth", "4", "--order", "4", "--module", "linear", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["remainder_exact"] and 1.0 in doc["exactness"]["lambdas"] and doc["exactness"]["paths"] == 15


@pytest.mark.parametrize("args, fragment", [
    (["--depth", "0"], "not positive"),
    (["--depth", "4", "--module", "cnn"], "invalid choice"),
    (["--depth", "4", "--activation", "swish"], "unknown activation 'swish'"),
    (["--depth", "4", "--activation", "leaky_relu:x"], "slope must be a finite number"),
    (["--depth", "4", "--module", "linear", "--activation", "tanh"], "--activation applies"),
    (["--depth", "4", "--module", "res1", "--width", "3"], "--width applies to the mlp family only"),
    (["--depth", "4", "--lambda-range", "0.5"], "two numbers"),
    (["--depth", "4", "--lambda-range", "0.5,0.1"], "0 < lo < hi"),
    (["--depth", "4", "--lambda-range", "a,b"], "not a number"),
    (["--depth", "8", "--order", "8"], "use --order 6 or less"),
    (["--depth", "6", "--activation", "relu", "--lambda-range", "0.001,5"], "past the sign radius"),
    (["--depth", "2", "--order", "9"], "no lambda window"),
])
def test_bad_input_exit_2_one_line(args, fragment):
    code, out, err = run_cli("crosscheck", *args)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err and fragment in err, err


def test_plot_writes_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "remainder.png"
    assert main(["crosscheck", "--depth", "6", "--order", "3", "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_verify_runs_the_numeric_claims():
    code, out, err = run_cli("verify", "--depth", "8", "--claims", "NUM-COEF,NUM-REMAINDER,NUM-LINEAR,NUM-PL",
                             "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["all_pass"] and [r["claim"] for r in doc["results"]] == ["NUM-COEF", "NUM-REMAINDER", "NUM-LINEAR",
                                                                       "NUM-PL"]


@pytest.mark.parametrize("spelling", ["identity", "leaky_relu:0.3", "leaky_relu"])
def test_activation_spellings_of_scaling_are_accepted(spelling, capsys):
    """crosscheck --activation goes through models.activations.activation, the parser of scaling --activation."""
    assert main(["crosscheck", "--depth", "4", "--order", "3", "--module", "res2", "--dim", "3",
                 "--activation", spelling, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["pass"] is True and doc["module"] == "res2"
    assert doc["activation"] == ("leaky_relu:0.3" if spelling == "leaky_relu:0.3" else spelling)


def test_leaky_relu_slope_is_checked_by_its_exact_derivative(monkeypatch):
    """A leaky ReLU whose closed-form derivative has the wrong slope fails against Taylor mode."""
    from residual_expansion.models import activations, families
    from residual_expansion.numeric.crosscheck import crosscheck

    right = activations.activation("leaky_relu:0.3")
    assert crosscheck(4, 3, "res3", activation="leaky_relu:0.3", dim=3).passed

    def wrong_derivatives(z, m):
        out = right.derivatives(z, m)
        out[1] = np.where(np.asarray(z) > 0, 1.0, 0.35)
        return out

    bad = activations.Activation(right.name, False, right.value, wrong_derivatives, right.magnitudes, right.series)
    monkeypatch.setattr(families, "activation", lambda name: bad)
    assert not crosscheck(4, 3, "res3", activation="leaky_relu:0.3", dim=3).passed
