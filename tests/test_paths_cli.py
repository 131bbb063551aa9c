"""The ``paths`` command: output, JSON schema, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from residual_expansion.cli import main

EXAMPLE = "docs/examples/parallel-block.json"


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_depth_54_text(capsys):
    # docs/theory.md#computation-path-dags: 2^54 paths, counts C(54, k), 98% of them through 19..35 modules
    status, out, _ = run(capsys, "paths", "--depth", "54")
    assert status == 0
    assert "18014398509481984 = 2^54" in out
    assert "19..35" in out and "98.02%" in out
    for k in (0, 19, 27, 35):
        assert str(math.comb(54, k)) in out


def test_depth_54_json(capsys):
    status, out, _ = run(capsys, "paths", "--depth", "54", "--share", "0.98", "--format", "json")
    data = json.loads(out)
    assert status == 0
    assert data["total"] == 2**54 and isinstance(data["total"], int)
    assert data["counts"] == [math.comb(54, k) for k in range(55)]
    assert data["interval"] == [19, 35]
    assert data["mean"] == "27" and data["variance"] == "27/2"
    assert data["weighted"]["lambda_1"] == 2**54
    assert data["weighted"]["lambda_inv_n"] == f"{55**54}/{54**54}"


def test_two_branch_json(capsys):
    _, out, _ = run(capsys, "paths", "--depth", "4", "--arch", "two-branch", "--format", "json")
    data = json.loads(out)
    assert data["counts"] == [math.comb(8, k) for k in range(9)]
    assert data["weighted"]["lambda_inv_sqrt_n"] == "6561/256"  # (1 + 1/2)^8, n = 4 is a square


def test_json_file_arch(capsys):
    status, out, _ = run(capsys, "paths", "--arch", EXAMPLE, "--format", "json")
    assert status == 0 and json.loads(out)["counts"] == [1, 6, 12, 8]
    status, out, _ = run(capsys, "paths", "--arch", EXAMPLE, "--depth", "3", "--format", "json")
    assert status == 0


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_formats(capsys, fmt):
    status, out, _ = run(capsys, "paths", "--depth", "12", "--format", fmt)
    assert status == 0 and "4096" in out


def test_large_depth_table_stays_short(capsys):
    status, out, _ = run(capsys, "paths", "--depth", "3000")
    assert status == 0
    assert len(out.splitlines()) < 110
    assert "bins of" in out


def test_huge_counts_in_json(capsys):
    # counts beyond Python's 4300-digit str limit must still print exactly
    from residual_expansion.render.path_output import unlimited_int_digits

    status, out, _ = run(capsys, "paths", "--depth", "8000", "--arch", "two-branch", "--format", "json")
    assert status == 0
    with unlimited_int_digits():  # Python's json reader has the same 4300-digit limit
        assert json.loads(out)["total"] == 2**16000


BAD = [
    (["paths", "--depth", "3", "--share", "0"], "(0, 1]"),
    (["paths", "--depth", "3", "--share", "1.01"], "(0, 1]"),
    (["paths", "--depth", "3", "--share", "x"], "not a number"),
    (["paths", "--depth", "0"], "not positive"),
    (["paths", "--depth", "3", "--format", "html"], "invalid choice"),
    (["paths"], "--depth is required"),
    (["paths", "--arch", "resnet"], "neither plain, two-branch"),
    (["paths", "--arch", "missing.json"], "cannot read"),
    (["paths", "--arch", EXAMPLE, "--depth", "5"], "does not match depth 3"),
]


@pytest.mark.parametrize("argv,phrase", BAD)
def test_bad_input_one_line_exit_2(argv, phrase):
    proc = subprocess.run([sys.executable, "-m", "residual_expansion", *argv], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and phrase in lines[0] and "Traceback" not in proc.stderr


def test_malformed_file_one_line(tmp_path):
    f = tmp_path / "cyclic.json"
    f.write_text(json.dumps({
        "nodes": [{"id": "a", "kind": "junction"}, {"id": "g", "kind": "module"}, {"id": "b", "kind": "junction"}],
        "edges": [["a", "g"], ["g", "b"], ["b", "g"]],
    }))
    proc = subprocess.run([sys.executable, "-m", "residual_expansion", "paths", "--arch", str(f)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "cycle" in proc.stderr


def test_verify_runs_paths_claims(capsys):
    status, out, _ = run(capsys, "verify", "--depth", "8", "--claims", "PATHS,LINEAR", "--format", "json")
    data = json.loads(out)
    assert status == 0 and [r["status"] for r in data["results"]] == ["PASS", "PASS"]


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_compiles(tmp_path):
    from residual_expansion.paths.polynomial import path_statistics
    from residual_expansion.paths.architectures import plain
    from residual_expansion.render.path_output import render_paths

    body = render_paths(path_statistics(plain(54)), "latex") + "\n" + render_paths(path_statistics(plain(3000), exact_digits=40), "latex")
    from residual_expansion.render.latex import standalone

    doc = standalone(body)
    (tmp_path / "doc.tex").write_text(doc)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
