"""An example residual-expansion plugin: the claim EX-PAIRS.

EX-PAIRS: the order-2 part of the closed form of an n-layer stack is
sum_{i<j} lambda_i lambda_j g_j'(x)[g_i(x)]: n(n-1)/2 chain trees, each with coefficient 1.
Checked by counting the order-2 terms of ``expand(n, 2)`` (labeled-tree enumeration)
against ``formula(n)``.
"""

from __future__ import annotations

from fractions import Fraction

from residual_expansion.claims.base import Claim, Outcome, verdict
from residual_expansion.theorem.expansion import expand


def pairs_formula(n: int) -> int:
    """n(n-1)/2, the claimed number of order-2 terms."""
    return n * (n - 1) // 2


def check_pairs(depth: int, order: int, seed: int, formula=pairs_formula) -> Outcome:
    """Count the order-2 terms of the closed form, check they are chains with coefficient 1."""
    terms = expand(depth, 2).of_order(2)
    chains = sum(1 for t in terms if t.tree.is_chain() and t.coefficient == Fraction(1))
    expected = formula(depth)
    ok = len(terms) == expected and chains == len(terms)
    return Outcome(
        method="labeled-tree enumeration (expand) vs n(n-1)/2",
        size=f"n={depth}, K=2",
        status=verdict(ok),
        evidence={"terms": len(terms), "chains with coefficient 1": chains, "formula": expected},
    )


def claims() -> tuple[Claim, ...]:
    """The plugin's claims (the entry point ``residual_expansion.claims: pairs``)."""
    return (
        Claim(
            id="EX-PAIRS",
            statement="the order-2 terms are the n(n-1)/2 chains g_j' g_i (i < j), each with coefficient 1",
            hypotheses="any smooth modules",
            proof="README.md",
            check=check_pairs,
        ),
    )
