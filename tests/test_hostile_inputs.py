"""Hostile command lines (issue 16): one line on stderr naming the limit, exit 2, under a
second, before any work; and every command's JSON is strict (no NaN or Infinity tokens).

The commands run in-process through :func:`residual_expansion.cli.main` (imports already
warm), timed with ``time.perf_counter`` and traced with :mod:`tracemalloc` to show that
nothing large is allocated before the refusal.
"""

from __future__ import annotations

import json
import math
import time
import tracemalloc

import pytest

from residual_expansion.cli import main

from tests.cli_runs import timed_main

#: Wall-time and memory budgets of a refusal.
REFUSAL_SECONDS = 1.0
REFUSAL_BYTES = 20_000_000


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    (d / "binary.json").write_bytes(bytes(range(256)) * 8)
    (d / "depth400.json").write_text('{"depth": ' + "9" * 400 + ', "nodes": [], "edges": []}')
    (d / "depth5001.json").write_text('{"depth": ' + "9" * 5001 + ', "nodes": [], "edges": []}')
    (d / "nested.json").write_text("[" * 100_000 + "]" * 100_000)
    n = 200_000  # a plain stack of 200,000 blocks, written without building a dict
    with open(d / "blocks.json", "w") as fh:
        fh.write('{"nodes": [')
        fh.write(", ".join(f'{{"id": "x{i}", "kind": "junction"}}' for i in range(n + 1)))
        fh.write(", ")
        fh.write(", ".join(f'{{"id": "g{i}", "kind": "module"}}' for i in range(1, n + 1)))
        fh.write('], "edges": [')
        fh.write(", ".join(f'["x{i - 1}", "x{i}"], ["x{i - 1}", "g{i}"], ["g{i}", "x{i}"]' for i in range(1, n + 1)))
        fh.write("]}")
    (d / "dir").mkdir()
    return d


HOSTILE = [
    # tracebacks before
    ("scaling --depths 1000000000", "depth <= 100000"),
    ("scaling --input-dim 1000000000 --depths 10 --samples 2", "input-dim <= 100000"),
    ("crosscheck --depth 3 --dim 1000000000", "dim <= 1024"),
    ("crosscheck --depth 3 --dim 100000", "dim <= 1024"),
    ("crosscheck --depth 3 --width 1000000000", "width <= 4096"),
    ("scaling --model linear --orders 1000000000", "orders <= 64"),
    ("scaling --weight-scale 1e200", "weight-scale <= 1e+06"),
    ("expand --depth 2 --order 2 --scales 1e100000,1", "exponent"),
    ("paths --arch {d}/binary.json", "not UTF-8"),
    ("paths --arch {d}/depth400.json", "12 digits"),
    ("paths --arch {d}/depth5001.json", "12 digits"),
    ("paths --arch {d}/nested.json", "nested deeper than the limit of 8"),
    ("crosscheck --depth 3 --plot /nonexistent/dir/x.png", "does not exist"),
    ("crosscheck --depth 3 --plot out.txt", "suffix"),
    ("scaling --plot out.txt", "suffix"),
    ("scaling --plot /nonexistent/dir/x.png", "does not exist"),
    # past 60 s before
    ("verify --depth 3 --order 14", "order <= 10"),
    ("verify --depth 100000", "depth <= 1000"),
    ("expand --depth 1000000 --order 1", "depth <= 5000"),
    ("expand --depth 100 --order 3", "terms <= 20000"),
    ("expand --tied --depth 1000000000 --order 10", "depth <= 10000"),
    ("expand --tied --depth 3 --order 25", "order <= 10"),
    ("counts --depths 1000 --order 200", "order <= 100"),
    ("counts --depths 1000 --order 50", "order^3"),
    ("series --depth 24 --order 1", "depth <= 6"),
    ("series --depth 12 --order 2", "depth <= 6"),
    ("paths --depth 1000000", "depth <= 20000"),
    ("paths --depth 5 --share 1e-100000000", "exponent"),
    ("paths --arch {d}/blocks.json", "bytes"),
    ("crosscheck --depth 100000 --order 1", "depth <= 1000"),
    ("scaling --samples 1000000000", "samples <= 100000"),
    ("scaling --depths 100000000 --samples 2 --dim 2", "depth <= 100000"),
    ("scaling --depths 100000 --samples 100000 --dim 2", "work"),
    ("lesion --depth 100000000 --delete 1", "depth <= 100000"),
    # FAIL instead of a usage error before
    ("crosscheck --depth 3 --lambda-range 1e-300,1e-299", "0 < lo < hi"),
    ("crosscheck --depth 3 --lambda-range 1e100,1e200", "0 < lo < hi"),
    ("crosscheck --depth 3 --lambda-range 10,1000", "0 < lo < hi"),
    # parsing
    ("crosscheck --depth 3 --plot {d}/dir", "is a directory"),
    ("scaling --plot {d}/dir", "is a directory"),
    ("counts --depths 1,,2", "empty item"),
    ("counts --depths 1,2,", "empty item"),
    ("verify --depth \u0663", "ASCII digits"),
    ("verify --depth 1_0", "ASCII digits"),
    ("verify --depth 0x10", "ASCII digits"),
    ("verify --depth " + "9" * 400, "digits"),
    ("scaling --beta 1e308", "<= 10 of scaling"),
    ("scaling --beta nan", "not a number"),
    ("scaling --c inf", "not a number"),
    ("expand --depth 2 --order 2 --scales 1/0,1", "denominator 0"),
]


