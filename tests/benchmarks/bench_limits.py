"""Every command at the largest value its limits allow (run: python tests/benchmarks/bench_limits.py [--only TEXT]).

Target (issue 16, residual_expansion/limits.py): "a request inside every limit finishes in
well under a minute and a few hundred megabytes on a 2-core machine". Each accepted line of
``tests/test_limits_boundary.py::BOUNDARIES`` (the suite only shows that it reaches its work)
runs here for real, in a subprocess, with ``--format json`` output discarded; the wall time
and the peak resident memory (``resource.getrusage`` of the child) are printed, and a line
over BUDGET_SECONDS (60 s) or BUDGET_MB (1000 MB) is marked OVER. ``--only`` selects lines by
their id (substring), ``--skip`` leaves some out; a line that runs past 3 x the budget is
stopped and reported as TIMEOUT.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.test_limits_boundary import BOUNDARIES  # noqa: E402

BUDGET_SECONDS = 60.0
BUDGET_MB = 1000.0


def run_line(argv: list[str]) -> tuple[float, float, int | str]:
    """(seconds, peak MB, exit status or "TIMEOUT") of ``residual-expansion ARGV`` in a child
    (its own peak resident memory, from ``os.wait4``)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "residual_expansion", *argv], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > 3 * BUDGET_SECONDS:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            return time.perf_counter() - start, usage.ru_maxrss / 1024, "TIMEOUT"
        time.sleep(0.05)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="run the lines whose id contains this text")
    parser.add_argument("--skip", default="", help="comma-separated id fragments to leave out")
    args = parser.parse_args(argv)
    skip = [s for s in args.skip.split(",") if s]
    over = 0
    for ident, accepted, _, _ in BOUNDARIES:
        if (args.only and args.only not in ident) or any(s in ident for s in skip):
            continue
        line = accepted.split() + (["--format", "json"] if not accepted.startswith("verify --claims") else [])
        seconds, mb, status = run_line(line)
        flag = "OVER" if status == "TIMEOUT" or seconds > BUDGET_SECONDS or mb > BUDGET_MB else "ok"
        over += flag != "ok"
        print(f"{flag:4s} {ident:24s} {seconds:7.1f} s {mb:8.0f} MB  exit {status}  {' '.join(accepted.split()[:8])}",
              flush=True)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
