"""``expand``: the closed form of an n-layer residual stack up to order K."""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import comma_list, positive_int, rational
from residual_expansion.cli.common import add_output_options, check_output_options, emit, emit_stream


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "expand",
        help="print the closed-form expansion (sum over labeled trees)",
        description="Print x_n = x + sum over labeled trees up to order K: text, LaTeX (align*) or JSON. "
        "With --tied (weight-tied modules) the terms are unlabeled shapes with coefficient a_n(tau)/sigma(tau).",
    )
    p.add_argument("--depth", type=positive_int, required=True, help="depth n")
    p.add_argument("--order", type=positive_int, required=True, help="highest order K")
    p.add_argument("--tied", action="store_true", help="weight-tied modules g_i = g, lambda_i = lambda")
    p.add_argument("--uniform", action="store_true", help="one scale lambda for every layer (distinct modules)")
    p.add_argument("--scales", type=comma_list(rational), default=None,
                   help="exact per-layer scales lambda_1,...,lambda_n, e.g. 1/2,1/3,1/4 (default: symbols)")
    add_output_options(p, progress=False)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.limits import check_expand

    check_expand(args.depth, args.order, tied=args.tied, scales=args.scales)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.theorem.expansion import expand
    from residual_expansion.render.expansion_output import render_table, tied_table, write_expansion

    check_output_options(args)
    expansion = expand(args.depth, args.order, tied=args.tied, uniform=args.uniform, scales=args.scales)
    if args.tied and args.format in ("text", "markdown"):
        emit(args, render_table(tied_table(expansion), args.format))
    else:
        emit_stream(args, lambda out: write_expansion(expansion, args.format, out),  # term by term
                    title="Closed-form expansion")
    return 0
