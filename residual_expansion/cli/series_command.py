"""``series``: the generic ground truth, sympy.series of the nested composition, against the closed form."""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import positive_int
from residual_expansion.cli.common import add_output_options, check_output_options, emit

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
    add_output_options(p, progress=False)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.limits import check_series

    check_output_options(args)
    check_series(args.depth, args.order)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    import sympy

    from residual_expansion.claims.expansion_claims import rex_series_route
    from residual_expansion.render.table import Table, render_table, to_json
    from residual_expansion.schemas import tag
    from residual_expansion.theorem.composition import sympy_series_coefficients
    from residual_expansion.theorem.expansion import expand

    x, lam = sympy.symbols("x lambda")
    truth = sympy_series_coefficients(args.depth, args.order, x, lam)
    ok, compared = rex_series_route(expand(args.depth, args.order, uniform=True).terms, args.depth, args.order, truth)
    status = "PASS" if ok else "FAIL"
    if args.format == "json":
        doc = {"depth": args.depth, "order": args.order, "terms_compared": compared, "status": status,
               "all_pass": ok}
        if args.show:
            doc["coefficients"] = [str(c) for c in truth]
        emit(args, to_json(tag("series", doc)))
    elif args.format == "text":
        lines = [f"lambda^{k}: {c}" for k, c in enumerate(truth, start=1)] if args.show else []
        lines.append(f"closed form ({compared} terms) vs sympy.series of the nested composition, "
                     f"n={args.depth}, K={args.order}: {status}")
        emit(args, "\n".join(lines))
    else:
        table = Table(("depth n", "order K", "terms compared", "status"),
                      ((str(args.depth), str(args.order), str(compared), status),),
                      caption="closed form vs sympy.series of the nested composition", align="rrrl")
        parts = [render_table(table, args.format)]
        if args.show:
            rows = tuple((str(k), str(c)) for k, c in enumerate(truth, start=1))
            latex_rows = tuple((str(k), f"${sympy.latex(c)}$") for k, c in enumerate(truth, start=1))
            parts.append(render_table(Table(("k", "coefficient of lambda^k"), rows, "sympy.series coefficients",
                                            "rl", latex_rows if args.format == "latex" else None), args.format))
        emit(args, "\n\n".join(parts), title="Series")
    return 0 if ok else 1
