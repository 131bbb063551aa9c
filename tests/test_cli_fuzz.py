"""Fuzz the command line in-process: random argument vectors of valid flags with hostile
values. Every run must exit 0, 1 or 2, print no traceback, write exactly one stderr line
on exit 2, and finish in bounded time (issue 16, item 3).

Small sizes are given first on each command line (argparse keeps the last value of a
repeated option), so that a vector whose hostile values happen to be valid stays cheap.
"""

from __future__ import annotations

import contextlib
import io
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from residual_expansion.cli import main

HOSTILE = ["0", "-1", "1", "2", "-0", "1e308", "-1e308", "1e-300", "nan", "inf", "-inf", "", ",", "1,,2", "2,",
           "\u0663", "1_0", "0x10", "9" * 30, "abc", "1/0", "1/3", "0.5", "1e100000", "-1,0", " 3 "]
PATHS = ["/nonexistent/dir/x.png", "out.txt", ".", "x.png/"]

#: command -> (small sizes put first, fuzzed flags)
COMMANDS = {
    "verify": (["--depth", "2", "--claims", "COUNT"], ["--depth", "--order", "--seed"]),
    "expand": (["--depth", "2", "--order", "2"], ["--depth", "--order", "--scales"]),
    "counts": (["--depths", "2", "--order", "2"], ["--depths", "--order"]),
    "series": (["--depth", "2", "--order", "2"], ["--depth", "--order"]),
    "paths": (["--depth", "3"], ["--depth", "--share", "--arch"]),
    "crosscheck": (["--depth", "2", "--order", "2", "--dim", "3"],
                   ["--depth", "--order", "--dim", "--width", "--lambda-range", "--seed", "--plot"]),
    "scaling": (["--depths", "2,3", "--samples", "2", "--dim", "2", "--input-dim", "2", "--quiet"],
                ["--depths", "--samples", "--dim", "--input-dim", "--beta", "--c", "--weight-scale", "--plot",
                 "--seed"]),
    "lesion": (["--depth", "3", "--delete", "1", "--samples", "4", "--dim", "2", "--input-dim", "2"],
               ["--depth", "--delete", "--samples", "--dim", "--beta", "--weight-scale"]),
}


@st.composite
def argv(draw):
    command = draw(st.sampled_from(sorted(COMMANDS)))
    small, flags = COMMANDS[command]
    chosen = draw(st.lists(st.sampled_from(flags), min_size=1, max_size=3, unique=True))
    vector = [command, *small]
    for flag in chosen:
        pool = HOSTILE + (PATHS if flag in ("--plot", "--arch") else [])
        vector += [flag, draw(st.sampled_from(pool))]
    return vector


def _run(vector):
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(vector)
        except SystemExit as exc:  # argparse errors
            code = exc.code
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - start


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(argv())
def test_fuzzed_command_lines_end_in_one_line_or_a_result(vector):
    code, out, err, seconds = _run(vector)
    assert code in (0, 1, 2), (vector, code, err)
    assert "Traceback" not in err, (vector, err)
    if code == 2:
        assert err.endswith("\n") and err.count("\n") == 1, (vector, err)
    assert seconds < 30, (vector, seconds)


def test_the_fuzz_oracle_catches_a_traceback(monkeypatch):
    """The assertions above fail on a command that crashes (the harness can fail)."""
    import residual_expansion.cli.counts_command as counts

    def crash(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(counts, "run", crash)
    try:
        _run(["counts", "--depths", "2"])
    except RuntimeError:
        return
    raise AssertionError("a crashing command must not look like a result")
