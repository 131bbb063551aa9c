"""``paths``: the path-length distribution of a residual architecture.

``--arch`` is ``plain`` (default), ``two-branch`` or a JSON architecture file (schema in
:mod:`residual_expansion.paths.architectures`). ``--depth`` is required for the built-ins; for a
file it may be omitted (the file's depth is used) and, when given, must equal the file's
depth (the file's ``"depth"`` key, else its number of module nodes).
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

from residual_expansion.cli.args import positive_int, share
from residual_expansion.cli.common import add_output_options, check_output_options, emit, emit_stream

BUILT_IN = ("plain", "two-branch")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "paths",
        help="count computation paths by length (path-length polynomial)",
        description="Count the input-output paths of a residual architecture by the number of modules "
        "they pass: total, counts and shares per length, exact mean and variance, the shortest interval "
        "holding a share of the paths, and the weighted ensemble size P(lambda) for lambda = 1, "
        "1/sqrt(n), 1/n.",
    )
    p.add_argument("--depth", type=positive_int, default=None,
                   help="number of blocks n (required for plain and two-branch; optional for a JSON file)")
    p.add_argument("--arch", default="plain", metavar="plain|two-branch|FILE.json",
                   help="architecture: plain (default), two-branch (attention then MLP per layer), or a JSON file")
    p.add_argument("--share", type=share, default=Fraction(95, 100),
                   help="share of paths the central interval must hold, in (0, 1] (default 0.95)")
    add_output_options(p, progress=False)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.limits import check_paths, read_architecture_json

    check_output_options(args)
    check_paths(args.depth)
    data = None
    if args.arch in BUILT_IN:
        if args.depth is None:
            raise UsageError(f"--depth is required for --arch {args.arch}")
    else:
        if not args.arch.endswith(".json"):
            raise UsageError(f"--arch {args.arch!r} is neither plain, two-branch nor a .json architecture file")
        data = read_architecture_json(args.arch)  # size limits before networkx is imported
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.paths import architectures
    from residual_expansion.paths.polynomial import path_statistics
    from residual_expansion.render.path_output import WEIGHTED_DIGITS, write_paths

    if data is None:
        arch = architectures.plain(args.depth) if args.arch == "plain" else architectures.two_branch(args.depth)
    else:
        arch = architectures.architecture_from_dict(data, default_name=Path(args.arch).stem)
        if args.depth is not None and args.depth != arch.depth:
            raise UsageError(
                f"--depth {args.depth} does not match depth {arch.depth} of {args.arch}; omit --depth for a JSON architecture"
            )
    exact_digits = None if args.format == "json" else WEIGHTED_DIGITS
    emit_stream(args, lambda out: write_paths(path_statistics(arch, args.share, exact_digits), args.format, out),
                title="Paths")
    return 0
