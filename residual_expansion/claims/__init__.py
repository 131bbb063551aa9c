"""The claims registry: every claim the verifier checks, in the order ``verify`` runs them.

Each domain module of this package defines a tuple ``CLAIMS``; :data:`REGISTRY` is their
concatenation. Nothing registers at run time.
"""

from __future__ import annotations

from residual_expansion.claims.base import PASS, FAIL, SKIP, Claim, ClaimResult, Outcome, verdict
from residual_expansion.errors import UsageError

from residual_expansion.claims import expansion_claims as _expansion
from residual_expansion.claims import path_claims as _paths
from residual_expansion.claims import numeric_claims as _numeric
from residual_expansion.claims import scaling_claims as _scaling
from residual_expansion.claims import normalization_claims as _normalization
from residual_expansion.claims import marion_claims as _marion

REGISTRY: tuple[Claim, ...] = (
    *_expansion.CLAIMS,
    *_paths.CLAIMS,
    *_numeric.CLAIMS,
    *_scaling.CLAIMS,
    *_normalization.CLAIMS,
    *_marion.CLAIMS,
)


def claim_ids() -> tuple[str, ...]:
    """The registered claim ids, in run order."""
    return tuple(c.id for c in REGISTRY)


def select(ids: str | None) -> tuple[Claim, ...]:
    """The claims named in a comma-separated list (all when ``ids`` is None).

    Raises
    ------
    UsageError
        When a name is not a registered claim id.
    """
    if ids is None:
        return REGISTRY
    wanted = [s.strip().upper() for s in ids.split(",") if s.strip()]
    known = {c.id: c for c in REGISTRY}
    unknown = [w for w in wanted if w not in known]
    if unknown or not wanted:
        raise UsageError(
            f"--claims: unknown claim id {', '.join(unknown) or '(empty)'}; "
            f"allowed: {', '.join(known)}"
        )
    return tuple(known[w] for w in wanted)


def run_claims(claims: tuple[Claim, ...], depth: int, order: int, seed: int) -> tuple[ClaimResult, ...]:
    """Run each claim at ``(depth, order, seed)``."""
    return tuple(c.run(depth, order, seed) for c in claims)


__all__ = [
    "PASS", "FAIL", "SKIP", "Claim", "ClaimResult", "Outcome", "verdict",
    "REGISTRY", "claim_ids", "select", "run_claims",
]
