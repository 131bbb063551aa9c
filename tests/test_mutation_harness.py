"""The mutation harness itself (tests/mutation/mutate.py): mutants apply and change the source,
the coverage map is read the way the run relies on, and the report's counts are computed."""

from __future__ import annotations

import ast
import json

import pytest

from tests.mutation import mutate as mx

BASE = "residual_expansion/claims/base.py"


def test_every_mutant_applies_parses_and_changes_one_segment():
    source = (mx.ROOT / BASE).read_text()
    mutants = mx.mutants_of(mx.ROOT / BASE)
    assert {m.operator for m in mutants} >= {"arith", "compare", "drop_term", "force_bool", "scale_const"}
    for m in mutants:
        new = mx.apply(source, m)
        assert new != source
        ast.parse(new)
        # the text before the segment is untouched
        lines = source.splitlines(keepends=True)
        assert new.startswith("".join(lines[: m.line - 1]))


def test_docstrings_raise_and_fstrings_are_not_mutated():
    for m in mx.mutants_of(mx.ROOT / BASE):
        assert "raise " not in m.original and not m.original.startswith(("f\"", "f'"))


def test_statement_span_is_the_innermost_statement():
    src = (mx.ROOT / BASE).read_text().splitlines()
    line = next(i for i, t in enumerate(src, 1) if "seconds = time.perf_counter() - start" in t)
    assert mx._statement_span(BASE, line, line) == (line, line)


def test_coverage_of_reads_tests_claims_and_import_time():
    m = next(m for m in mx.mutants_of(mx.ROOT / BASE) if "perf_counter() - start" in m.original)
    cmap = {"contexts": ["", "tests/a.py::t_slow", "tests/b.py::t_fast", "verify:REX:5", "verify:TIED:8",
                         "verify:COUNT:5"],
            "lines": {BASE: {str(m.line): [1, 2, 3, 4, 5]}},
            "durations": {"tests/a.py::t_slow": 2.0, "tests/b.py::t_fast": 0.1}}
    cov = mx.coverage_of(cmap, m)
    assert cov.tests == ("tests/b.py::t_fast", "tests/a.py::t_slow")  # fastest first
    assert cov.claims == ((5, "COUNT,REX"), (8, "TIED"))
    assert not cov.at_import
    cmap["lines"][BASE][str(m.line)].append(0)
    assert mx.coverage_of(cmap, m).at_import
    cmap["lines"][BASE] = {}
    empty = mx.coverage_of(cmap, m)
    assert empty.tests == () and empty.claims == ()


def _row(ident, module, verify, suite):
    return {"id": ident, "module": module, "operator": "arith", "line": 1, "original": "a", "replacement": "b",
            "verify_killed": verify, "verify_why": "", "suite_killed": suite, "suite_why": "x" if suite else "",
            "full_suite": False, "seconds": 1.0}


def test_report_counts_are_computed_from_the_rows(tmp_path, monkeypatch):
    from tests.mutation import equivalents

    rows = [_row("m1", "a.py", True, True), _row("m2", "a.py", True, False), _row("m3", "a.py", False, True),
            _row("m4", "b.py", False, False), _row("m5", "b.py", False, False), _row("m6", "b.py", False, False)]
    confirm = [dict(_row("m4", "b.py", False, True), suite_why="FAILED tests/test_mutation_kills.py::k - x"),
               _row("m5", "b.py", False, False),
               _row("m6", "b.py", False, False)]
    first, conf = tmp_path / "first.jsonl", tmp_path / "conf.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in rows))
    conf.write_text("".join(json.dumps(r) + "\n" for r in confirm))
    monkeypatch.setattr(equivalents, "EQUIVALENT", {"m5": "no observable change."})
    report = tmp_path / "soundness.md"
    mx.write_report(str(first), str(conf), report)
    text = report.read_text()
    assert "| `a.py` | 3 | 2 | 2 | 1 | 1 | 0 |" in text
    assert "| `b.py` | 3 | 0 | 0 | 0 | 0 | 3 |" in text
    assert "6 mutants: 3 killed by the suite or `verify`; of the 3 survivors, 0 killed by the confirm run" in text
    assert "1 killed by a new test, 1 argued equivalent, 1 open" in text
    assert "Killed or argued equivalent: 5 of 6 (83.3%)" in text
    assert "killed by the new test `tests/test_mutation_kills.py::k`" in text
    assert "equivalent (re-run, survived): no observable change." in text


def test_a_claimed_kill_that_the_confirm_run_does_not_show_stays_open(tmp_path, monkeypatch):
    from tests.mutation import equivalents

    first, conf = tmp_path / "first.jsonl", tmp_path / "conf.jsonl"
    first.write_text(json.dumps(_row("m1", "a.py", False, False)) + "\n")
    conf.write_text(json.dumps(_row("m1", "a.py", False, False)) + "\n")
    monkeypatch.setattr(equivalents, "EQUIVALENT", {})
    report = tmp_path / "soundness.md"
    mx.write_report(str(first), str(conf), report)
    assert "1 open" in report.read_text() and "**open**" in report.read_text()


@pytest.mark.parametrize("commit", [None])
def test_relocate_finds_the_same_mutant_in_the_current_source(commit):
    mutants = mx.mutants_of(mx.ROOT / BASE)
    rows = [{"id": m.id, "module": m.module, "operator": m.operator, "line": m.line, "original": m.original[:120],
             "replacement": m.replacement[:120]} for m in mutants[:5]]
    found = mx.relocate(rows, commit)
    assert [m.id for _, m in found] == [m.id for m in mutants[:5]]
    moved = [dict(rows[0], line=rows[0]["line"] + 1000)]
    assert mx.relocate(moved, commit)[0][1] is None  # no such line: not located


def test_a_harness_error_is_not_a_kill(tmp_path):
    """pytest's "not found" (a stale test node id) is a harness error: read back as not killed, so
    neither --reuse nor --confirm nor the report counts it as a kill."""
    row = {"id": "m", "module": BASE, "operator": "arith", "line": 1, "original": "a", "replacement": "b",
           "verify_killed": False, "verify_why": "", "suite_killed": True,
           "suite_why": "ERROR: not found: /tmp/x/tests/test_x.py::test_gone", "full_suite": False, "seconds": 1.0}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps(dict(row, id="k", suite_why="FAILED tests/t.py::t")) + "\n")
    got = {r["id"]: r for r in mx._read_rows(str(path))}
    assert got["m"]["suite_killed"] is False and got["m"]["suite_why"].startswith("harness error")
    assert got["k"]["suite_killed"] is True


def test_a_module_constant_is_read_where_it_is_used():
    """A mutant of a module constant (a memory budget) also runs what executes the lines that read it."""
    module = "residual_expansion/scaling/gradients.py"
    source = (mx.ROOT / module).read_text().splitlines()
    line = next(i for i, s in enumerate(source, 1) if s.startswith("GRAD_BUDGET ="))
    readers = mx._readers(module, line, line)
    assert readers and all("GRAD_BUDGET" in source[r - 1] for r in readers)
    assert line not in readers


def test_the_mutants_copy_is_a_git_work_tree_with_the_harness(tmp_path):
    """Tests that list the repository's files (git ls-files) and import tests.mutation run in the copy."""
    import subprocess

    mx._copy_tree(tmp_path)
    files = subprocess.run(["git", "ls-files"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert "tests/mutation/mutate.py" in files and BASE in files
    assert not list((tmp_path / "tests" / "mutation").glob("*.jsonl"))
