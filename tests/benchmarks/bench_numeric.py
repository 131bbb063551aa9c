"""Benchmarks of the numeric cross-check (issue 4). Run: ``python tests/benchmarks/bench_numeric.py``.

Prints, best of ``--repeat`` runs (time.perf_counter, wall):
- closed-form numeric evaluation at depth 8, order 5, d = 64 (mlp/tanh, 4,866 terms; target < 1 s),
  with the term list built beforehand (building it is timed separately);
- Taylor-mode forward pass at depth 1000, order 4, d = 64 (mlp/tanh; target < 1 s);
- each numeric claim's check at depth 8, order 4 (target well under 1 s each);
- ``crosscheck --depth 8`` (default configuration) end to end, as the library call.
"""

from __future__ import annotations

import argparse

from timing import best  # noqa: E402  (also puts the repository on sys.path)



def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from residual_expansion.claims.numeric_claims import CLAIMS
    from residual_expansion.numeric.crosscheck import crosscheck, expansion_terms
    from residual_expansion.models.families import make_stack
    from residual_expansion.numeric.taylor import closed_form, taylor_coefficients

    stack = make_stack("mlp", 8, 64, seed=0)
    terms = expansion_terms(8, 5)
    t_terms = best(lambda: expansion_terms(8, 5), args.repeat)
    t_cf = best(lambda: closed_form(stack, terms, 5), args.repeat)
    print(f"closed form, depth 8, order 5, d 64 ({len(terms)} terms): {t_cf:.3f} s  (target < 1 s; "
          f"building the terms: {t_terms:.3f} s)")

    deep = make_stack("mlp", 1000, 64, seed=0)
    t_taylor = best(lambda: taylor_coefficients(deep, 4), args.repeat)
    print(f"Taylor mode, depth 1000, order 4, d 64: {t_taylor:.3f} s  (target < 1 s)")

    for claim in CLAIMS:
        t = best(lambda: claim.check(8, 4, 0), args.repeat)
        print(f"{claim.id} check at depth 8, order 4: {t:.3f} s")

    t_cc = best(lambda: crosscheck(8, 4, "mlp"), args.repeat)
    print(f"crosscheck --depth 8 (library call): {t_cc:.3f} s")


if __name__ == "__main__":
    main()
