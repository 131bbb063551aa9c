"""``crosscheck``: the closed form against forward passes of real numpy modules (float64).

Exit status 0 when the coefficients agree and the remainder behaves (pass), 1 when not,
2 on bad input or a request beyond the method's limits.
"""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import float_pair, nonnegative_int, positive_int

# Kept literal so that registering the parser imports no numpy; tests check them against
# residual_expansion.models.families.FAMILIES and residual_expansion.models.activations.ACTIVATIONS.
FAMILY_CHOICES = ("linear", "affine", "mlp", "res1", "res3")
ACTIVATION_CHOICES = ("tanh", "sin", "sigmoid", "softplus", "gelu", "relu", "leaky_relu", "abs")
DEFAULT_ORDER = 4
DEFAULT_DIM = 16


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "crosscheck",
        help="check the closed form numerically against forward passes of real modules",
        description="Compare the closed form's coefficients with Taylor-mode propagation (float64 tolerance "
                    "derived from rounding) and fit the log-log slope of the truncation remainder "
                    "(K+1 expected). Exit 0 on pass, 1 on fail, 2 on bad input.",
    )
    p.add_argument("--depth", type=positive_int, required=True, help="depth n of the residual stack")
    p.add_argument("--order", type=positive_int, default=DEFAULT_ORDER,
                   help=f"truncation order K (default {DEFAULT_ORDER})")
    p.add_argument("--module", choices=FAMILY_CHOICES, default="mlp", help="module family (default mlp)")
    p.add_argument("--activation", choices=ACTIVATION_CHOICES, default=None,
                   help="activation of mlp, res1, res3 (default tanh); relu, leaky_relu, abs are checked "
                        "as piecewise linear inside their sign radius")
    p.add_argument("--dim", type=positive_int, default=DEFAULT_DIM, help=f"dimension d (default {DEFAULT_DIM})")
    p.add_argument("--width", type=positive_int, default=None, help="hidden width of mlp (default d)")
    p.add_argument("--lambda-range", type=float_pair, default=None, metavar="LO,HI",
                   help="lambda window of the remainder fit (default: chosen automatically)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--plot", default=None, metavar="FILE.png",
                   help="also write a log-log plot of the remainders R_1..R_K (needs matplotlib)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from residual_expansion.numeric.crosscheck import crosscheck
    from residual_expansion.render.numeric_output import render_crosscheck

    plot = None
    if args.plot is not None:
        from residual_expansion.render.numeric_output import require_matplotlib

        plot = require_matplotlib()
    result = crosscheck(
        args.depth, args.order, args.module,
        activation=args.activation, dim=args.dim, width=args.width,
        lambda_range=args.lambda_range, seed=args.seed, curves=plot is not None,
    )
    print(render_crosscheck(result, args.format))
    if plot is not None:
        from residual_expansion.render.numeric_output import plot_remainders

        plot_remainders(result, args.plot)
    return 0 if result.passed else 1
