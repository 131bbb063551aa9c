"""Running a sweep's cells: in-process, on a local Dask cluster, or on an existing Dask scheduler.

A sweep is a sequence of :class:`Cell` s (a scaling sweep: one cell per depth). A cell is
a tuple of :class:`Task` s (chunks of samples; each a module-level function and its
picklable arguments, so Dask can send it to a worker process) and a ``reduce`` that joins
the task results (in task order, whatever order they finished in) into the cell's result
on the client. A cell's tasks draw from streams derived from (root seed, cell, sample)
(:mod:`residual_expansion.scaling.streams`), so the result is the same bytes wherever and
however the tasks run (docs/distributed.md).

:class:`Backend`: with neither ``workers`` nor ``scheduler`` the tasks run in this process
in order and Dask is never imported; ``workers=N`` starts a ``distributed.LocalCluster``
of N single-threaded worker processes on 127.0.0.1 for the run; ``scheduler=ADDRESS``
connects to an existing scheduler (``dask scheduler``, dask-jobqueue on SLURM, ...).

A :class:`Checkpoint` is a JSON-lines file: a header naming the sweep's parameters (and
their SHA-256 fingerprint), then one line per finished cell, appended as the cell finishes.
A run with an existing checkpoint of the same sweep reuses its cells and runs the rest; a
checkpoint of another sweep is refused (UsageError) and left untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from residual_expansion.errors import UsageError

if TYPE_CHECKING:  # optional extra (distributed): for the annotation only
    from distributed import LocalCluster

#: Version of the checkpoint file layout (a different version is refused, not converted).
CHECKPOINT_VERSION = 1
#: Seconds to wait for an existing scheduler to answer.
CONNECT_TIMEOUT = 20

Progress = Callable[[int], None]

#: Dask settings of the clusters ``workers=N`` starts (docs/distributed.md, "Quiet workers"), as
#: (key, value) pairs: each turns off or slows a background job of the worker's or the parent's
#: event loop that only feeds the dashboard, and together they cut the background CPU of a
#: 1-worker Figure 7 run from about 8 % of its wall time to about 3 % (docs/benchmarks.md).
#: - the worker's statistical profiler (a stack walk of every thread every 10 ms, for the
#:   dashboard's profile page);
#: - the event-loop tick (a latency probe every 20 ms in the scheduler, nanny and worker,
#:   which only logs a warning on a blocked loop; 500 ms is Dask's own test setting);
#: - the system monitor (psutil CPU, memory, network and disk counters every 500 ms, for
#:   the dashboard's plots).
#: The memory monitor (pause, spill, terminate) keeps its default.
QUIET_CLUSTER: tuple[tuple[str, Any], ...] = (
    ("distributed.worker.profile.enabled", False),
    ("distributed.admin.tick.interval", "500ms"),
    ("distributed.admin.system-monitor.interval", "2s"),
)


@dataclass(frozen=True)
class Task:
    """One unit of work sent to a worker: ``fn(*args)``, worth ``weight`` progress units.

    ``fn`` must be importable by name (a module-level function) so a worker can unpickle it;
    when ``reports_progress`` is true, an in-process run passes ``progress=`` to ``fn``
    (which then reports its own ``weight`` units) instead of ticking after it.
    """

    fn: Callable[..., Any]
    args: tuple
    weight: int = 1
    reports_progress: bool = False


@dataclass(frozen=True)
class Cell:
    """A cell of a sweep: its key (unique in the sweep), its tasks, and how to join and store them.

    ``reduce(results)`` gets the task results in task order; ``encode(result)`` returns a
    JSON value (finite numbers only) and ``decode`` inverts it exactly (a checkpointed cell
    must print the same bytes as a computed one).
    """

    key: str
    tasks: tuple[Task, ...]
    reduce: Callable[[list], Any]
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


@dataclass(frozen=True)
class Backend:
    """Where tasks run: in-process (default), ``workers`` local processes, or an existing ``scheduler``.

    >>> Backend().label, Backend(workers=2).label
    ('in-process', 'local cluster of 2 workers')

    Raises
    ------
    UsageError
        For both workers and scheduler, workers < 1, or an empty scheduler address.
    """

    workers: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and self.scheduler is not None:
            raise UsageError("give workers or scheduler, not both", parameters=("workers", "scheduler"))
        if self.workers is not None and self.workers < 1:
            raise UsageError(f"workers must be at least 1, got {self.workers}", parameters=("workers",))
        if self.scheduler is not None and not self.scheduler.strip():
            raise UsageError("scheduler must be an address such as tcp://127.0.0.1:8786", parameters=("scheduler",))

    @property
    def in_process(self) -> bool:
        return self.workers is None and self.scheduler is None

    @property
    def label(self) -> str:
        if self.workers is not None:
            return f"local cluster of {self.workers} worker{'s' if self.workers != 1 else ''}"
        return f"scheduler {self.scheduler}" if self.scheduler else "in-process"


# --------------------------------------------------------------------------- checkpoints


def fingerprint(params: dict) -> str:
    """SHA-256 of the canonical JSON of ``params`` (sorted keys, no spaces).

    >>> fingerprint({"b": 1, "a": [1.5]}) == fingerprint({"a": [1.5], "b": 1})
    True
    """
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """A JSON-lines checkpoint at ``path`` for the sweep described by ``params``.

    Line 1: ``{"checkpoint": 1, "fingerprint": ..., "params": ...}``; then one line
    ``{"cell": KEY, "result": ...}`` per finished cell.
    """

    path: str
    params: dict

    @property
    def header(self) -> dict:
        return {"checkpoint": CHECKPOINT_VERSION, "fingerprint": fingerprint(self.params), "params": self.params}

    def load(self) -> dict[str, Any]:
        """The finished cells (key -> stored JSON value); {} when the file is missing or empty.

        A last line without its newline (a run killed while writing) is cut off.

        Raises
        ------
        UsageError
            When the file is not a checkpoint, or belongs to a sweep with other parameters.
        """
        if not os.path.exists(self.path):
            return {}
        with open(self.path, "rb") as f:
            data = f.read()
        if not data:
            return {}
        complete = data[: data.rfind(b"\n") + 1]
        lines = complete.decode("utf-8", errors="replace").splitlines()
        try:
            head = json.loads(lines[0]) if lines else None
        except json.JSONDecodeError:
            head = None
        if not isinstance(head, dict) or head.get("checkpoint") != CHECKPOINT_VERSION or "fingerprint" not in head:
            raise UsageError(f"checkpoint {self.path} was not written by residual-expansion (layout version {CHECKPOINT_VERSION}); "
                             "give another file", parameters=("checkpoint",))
        mine = fingerprint(self.params)
        if head["fingerprint"] != mine:
            raise UsageError(
                f"checkpoint {self.path} was written by a different sweep (fingerprint {head['fingerprint'][:12]}, "
                f"this sweep {mine[:12]}); give another file", parameters=("checkpoint",)
            )
        cells: dict[str, Any] = {}
        for n, line in enumerate(lines[1:], start=2):
            try:
                entry = json.loads(line)
                key, value = entry["cell"], entry["result"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise UsageError(f"checkpoint {self.path}: line {n} is damaged; give another file",
                                 parameters=("checkpoint",)) from None
            cells.setdefault(str(key), value)
        if len(complete) != len(data):  # cut a torn last line so the next append starts clean
            with open(self.path, "r+b") as f:
                f.truncate(len(complete))
        return cells

    def append(self, key: str, value: Any) -> None:
        """Append one finished cell (writing the header first if the file is new), flushed to disk."""
        new = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        with open(self.path, "a", encoding="utf-8") as f:
            if new:
                f.write(json.dumps(self.header, sort_keys=True, allow_nan=False) + "\n")
            f.write(json.dumps({"cell": key, "result": value}, sort_keys=True, allow_nan=False) + "\n")
            f.flush()
            os.fsync(f.fileno())


# --------------------------------------------------------------------------- running


def run_cells(
    cells: Sequence[Cell],
    backend: Backend = Backend(),
    checkpoint: Checkpoint | None = None,
    progress: Progress | None = None,
) -> list[Any]:
    """The result of every cell, in the order given, computed on ``backend``.

    Cells found in ``checkpoint`` are decoded instead of computed; every computed cell
    is appended to it as soon as its last task finishes.

    >>> from operator import add
    >>> cells = [Cell(str(i), (Task(add, (i, 1)), Task(add, (i, 2))), sum, int, int) for i in range(3)]
    >>> run_cells(cells)
    [3, 5, 7]

    Raises
    ------
    UsageError
        For duplicate cell keys, a refused checkpoint, or a scheduler that cannot be reached.
    """
    keys = [c.key for c in cells]
    if len(set(keys)) != len(keys):
        raise UsageError("cell keys must be unique within a sweep")
    tick = progress or (lambda _n: None)
    stored = checkpoint.load() if checkpoint is not None else {}
    results: dict[str, Any] = {}
    for c in cells:
        if c.key in stored:
            results[c.key] = c.decode(stored[c.key])
            tick(sum(t.weight for t in c.tasks))
    todo = [c for c in cells if c.key not in results]

    def finish(cell: Cell, outs: list) -> None:
        value = cell.reduce(outs)
        if checkpoint is not None:
            checkpoint.append(cell.key, cell.encode(value))
        results[cell.key] = value

    if todo:
        if backend.in_process:
            for c in todo:
                outs = []
                for t in c.tasks:
                    if t.reports_progress:
                        outs.append(t.fn(*t.args, progress=tick))
                    else:
                        outs.append(t.fn(*t.args))
                        tick(t.weight)
                finish(c, outs)
        else:
            _run_dask(todo, backend, finish, tick)
    return [results[k] for k in keys]


def start_local_cluster(workers: int, quiet: bool = True) -> LocalCluster:
    """A ``distributed.LocalCluster`` of ``workers`` single-threaded worker processes on 127.0.0.1
    (every listener on loopback, free ports), as ``Backend(workers=N)`` runs it; the caller closes it.

    Dask's nannies export ``MALLOC_TRIM_THRESHOLD_=65536``, which turns off glibc's dynamic mmap
    threshold: every temporary array over 128 KiB is then mmapped and page-faulted afresh (a
    Hurst-map network took 3.6 s of CPU instead of 0.8 s); the workers started here keep glibc's
    default. A nanny also sets it in its own process's environment, which later spawns inherit:
    it is taken out of ours while the workers start, and what was there is put back. With
    ``quiet`` (the default; ``False`` only to measure Dask's defaults) the cluster runs with
    :data:`QUIET_CLUSTER` (the nannies hand the configuration to their workers).

    >>> dict(QUIET_CLUSTER)["distributed.worker.profile.enabled"]
    False
    >>> start_local_cluster(0)
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: workers must be at least 1, got 0

    Raises
    ------
    UsageError
        When ``workers`` < 1.
    """
    if workers < 1:
        raise UsageError(f"workers must be at least 1, got {workers}", parameters=("workers",))
    # optional extra (distributed): Dask loads only when a cluster is asked for
    import logging

    import dask
    from distributed import LocalCluster

    settings: dict[str, Any] = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    if quiet:
        settings.update(QUIET_CLUSTER)
    saved = os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        with dask.config.set(settings):
            return LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
            )
    finally:
        if saved is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = saved


def worker_environment() -> tuple[tuple[str, str], ...]:
    """Environment variables that give Dask processes started elsewhere (``dask worker``,
    dask-jobqueue's batch jobs) the settings of the clusters ``workers=N`` starts: each entry of
    :data:`QUIET_CLUSTER` as ``DASK_<KEY>`` (dots become ``__``, dashes ``_``; Dask parses the
    value as a Python literal), and the nannies' pre-spawn environment without
    ``MALLOC_TRIM_THRESHOLD_`` (a dict literal merged into Dask's default, ``None`` unsets it).

    >>> dict(worker_environment())["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"]
    'False'
    >>> dict(worker_environment())["DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON"]
    "{'MALLOC_TRIM_THRESHOLD_': None}"
    """
    pairs = [("DASK_" + key.upper().replace(".", "__").replace("-", "_"), str(value)) for key, value in QUIET_CLUSTER]
    pairs.append(("DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON", repr({"MALLOC_TRIM_THRESHOLD_": None})))
    return tuple(pairs)


def _run_dask(cells: Sequence[Cell], backend: Backend, finish: Callable[[Cell, list], None], tick: Progress) -> None:
    """Submit every task (earlier cells first), finish each cell when its last task is done."""
    # optional extra (distributed): Dask loads only when a cluster is asked for
    from distributed import Client, as_completed

    cluster = None
    if backend.workers is not None:
        cluster = start_local_cluster(backend.workers)
        client = Client(cluster)
    else:
        try:
            client = Client(backend.scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"scheduler {backend.scheduler} cannot be reached: {str(exc).splitlines()[0]}",
                             parameters=("scheduler",)) from None
    try:
        where: dict[str, tuple[int, int]] = {}
        futures = []
        for ci, cell in enumerate(cells):
            for ti, task in enumerate(cell.tasks):
                fut = client.submit(task.fn, *task.args, pure=False, priority=len(cells) - ci)
                where[fut.key] = (ci, ti)
                futures.append(fut)
        outs: list[list] = [[None] * len(c.tasks) for c in cells]
        left = [len(c.tasks) for c in cells]
        for fut in as_completed(futures):
            ci, ti = where[fut.key]
            outs[ci][ti] = fut.result()
            fut.release()
            tick(cells[ci].tasks[ti].weight)
            left[ci] -= 1
            if left[ci] == 0:
                finish(cells[ci], outs[ci])
                outs[ci] = []
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
