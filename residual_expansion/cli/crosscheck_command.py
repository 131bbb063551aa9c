"""``crosscheck``: the closed form against forward passes of real numpy modules (float64).

Exit status 0 when the coefficients agree and the remainder behaves (pass), 1 when not,
2 on bad input or a request beyond the method's limits.
"""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import float_pair, nonnegative_int, positive_int
from residual_expansion.cli.common import (add_figsize_option, add_output_options, check_figsize, check_output_options,
                                           emit)
from residual_expansion.errors import UsageError

# Kept literal so that registering the parser imports no numpy; tests check them against
# residual_expansion.models.families.FAMILIES and residual_expansion.models.activations.ACTIVATIONS.
FAMILY_CHOICES = ("linear", "affine", "mlp", "res1", "res2", "res3")
ACTIVATION_CHOICES = ("tanh", "sin", "sigmoid", "softplus", "gelu", "relu", "leaky_relu", "abs")
DEFAULT_ORDER = 4
DEFAULT_DIM = 16


def module_choice(text: str) -> str:
    """A family name or a user's spec FILE.py:NAME / package.module:NAME (it has a colon)."""
    if ":" in text or text in FAMILY_CHOICES:
        return text
    raise argparse.ArgumentTypeError(
        f"invalid choice: {text!r} (choose from {', '.join(FAMILY_CHOICES)}, or give FILE.py:NAME or "
        "package.module:NAME)")


def activation_choice(text: str) -> str:
    """An activation spelling of :func:`residual_expansion.models.activations.activation`, the one parser
    (a name of ACTIVATION_CHOICES, ``identity`` or ``leaky_relu:SLOPE``, as ``scaling --activation``)."""
    from residual_expansion.models.activations import activation  # numpy: only when the flag is given

    try:
        activation(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


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
    p.add_argument("--module", type=module_choice, default="mlp", metavar="FAMILY|SPEC",
                   help=f"module family ({', '.join(FAMILY_CHOICES)}; default mlp), or your own modules: "
                        "FILE.py:NAME or package.module:NAME, NAME a module, a list of modules (one per layer) "
                        "or a factory NAME(depth, dim, seed)")
    p.add_argument("--exact", action="store_true",
                   help="with sympy modules (--module SPEC): check the expansion exactly (composition vs closed "
                        "form in exact arithmetic; a PASS is a proof for that stack at that order)")
    p.add_argument("--activation", type=activation_choice, default=None,
                   help=f"activation of mlp, res1, res2, res3 (default tanh): {', '.join(ACTIVATION_CHOICES)}, "
                        "identity or leaky_relu:SLOPE; relu, leaky_relu, abs are checked as piecewise linear "
                        "inside their sign radius")
    p.add_argument("--dim", type=positive_int, default=DEFAULT_DIM, help=f"dimension d (default {DEFAULT_DIM})")
    p.add_argument("--width", type=positive_int, default=None, help="hidden width of mlp (default d)")
    p.add_argument("--lambda-range", type=float_pair, default=None, metavar="LO,HI",
                   help="lambda window of the remainder fit (default: chosen automatically)")
    p.add_argument("--norm", choices=("none", "pre-rms", "pre-ln"), default="none",
                   help="pre-normalize every module: g(N(x)) with N = RMSNorm or LayerNorm (smooth away from 0)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of every random draw (default 0)")
    add_output_options(p, progress=False)
    p.add_argument("--plot", default=None, metavar="FILE",
                   help="also write a log-log plot of the remainders R_1..R_K (needs matplotlib)")
    add_figsize_option(p)
    p.set_defaults(run=run)


def run_exact(args: argparse.Namespace) -> int:
    """``--exact``: load the sympy stack and run the exact route."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.models.adapters.exact import exact_check
    from residual_expansion.models.adapters.loader import is_spec, load_stack
    from residual_expansion.render.user_output import render_exact

    if not is_spec(args.module):
        raise UsageError("--exact needs your own sympy modules: --module FILE.py:NAME or package.module:NAME")
    if args.plot or args.lambda_range or args.activation or args.width:
        raise UsageError("--exact takes --depth, --order, --dim, --seed, --format and --standalone only")
    check_output_options(args)
    modules = load_stack(args.module, args.depth, args.dim, args.seed)
    result = exact_check(modules, args.order, seed=args.seed)
    emit(args, render_exact(result, args.format, module=args.module), title="Exact cross-check")
    return 0 if result.passed else 1


def run(args: argparse.Namespace) -> int:
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.limits import check_crosscheck, check_output_path

    check_crosscheck(args.depth, args.order, args.dim, args.width, args.lambda_range)
    check_figsize(args, "plot")
    if args.plot is not None:
        check_output_path(args.plot, "plot")
    if args.exact:
        if args.norm != "none":
            raise UsageError("--norm is not available with --exact")
        return run_exact(args)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.models.adapters.loader import is_spec

    modules = None
    if is_spec(args.module):
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.models.adapters.loader import load_stack

        modules = load_stack(args.module, args.depth, args.dim, args.seed)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.numeric.crosscheck import crosscheck
    from residual_expansion.render.numeric_output import render_crosscheck

    check_output_options(args)
    plot = None
    if args.plot is not None:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render.figures import require_matplotlib

        plot = require_matplotlib()
    result = crosscheck(
        args.depth, args.order, args.module,
        activation=args.activation, dim=args.dim, width=args.width,
        lambda_range=args.lambda_range, seed=args.seed, curves=plot is not None, norm=args.norm,
        modules=modules,
    )
    emit(args, render_crosscheck(result, args.format), title="Numeric cross-check")
    if plot is not None:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render.figures import plot_remainders

        plot_remainders(result, args.plot, figsize=args.figsize)
    return 0 if result.passed else 1
