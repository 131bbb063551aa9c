"""Benchmark the paths targets: a 10,000-block stack in under a second, LINEAR at depth 8 in ~0.5 s.

Run from the repository root: ``python tests/benchmarks/bench_paths.py``. Prints the best
of a few runs (time.perf_counter) for each target.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
from timing import best  # noqa: E402  (also puts the repository on sys.path)

REPEATS = 5



def cli(*argv: str) -> None:
    subprocess.run([sys.executable, "-m", "residual_expansion", *argv], cwd=ROOT, check=True, capture_output=True)


def claim_seconds(claim: str, depth: int) -> float:
    """The claim's own check time as ``verify`` reports it (a fresh process each run)."""
    times = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-m", "residual_expansion", "verify", "--depth", str(depth), "--claims", claim, "--format", "json", "--timings"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
        times.append(json.loads(out)["results"][0]["seconds"])
    return min(times)


def main() -> None:
    from residual_expansion.paths.architectures import plain, two_branch
    from residual_expansion.paths.polynomial import path_polynomial, path_polynomial_dp, path_statistics

    a = plain(10000)
    b = two_branch(10000)
    rows = [
        ("library: plain(10000) graph build", best(lambda: plain(10000))),
        ("library: path_polynomial(plain(10000))", best(lambda: path_polynomial(a))),
        ("library: path_statistics(plain(10000)) (exact P(lambda))", best(lambda: path_statistics(a))),
        ("library: path_statistics(plain(10000), exact_digits=40) (as text CLI)", best(lambda: path_statistics(a, exact_digits=40))),
        ("library: plain(10000) build + statistics", best(lambda: path_statistics(plain(10000)))),
        ("library: path_polynomial(two_branch(10000)) (20,000 modules)", best(lambda: path_polynomial(b))),
        ("library: unfactored DP, plain(2000) (for comparison)", best(lambda: path_polynomial_dp(plain(2000)), 2)),
        ("CLI: paths --depth 10000 (wall, incl. interpreter start)", best(lambda: cli("paths", "--depth", "10000"))),
        ("CLI: paths --depth 10000 --format json (wall)", best(lambda: cli("paths", "--depth", "10000", "--format", "json"), 3)),
        ("CLI: paths --depth 54 (wall)", best(lambda: cli("paths", "--depth", "54"))),
        ("claim LINEAR check, depth 8 (256 words, symbolic)", claim_seconds("LINEAR", 8)),
        ("claim PATHS check, depth 8", claim_seconds("PATHS", 8)),
        ("claim PATHS check, depth 10000", claim_seconds("PATHS", 10000)),
        ("claim LINEAR check, depth 10000 (integer matrices)", claim_seconds("LINEAR", 10000)),
    ]
    width = max(len(r[0]) for r in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:8.3f} s")


if __name__ == "__main__":
    main()
