"""``series``: the generic ground truth, sympy.series of the nested composition, against the closed form."""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import positive_int

from residual_expansion.limits import SERIES_MAX_DEPTH, SERIES_MAX_ORDER, SERIES_MAX_PRODUCT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "series",
        help="compare the closed form with sympy.series of the nested composition (slow, small n)",
        description="Expand x_n as sympy.series in one lambda (undefined scalar modules g_i) and compare it, "
        f"order by order, with the closed form. Limited to depth <= {SERIES_MAX_DEPTH}, order <= {SERIES_MAX_ORDER}, "
        f"depth * order <= {SERIES_MAX_PRODUCT}; "
        "`verify --claims REX` checks larger stacks by exact tree-free routes.",
    )
    p.add_argument("--depth", type=positive_int, required=True)
    p.add_argument("--order", type=positive_int, default=3)
    p.add_argument("--show", action="store_true", help="print sympy's coefficients")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from residual_expansion.limits import check_series

    check_series(args.depth, args.order)
    import sympy

    from residual_expansion.claims.expansion_claims import rex_series_route
    from residual_expansion.theorem.composition import sympy_series_coefficients
    from residual_expansion.theorem.expansion import expand

    x, lam = sympy.symbols("x lambda")
    truth = sympy_series_coefficients(args.depth, args.order, x, lam)
    ok, compared = rex_series_route(expand(args.depth, args.order, uniform=True).terms, args.depth, args.order, truth)
    if args.show:
        for k, c in enumerate(truth, start=1):
            print(f"lambda^{k}: {c}")
    print(f"closed form ({compared} terms) vs sympy.series of the nested composition, "
          f"n={args.depth}, K={args.order}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1
