"""The exact unraveling of a stack of linear residual modules.

With ``g_i(x) = A_i x`` the stack is ``x_n = (I + lambda_n A_n) ... (I + lambda_1 A_1) x``
and expanding the product gives one ordered word per subset ``S = {s_1 < ... < s_k}``:

    x_n = sum_S (prod_{i in S} lambda_i) A_{s_k} ... A_{s_1} x          (docs/theory.md#linear-modules)

Three objects carry the same words, and this module builds each of them on its own route:

- *product*: the noncommutative sympy expansion of the matrix product
  (:func:`product_words`);
- *paths*: the input-output paths of the plain DAG (:func:`residual_expansion.paths.architectures.plain`),
  each read as the word of the modules it passes, last module leftmost (:func:`path_words`);
- *closed form*: the terms of the Residual Expansion Theorem
  (:func:`residual_expansion.theorem.expansion.expand`) specialised to linear modules, where every
  elementary differential with a node of two or more children vanishes (``g'' = 0``) and
  a chain ``g_{r_1}' g_{r_2}' ... g_{r_k}`` is the word ``A_{r_1} A_{r_2} ... A_{r_k}``
  (:func:`closed_form_words`).

A word is a tuple of layer labels read left to right, e.g. ``(3, 1)`` for ``A_3 A_1``;
the empty word is the identity. For large depths, where ``2^n`` words cannot be listed,
:func:`graded_product`, :func:`enumerated_word_sums` and :func:`closed_form_sums`
evaluate the three objects order by order on exact integer matrices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

import networkx as nx
import sympy

from residual_expansion.errors import UsageError
from residual_expansion.paths.architectures import plain
from residual_expansion.theorem.expansion import expand

Word = tuple[int, ...]
Matrix = tuple[tuple[int, ...], ...]

#: Listing 2^n words symbolically is refused beyond this depth (2^12 = 4096 words).
SYMBOLIC_MAX_DEPTH = 12
_DISTRIBUTE = dict(deep=False, mul=True, multinomial=False, power_exp=False, power_base=False, log=False)


def symbols(depth: int) -> tuple[tuple[sympy.Symbol, ...], tuple[sympy.Symbol, ...]]:
    """``(A_1..A_n, lambda_1..lambda_n)``: noncommutative matrix symbols and commutative scales.

    >>> A, lam = symbols(2)
    >>> A[0] * A[1] == A[1] * A[0], lam[0] * lam[1] == lam[1] * lam[0]
    (False, True)
    """
    A = tuple(sympy.Symbol(f"A_{i}", commutative=False) for i in range(1, depth + 1))
    lam = tuple(sympy.Symbol(f"lambda_{i}") for i in range(1, depth + 1))
    return A, lam


def _check_depth(depth: int) -> None:
    if depth < 1:
        raise UsageError(f"depth {depth} is not positive")
    if depth > SYMBOLIC_MAX_DEPTH:
        raise UsageError(
            f"depth {depth} is beyond the symbolic unraveling's limit of {SYMBOLIC_MAX_DEPTH} "
            f"(2^{depth} words); use the integer-matrix route (graded_product)"
        )


def product_expression(depth: int) -> sympy.Expr:
    """The expanded noncommutative product ``(1 + lambda_n A_n) ... (1 + lambda_1 A_1)`` (1 = I).

    The product is multiplied out factor by factor by sympy's distributive expansion
    (``expand(mul=True)`` only; nothing else of ``expand`` is needed).

    >>> product_expression(2)
    lambda_1*lambda_2*A_2*A_1 + lambda_1*A_1 + lambda_2*A_2 + 1
    """
    _check_depth(depth)
    A, lam = symbols(depth)
    product: sympy.Expr = sympy.Integer(1)
    for i in range(depth):
        product = sympy.expand((1 + lam[i] * A[i]) * product, **_DISTRIBUTE)
    return product


def words_of(expr: sympy.Expr) -> dict[Word, sympy.Expr]:
    """Split an expanded noncommutative polynomial into ``{word: commutative coefficient}``.

    Words are read off the noncommutative factors ``A_i`` left to right; a repeated
    factor (``A_1**2``) is spelled out.

    >>> words_of(product_expression(2))
    {(): 1, (1,): lambda_1, (2,): lambda_2, (2, 1): lambda_1*lambda_2}
    """
    out: dict[Word, sympy.Expr] = {}
    for term in sympy.Add.make_args(expr):
        commutative, noncommutative = term.args_cnc()
        word: list[int] = []
        for factor in noncommutative:
            base, exp = factor.as_base_exp()
            word.extend([int(base.name.split("_")[1])] * int(exp))
        key = tuple(word)
        out[key] = out.get(key, sympy.Integer(0)) + sympy.Mul(*commutative)
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0][::-1])))


def product_words(depth: int) -> dict[Word, sympy.Expr]:
    """The words of the expanded product with their scale monomials (the *product* route).

    >>> len(product_words(8))
    256
    """
    return words_of(product_expression(depth))


def path_words(depth: int) -> dict[Word, sympy.Expr]:
    """The *paths* route: each input-output path of ``plain(depth)`` (listed by
    :func:`networkx.all_simple_paths`) gives the word of its modules, the last one
    leftmost, with coefficient ``prod lambda_i`` over its modules.

    >>> path_words(2)
    {(): 1, (1,): lambda_1, (2,): lambda_2, (2, 1): lambda_1*lambda_2}
    """
    _check_depth(depth)
    _, lam = symbols(depth)
    arch = plain(depth)
    out: dict[Word, sympy.Expr] = {}
    for path in nx.all_simple_paths(arch.graph, arch.input, arch.output):
        labels = [int(v[1:]) for v in path if arch.is_module(v)]
        word = tuple(reversed(labels))
        if word in out:
            raise AssertionError(f"two paths give the word {word}")
        out[word] = sympy.Mul(*(lam[i - 1] for i in labels))
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0][::-1])))


def path_sum_expression(words: dict[Word, sympy.Expr]) -> sympy.Expr:
    """``sum coefficient * A_{w_1} A_{w_2} ...`` over ``{word: coefficient}``.

    >>> difference(path_sum_expression(path_words(3)), product_expression(3))
    0
    """
    depth = max((max(w) for w in words if w), default=1)
    A, _ = symbols(depth)
    return sympy.Add(*(c * sympy.Mul(*(A[i - 1] for i in w)) for w, c in words.items()))


def difference(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    """``a - b`` for expanded sums, like terms collected (zero iff they are equal term by term).

    >>> A, lam = symbols(2)
    >>> difference(lam[0] * A[1] * A[0], lam[0] * A[0] * A[1])
    -lambda_1*A_1*A_2 + lambda_1*A_2*A_1
    """
    return sympy.Add(*sympy.Add.make_args(a), *(-t for t in sympy.Add.make_args(b)))


def linear_differential(tree) -> Word | None:
    """``F(t)`` for linear modules ``g_i = A_i x``: the word of a chain, ``None`` (zero) otherwise.

    ``g_i' = A_i`` and ``g_i^{(m)} = 0`` for ``m >= 2``, so ``F(t) = A_r F(t_1)`` for a
    root with one child, ``A_r x`` for a leaf, and ``0`` when any node has two or more
    children.

    >>> from residual_expansion.theorem.trees import LabeledTree
    >>> linear_differential(LabeledTree(3, (LabeledTree(1),)))
    (3, 1)
    >>> linear_differential(LabeledTree(3, (LabeledTree(1), LabeledTree(2)))) is None
    True
    """
    if len(tree.children) >= 2:
        return None
    if not tree.children:
        return (tree.label,)
    below = linear_differential(tree.children[0])
    return None if below is None else (tree.label, *below)


def closed_form_words(depth: int, order: int) -> tuple[dict[Word, sympy.Expr], int]:
    """The *closed form* route: ``expand(depth, order)`` with linear modules.

    Returns ``({word: coefficient * lambda(t)}, vanishing)``: the surviving chain terms
    (plus the empty word for the leading ``x``) and the number of terms whose elementary
    differential vanishes. Raises :class:`UsageError` when the expansion is too large
    (``residual_expansion.theorem.budget.SYMBOLIC_LIMIT``).

    >>> words, vanishing = closed_form_words(3, 3)
    >>> words[(3, 2, 1)], vanishing
    (lambda_1*lambda_2*lambda_3, 4)
    """
    expansion = expand(depth, order)
    out: dict[Word, sympy.Expr] = {(): sympy.Integer(1)}
    vanishing = 0
    for term in expansion.terms:
        word = linear_differential(term.tree)
        if word is None:
            vanishing += 1
            continue
        coefficient = sympy.Rational(term.coefficient.numerator, term.coefficient.denominator)
        out[word] = out.get(word, sympy.Integer(0)) + coefficient * expansion.weight(term)
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0][::-1]))), vanishing


# ----------------------------------------------------------------- exact integer-matrix route


def identity(d: int) -> Matrix:
    return tuple(tuple(int(i == j) for j in range(d)) for i in range(d))


def matmul(a: Matrix, b: Matrix) -> Matrix:
    """Exact product of integer matrices given as tuples of rows."""
    cols = tuple(zip(*b))
    return tuple(tuple(sum(x * y for x, y in zip(row, col)) for col in cols) for row in a)


def matadd(a: Matrix, b: Matrix) -> Matrix:
    return tuple(tuple(x + y for x, y in zip(r, s)) for r, s in zip(a, b))


def scaled(c: int, a: Matrix) -> Matrix:
    return tuple(tuple(c * x for x in r) for r in a)


def word_matrix(word: Word, matrices: Sequence[Matrix], scales: Sequence[int]) -> Matrix:
    """``(prod lambda) A_{w_1} ... A_{w_k}`` for a word of layer labels."""
    d = len(matrices[0])
    out = identity(d)
    c = 1
    for i in word:
        out = matmul(out, matrices[i - 1])
        c *= scales[i - 1]
    return scaled(c, out)


def graded_product(matrices: Sequence[Matrix], scales: Sequence[int], order: int) -> list[Matrix]:
    """The *product* route on integers: ``G_0..G_K`` with ``prod (I + t lambda_i A_i) = sum_k t^k G_k + O(t^(K+1))``.

    Multiplying the truncated matrix polynomial by ``I + t lambda_i A_i`` from the left,
    layer by layer: ``G_k <- G_k + lambda_i A_i G_{k-1}``.

    >>> graded_product([((1,),), ((2,),)], [1, 1], 2)
    [((1,),), ((3,),), ((2,),)]
    """
    d = len(matrices[0])
    zero = tuple((0,) * d for _ in range(d))
    g = [identity(d)] + [zero] * order
    for a, lam in zip(matrices, scales):
        la = scaled(lam, a)
        for k in range(order, 0, -1):
            g[k] = matadd(g[k], matmul(la, g[k - 1]))
    return g


def enumerated_word_sums(matrices: Sequence[Matrix], scales: Sequence[int], order: int) -> list[Matrix]:
    """The *paths* route on integers: ``sum_{|S| = k} lambda_S A_{s_k} ... A_{s_1}`` for ``k = 0..K``,
    by listing every subset (every path through ``k`` modules).

    >>> enumerated_word_sums([((1,),), ((2,),)], [1, 1], 2)
    [((1,),), ((3,),), ((2,),)]
    """
    d = len(matrices[0])
    n = len(matrices)
    sums = []
    for k in range(order + 1):
        total = tuple((0,) * d for _ in range(d))
        for subset in combinations(range(1, n + 1), k):
            total = matadd(total, word_matrix(tuple(reversed(subset)), matrices, scales))
        sums.append(total)
    return sums


def closed_form_sums(matrices: Sequence[Matrix], scales: Sequence[int], order: int) -> tuple[list[Matrix], int]:
    """The *closed form* route on integers: per order ``k <= K``, the sum over the terms of
    ``expand(n, K)`` of ``coefficient * lambda(t) * F(t)`` with ``F`` the linear
    differential (zero for non-chains). Returns the sums and the number of vanishing terms.

    Raises
    ------
    UsageError
        When a chain coefficient is not an integer (it is ``1/sigma = 1`` for chains).
    """
    d = len(matrices[0])
    expansion = expand(len(matrices), order)
    sums = [identity(d)] + [tuple((0,) * d for _ in range(d)) for _ in range(order)]
    vanishing = 0
    for term in expansion.terms:
        word = linear_differential(term.tree)
        if word is None:
            vanishing += 1
            continue
        if term.coefficient.denominator != 1:
            raise UsageError(f"chain term {term.tree} has the non-integer coefficient {term.coefficient}")
        sums[term.order] = matadd(sums[term.order], scaled(int(term.coefficient), word_matrix(word, matrices, scales)))
    return sums, vanishing


def random_integer_matrices(rng, depth: int, dim: int = 3, bound: int = 2) -> list[Matrix]:
    """``depth`` random ``dim x dim`` integer matrices with entries in ``-bound..bound``."""
    return [
        tuple(tuple(int(x) for x in row) for row in rng.integers(-bound, bound + 1, size=(dim, dim)))
        for _ in range(depth)
    ]


def words_by_length(words: Iterable[Word]) -> list[int]:
    """How many words have each length ``0, 1, ...``."""
    counts: list[int] = []
    for w in words:
        while len(counts) <= len(w):
            counts.append(0)
        counts[len(w)] += 1
    return counts
