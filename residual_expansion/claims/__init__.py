"""The claims registry: every claim the verifier checks, in the order ``verify`` runs them.

Each domain module of this package defines a tuple ``CLAIMS``; :data:`REGISTRY` is their
concatenation, in the order of :data:`MODULES`. Importing this package imports none of
them: ``REGISTRY`` is built on first use, and :func:`select` with ``lazy=True`` returns
:class:`ClaimRef` handles that import their module in the process that runs them (``verify``
forks its workers first, so each worker imports only what its claims need). Installed
packages add claims through the entry-point group ``residual_expansion.claims``
(:mod:`residual_expansion.claims.plugins`); :func:`select` and :func:`registered_claims`
include them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from residual_expansion.claims.base import (
    PASS, FAIL, SKIP, Claim, ClaimResult, ClaimResults, Outcome, failed_outcome, verdict,
)
from residual_expansion.claims.plugins import RegisteredClaim, registered
from residual_expansion.errors import UsageError

#: The built-in claims' modules (of this package) in registry order, with the ids of their
#: ``CLAIMS`` in order (tests/test_registry.py checks this against the modules themselves).
MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("expansion_claims", ("REX", "REX2", "COUNT", "TIED")),
    ("path_claims", ("PATHS", "LINEAR")),
    ("numeric_claims", ("NUM-COEF", "NUM-REMAINDER", "NUM-LINEAR", "NUM-PL")),
    ("scaling_claims", ("SCALE-ENERGY", "SCALE-SPECTRUM", "MARION-RES3", "MARION-REGIMES")),
    ("normalization_claims", ("NORM-ENERGY", "NORM-FREE", "ORDER-ENERGY", "LESION", "COMPLEXITY")),
    ("marion_claims", ("GRAD-ENERGY", "MARION-GRAD-REGIMES", "MARION-ODE", "MARION-SDE", "MARION-HURST")),
)


def builtin_claims() -> tuple[Claim, ...]:
    """Every built-in claim, in registry order (imports every module of :data:`MODULES`).

    >>> builtin_claims()[0].id
    'REX'
    """
    return tuple(c for name, _ in MODULES for c in import_module(f"{__name__}.{name}").CLAIMS)


def __getattr__(name: str):
    # REGISTRY is built on first use (importing the package stays light), then kept as the
    # module's constant, so later lookups (and tests that replace it) never come back here
    if name == "REGISTRY":
        value = builtin_claims()
        globals()["REGISTRY"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class ClaimRef:
    """A built-in claim named by its id and its module of this package, imported when it is run.

    It runs like the :class:`Claim` it names (``run``, ``monte_carlo``), so ``verify`` can fork
    its workers before any claim module is imported.

    >>> r = ClaimRef("COUNT", "expansion_claims")
    >>> r.load().id, r.run(3, 2, 0).status
    ('COUNT', 'PASS')
    """

    id: str
    module: str

    def load(self) -> Claim:
        """The claim itself (imports its module).

        Raises
        ------
        LookupError
            When the module defines no claim with this id.
        """
        for c in import_module(f"{__package__}.{self.module}").CLAIMS:
            if c.id == self.id:
                return c
        raise LookupError(f"claims module {self.module} defines no claim {self.id}")

    @property
    def monte_carlo(self) -> bool:
        return self.load().monte_carlo

    def run(self, depth: int, order: int, seed: int) -> ClaimResult:
        """:meth:`Claim.run` of the claim; a claim that cannot be loaded is a FAIL row with the reason."""
        try:
            claim = self.load()
        except (ImportError, LookupError) as exc:
            o = failed_outcome(exc, depth, order)
            return ClaimResult(self.id, o.method, o.size, o.status, o.evidence, 0.0)
        return claim.run(depth, order, seed)


def builtin(lazy: bool = False) -> tuple[Claim, ...] | tuple[ClaimRef, ...]:
    """The built-in claims: :data:`REGISTRY`, or with ``lazy`` and before it is built, a
    :class:`ClaimRef` for each (nothing imported).

    >>> [c.id for c in builtin(lazy=True)][:3]
    ['REX', 'REX2', 'COUNT']
    """
    if "REGISTRY" in globals():
        return globals()["REGISTRY"]
    if lazy:
        return tuple(ClaimRef(i, name) for name, ids in MODULES for i in ids)
    return __getattr__("REGISTRY")


def registered_claims(entry_points=None, lazy: bool = False) -> tuple[RegisteredClaim, ...]:
    """Built-in claims (see :func:`builtin` for ``lazy``) then installed plugins' claims, each
    with its source distribution."""
    return registered(builtin(lazy), entry_points)


def select(ids: str | None, entry_points=None, lazy: bool = False) -> tuple[Claim, ...]:
    """The claims named in a comma-separated list (all, plugins included, when ``ids`` is None).

    ``entry_points`` replaces the installed plugins (tests); see :func:`registered_claims`.
    ``lazy``: built-in claims as :class:`ClaimRef` handles (see :func:`builtin`).

    Raises
    ------
    UsageError
        When a name is not a registered claim id, or a plugin fails to load.
    """
    everything = tuple(r.claim for r in registered_claims(entry_points, lazy))
    if ids is None:
        return everything
    wanted = [s.strip().upper() for s in ids.split(",") if s.strip()]
    known = {c.id: c for c in everything}
    unknown = [w for w in wanted if w not in known]
    if unknown or not wanted:
        raise UsageError(
            f"ids: unknown claim id {', '.join(unknown) or '(empty)'}; "
            f"allowed: {', '.join(known)}", parameters=("ids",)
        )
    return tuple(known[w] for w in wanted)


def run_claim(claim_id: str, depth: int, order: int, seed: int) -> ClaimResult:
    """The registered claim ``claim_id`` (plugins included) run at ``(depth, order, seed)``.

    A module-level function, so a Dask worker can unpickle it by name and look the claim up
    in its own registry (a claim's check is often a lambda, which does not pickle).

    >>> run_claim("COUNT", 4, 2, 0).status
    'PASS'
    """
    (claim,) = select(claim_id)
    return claim.run(depth, order, seed)


def _result_of(v: dict) -> ClaimResult:
    return ClaimResult(v["claim"], v["method"], v["size"], v["status"], v["evidence"], float(v["seconds"]))


def run_claims(claims: tuple[Claim, ...], depth: int, order: int, seed: int, jobs: int = 1,
               done: Callable[[ClaimResult], None] | None = None, backend=None) -> tuple[ClaimResult, ...]:
    """Run each claim at ``(depth, order, seed)``; the results come back in claim order.

    ``jobs`` > 1 runs the checks in that many forked worker processes (see
    :func:`residual_expansion.claims.parallel.run_parallel`): every check is a pure function
    of ``(depth, order, seed)``, so the results are the same objects whatever ``jobs`` is,
    only the wall time changes. ``done(result)`` is called after each result (a progress bar).

    ``backend`` (a :class:`residual_expansion.scaling.execution.Backend`; None or in-process:
    everything here) sends the Monte Carlo claims (``Claim.monte_carlo``) to a Dask cluster,
    one task per claim (:func:`run_claim`), while this process runs the others one after the
    other (no forks next to the Dask client's threads); the results, hence the report (without
    timings), are the same bytes.

    >>> [r.claim for r in run_claims(select("COUNT,TIED"), 3, 2, 0)]
    ['COUNT', 'TIED']

    Raises
    ------
    UsageError
        When ``jobs`` < 1, a check refuses its size, or the scheduler cannot be reached.
    """
    if jobs < 1:
        raise UsageError(f"jobs must be at least 1, got {jobs}", parameters=("jobs",))
    remote = [] if backend is None or backend.in_process else [c for c in claims if c.monte_carlo]
    if not remote and jobs > 1 and len(claims) > 1:
        # start-up: the fork pool loads only when verify runs more than one job
        from residual_expansion.claims.parallel import run_parallel

        return ClaimResults(run_parallel(claims, depth, order, seed, jobs, done))
    results: dict[str, ClaimResult] = {}
    pending = None
    if remote:
        # start-up: the execution layer (and Dask) loads only when a cluster is asked for
        from concurrent.futures import ThreadPoolExecutor

        from residual_expansion.scaling.execution import Cell, Task, run_cells

        cells = [Cell(c.id, (Task(run_claim, (c.id, depth, order, seed)),), lambda outs: outs[0],
                      lambda r: r.to_dict(), _result_of) for c in remote]
        pool = ThreadPoolExecutor(max_workers=1)  # the cluster works while this thread runs the other claims
        pending = pool.submit(run_cells, cells, backend)
    try:
        for c in claims:
            if c not in remote:
                results[c.id] = c.run(depth, order, seed)
                if done is not None:
                    done(results[c.id])
    finally:
        if pending is not None:
            finished = pending.result()  # re-raises a scheduler that cannot be reached (UsageError)
            pool.shutdown()
            for r in finished:
                results[r.claim] = r
                if done is not None:
                    done(r)
    return ClaimResults(results[c.id] for c in claims)


__all__ = [
    "PASS", "FAIL", "SKIP", "Claim", "ClaimResult", "ClaimResults", "Outcome", "verdict",
    "MODULES", "REGISTRY", "ClaimRef", "RegisteredClaim", "builtin", "builtin_claims", "registered_claims", "select",
    "run_claim", "run_claims",
]
