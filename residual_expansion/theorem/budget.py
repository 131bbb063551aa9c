"""The one term budget: how many closed-form terms a route will build, and what it can afford.

Every route that builds the closed form (``expand``, the numeric cross-check, the claims'
symbolic, instance and numeric routes) counts the terms it will actually build with
:func:`closed_form_terms` (degree-aware: a module of polynomial degree p keeps only trees
whose nodes have at most p children, docs/theory.md#degree-pruning), lowers the order with
:func:`affordable_order` or refuses with :func:`check_budget`. The limits differ by cost
per term, and are named here:

* :data:`SYMBOLIC_LIMIT`: terms ``expand`` builds as exact data (about 1e5 per second);
* :data:`NUMERIC_LIMIT`: terms the cross-check evaluates in float64 (one derivative
  evaluation per distinct subtree, a few seconds at the limit).

Reference: docs/theory.md#tree-counts (N(n, k)) and proofs/residual-expansion.md.
"""

from __future__ import annotations

from collections.abc import Callable

from residual_expansion.errors import UsageError
from residual_expansion.theorem.trees import count_labeled_trees

#: Terms ``expand`` builds (N(8, 7) = 123,290 takes about a second).
SYMBOLIC_LIMIT = 1_000_000
#: Terms the numeric cross-check evaluates (a few seconds of evaluation).
NUMERIC_LIMIT = 100_000


def closed_form_terms(depth: int, order: int, max_children: int | None = None) -> int:
    """sum_{k=1..K} N_p(n, k): the terms of the closed form to order K (nodes with <= p children).

    >>> closed_form_terms(8, 4), closed_form_terms(14, 14, max_children=1)
    (904, 16383)
    """
    return sum(count_labeled_trees(depth, k, max_children) for k in range(1, order + 1))


def affordable_order(
    depth: int,
    order: int,
    limit: int,
    *,
    max_children: int | None = None,
    count: Callable[[int, int], int] | None = None,
) -> int:
    """The largest k <= ``order`` whose route builds at most ``limit`` terms (0 when even k = 1 is over).

    ``count(depth, k)`` is the number of terms the route builds to order k (default
    :func:`closed_form_terms` with ``max_children``); it must increase with k.

    >>> affordable_order(100, 4, 6000), affordable_order(10 ** 4, 4, 6000), affordable_order(8, 8, 100_000)
    (2, 0, 6)
    """
    size = count or (lambda n, k: closed_form_terms(n, k, max_children))
    k = 0
    while k < order and size(depth, k + 1) <= limit:
        k += 1
    return k


def check_budget(depth: int, order: int, limit: int, *, max_children: int | None = None,
                 advice: str = "", advice_parameters: tuple[str, ...] = ()) -> int:
    """The number of terms to order K, or UsageError when it exceeds ``limit``.

    The message names the parameters (depth, order) and the largest affordable order, or
    ``advice`` when even order 1 is over the limit; ``advice`` (naming
    ``advice_parameters``) is appended to the message.

    Raises
    ------
    UsageError
        When the closed form has more than ``limit`` terms.

    >>> check_budget(8, 4, 1000)
    904
    """
    total = closed_form_terms(depth, order, max_children)
    if total <= limit:
        return total
    k = affordable_order(depth, order, limit, max_children=max_children)
    hint = f"use order {k} or less" if k else "lower depth"
    raise UsageError(
        f"depth {depth}, order {order} has {total} closed-form terms, beyond the limit of {limit}; "
        f"{hint}{advice}", parameters=("depth", "order") + tuple(advice_parameters))


__all__ = ["SYMBOLIC_LIMIT", "NUMERIC_LIMIT", "closed_form_terms", "affordable_order", "check_budget"]
