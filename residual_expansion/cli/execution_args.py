"""Flags shared by the Monte Carlo sweeps: where tasks run, chunk size, draw threads and dtype, checkpoint.

A command adds them with :func:`add_execution_arguments` and turns them into a
:class:`residual_expansion.scaling.execution.Backend` with :func:`backend_of`. None of
them changes a printed number (docs/distributed.md), except ``--dtype float32``, which
draws other (float32) weights.
"""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import positive_int
from residual_expansion.errors import UsageError


def add_execution_arguments(p: argparse.ArgumentParser, dtype: bool = True, chunks: bool = True) -> None:
    """--workers/--scheduler (exclusive), then (``chunks``) --chunk, --threads, (``dtype``) --dtype, --checkpoint."""
    grp = p.add_mutually_exclusive_group()
    grp.add_argument("--workers", type=positive_int, default=None,
                     help="run the tasks on a local Dask cluster of N worker processes on 127.0.0.1 (needs dask[distributed])")
    grp.add_argument("--scheduler", metavar="ADDRESS", default=None,
                     help="run the tasks on an existing Dask scheduler, e.g. tcp://127.0.0.1:8786")
    if not chunks:
        return
    p.add_argument("--chunk", type=positive_int, default=None,
                   help="samples per task (default: a 32 MiB memory budget); does not change the numbers")
    p.add_argument("--threads", type=positive_int, default=1,
                   help="threads per task, each running a share of its samples (default 1); does not change the numbers")
    if dtype:
        p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                       help="materialised weights and forward pass in float64 (default) or float32 (faster; other draws)")
    p.add_argument("--checkpoint", metavar="FILE", default=None,
                   help="append each finished cell to FILE (JSON lines); a rerun with FILE skips finished cells")


def backend_of(args: argparse.Namespace):
    """The Backend named by --workers / --scheduler (in-process when neither is given)."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.scaling.execution import Backend

    return Backend(workers=args.workers, scheduler=args.scheduler)


def reject_execution_arguments(args: argparse.Namespace, mode: str) -> None:
    """UsageError when an execution flag is given to a mode that does not run on the execution layer.

    Raises
    ------
    UsageError
        Naming the flags and the mode, so no flag is silently ignored.
    """
    given = [flag for flag, on in (
        ("--workers", args.workers is not None), ("--scheduler", args.scheduler is not None),
        ("--chunk", args.chunk is not None), ("--threads", args.threads != 1),
        ("--dtype", args.dtype != "float64"), ("--checkpoint", args.checkpoint is not None),
    ) if on]
    if given:
        raise UsageError(f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply to {mode} yet; "
                         "drop the flag or run the plain sweep")
