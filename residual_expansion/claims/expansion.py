"""Claims of the Residual Expansion Theorem: REX, REX2, COUNT, TIED (filled in by the foundation work)."""

from residual_expansion.claims.base import Claim

CLAIMS: tuple[Claim, ...] = ()
