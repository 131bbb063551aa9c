"""What a claim is, what checking it returns, and how a check is timed.

A :class:`Claim` pairs a one-line mathematical statement with the path of its written
proof and a *check*: a function ``check(depth, order, seed) -> Outcome`` that computes
the claim at that size along a route independent of the formula being checked.
:meth:`Claim.run` times the check and returns a :class:`ClaimResult`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from residual_expansion.errors import UsageError

PASS = "PASS"
FAIL = "FAIL"
SKIP = "SKIP"


@dataclass(frozen=True)
class Outcome:
    """What a check found.

    Attributes
    ----------
    method:
        The route taken, e.g. ``"sympy series of the nested composition"``.
    size:
        The sizes checked, e.g. ``"n=8, K=3"``.
    status:
        ``"PASS"``, ``"FAIL"``, or ``"SKIP"`` (the claim does not apply at this size;
        ``evidence["reason"]`` says why).
    evidence:
        Ordered facts backing the status: terms compared, largest residual, instances,
        tolerance (numeric claims always carry the tolerance they were held to). Keys are
        snake_case identifiers; any other key is normalised by :func:`snake_key`
        (``"sqrt: measured"`` becomes ``"sqrt_measured"``).
    """

    method: str
    size: str
    status: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in (PASS, FAIL, SKIP):
            raise ValueError(f"status must be PASS, FAIL or SKIP, got {self.status!r}")
        # evidence keys are snake_case identifiers (the JSON schema): a key written as a label
        # ("sqrt: measured") is normalised by snake_key; two labels that collide are an error
        keys = {k: k if _SNAKE.fullmatch(str(k)) else snake_key(str(k)) for k in self.evidence}
        if len(set(keys.values())) != len(keys):
            raise ValueError(f"evidence keys collide as snake_case identifiers: {sorted(keys)!r}")
        if any(k != v for k, v in keys.items()):
            object.__setattr__(self, "evidence", {keys[k]: v for k, v in self.evidence.items()})

    @property
    def passed(self) -> bool:
        return self.status == PASS


_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def snake_key(text: str) -> str:
    """``text`` as a snake_case identifier, for evidence keys built from labels.

    >>> snake_key("beta=0.5"), snake_key("iid-uniform beta=0.25"), snake_key("two-branch")
    ('beta_0_5', 'iid_uniform_beta_0_25', 'two_branch')
    """
    key = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return key if key[:1].isalpha() else "k_" + key


def verdict(ok: bool) -> str:
    """``"PASS"`` when ``ok`` else ``"FAIL"``."""
    return PASS if ok else FAIL


def failed_outcome(exc: BaseException, depth: int, order: int) -> Outcome:
    """The FAIL outcome of a check that raised ``exc``: its type and message are the reason.

    >>> failed_outcome(ArithmeticError("m b_m is not divisible by m"), 8, 4).evidence["reason"]
    'ArithmeticError: m b_m is not divisible by m'
    """
    message = " ".join(str(exc).split())[:300]
    return Outcome("check raised an error", f"n={depth}, K={order}", FAIL,
                   {"reason": f"{type(exc).__name__}: {message}"})


@dataclass(frozen=True)
class ClaimResult:
    """A claim's outcome at one size, with its id and the wall time of the check."""

    claim: str
    method: str
    size: str
    status: str
    evidence: Mapping[str, Any]
    seconds: float

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def _repr_markdown_(self) -> str:
        # renderers import the result types, not the reverse: a result loads its renderer on display
        from residual_expansion.render.notebook import claim_result_markdown

        return claim_result_markdown(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "method": self.method,
            "size": self.size,
            "status": self.status,
            "evidence": dict(self.evidence),
            "seconds": round(self.seconds, 3),
        }


class ClaimResults(tuple):
    """The results of :func:`residual_expansion.claims.run_claims`: a tuple that renders as a table in notebooks."""

    def _repr_markdown_(self) -> str:
        # renderers import the result types, not the reverse: a result loads its renderer on display
        from residual_expansion.render.notebook import claim_results_markdown

        return claim_results_markdown(self)


@dataclass(frozen=True)
class Claim:
    """A registered claim.

    Attributes
    ----------
    id:
        Short upper-case identifier, e.g. ``"REX"``.
    statement:
        The claim in one line.
    hypotheses:
        When it holds (module smoothness, scale regime, weight law).
    proof:
        Path of its written proof, relative to the repository root (``proofs/...md``).
    check:
        ``check(depth, order, seed) -> Outcome``.
    monte_carlo:
        True when the check samples random networks (a Monte Carlo claim): ``verify
        --workers N`` / ``--scheduler ADDRESS`` runs such claims on the Dask backend
        (:func:`residual_expansion.claims.run_claims`); the others always run in-process.
    """

    id: str
    statement: str
    hypotheses: str
    proof: str
    check: Callable[[int, int, int], Outcome]
    monte_carlo: bool = False

    def run(self, depth: int, order: int, seed: int) -> ClaimResult:
        """Run the check at ``(depth, order, seed)`` and time it.

        An internal inconsistency or any other error inside the check is a result, not a
        crash: the row is FAIL with the error as its reason (:func:`failed_outcome`), so one
        broken route never hides the other claims' report. Bad input
        (:class:`~residual_expansion.errors.UsageError`) still propagates.
        """
        start = time.perf_counter()
        try:
            outcome = self.check(depth, order, seed)
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure of a check is reported as FAIL
            outcome = failed_outcome(exc, depth, order)
        seconds = time.perf_counter() - start
        return ClaimResult(
            claim=self.id,
            method=outcome.method,
            size=outcome.size,
            status=outcome.status,
            evidence=outcome.evidence,
            seconds=seconds,
        )
