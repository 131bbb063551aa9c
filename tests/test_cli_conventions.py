"""One command line: --version, the same --format on every command, repeated options,
--standalone, progress on stderr, the verify header's orders, exit statuses."""

import io
import json
import subprocess
import sys

import pytest

import residual_expansion
from residual_expansion.cli import COMMANDS, build_parser, main
from residual_expansion.cli.common import FORMATS


def subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_version():
    proc = subprocess.run([sys.executable, "-m", "residual_expansion", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"residual-expansion {residual_expansion.__version__}"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "schema"])
def test_every_result_command_has_the_same_format_option(command):
    fmt = next(a for a in subparsers()[command]._actions if a.dest == "format")
    assert tuple(fmt.choices) == FORMATS and fmt.default == "text"
    assert any(a.dest == "standalone" for a in subparsers()[command]._actions)


def test_a_repeated_single_option_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--depth", "3", "--depth", "4"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "--depth given twice" in err


def test_a_repeated_list_option_accumulates(capsys):
    assert main(["counts", "--depths", "2,3", "--depths", "5", "--order", "2", "--format", "json"]) == 0
    assert [r["depth"] for r in json.loads(capsys.readouterr().out)["rows"]] == [2, 3, 5]
    assert main(["verify", "--depth", "3", "--claims", "COUNT", "--claims", "TIED", "--format", "json"]) == 0
    assert [r["claim"] for r in json.loads(capsys.readouterr().out)["results"]] == ["COUNT", "TIED"]


def test_standalone_needs_latex(capsys):
    assert main(["counts", "--format", "json", "--standalone"]) == 2
    assert "--standalone applies to --format latex only" in capsys.readouterr().err


def test_every_parser_option_is_guarded_against_repetition():
    from residual_expansion.cli.common import Accumulate, StoreOnce

    for name, sub in subparsers().items():
        for action in sub._actions:
            if action.option_strings and type(action).__name__ == "_StoreAction":
                pytest.fail(f"{name} {action.option_strings} would silently overwrite")
            if isinstance(action, Accumulate):
                assert getattr(action.type, "accumulates", False)
            if isinstance(action, StoreOnce):
                assert not getattr(action.type, "accumulates", False)


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("quiet,tty,shown", [(False, True, True), (True, True, False), (False, False, False)])
def test_progress_on_stderr_only_for_a_terminal_without_quiet(monkeypatch, capsys, quiet, tty, shown):
    err = FakeTTY() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    argv = ["verify", "--depth", "3", "--claims", "COUNT,TIED"] + (["--quiet"] if quiet else [])
    assert main(argv) == 0
    assert ("verify" in err.getvalue()) is shown
    assert "PASS" in capsys.readouterr().out


def test_verify_header_says_the_order_each_claim_ran_at(capsys):
    assert main(["verify", "--depth", "6", "--claims", "REX2,COUNT,PATHS,NUM-LINEAR"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "orders run: 2 (REX2); 4 (COUNT); 6 (NUM-LINEAR); no order: PATHS"
    assert main(["verify", "--depth", "6", "--claims", "REX2,COUNT", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(r["claim"], r["order"]) for r in doc["results"]] == [("REX2", 2), ("COUNT", 4)]


def test_verify_exit_status_follows_a_failed_claim(monkeypatch, capsys):
    from residual_expansion.claims import base

    original = base.Claim.run

    def run(self, depth, order, seed):
        result = original(self, depth, order, seed)
        if self.id == "COUNT":  # a wrong formula: the check's verdict flips
            return base.ClaimResult(result.claim, result.method, result.size, base.FAIL, result.evidence, 0.0)
        return result

    monkeypatch.setattr(base.Claim, "run", run)
    assert main(["verify", "--depth", "3", "--claims", "COUNT,TIED", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["all_pass"] is False


def test_scaling_exit_status_follows_its_predictions(monkeypatch, capsys):
    argv = ["scaling", "--model", "linear", "--depths", "4,16", "--samples", "200", "--dim", "8",
            "--beta", "0.5", "--quiet", "--format", "json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["all_pass"] and "energy" in {c["kind"] for c in doc["checks"]}
    from residual_expansion.scaling import sweep

    # a wrong prediction (twice the true energy) must fail its checks and the exit status
    monkeypatch.setattr(sweep.SweepRow, "predicted_sq_ratio",
                        property(lambda self: None if self.predicted_energy is None
                                 else 2 * self.predicted_energy.minus_one))
    assert main(argv) == 1
    doc = json.loads(capsys.readouterr().out)
    assert not doc["all_pass"] and any(c["kind"] == "energy" and not c["pass"] for c in doc["checks"])
    assert main(argv[:-2]) == 1
    assert "FAIL energy (beta=0.5, L=16)" in capsys.readouterr().out


def test_scaling_trend_check_fails_on_a_wrong_expectation(monkeypatch):
    from residual_expansion.scaling import predictions
    from residual_expansion.scaling.checks import prediction_checks
    from residual_expansion.scaling.montecarlo import Init, Model
    from residual_expansion.scaling.schedules import power
    from residual_expansion.scaling.sweep import run_sweep

    monkeypatch.setattr(predictions, "expected_trend", lambda beta, crit: "growth")
    sw = run_sweep(Model("linear", "identity", 8, 8), Init("iid-uniform"), [power(1.0)], (4, 16), 100, 0)
    trend = [c for c in prediction_checks(sw) if c.kind == "trend"]
    assert trend and not trend[0].passed


def test_too_few_samples_make_no_checks(capsys):
    assert main(["scaling", "--model", "linear", "--depths", "4", "--samples", "5", "--dim", "4",
                 "--beta", "0.5", "--quiet"]) == 0
    assert "checks: none" in capsys.readouterr().out
