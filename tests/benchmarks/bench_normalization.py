"""Benchmarks of the normalization work (run: python tests/benchmarks/bench_normalization.py).

Targets (issue 11):
- the five claims NORM-ENERGY, NORM-FREE, ORDER-ENERGY, LESION, COMPLEXITY together at depth 8:
  under 3 s;
- the issue's `scaling --model res3 --activation relu --norm pre-rms --init iid-gaussian --beta 0
  --depths 16,64,256 --samples 2000 --dim 24`: timed for reference (no target).

Prints the best of a few runs (time.perf_counter) for each.
"""

from __future__ import annotations

from timing import best  # noqa: E402  (also puts the repository on sys.path)

from residual_expansion.claims import run_claims, select  # noqa: E402
from residual_expansion.models.weights import Init  # noqa: E402
from residual_expansion.scaling.montecarlo import Model  # noqa: E402
from residual_expansion.scaling.normalized import parse_norm, run_norm_sweep  # noqa: E402
from residual_expansion.scaling.schedules import power  # noqa: E402

CLAIMS = "NORM-ENERGY,NORM-FREE,ORDER-ENERGY,LESION,COMPLEXITY"


def claims_depth8() -> None:
    results = run_claims(select(CLAIMS), 8, 4, 0)
    assert all(r.passed for r in results)


def must_show() -> None:
    run_norm_sweep(Model("res3", "relu", 24, 64), Init("iid-gaussian"), parse_norm("pre-rms"), [power(0.0)],
                   (16, 64, 256), 2000, 0)


def main() -> None:
    t = best(claims_depth8, 3)
    print(f"five normalization claims at depth 8: {t:.2f} s (target < 3 s) {'OK' if t < 3 else 'SLOW'}")
    t = best(must_show, 3)
    print(f"scaling --norm pre-rms, res3/relu, L = 16,64,256, 2000 samples, d = 24: {t:.2f} s")


if __name__ == "__main__":
    main()
