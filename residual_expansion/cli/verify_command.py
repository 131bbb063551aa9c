"""``verify``: run every registered claim at one depth and print a row per claim."""

from __future__ import annotations

import argparse
import os
import sys

from residual_expansion.cli.args import comma_list, nonnegative_int, positive_int
from residual_expansion.cli.common import add_output_options, check_output_options, emit, progress
from residual_expansion.cli.execution_args import add_execution_arguments, backend_of

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
    p.add_argument("--claims", type=comma_list(str), default=None,
                   help="comma-separated claim ids, built-in or from installed plugins (default: all); "
                        "repeating --claims adds to the list")
    p.add_argument("--list", action="store_true",
                   help="list every claim (built-in and from plugins) with its source package, and exit")
    p.add_argument("--seed", type=nonnegative_int, default=DEFAULT_SEED, help="seed of every random draw (default 0)")
    add_execution_arguments(p, chunks=False)  # the Monte Carlo claims on Dask; the report is the same bytes
    add_output_options(p)
    p.add_argument("--timings", action="store_true",
                   help="also print each check's wall time (off by default: same command, same bytes)")
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="run the checks in this many processes (default: one per usable core on Linux, "
                        "at most 8); the output does not depend on it")
    p.set_defaults(run=run)


#: BLAS and OpenMP thread pools: one thread each. The checks multiply small matrices (d <= 16,
#: eigendecompositions of at most a few hundred rows), where a second BLAS thread costs more than
#: it gains (an eigendecomposition of 160 rows: 2 ms on one thread, 0.2 s of CPU on two when the
#: cores are shared), and the checks themselves run on the cores (--jobs). A variable the user
#: set is kept. Set before numpy is first imported (it is read when the library loads).
BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def single_threaded_blas() -> None:
    """Ask BLAS for one thread (:data:`BLAS_THREADS`) unless numpy is already loaded or the user chose."""
    if "numpy" not in sys.modules:
        for name, value in BLAS_THREADS.items():
            os.environ.setdefault(name, value)


def run(args: argparse.Namespace) -> int:
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.limits import check_verify

    single_threaded_blas()

    if args.depth is not None:
        check_verify(args.depth, args.order, None if args.claims is None else ",".join(args.claims))  # before the claims (and sympy) are imported
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.claims import registered_claims, run_claims, select
    from residual_expansion.claims.parallel import default_jobs, fork_available
    from residual_expansion.errors import UsageError
    from residual_expansion.render.claim_output import render_claim_list, render_results

    check_output_options(args)
    ids = None if args.claims is None else ",".join(args.claims)
    if args.list:
        entries = registered_claims()
        if ids is not None:
            wanted = {c.id for c in select(ids)}
            entries = tuple(r for r in entries if r.claim.id in wanted)
        emit(args, render_claim_list(entries, args.format), title="Claims")
        return 0
    if args.depth is None:
        raise UsageError("--depth is required (or --list to list the claims)")
    claims = select(ids, lazy=True)  # handles: each claim's module loads in the process that runs it
    backend = backend_of(args)
    jobs = default_jobs(len(claims)) if args.jobs is None else args.jobs
    if jobs > 1 and (not fork_available() or not backend.in_process):
        jobs = 1  # no forks next to a Dask client's threads: the Monte Carlo claims go to the cluster instead
    # The bar starts with the first result, after the workers are forked: a tqdm bar starts tqdm's
    # monitor thread, and a process with a second thread must not fork (default_jobs).
    bars = []

    def done(result) -> None:
        if not bars:
            bars.append(progress(len(claims), desc="verify", quiet=args.quiet, unit="claim"))
        bars[0].set_postfix_str(result.claim)
        bars[0].update(1)

    try:
        results = run_claims(claims, args.depth, args.order, args.seed, jobs=jobs, done=done, backend=backend)
    finally:
        for bar in bars:
            bar.close()
    emit(args, render_results(results, args.format, depth=args.depth, order=args.order, seed=args.seed,
                              timings=args.timings), title="Verification")
    return 1 if any(r.status == "FAIL" for r in results) else 0
