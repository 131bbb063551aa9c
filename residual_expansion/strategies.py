"""Hypothesis strategies for property tests about residual expansions.

Every strategy is built from hypothesis primitives (``st.integers``, ``st.booleans``,
``st.lists``, ``st.sampled_from``, ``st.floats``), never from a seeded ``random.Random``,
so when a property fails hypothesis *shrinks* the example: a labeled tree towards fewer
nodes and smaller labels, an architecture towards fewer nodes and edges, a stack towards
depth 1, dim 1, seed 0.

* :func:`labeled_trees` / :func:`rooted_trees`: trees of the closed form (docs/theory.md#the-residual-expansion-theorem),
  drawn as a shape (``st.recursive``) then labels, so a tree shrinks to a subtree;
* :func:`expansions`: closed forms ``expand(n, K)`` (distinct, uniform or weight-tied);
* :func:`residual_stacks`: seeded numpy stacks of every family and activation
  (:func:`residual_expansion.models.families.make_stack`);
* :func:`weight_laws` and :func:`monte_carlo_models`: the Monte Carlo's weight laws and models;
* :func:`architectures`: residual architectures as DAGs (one input, one output);
* :func:`schedules`: power and explicit scale schedules;
* :func:`polynomial_maps`, :func:`exact_points`, :func:`scales`: exact instances (Q^d -> Q^d).

Example (a researcher's test; see docs/testing.md)::

    from hypothesis import given
    from residual_expansion.strategies import labeled_trees

    @given(labeled_trees(max_order=5))
    def test_sigma_divides_factorial(t):
        assert math.factorial(t.order) % t.sigma() == 0

Reference: docs/testing.md; hypothesis documentation, "Shrinking".
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction

from hypothesis import strategies as st

from residual_expansion.theorem.trees import LabeledTree, RootedTree

#: Largest default sizes: small enough that the closed form of every drawn case is quick.
MAX_DEPTH = 6
MAX_ORDER = 6
#: Activations drawn for Monte Carlo models (the two of Marion et al.'s experiments).
MONTE_CARLO_ACTIVATIONS = ("relu", "tanh")


def _shapes(max_order: int):
    """Tree shapes as nested tuples (a node is the tuple of its children), one recursive strategy.

    ``st.recursive`` gives every subtree the same span label, so the shrinker can replace a
    tree by one of its subtrees (hypothesis' pass-to-descendant) as well as drop children.
    """
    return st.recursive(st.just(()), lambda kids: st.lists(kids, max_size=3).map(tuple), max_leaves=max_order)


def _order(shape: tuple) -> int:
    return 1 + sum(_order(c) for c in shape)


def _height(shape: tuple) -> int:
    return 1 + max((_height(c) for c in shape), default=0)


@st.composite
def labeled_trees(draw, depth: int | None = None, max_order: int = MAX_ORDER) -> LabeledTree:
    """Labeled trees with labels in 1..depth and at most ``max_order`` nodes.

    The shape is drawn first (:func:`st.recursive`); labels are then assigned bottom-up, each
    node the smallest label above its children's plus a drawn excess (at most the depth
    minus the number of its ancestors). Without ``depth`` the depth is the tree's height
    plus a drawn 0..2. Shrinks towards ``g1``: fewer nodes, then smallest labels.

    >>> from hypothesis import find, settings
    >>> str(find(labeled_trees(depth=4), lambda t: t.sigma() > 1, settings=settings(database=None, derandomize=True, max_examples=500)))
    "g2''[g1, g1]"
    """
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    shape = draw(_shapes(max_order).filter(
        lambda s: _order(s) <= max_order and (depth is None or _height(s) <= depth)))
    n = depth if depth is not None else _height(shape) + draw(st.integers(0, 2))

    def build(node: tuple, ceiling: int) -> LabeledTree:
        kids = tuple(build(c, ceiling - 1) for c in node)
        lowest = 1 + max((k.label for k in kids), default=0)
        return LabeledTree(lowest + draw(st.integers(0, ceiling - lowest)), kids)

    return build(shape, n)


def _rooted(shape: tuple) -> RootedTree:
    return RootedTree(tuple(_rooted(c) for c in shape))


def rooted_trees(max_order: int = MAX_ORDER):
    """Unlabeled rooted trees with at most ``max_order`` nodes; shrinks towards the single node.

    >>> from hypothesis import find, settings
    >>> str(find(rooted_trees(), lambda t: t.sigma() > 1, settings=settings(database=None, derandomize=True, max_examples=500)))
    '[[],[]]'
    """
    return _shapes(max_order).filter(lambda s: _order(s) <= max_order).map(_rooted)


@st.composite
def expansions(draw, max_depth: int = 5, max_order: int = 4, tied: bool | None = False):
    """Closed forms ``expand(n, K)`` with n <= max_depth, K <= max_order.

    ``tied``: False (distinct modules, per-layer symbols or one uniform symbol, drawn),
    True (weight-tied), None (either, drawn).

    >>> from hypothesis import find, settings
    >>> find(expansions(), lambda e: len(e.terms) > 3, settings=settings(database=None, derandomize=True, max_examples=500)).counts()
    (2, 1, 1)
    """
    # deferred: importing the strategies loads only the layers a test draws from
    from residual_expansion.theorem.expansion import expand

    n = draw(st.integers(1, max_depth))
    k = draw(st.integers(1, max_order))
    is_tied = draw(st.booleans()) if tied is None else tied
    if is_tied:
        return expand(n, k, tied=True)
    return expand(n, k, uniform=draw(st.booleans()))


@st.composite
def residual_stacks(
    draw,
    families: Sequence[str] | None = None,
    activations: Sequence[str] | None = None,
    max_depth: int = 4,
    max_dim: int = 4,
    max_seed: int = 2**16,
):
    """Seeded numpy residual stacks of every family (and, for mlp/res1/res3, every activation).

    Arguments: ``families`` (default all of :data:`~residual_expansion.models.families.FAMILIES`),
    ``activations`` (default all of :data:`~residual_expansion.models.activations.ACTIVATIONS`).
    Shrinks towards the first family, depth 1, dim 1, seed 0.

    >>> from hypothesis import find, settings
    >>> s = find(residual_stacks(families=["mlp"]), lambda s: s.depth >= 2, settings=settings(database=None, derandomize=True, max_examples=500))
    >>> s.family, s.depth, s.dim, s.seed
    ('mlp', 2, 1, 0)
    """
    # deferred: importing the strategies loads only the layers a test draws from
    from residual_expansion.models.activations import ACTIVATIONS
    from residual_expansion.models.families import FAMILIES, POLYNOMIAL_FAMILIES, make_stack

    family = draw(st.sampled_from(tuple(families or FAMILIES)))
    depth = draw(st.integers(1, max_depth))
    dim = draw(st.integers(1, max_dim))
    activation = None
    if family not in POLYNOMIAL_FAMILIES:
        activation = draw(st.sampled_from(tuple(activations or ACTIVATIONS)))
    seed = draw(st.integers(0, max_seed))
    return make_stack(family, depth, dim, activation_name=activation, seed=seed)


def weight_laws():
    """The Monte Carlo's weight laws (:class:`residual_expansion.scaling.montecarlo.Init`): iid-uniform,
    iid-gaussian, smooth, fbm with a Hurst index in (0, 1). Shrinks towards iid-uniform.

    >>> from hypothesis import find, settings
    >>> find(weight_laws(), lambda law: not law.iid, settings=settings(database=None, derandomize=True, max_examples=500)).label
    'smooth'
    """
    # deferred: importing the strategies loads only the layers a test draws from
    from residual_expansion.models.weights import Init

    return st.one_of(
        st.sampled_from((Init("iid-uniform"), Init("iid-gaussian"), Init("smooth"))),
        st.floats(0.05, 0.95).map(lambda h: Init("fbm", hurst=round(h, 3))),
    )


@st.composite
def monte_carlo_models(draw, max_dim: int = 8):
    """(Model, Init) pairs of the Monte Carlo: every model kind, relu or tanh, every weight law.

    >>> from hypothesis import find, settings
    >>> m, law = find(monte_carlo_models(), lambda p: p[0].kind == "res3", settings=settings(database=None, derandomize=True, max_examples=500))
    >>> m.kind, m.dim, law.label
    ('res3', 2, 'iid-uniform')
    """
    # deferred: importing the strategies loads only the layers a test draws from
    from residual_expansion.scaling.montecarlo import MODELS, Model

    kind = draw(st.sampled_from(MODELS))
    activation = draw(st.sampled_from(MONTE_CARLO_ACTIVATIONS))
    dim = draw(st.integers(2, max_dim))
    input_dim = draw(st.integers(1, max_dim))
    return Model(kind, activation, dim, input_dim), draw(weight_laws())


@st.composite
def architectures(draw, max_size: int = 8, min_size: int = 2):
    """Residual architectures: DAGs on nodes "0".."size-1" with input "0" and output "size-1".

    Edges i -> j (i < j) are drawn as booleans; a node without a predecessor gets the edge
    from the drawn earlier node, one without a successor the edge to a drawn later node, so
    every node lies on an input-output path. Inner nodes are modules or junctions (drawn).
    Shrinks towards the fewest nodes and edges, all junctions.

    >>> from hypothesis import find, settings
    >>> a = find(architectures(), lambda a: a.modules >= 1, settings=settings(database=None, derandomize=True, max_examples=500))
    >>> sorted(a.graph.edges()), a.modules           # a single module between input and output
    ([('0', '1'), ('1', '2')], 1)
    """
    # deferred: importing the strategies loads only the layers a test draws from
    from residual_expansion.paths.architectures import JUNCTION, MODULE, build_architecture

    size = draw(st.integers(min_size, max_size))
    edges = {(i, j) for i in range(size) for j in range(i + 1, size) if draw(st.booleans())}
    for j in range(1, size):
        if not any((i, j) in edges for i in range(j)):
            edges.add((draw(st.integers(0, j - 1)), j))
    for i in range(size - 1):
        if not any((i, j) in edges for j in range(i + 1, size)):
            edges.add((i, draw(st.integers(i + 1, size - 1))))
    inner = [MODULE if draw(st.booleans()) else JUNCTION for _ in range(size - 2)]
    kinds = [JUNCTION, *inner, JUNCTION]
    modules = kinds.count(MODULE)
    return build_architecture(f"drawn-{size}", max(modules, 1), [(str(i), k) for i, k in enumerate(kinds)],
                              [(str(i), str(j)) for i, j in sorted(edges)])


@st.composite
def polynomial_maps(draw, dim: int, degree: int, nonzero: bool = True):
    """Exact polynomial maps Q^d -> Q^d (:class:`~residual_expansion.theorem.instances.PolyMap`)
    of total degree <= ``degree``, integer coefficients in [-9, 9] (``nonzero``: every monomial
    present, so every derivative of order <= degree is generically nonzero).

    >>> from hypothesis import find, settings
    >>> find(polynomial_maps(1, 2), lambda g: True, settings=settings(database=None, derandomize=True, max_examples=500)).components
    ({(0,): 1, (1,): 1, (2,): 1},)
    """
    # deferred: importing the strategies loads only the layers a test draws from
    from residual_expansion.theorem.instances import PolyMap

    exps = [e for e in itertools.product(range(degree + 1), repeat=dim) if sum(e) <= degree]
    coef = st.integers(1, 9) if nonzero else st.integers(0, 9)
    comps = []
    for _ in range(dim):
        comps.append({e: draw(coef) * (-1 if draw(st.booleans()) else 1) for e in exps})
    return PolyMap(dim, tuple(comps))


def exact_points(dim: int, bound: int = 3):
    """Integer points of Z^d with entries in [-bound, bound] (shrinks towards the origin)."""
    return st.tuples(*[st.integers(-bound, bound) for _ in range(dim)])


def scales(depth: int):
    """Exact per-layer scales lambda_1..lambda_n: Fractions p/q with |p| <= 4, 1 <= q <= 4."""
    return st.lists(st.builds(Fraction, st.integers(-4, 4), st.integers(1, 4)), min_size=depth, max_size=depth)


def schedules(depth: int | None = None):
    """Scale schedules: power c n^(-beta) (beta in [0, 1.5], c in [0.1, 4]), and, when ``depth``
    is given, explicit per-layer lists of that length (scales in [0, 2]).

    >>> from hypothesis import find, settings
    >>> find(schedules(3), lambda s: s.values is not None, settings=settings(database=None, derandomize=True, max_examples=500)).values
    (0.0, 0.0, 0.0)
    """
    # deferred: importing the strategies loads only the layers a test draws from
    from residual_expansion.scaling.schedules import explicit, power

    powers = st.builds(power, st.floats(0.0, 1.5), st.floats(0.1, 4.0))
    if depth is None:
        return powers
    lists = st.lists(st.floats(0.0, 2.0), min_size=depth, max_size=depth).map(explicit)
    return st.one_of(powers, lists)


__all__ = [
    "labeled_trees", "rooted_trees", "expansions", "residual_stacks", "weight_laws", "monte_carlo_models",
    "architectures", "schedules", "polynomial_maps", "exact_points", "scales",
]
