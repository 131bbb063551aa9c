"""Rooted trees: labeled trees of a residual stack and their unlabeled shapes.

A *labeled tree* (docs/theory.md#the-residual-expansion-theorem) is a rooted tree with unordered children whose
nodes carry layer labels in ``1..n``, each child's label strictly below its parent's
(siblings may share a label). It indexes one elementary differential
``F(t)(x) = g_r^{(m)}(x)[F(t_1)(x), ..., F(t_m)(x)]`` of the expansion of
``x_n = x_{n-1} + lambda_n g_n(x_{n-1})``.

Both tree types are stored in *canonical form*: the children tuple is sorted, so two
trees that differ only in the order their children were given compare and hash equal.

References: J. C. Butcher, *Numerical Methods for ODEs* (trees, sigma, gamma);
RootedTrees.jl; OEIS A000081 (unlabeled rooted trees by order).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from dataclasses import dataclass
from functools import cached_property
from math import comb, factorial, prod

from residual_expansion.errors import InconsistencyError, UsageError


def _positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise UsageError(f"{name} must be a positive integer, got {value}")
    return value


def _symmetry(children: Sequence) -> int:
    """prod_j m_j! over the multiplicities m_j of identical children (sorted, so adjacent)."""
    return prod(factorial(sum(1 for _ in run)) for _, run in groupby(children))


@dataclass(frozen=True, order=True)
class RootedTree:
    """An unlabeled rooted tree with unordered children (canonical: children sorted).

    Nested-list notation (docs/theory.md#weight-tied-modules): a node is the list of its children, a leaf is ``[]``.

    >>> t = RootedTree.from_list([[[]], []])
    >>> t.to_list(), t.order, t.sigma(), t.gamma()
    ([[], [[]]], 4, 1, 8)
    """

    children: tuple[RootedTree, ...] = ()

    def __post_init__(self) -> None:
        if any(not isinstance(c, RootedTree) for c in self.children):
            raise TypeError("children of a RootedTree must be RootedTrees")
        object.__setattr__(self, "children", tuple(sorted(self.children)))

    @classmethod
    def from_list(cls, nested: Sequence) -> RootedTree:
        """Build from nested-list notation, e.g. ``[[], [[]]]``."""
        if not isinstance(nested, (list, tuple)):
            raise TypeError(f"a tree in nested-list notation is a list of lists, got {nested!r}")
        return cls(tuple(cls.from_list(c) for c in nested))

    def to_list(self) -> list:
        """Nested-list notation (children in canonical order)."""
        return [c.to_list() for c in self.children]

    @property
    def order(self) -> int:
        """|tau|, the number of nodes."""
        return 1 + sum(c.order for c in self.children)

    def sigma(self) -> int:
        """Symmetry: number of automorphisms, prod over nodes of prod_j m_j!."""
        return _symmetry(self.children) * prod(c.sigma() for c in self.children)

    def gamma(self) -> int:
        """Tree factorial: gamma(tau) = |tau| * prod over children gamma(child)."""
        return self.order * prod(c.gamma() for c in self.children)

    def __str__(self) -> str:
        return str(self.to_list()).replace(" ", "")

    def _repr_latex_(self) -> str:
        # presentation on demand: notebooks only
        from residual_expansion.render.notebook import tree_latex

        return tree_latex(self)


@dataclass(frozen=True, order=True)
class LabeledTree:
    """A rooted tree whose nodes carry layer labels, each child's label below its parent's.

    Canonical: the children are sorted, so equal trees compare and hash equal.

    Arguments
    ---------
    label:
        The layer ``r`` of the root module (an int >= 1).
    children:
        The child subtrees; each child's label must be strictly smaller than ``label``.

    Raises
    ------
    TypeError
        When a child is not a LabeledTree or the label is not an int.
    ValueError
        When a label is below 1 or a child's label is not strictly below its parent's.

    >>> t = LabeledTree(3, (LabeledTree(2), LabeledTree(1)))
    >>> t == LabeledTree(3, (LabeledTree(1), LabeledTree(2))), str(t), t.sigma()
    (True, "g3''[g1, g2]", 1)
    """

    label: int
    children: tuple[LabeledTree, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.label, bool) or not isinstance(self.label, int):
            raise TypeError(f"a layer label must be an int, got {type(self.label).__name__}")
        if self.label < 1:
            raise ValueError(f"layer labels start at 1, got {self.label}")
        children = tuple(self.children)
        for c in children:
            if not isinstance(c, LabeledTree):
                raise TypeError(f"children of a LabeledTree must be LabeledTrees, got {type(c).__name__}")
            if c.label >= self.label:
                raise ValueError(
                    f"child label {c.label} is not below its parent's label {self.label}; "
                    "labels must strictly decrease from parent to child"
                )
        object.__setattr__(self, "children", tuple(sorted(children)))

    # Derived quantities are computed once per tree and kept (cached_property writes the
    # instance __dict__, which the frozen dataclass allows; fields and equality are unaffected).
    @cached_property
    def order(self) -> int:
        """|t|, the number of nodes."""
        return 1 + sum(c.order for c in self.children)

    @cached_property
    def _sigma(self) -> int:
        return _symmetry(self.children) * prod(c._sigma for c in self.children)

    def sigma(self) -> int:
        """Label-preserving automorphisms: prod over nodes of prod_j m_j!."""
        return self._sigma

    @cached_property
    def _hash(self) -> int:
        return hash((self.label, self.children))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, LabeledTree):
            return NotImplemented
        return self.label == other.label and self._hash == other._hash and self.children == other.children

    @cached_property
    def _label_counts(self) -> tuple[tuple[int, int], ...]:
        counts = {self.label: 1}
        for c in self.children:
            for label, m in c._label_counts:
                counts[label] = counts.get(label, 0) + m
        return tuple(sorted(counts.items()))

    def labels(self) -> tuple[tuple[int, int], ...]:
        """(label, number of nodes with that label), by label: the exponents of lambda(t)."""
        return self._label_counts

    def shape(self) -> RootedTree:
        """The unlabeled shape (labels forgotten)."""
        return RootedTree(tuple(c.shape() for c in self.children))

    def is_chain(self) -> bool:
        """True when every node has at most one child (a path g_{i_k}' ... g_{i_2}' g_{i_1})."""
        return len(self.children) <= 1 and all(c.is_chain() for c in self.children)

    def nodes(self) -> Iterator[LabeledTree]:
        """Every subtree rooted at a node, root first (pre-order)."""
        yield self
        for c in self.children:
            yield from c.nodes()

    def to_dict(self) -> dict:
        """JSON form ``{"layer": i, "children": [...]}``."""
        return {"layer": self.label, "children": [c.to_dict() for c in self.children]}

    @classmethod
    def from_dict(cls, data: dict) -> LabeledTree:
        """Inverse of :meth:`to_dict`."""
        return cls(int(data["layer"]), tuple(cls.from_dict(c) for c in data.get("children", [])))

    def _repr_latex_(self) -> str:
        # presentation on demand: notebooks only
        from residual_expansion.render.notebook import tree_latex

        return tree_latex(self)

    def __str__(self) -> str:
        m = len(self.children)
        head = f"g{self.label}" + ("'" * m if m <= 3 else f"^({m})")
        if m == 0:
            return head
        if m == 1:
            return f"{head} {self.children[0]}"
        return f"{head}[{', '.join(str(c) for c in self.children)}]"


def _multisets(pool: Sequence, sizes: Sequence[int], total: int, max_items: int | None = None) -> Iterator[tuple]:
    """Multisets from ``pool`` whose sizes add up to ``total``, as index-non-decreasing tuples.

    At most ``max_items`` items (no bound when None): the recursion stops adding items
    there, so larger multisets are never built. Yielded in lexicographic order of the
    index sequence, so when ``pool`` is sorted each tuple is sorted and the tuples come
    out sorted.
    """
    # fits[t]: indices (ascending) of the pool items of size <= t
    fits = [[i for i, s in enumerate(sizes) if s <= t] for t in range(total + 1)]
    limit = total if max_items is None else max_items

    def grow(remaining: int, start: int, room: int) -> Iterator[tuple]:
        if remaining == 0:
            yield ()
            return
        if room == 0:
            return
        candidates = fits[remaining]
        for i in candidates[bisect_left(candidates, start):]:
            for rest in grow(remaining - sizes[i], i, room - 1):
                yield (pool[i], *rest)

    return grow(total, 0, limit)


def labeled_trees(depth: int, order: int, max_children: int | None = None) -> tuple[LabeledTree, ...]:
    """Every labeled tree of ``order`` nodes with labels in ``1..depth`` (nodes with <= ``max_children`` children).

    A tree with root label r is r over a multiset of trees with labels below r, so the
    trees are built order by order from the forests of smaller trees.

    Arguments
    ---------
    depth: n >= 1, the number of layers.
    order: k >= 1, the number of nodes.
    max_children: p >= 0 or None: keep only trees whose every node has at most p children
        (the trees that survive for modules of polynomial degree p); pruned during the
        enumeration, never built and filtered.

    Returns
    -------
    The trees in canonical order (sorted); ``len`` equals :func:`count_labeled_trees`.

    Raises
    ------
    UsageError
        When depth or order is not positive.

    >>> [str(t) for t in labeled_trees(3, 3)]
    ["g2''[g1, g1]", "g3''[g1, g1]", "g3''[g1, g2]", "g3''[g2, g2]", "g3' g2' g1"]

    Reference: docs/theory.md#the-residual-expansion-theorem (N(3,3) = 5).
    """
    return labeled_trees_by_order(depth, order, max_children)[order - 1]


def labeled_trees_by_order(depth: int, order: int,
                           max_children: int | None = None) -> tuple[tuple[LabeledTree, ...], ...]:
    """Every labeled tree at ``depth`` of each order 1..``order``: entry k-1 holds order k.

    One pass builds all orders (each order's trees are made from the smaller ones), in
    canonical order. See :func:`labeled_trees` (``max_children`` prunes the enumeration).

    >>> [len(ts) for ts in labeled_trees_by_order(4, 6)]
    [4, 6, 14, 32, 75, 171]
    >>> [len(ts) for ts in labeled_trees_by_order(4, 4, max_children=1)]   # chains: C(4, k)
    [4, 6, 4, 1]
    """
    _positive("depth", depth)
    _positive("order", order)
    _max_children(max_children)
    # by_label[r][k]: trees of order k with root label r, canonical order
    by_label: list[list[list[LabeledTree]]] = [[[] for _ in range(order + 1)] for _ in range(depth + 1)]
    for r in range(1, depth + 1):
        pool = sorted(t for s in range(1, r) for k in range(1, order) for t in by_label[s][k])
        sizes = [t.order for t in pool]
        for k in range(1, order + 1):
            # pool is sorted and _multisets yields index-non-decreasing selections in
            # lexicographic order, so children are canonical and the list comes out sorted.
            by_label[r][k] = [_canonical(r, kids) for kids in _multisets(pool, sizes, k - 1, max_children)]
    return tuple(tuple(t for r in range(1, depth + 1) for t in by_label[r][k]) for k in range(1, order + 1))


def _canonical(label: int, children: tuple[LabeledTree, ...]) -> LabeledTree:
    """A LabeledTree from children already canonical and valid (enumeration's fast path)."""
    tree = object.__new__(LabeledTree)
    object.__setattr__(tree, "label", label)
    object.__setattr__(tree, "children", children)
    return tree


def count_labeled_trees(depth: int, order: int, max_children: int | None = None) -> int:
    """N(n, k): the number of labeled trees of order k at depth n, by recursion (no enumeration).

    With c_r(k) the number of trees of order k whose root label is r and
    b_r(m) the number of multisets of trees with labels below r of total order m,

        c_r(k) = b_r(k - 1),    sum_m b_r(m) x^m = prod_{j>=1} (1 - x^j)^(-sum_{s<r} c_s(j))

    (the Euler transform), and N(n, k) = sum_{r<=n} c_r(k). Exact integers throughout.
    With ``max_children`` = p, b_r(m) counts only multisets of at most p trees: the
    coefficient of x^m y^0..y^p in prod_j (1 - y x^j)^(-a_j) (:func:`bounded_euler_transform`),
    so N_p(n, k) counts the trees whose nodes have at most p children.

    >>> [count_labeled_trees(4, k) for k in range(1, 7)]
    [4, 6, 14, 32, 75, 171]
    >>> [count_labeled_trees(4, k, max_children=1) for k in range(1, 6)]
    [4, 6, 4, 1, 0]

    Reference: docs/theory.md#tree-counts.
    """
    _positive("depth", depth)
    _positive("order", order)
    _max_children(max_children)
    counts = _root_counts(depth, order, max_children)  # once: O(n k^2), not once per root label
    return sum(counts[r][order] for r in range(1, depth + 1))


def _max_children(value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise UsageError(f"max_children must be None or an integer >= 0, got {value!r}",
                         parameters=("max_children",))


def _root_counts(depth: int, order: int, max_children: int | None = None) -> list[list[int]]:
    """c[r][k] for r = 0..depth, k = 0..order (c[r][0] = 0)."""
    c = [[0] * (order + 1) for _ in range(depth + 1)]
    below = [0] * (order + 1)  # a(j) = sum_{s<r} c_s(j)
    for r in range(1, depth + 1):
        b = (euler_transform(below, order - 1) if max_children is None
             else bounded_euler_transform(below, order - 1, max_children))
        for k in range(1, order + 1):
            c[r][k] = b[k - 1]
        below = [below[j] + c[r][j] for j in range(order + 1)]
    return c


def euler_transform(a: Sequence[int], m_max: int) -> list[int]:
    """Coefficients b_0..b_{m_max} of prod_{j>=1} (1 - x^j)^(-a_j) (multisets counted by a).

    Uses b_0 = 1, m b_m = sum_{j=1..m} (sum_{d | j} d a_d) b_{m-j}; exact integer division.

    >>> euler_transform([0, 1, 1, 2, 4], 4)   # A000081 shifted: forests of rooted trees
    [1, 1, 2, 4, 9]
    """
    c = [0] * (m_max + 1)
    for j in range(1, m_max + 1):
        c[j] = sum(d * (a[d] if d < len(a) else 0) for d in range(1, j + 1) if j % d == 0)
    b = [1] + [0] * m_max
    for m in range(1, m_max + 1):
        total = sum(c[j] * b[m - j] for j in range(1, m + 1))
        b[m], rem = divmod(total, m)
        if rem:
            raise InconsistencyError(f"Euler transform: m b_m = {total} is not divisible by m = {m}")
    return b


def bounded_euler_transform(a: Sequence[int], m_max: int, max_items: int) -> list[int]:
    """b_0..b_{m_max}: multisets counted by a (a_j kinds of size j) of total size m and at most ``max_items`` items.

    The coefficient of x^m (y^0 + ... + y^p) in prod_{j>=1} (1 - y x^j)^(-a_j), p =
    ``max_items``: the factor of size j contributes sum_s C(a_j + s - 1, s) y^s x^(j s)
    (s items of size j chosen with repetition). Exact integers.

    >>> bounded_euler_transform([0, 1, 1, 2, 4], 4, 4) == euler_transform([0, 1, 1, 2, 4], 4)
    True
    >>> bounded_euler_transform([0, 3, 0], 2, 1)   # at most one item: the a_m kinds of size m
    [1, 3, 0]
    """
    # b[m][t]: multisets of total size m with t items
    b = [[0] * (max_items + 1) for _ in range(m_max + 1)]
    b[0][0] = 1
    for j in range(1, m_max + 1):
        kinds = a[j] if j < len(a) else 0
        if not kinds:
            continue
        new = [row[:] for row in b]
        for s in range(1, min(max_items, m_max // j) + 1):
            ways = comb(kinds + s - 1, s)
            for m in range(j * s, m_max + 1):
                for t in range(s, max_items + 1):
                    new[m][t] += ways * b[m - j * s][t - s]
        b = new
    return [sum(row) for row in b]


def rooted_trees(order: int) -> tuple[RootedTree, ...]:
    """All unlabeled rooted trees with ``order`` nodes, in canonical order.

    >>> [len(rooted_trees(k)) for k in range(1, 11)]
    [1, 1, 2, 4, 9, 20, 48, 115, 286, 719]

    Reference: OEIS A000081.
    """
    _positive("order", order)
    by_order: list[list[RootedTree]] = [[] for _ in range(order + 1)]
    by_order[1] = [RootedTree()]
    for k in range(2, order + 1):
        pool = sorted(t for s in range(1, k) for t in by_order[s])
        sizes = [t.order for t in pool]
        by_order[k] = sorted(RootedTree(kids) for kids in _multisets(pool, sizes, k - 1))
    return tuple(by_order[order])


def decreasing_labelings(tree: RootedTree, depth: int) -> int:
    """a_n(tau): maps from the nodes of tau to {1..n} strictly decreasing from parent to child.

    With f(tau, r) the number of such maps giving the root the label r,
    f(tau, r) = prod over children c of sum_{s<r} f(c, s), and a_n(tau) = sum_{r<=n} f(tau, r).

    >>> [decreasing_labelings(RootedTree.from_list(t), 4) for t in ([], [[]], [[], []], [[[]]])]
    [4, 6, 14, 4]

    Reference: docs/theory.md#weight-tied-modules (table for n = 4); Butcher, explicit Euler B-series.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise UsageError(f"depth must be an integer >= 0, got {depth!r}")
    return sum(_root_labelings(tree, depth)[1:])


def labelings_differences(tree: RootedTree) -> tuple[int, ...]:
    """Forward differences ``Delta^j a_0(tau)``, j = 0..|tau|, of the polynomial n -> a_n(tau).

    ``a_n(tau)`` is a polynomial in n of degree |tau| valid at every n >= 0 (docs/theory.md#weight-tied-modules): ``f(tau, r)`` is, for r >= 1, a product of the children's prefix sums
    ``sum_{s<r} f(c, s)``, each a polynomial in r of degree |c| (Faulhaber), and ``a_n`` sums
    ``f(tau, r)`` over r = 1..n. So the |tau| + 1 direct counts at n = 0..|tau| fix it, and
    its Newton form ``a_n = sum_j binom(n, j) Delta^j a_0`` has integer differences.

    >>> labelings_differences(RootedTree.from_list([[]]))   # a_n = binom(n, 2)
    (0, 0, 1)
    """
    row = list(_direct_values(tree))
    diffs = []
    while row:
        diffs.append(row[0])
        row = [b - a for a, b in zip(row, row[1:])]
    return tuple(diffs)


def _direct_values(tree: RootedTree) -> list[int]:
    """a_m(tau) for m = 0..|tau| by the direct recursion (one pass at depth |tau|)."""
    f = _root_labelings(tree, tree.order)
    out, run = [], 0
    for m in range(tree.order + 1):
        run += f[m]
        out.append(run)
    return out


def decreasing_labelings_at(tree: RootedTree, depth: int) -> int:
    """a_n(tau) at any depth n >= 0 from its Newton form: O(|tau|^2) work, independent of n.

    ``a_n(tau) = sum_{j=0..|tau|} binom(n, j) Delta^j a_0(tau)`` (:func:`labelings_differences`);
    exact integers, equal to :func:`decreasing_labelings` (the direct O(|tau| n) count; the
    tests compare them).

    Raises
    ------
    UsageError
        When depth is not an integer >= 0.

    >>> decreasing_labelings_at(RootedTree.from_list([[]]), 10**6)   # binom(10^6, 2)
    499999500000
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise UsageError(f"depth must be an integer >= 0, got {depth!r}")
    total, binom = 0, 1
    for j, d in enumerate(labelings_differences(tree)):
        if j:
            binom = binom * (depth - j + 1) // j  # binom(n, j), exact (0 once j > n)
        total += binom * d
    return total


def _root_labelings(tree: RootedTree, depth: int) -> list[int]:
    """f(tau, r) for r = 0..depth (f(tau, 0) = 0)."""
    child_cumulative = []
    for c in tree.children:
        f = _root_labelings(c, depth)
        cum, run = [0] * (depth + 1), 0
        for r in range(depth + 1):
            cum[r] = run  # sum_{s<r} f(c, s)
            run += f[r]
        child_cumulative.append(cum)
    return [0] + [prod(cum[r] for cum in child_cumulative) for r in range(1, depth + 1)]


def trees_by_shape(trees: Iterable[LabeledTree]) -> dict[RootedTree, list[LabeledTree]]:
    """Group labeled trees by their unlabeled shape (insertion order kept)."""
    groups: dict[RootedTree, list[LabeledTree]] = {}
    for t in trees:
        groups.setdefault(t.shape(), []).append(t)
    return groups
