"""verify on several cores (issue 14): the checks run in forked workers, the output is the same bytes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from residual_expansion.claims import run_claims, select
from residual_expansion.claims.parallel import default_jobs, fork_available
from residual_expansion.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not fork_available(), reason="forked workers need Linux")

CHEAP = "REX2,COUNT,TIED,PATHS,NUM-PL,GRAD-ENERGY"


#: Forking a multi-threaded process (pytest with JAX loaded) can deadlock, so every test that
#: forks workers runs in a fresh single-threaded interpreter and reports what it saw as JSON.
FORKING = r"""
import json, os, signal, sys
from residual_expansion.claims import Claim, Outcome, run_claims, select
from residual_expansion.claims.parallel import run_parallel
from residual_expansion.errors import UsageError

def rows(results):
    return [[r.claim, r.method, r.size, r.status, sorted((k, repr(v)) for k, v in r.evidence.items())] for r in results]

def outcome(status, **evidence):
    return Outcome("test route", "n=1", status, evidence)

out = {}
claims = select(sys.argv[1])
seen = []
out["parallel"] = rows(run_claims(claims, 4, 3, 0, jobs=3, done=lambda r: seen.append(r.claim)))
out["sequential"] = rows(run_claims(claims, 4, 3, 0, jobs=1))
out["seen"], out["ids"] = seen, [c.id for c in claims]
out["lazy"] = rows(run_claims(select(sys.argv[1], lazy=True), 4, 3, 0, jobs=2))

parent = os.getpid()
def die(depth, order, seed):
    if os.getpid() != parent:  # only ever kill a worker
        os.kill(os.getpid(), signal.SIGKILL)
    return outcome("PASS")
dying = (Claim("OK-A", "a", "", "proofs/x.md", lambda d, o, s: outcome("PASS", value=d)),
         Claim("DIES", "b", "", "proofs/x.md", die),
         Claim("OK-B", "c", "", "proofs/x.md", lambda d, o, s: outcome("FAIL", value=o)))
out["dying"] = [[r.claim, r.status, dict(r.evidence)] for r in run_parallel(dying, 5, 2, 0, jobs=2)]

def refuse(depth, order, seed):
    raise UsageError(f"depth must be at most 3, got {depth}", parameters=("depth",))
try:
    run_parallel((Claim("OK", "a", "", "proofs/x.md", lambda d, o, s: outcome("PASS")),
                  Claim("REFUSES", "b", "", "proofs/x.md", refuse)), 7, 2, 0, jobs=2)
    out["usage"] = None
except UsageError as exc:
    out["usage"] = [str(exc), list(exc.parameters)]

local = run_parallel((Claim("LOCAL", "a", "", "proofs/x.md", lambda d, o, s: outcome("PASS", f=lambda: 1)),
                      Claim("OK", "b", "", "proofs/x.md", lambda d, o, s: outcome("PASS"))), 1, 1, 0, jobs=2)
out["local"] = [[r.status for r in local], callable(local[0].evidence["f"])]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def forked():
    p = subprocess.run([sys.executable, "-c", FORKING, CHEAP], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_parallel_results_equal_sequential_in_claim_order(forked):
    assert forked["parallel"] == forked["sequential"] and len(forked["parallel"]) == len(CHEAP.split(","))
    assert forked["seen"] == forked["ids"]  # progress reported in claim order
    assert forked["lazy"] == forked["sequential"]  # handles imported in the workers: the same results


def test_two_workers_scan_from_opposite_ends_and_every_scan_visits_every_claim():
    from residual_expansion.claims.parallel import scan_order

    assert scan_order(0, 2, 5) == [0, 1, 2, 3, 4] and scan_order(1, 2, 5) == [4, 3, 2, 1, 0]
    for jobs in (1, 2, 3, 8):
        for w in range(jobs):
            assert sorted(scan_order(w, jobs, 11)) == list(range(11))
    assert [scan_order(w, 4, 8)[0] for w in range(4)] == [0, 2, 4, 6]


def test_a_dead_worker_is_a_fail_row_and_the_other_claims_still_run(forked):
    (a, dies, b) = forked["dying"]
    assert [a[0], dies[0], b[0]] == ["OK-A", "DIES", "OK-B"]
    assert [a[1], dies[1], b[1]] == ["PASS", "FAIL", "FAIL"]
    assert "died" in dies[2]["reason"] and "-9" in dies[2]["reason"]
    assert a[2]["value"] == 5 and b[2]["value"] == 2


def test_usage_error_in_a_worker_reaches_the_caller(forked):
    assert forked["usage"] == ["depth must be at most 3, got 7", ["depth"]]


def test_a_result_that_does_not_pickle_is_computed_here(forked):
    assert forked["local"] == [["PASS", "PASS"], True]


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
    out = json.loads(p.stdout)
    assert out["1text"] == out["2text"] and out["1json"] == out["2json"]
    assert out["1text"][0] == 0 and "SCALE-ENERGY" in out["2text"][1]


def test_the_command_line_forks_only_a_single_threaded_process():
    """A fresh `verify` (BLAS asked for one thread) has one thread, so it uses the cores; pytest has more."""
    code = ("from residual_expansion.cli.verify_command import single_threaded_blas\n"
            "single_threaded_blas()\n"
            "import residual_expansion.claims\n"
            "from residual_expansion.claims.parallel import default_jobs, threads_alive, usable_cores\n"
            "print(threads_alive(), default_jobs(24), usable_cores())")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    threads, jobs, cores = map(int, p.stdout.split())
    assert threads == 1 and jobs == min(cores, 8)
    from residual_expansion.claims.parallel import threads_alive

    if threads_alive() > 1:
        assert default_jobs(24) == 1


FORK_THREADS = r"""
import contextlib, io, json, os, sys
from residual_expansion.claims.parallel import threads_alive
from residual_expansion.cli import main
seen = []
real = os.fork

def fork():
    seen.append(threads_alive())
    return real()

os.fork = fork
with contextlib.redirect_stdout(io.StringIO()):
    status = main(["verify", "--depth", "3", "--jobs", "2", "--claims", "REX2,COUNT,TIED"])
print(json.dumps([status, seen]))
"""


def test_verify_forks_its_workers_before_any_thread_starts():
    """The progress bar (tqdm starts a monitor thread with its first bar) starts with the first result,
    after the workers are forked: every fork sees one thread (with the bar made first, it saw two)."""
    p = subprocess.run([sys.executable, "-c", FORK_THREADS], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    status, seen = json.loads(p.stdout)
    assert status == 0 and len(seen) == 2 and seen == [1, 1], seen
