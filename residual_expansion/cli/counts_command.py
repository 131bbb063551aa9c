"""``counts``: the table N(n, k) of labeled trees (distinct elementary differentials)."""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import comma_list, positive_int
from residual_expansion.cli.common import add_output_options, check_output_options, emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "counts",
        help="tabulate N(n, k), the number of order-k terms at depth n",
        description="N(n, k) by the Euler-transform recursion (no enumeration), for each depth and k = 1..K.",
    )
    p.add_argument("--depths", type=comma_list(positive_int), default=(2, 3, 4, 5, 6),
                   help="comma-separated depths (default 2,3,4,5,6)")
    p.add_argument("--order", type=positive_int, default=6, help="highest order K (default 6)")
    add_output_options(p, progress=False)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.limits import check_counts

    check_counts(args.depths, args.order)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.render.expansion_output import counts_table
    from residual_expansion.render.table import render_table, to_json
    from residual_expansion.schemas import tag
    from residual_expansion.theorem.trees import count_labeled_trees

    check_output_options(args)
    rows = {n: [count_labeled_trees(n, k) for k in range(1, args.order + 1)] for n in args.depths}
    if args.format == "json":
        emit(args, to_json(tag("counts", {"order": args.order, "rows": [{"depth": n, "counts": v} for n, v in rows.items()]})))
    else:
        emit(args, render_table(counts_table(rows, args.order), args.format), title="Counts N(n, k)")
    return 0
