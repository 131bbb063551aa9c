"""``verify``: run every registered claim at one depth and print a row per claim."""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import nonnegative_int, positive_int

DEFAULT_ORDER = 4
DEFAULT_SEED = 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="check every registered claim at one depth",
        description="Check every registered claim at depth N. Exit status 0 when all pass, 1 when any fails.",
    )
    p.add_argument("--depth", type=positive_int, default=None,
                   help="depth n of the residual stack (required unless --list)")
    p.add_argument(
        "--order", type=positive_int, default=DEFAULT_ORDER,
        help=f"highest order K of the expansion (default {DEFAULT_ORDER})",
    )
    p.add_argument("--claims", default=None,
                   help="comma-separated claim ids, built-in or from installed plugins (default: all)")
    p.add_argument("--list", action="store_true",
                   help="list every claim (built-in and from plugins) with its source package, and exit")
    p.add_argument("--seed", type=nonnegative_int, default=DEFAULT_SEED, help="seed of every random draw (default 0)")
    p.add_argument("--format", choices=("text", "markdown", "latex", "json"), default="text")
    p.add_argument("--timings", action="store_true",
                   help="also print each check's wall time (off by default: same command, same bytes)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from residual_expansion.limits import check_verify

    if args.depth is not None:
        check_verify(args.depth, args.order, args.claims)  # before the claims (and sympy) are imported
    from residual_expansion.claims import registered_claims, run_claims, select
    from residual_expansion.errors import UsageError
    from residual_expansion.render.claim_output import render_claim_list, render_results

    if args.list:
        entries = registered_claims()
        if args.claims is not None:
            wanted = {c.id for c in select(args.claims)}
            entries = tuple(r for r in entries if r.claim.id in wanted)
        print(render_claim_list(entries, args.format))
        return 0
    if args.depth is None:
        raise UsageError("--depth is required (or --list to list the claims)")
    claims = select(args.claims)
    results = run_claims(claims, args.depth, args.order, args.seed)
    print(render_results(results, args.format, depth=args.depth, order=args.order, seed=args.seed,
                         timings=args.timings))
    return 1 if any(r.status == "FAIL" for r in results) else 0
