"""verify on several cores (issue 14): the checks run in forked workers, the output is the same bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from residual_expansion.claims import Claim, Outcome, run_claims, select
from residual_expansion.claims.parallel import default_jobs, fork_available, run_parallel
from residual_expansion.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not fork_available(), reason="forked workers need Linux")

CHEAP = "REX2,COUNT,TIED,PATHS,NUM-PL,GRAD-ENERGY"


def _same(a, b) -> None:
    assert [(r.claim, r.method, r.size, r.status, dict(r.evidence)) for r in a] == \
           [(r.claim, r.method, r.size, r.status, dict(r.evidence)) for r in b]


def test_parallel_results_equal_sequential_in_claim_order():
    claims = select(CHEAP)
    seen = []
    par = run_claims(claims, 4, 3, 0, jobs=3, done=lambda r: seen.append(r.claim))
    _same(par, run_claims(claims, 4, 3, 0, jobs=1))
    assert seen == [c.id for c in claims]  # progress reported in claim order


def _outcome(status: str, **evidence) -> Outcome:
    return Outcome("test route", "n=1", status, evidence)


def test_a_dead_worker_is_a_fail_row_and_the_other_claims_still_run():
    parent = os.getpid()

    def die(depth, order, seed):
        if os.getpid() != parent:  # only ever kill a worker, never the test process
            os.kill(os.getpid(), signal.SIGKILL)
        return _outcome("PASS")

    claims = (Claim("OK-A", "a", "", "proofs/x.md", lambda d, o, s: _outcome("PASS", value=d)),
              Claim("DIES", "b", "", "proofs/x.md", die),
              Claim("OK-B", "c", "", "proofs/x.md", lambda d, o, s: _outcome("FAIL", value=o)))
    out = run_parallel(claims, 5, 2, 0, jobs=2)
    assert [r.claim for r in out] == ["OK-A", "DIES", "OK-B"]
    assert [r.status for r in out] == ["PASS", "FAIL", "FAIL"]
    assert "died" in out[1].evidence["reason"] and "-9" in out[1].evidence["reason"]
    assert out[0].evidence["value"] == 5 and out[2].evidence["value"] == 2


def test_usage_error_in_a_worker_reaches_the_caller():
    def refuse(depth, order, seed):
        raise UsageError(f"depth must be at most 3, got {depth}", parameters=("depth",))

    claims = (Claim("OK", "a", "", "proofs/x.md", lambda d, o, s: _outcome("PASS")),
              Claim("REFUSES", "b", "", "proofs/x.md", refuse))
    with pytest.raises(UsageError, match="depth must be at most 3, got 7") as info:
        run_parallel(claims, 7, 2, 0, jobs=2)
    assert info.value.parameters == ("depth",)


def test_a_result_that_does_not_pickle_is_computed_here():
    claims = (Claim("LOCAL", "a", "", "proofs/x.md", lambda d, o, s: _outcome("PASS", f=lambda: 1)),
              Claim("OK", "b", "", "proofs/x.md", lambda d, o, s: _outcome("PASS")))
    out = run_parallel(claims, 1, 1, 0, jobs=2)
    assert [r.status for r in out] == ["PASS", "PASS"] and callable(out[0].evidence["f"])


def test_default_jobs_is_one_for_one_claim_or_when_threads_run():
    assert default_jobs(1) == 1
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert default_jobs(24) == 1
    finally:
        stop.set()
        t.join()
    with pytest.raises(UsageError, match="jobs"):
        run_claims(select("COUNT"), 3, 2, 0, jobs=0)


SCRIPT = r"""
import contextlib, io, json, sys
from residual_expansion.cli import main
out = {}
for jobs in ("1", "2"):
    for fmt in ("text", "json"):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            status = main(["verify", "--depth", "3", "--format", fmt, "--jobs", jobs, "--claims", sys.argv[1]])
        out[jobs + fmt] = [status, buf.getvalue()]
print(json.dumps(out))
"""


def test_cli_bytes_do_not_depend_on_jobs():
    p = subprocess.run([sys.executable, "-c", SCRIPT, CHEAP + ",MARION-SDE,SCALE-ENERGY"], capture_output=True,
                       text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stderr
    import json

    out = json.loads(p.stdout)
    assert out["1text"] == out["2text"] and out["1json"] == out["2json"]
    assert out["1text"][0] == 0 and "SCALE-ENERGY" in out["2text"][1]
