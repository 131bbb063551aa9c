"""``lesion``: delete K random blocks of random residual (or plain) stacks; measure the energy that changes."""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import comma_list, finite_float, nonnegative_int, positive_int
from residual_expansion.cli.common import (add_figsize_option, add_output_options, check_figsize, check_output_options,
                                           emit, progress)
from residual_expansion.cli.execution_args import add_execution_arguments, backend_of


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lesion",
        help="Veit et al.'s lesion study: delete K blocks, measure E||x_n - x_n^(-D)||^2 / E||x_n||^2",
        description=(
            "Delete K blocks chosen uniformly at random per sample (a deleted block is the identity) and "
            "print mean ||x_n - x_n^(-D)||^2 / mean ||x_n||^2 with its standard error, next to the exact "
            "prediction for i.i.d. linear modules (residual: 1 - (1 + lambda^2 s^2)^(-K); plain: 1 + s^(-2K))."
        ),
    )
    p.add_argument("--model", choices=("linear", "res1", "res3"), default="res3")
    p.add_argument("--activation", choices=("relu", "tanh", "identity"), default="relu")
    p.add_argument("--norm", choices=("none", "pre-rms", "pre-ln", "post-rms", "post-ln"), default="none")
    p.add_argument("--plain", action="store_true",
                   help="a plain stack h_i = g_i(h_{i-1}) (no skip; He gain sqrt 2 for ReLU) instead of a residual one")
    p.add_argument("--init", default="iid-uniform", help="iid-uniform (default) or iid-gaussian")
    p.add_argument("--depth", type=positive_int, required=True, help="number of blocks n")
    p.add_argument("--beta", type=finite_float, default=0.5, help="lambda = c n^(-beta) (default 0.5)")
    p.add_argument("--c", type=finite_float, default=1.0, help="constant c of the schedule (default 1)")
    p.add_argument("--delete", type=comma_list(nonnegative_int), required=True,
                   help="numbers K of blocks to delete, e.g. 1,2,4")
    p.add_argument("--samples", type=positive_int, default=1000, help="independent networks (default 1000)")
    p.add_argument("--dim", type=positive_int, default=16, help="width d (default 16)")
    p.add_argument("--input-dim", type=positive_int, default=64, help="input dimension n_in (default 64)")
    p.add_argument("--weight-scale", type=finite_float, default=1.0, help="s: entries of variance s^2/d (default 1)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--plot", metavar="FILE",
                   help="write the fraction against K (needs matplotlib); without --plain the plain stack of the "
                        "same model is also run for the figure")
    add_figsize_option(p)
    add_execution_arguments(p, dtype=False)
    add_output_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.limits import check_lesion, check_output_path

    check_lesion(args.depth, args.samples, args.dim, args.input_dim, args.delete, args.beta, args.c, args.weight_scale)
    check_figsize(args, "plot")
    if args.plot:
        check_output_path(args.plot, "plot")
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.render.normalization_output import lesion_json, render_lesion
    from residual_expansion.render.sweep_output import checks_json, checks_line, notes_block
    from residual_expansion.render.table import to_json
    from residual_expansion.scaling.checks import z_checks
    from residual_expansion.schemas import tag
    from residual_expansion.scaling.lesion import run_lesion
    from residual_expansion.models.weights import parse_init
    from residual_expansion.scaling.montecarlo import Model
    from residual_expansion.scaling.normalized import parse_norm
    from residual_expansion.scaling.schedules import power

    check_output_options(args)
    if args.plot:
        # optional extra (plot): render.figures loads matplotlib
        from residual_expansion.render.figures import require_matplotlib

        require_matplotlib()  # fail early when matplotlib is missing
    model = Model(args.model, args.activation, args.dim, args.input_dim, args.weight_scale)
    init, norm, schedule = parse_init(args.init), parse_norm(args.norm), power(args.beta, args.c)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.scaling.lesion import chunk_size

    tasks = -(-args.samples // (args.chunk or chunk_size(model, args.samples)))
    with progress(args.depth * tasks, desc="lesion", quiet=args.quiet, unit="layer") as bar:
        lesion = run_lesion(model, init, norm, schedule, args.depth, args.delete, args.samples, args.seed,
                            plain=args.plain, chunk=args.chunk, threads=args.threads, backend=backend_of(args),
                            checkpoint=args.checkpoint, progress=bar.update)
    doc = lesion_json(lesion)
    checks = z_checks("lesion", [{**r, "schedule": doc["schedule"], "depth": doc["depth"]} for r in doc["results"]],
                      "change_energy_fraction", "predicted_change_energy_fraction",
                      "stderr_change_energy_fraction", lesion.samples)
    if args.format == "json":
        emit(args, to_json(tag("lesion", {**doc, "checks": checks_json(checks),
                                           "all_pass": all(c.passed for c in checks)})))
    else:
        emit(args, render_lesion(lesion, args.format) + "\n\n" + notes_block([checks_line(checks)], args.format),
             title="Lesion study")
    if args.plot:
        # optional extra (plot): render.figures loads matplotlib
        from residual_expansion.render.figures import plot_lesion
        from residual_expansion.scaling.normalized import Norm

        studies = [lesion]
        if not args.plain:
            studies.append(run_lesion(model, init, Norm(None), schedule, args.depth, args.delete, args.samples,
                                      args.seed, plain=True, chunk=args.chunk, threads=args.threads,
                                      backend=backend_of(args)))
        plot_lesion(studies, args.plot, figsize=args.figsize)
    return 0 if all(c.passed for c in checks) else 1
