"""Exact polynomial vector fields over Q: random instances, series evaluation, derivatives.

A :class:`PolyMap` ``g: Q^d -> Q^d`` is a tuple of d polynomials, each a mapping from
exponent tuples to Fractions. It is the test instrument of the REX claim: composing such
maps exactly (a truncated series in lambda) and evaluating the closed form with their
exact derivative tensors give two independent rational answers that must agree.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import prod

from residual_expansion import series

Rational = int | Fraction  #: exact numbers: ints stay ints (fast), Fractions where needed
Vector = tuple[Rational, ...]
Monomials = Mapping[tuple[int, ...], Rational]


@dataclass(frozen=True)
class PolyMap:
    """A polynomial map Q^d -> Q^d, component j = sum over exponents e of c_e * prod_v y_v^e_v.

    >>> g = PolyMap(2, ({(1, 0): Fraction(1)}, {(0, 2): Fraction(3)}))   # (y1, 3 y2^2)
    >>> g((Fraction(2), Fraction(1)))
    (Fraction(2, 1), Fraction(3, 1))
    """

    dim: int
    components: tuple[Monomials, ...]

    def __call__(self, y: Vector) -> Vector:
        return tuple(
            sum(c * prod(v ** e for v, e in zip(y, exps)) for exps, c in comp.items())
            for comp in self.components
        )

    @property
    def degree(self) -> int:
        return max((sum(e) for comp in self.components for e in comp), default=0)

    def on_series(self, h: Sequence[Vector], max_degree: int) -> list[Vector]:
        """g(h(lambda)) truncated: coefficient vectors of lambda^0..lambda^max_degree."""
        n = max_degree + 1
        comps = [[h[k][v] for k in range(n)] for v in range(self.dim)]
        powers = [series.pow_table(c, self.degree) for c in comps]
        out = []
        for comp in self.components:
            acc: list[Rational] = [0] * n
            for exps, c in comp.items():
                term: list[Rational] = [c] + [0] * (n - 1)
                for v, e in enumerate(exps):
                    if e:
                        term = series.mul(term, powers[v][e])
                acc = [a + t for a, t in zip(acc, term)]
            out.append(acc)
        return [tuple(out[j][k] for j in range(self.dim)) for k in range(n)]

    def derivative_tensor(self, x0: Vector, m: int) -> dict[tuple[int, ...], Vector]:
        """All m-th partial derivatives at x0: index tuple (v_1..v_m) -> vector of d_{v_1..v_m} g_j(x0)."""
        tensor = {}
        for idx in itertools.product(range(self.dim), repeat=m):
            drop = [idx.count(v) for v in range(self.dim)]
            values = []
            for comp in self.components:
                total: Rational = 0
                for exps, c in comp.items():
                    if all(e >= k for e, k in zip(exps, drop)):
                        falling = prod(prod(range(e - k + 1, e + 1)) for e, k in zip(exps, drop))
                        total += c * falling * prod(y ** (e - k) for y, e, k in zip(x0, exps, drop))
                values.append(total)
            tensor[idx] = tuple(values)
        return tensor


def apply_multilinear(tensor: Mapping[tuple[int, ...], Vector], vectors: Sequence[Vector], dim: int) -> Vector:
    """g^{(m)}(x0)[v_1, ..., v_m] = sum over index tuples of tensor[idx] * prod_k v_k[idx_k]."""
    out: list[Rational] = [0] * dim
    for idx, val in tensor.items():
        w = prod(v[i] for v, i in zip(vectors, idx))
        if w:
            for j in range(dim):
                out[j] += w * val[j]
    return tuple(out)


def random_polymap(rng: random.Random, dim: int, degree: int) -> PolyMap:
    """A polynomial map of total degree ``degree`` with every monomial present.

    Coefficients are random nonzero integers in [-9, 9], so every derivative of order
    <= degree is generically nonzero and exact arithmetic stays in (fast) integers.
    """
    exps = [e for e in itertools.product(range(degree + 1), repeat=dim) if sum(e) <= degree]

    def coef() -> int:
        p = 0
        while p == 0:
            p = rng.randint(-9, 9)
        return p

    return PolyMap(dim, tuple({e: coef() for e in exps} for _ in range(dim)))


def random_point(rng: random.Random, dim: int) -> Vector:
    """A random integer point with entries in [-3, 3]."""
    return tuple(rng.randint(-3, 3) for _ in range(dim))