@pytest.mark.parametrize("line, fragment", HOSTILE)
def test_hostile_line_is_refused_in_one_line(line, fragment, hostile_files, capsys):
    argv = line.format(d=hostile_files).split()
    tracemalloc.start()
    code, seconds = timed_main(argv)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out, err = capsys.readouterr()
    assert code == 2, (line, out[:200], err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1 and "Traceback" not in err, err
    assert fragment in err, err
    assert seconds < REFUSAL_SECONDS, (line, seconds)
    assert peak < REFUSAL_BYTES, (line, peak)


def test_negative_values_are_values_not_options(capsys):
    assert main(["expand", "--depth", "2", "--order", "1", "--scales", "-1,0"]) == 0
    out = capsys.readouterr().out
    assert "-1 g1" in out and "0 g2" in out
    # parsed as a value (not "expected one argument"); the library then names its own rule
    assert main(["scaling", "--model", "linear", "--beta", "-0.5,0.5", "--depths", "4,8", "--samples", "8",
                 "--dim", "4", "--quiet"]) == 2
    assert "beta -0.5 is not allowed" in capsys.readouterr().err


def test_one_subprocess_refusal_is_fast_end_to_end():
    """Start-up included: the refusal happens before sympy or networkx are imported (numpy is
    imported by a command's parser registration)."""
    import subprocess
    import sys

    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "residual_expansion", "scaling", "--depths",
                           "1000000000"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    errors = [ln for ln in proc.stderr.splitlines() if not ln.startswith("import time:")]
    assert len(errors) == 1 and "depth <= 100000" in errors[0]
    imported = {ln.split("|")[-1].strip() for ln in proc.stderr.splitlines() if ln.startswith("import time:")}
    assert not {"sympy", "networkx"} & imported
    assert time.perf_counter() - start < 30  # generous: the machine is shared; typically 0.2 s


# --- strict JSON -----------------------------------------------------------------------

def _strict_loads(text: str):
    def reject(token):
        raise ValueError(f"non-finite JSON token {token}")

    return json.loads(text, parse_constant=reject)


JSON_EDGE_CASES = [
    ("verify --depth 1 --claims NUM-PL,NUM-LINEAR,REX --format json", ("inf",)),
    ("scaling --beta 0 --depths 1000 --model linear --samples 10 --dim 8 --quiet --format json", ("inf",)),
    ("scaling --beta 0.5 --c 1e-300 --depths 10,20 --samples 10 --dim 8 --quiet --format json", ("undetermined",)),
    ("crosscheck --depth 1 --module mlp --activation relu --format json", ("inf",)),
    ("crosscheck --depth 2 --order 2 --dim 4 --format json", ()),
    ("expand --depth 2 --order 2 --format json", ()),
    ("counts --depths 2,3 --order 3 --format json", ()),
    ("paths --depth 3 --format json", ()),
    ("lesion --depth 4 --delete 1 --samples 20 --dim 4 --format json", ()),
]


def _finite_everywhere(node) -> bool:
    if isinstance(node, float):
        return math.isfinite(node)
    if isinstance(node, dict):
        return all(_finite_everywhere(v) for v in node.values())
    if isinstance(node, list):
        return all(_finite_everywhere(v) for v in node)
    return True


@pytest.mark.parametrize("line, expected", JSON_EDGE_CASES)
def test_json_is_strict_on_edge_cases(line, expected, capsys):
    code = main(line.split())
    assert code in (0, 1)
    out = capsys.readouterr().out
    doc = _strict_loads(out)
    assert _finite_everywhere(doc)
    for word in expected:
        assert word in out, (line, word)


def test_scaling_explosion_is_consistent_in_text_and_json(capsys):
    line = "scaling --beta 0 --depths 1000 --model linear --samples 10 --dim 8 --quiet"
    assert main(line.split()) == 0
    text = capsys.readouterr().out
    assert main([*line.split(), "--format", "json"]) == 0
    doc = _strict_loads(capsys.readouterr().out)
    row = doc["results"][0]
    assert "explodes" in text and row["stderr_sq_ratio"] == "inf" and row["z"] is None
    assert "-0.00" not in text


def test_nan_slope_is_undetermined_with_its_cause(capsys):
    from residual_expansion.scaling.predictions import SlopeFit, classify_slope, loglog_slope

    fit = loglog_slope([10, 20], [0.0, 0.0], [0.0, 0.0])
    assert math.isnan(fit.slope) and classify_slope(fit).startswith("undetermined")
    assert classify_slope(SlopeFit(0.0, 0.01, 3)) == "bounded"
    assert main("scaling --beta 0.5 --c 1e-300 --depths 10,20 --samples 10 --dim 8 --quiet".split()) == 0
    assert "undetermined (a mean ratio is 0" in capsys.readouterr().out


def test_to_json_never_writes_nonfinite_tokens():
    from residual_expansion.render.table import to_json

    text = to_json({"a": float("inf"), "b": [float("-inf"), float("nan")], "c": 1.5})
    assert _strict_loads(text) == {"a": "inf", "b": ["-inf", "nan"], "c": 1.5}

