"""Run claims' checks in forked worker processes; the results are joined in claim order.

Every check is a pure function of ``(depth, order, seed)`` (its random draws derive from
the seed, docs/distributed.md), so running the checks of ``verify`` in several processes
changes the wall time and nothing else: :func:`run_parallel` returns the same
:class:`~residual_expansion.claims.base.ClaimResult` objects, in the same order, as running
them one after the other (tests/test_verify_parallel.py compares the bytes of every output
format).

The workers are forked before the claims' modules and their dependencies are imported
(``verify`` passes :class:`~residual_expansion.claims.ClaimRef` handles): each worker imports
what the claims it runs need, so the imports are shared out between the cores like the
checks. A worker takes the next claim nobody has taken in its own scan order
(:func:`scan_order`: with two workers, one from each end of the registry, where the exact
claims (sympy, networkx) and the Monte Carlo claims (scipy) sit, so each imports about half
the dependencies; the slowest check does not hold back the others) and sends each result
back through its own pipe. A worker
that dies (killed, out of memory) turns the claim it was running into a FAIL row with the
exit code as its reason, and the claims it had not started run in the surviving workers,
or in this process when none survives; a result that cannot be sent back (it does not
pickle) is computed again in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait

from residual_expansion.claims.base import Claim, ClaimResult, failed_outcome
from residual_expansion.errors import UsageError

#: At most this many worker processes (each forks the whole interpreter).
MAX_JOBS = 8


def fork_available() -> bool:
    """True where workers can be forked cheaply and safely (Linux, the ``fork`` start method)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def usable_cores() -> int:
    """The number of CPU cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_jobs(claims: int) -> int:
    """Worker processes for ``claims`` checks when the user did not choose: one per usable core.

    1 (run in this process) when there is a single check, no ``fork`` (not Linux), or more
    than one thread alive (:func:`threads_alive`): forking a multi-threaded process can copy
    a lock another thread holds, so the checks then run here.

    >>> default_jobs(1)
    1
    """
    if claims < 2 or not fork_available() or threads_alive() > 1:
        return 1
    return max(1, min(MAX_JOBS, usable_cores(), claims))


def threads_alive() -> int:
    """Threads of this process, native ones included (``/proc/self/task``: a BLAS or JAX pool
    is invisible to :mod:`threading`), else the Python threads."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # pragma: no cover - no procfs
        return threading.active_count()


def scan_order(worker: int, jobs: int, n: int) -> list[int]:
    """The order in which worker ``worker`` of ``jobs`` looks for a claim nobody has taken.

    Two workers scan from opposite ends and meet where their speeds say; more workers start
    at evenly spaced claims and go forward (wrapping around). Every scan visits every claim.

    >>> scan_order(0, 2, 4), scan_order(1, 2, 4), scan_order(2, 3, 6)
    ([0, 1, 2, 3], [3, 2, 1, 0], [4, 5, 0, 1, 2, 3])
    """
    if jobs == 2 and worker == 1:
        return list(range(n - 1, -1, -1))
    start = worker * n // jobs
    return [(start + k) % n for k in range(n)]


def _take(taken, lock, scan: Sequence[int]) -> int | None:
    """The first claim of ``scan`` nobody has taken, marked taken; None when all are."""
    with lock:
        for i in scan:
            if not taken[i]:
                taken[i] = 1
                return i
    return None


def _worker(claims: Sequence[Claim], depth: int, order: int, seed: int, taken, lock, scan, conn) -> None:
    """Take claims in ``scan`` order until none is left; send ("start", i) then the outcome of each."""
    while True:
        i = _take(taken, lock, scan)
        if i is None:
            break
        conn.send(("start", i, None))
        try:
            result = claims[i].run(depth, order, seed)
        except UsageError as exc:
            conn.send(("usage", i, (str(exc), exc.parameters)))
            continue
        try:
            conn.send(("done", i, result))
        except Exception:  # noqa: BLE001 - the result does not pickle: the parent runs the claim itself
            conn.send(("local", i, None))
    conn.close()


def run_parallel(claims: Sequence[Claim], depth: int, order: int, seed: int, jobs: int,
                 done: Callable[[ClaimResult], None] | None = None) -> list[ClaimResult]:
    """Run ``claims`` at ``(depth, order, seed)`` in ``jobs`` forked workers; results in claim order.

    ``done(result)`` is called for each result as soon as it and every earlier claim's
    result are in (claim order).

    Raises
    ------
    UsageError
        When ``jobs`` < 2 or ``fork`` is unavailable, or a check refuses its size (the
        first such claim in claim order, as a sequential run would).
    """
    if jobs < 2:
        raise UsageError(f"jobs must be at least 2 for a parallel run, got {jobs}", parameters=("jobs",))
    if not fork_available():
        raise UsageError("jobs > 1 needs the fork start method (Linux); use jobs=1", parameters=("jobs",))
    ctx = multiprocessing.get_context("fork")
    n = len(claims)
    taken, lock = ctx.RawArray("b", n), ctx.Lock()
    workers = []
    jobs = min(jobs, n)
    gc.freeze()  # the workers' collector then never walks (and so never copies) the parent's objects
    try:
        for w in range(jobs):
            reader, writer = ctx.Pipe(duplex=False)
            args = (claims, depth, order, seed, taken, lock, scan_order(w, jobs, n), writer)
            proc = ctx.Process(target=_worker, args=args, daemon=True)
            proc.start()
            writer.close()
            workers.append((proc, reader))
    finally:
        gc.unfreeze()
    results: dict[int, ClaimResult | tuple[str, tuple[str, ...]]] = {}
    running: dict[int, int] = {}  # worker number -> claim index it started
    emitted = 0

    def settle(i: int, value) -> None:
        nonlocal emitted
        results[i] = value
        while emitted < n and emitted in results:
            value = results[emitted]
            if isinstance(value, ClaimResult) and done is not None:
                done(value)
            emitted += 1

    try:
        live = dict(enumerate(workers))
        while live:
            for ready in wait([conn for _, conn in live.values()]):
                w = next(k for k, (_, conn) in live.items() if conn is ready)
                try:
                    kind, i, payload = ready.recv()
                except EOFError:  # the worker is gone: finished, or died while running a claim
                    proc = live.pop(w)[0]
                    proc.join()
                    if w in running:
                        i = running.pop(w)
                        c = claims[i]
                        reason = RuntimeError(f"the worker process running this check died (exit code {proc.exitcode})")
                        o = failed_outcome(reason, depth, order)
                        settle(i, ClaimResult(c.id, o.method, o.size, o.status, o.evidence, 0.0))
                    continue
                if kind == "start":
                    running[w] = i
                    continue
                running.pop(w, None)
                if kind == "done":
                    settle(i, payload)
                elif kind == "usage":
                    settle(i, ("usage", payload))
                else:  # "local": run it here
                    settle(i, claims[i].run(depth, order, seed))
        for i in range(n):  # claims no worker started (every worker died): run them here
            if i not in results:
                settle(i, claims[i].run(depth, order, seed))
    finally:
        for proc, conn in workers:
            if proc.is_alive():
                proc.terminate()
            proc.join()
            conn.close()
    out = []
    for i in range(n):
        value = results[i]
        if not isinstance(value, ClaimResult):
            message, parameters = value[1]
            raise UsageError(message, parameters=parameters)
        out.append(value)
    return out


__all__ = ["MAX_JOBS", "fork_available", "usable_cores", "default_jobs", "threads_alive", "scan_order", "run_parallel"]
