"""Benchmarks of the foundation (issue 2). Run: ``python tests/benchmarks/bench_expansion.py``.

Prints, best of ``--repeat`` runs (time.perf_counter, wall):
- ``python -m residual_expansion verify --depth 8`` as a subprocess (target < 5 s);
- building the depth-8, order-6 expansion, 26,804 terms (target < 1 s);
- the closed form as a scalar sympy expression against ``sympy.series`` of the nested
  composition, at depth 6 and 8, order 3 (series run once: it takes seconds).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from timing import best  # noqa: E402  (also puts the repository on sys.path)



def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-series", action="store_true", help="skip the slow sympy.series baseline")
    args = ap.parse_args()

    import sympy

    from residual_expansion.theorem.composition import sympy_series_coefficients
    from residual_expansion.theorem.expansion import expand
    from residual_expansion.render.expansion_output import to_sympy

    cmd = [sys.executable, "-m", "residual_expansion", "verify", "--depth", "8"]
    t = best(lambda: subprocess.run(cmd, check=True, capture_output=True), args.repeat)
    print(f"verify --depth 8 (whole command, wall): {t:.2f} s")

    t = best(lambda: expand(8, 6), args.repeat)
    print(f"expand(8, 6), {sum(expand(8, 6).counts())} terms: {t:.3f} s")

    if args.skip_series:
        return
    x, lam = sympy.symbols("x lambda")
    for n in (6, 8):
        closed = best(lambda: to_sympy(expand(n, 3, uniform=True), x), args.repeat)
        start = time.perf_counter()
        sympy_series_coefficients(n, 3, x, lam)
        series = time.perf_counter() - start
        print(f"depth {n}, order 3: closed form as sympy expression {closed:.3f} s, "
              f"sympy.series of the composition {series:.2f} s, ratio {series / closed:.0f}x")


if __name__ == "__main__":
    main()
