"""paths counts computed on demand (issue 14): BinomialCounts against math.comb and the held tuple."""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residual_expansion.errors import InconsistencyError
from residual_expansion.paths.architectures import architecture_from_dict, plain, two_branch
from residual_expansion.paths.polynomial import (
    SHARE_LADDER,
    BinomialCounts,
    _Prefix,
    moments,
    path_counts,
    path_polynomial,
    path_statistics,
    shortest_intervals,
)
from residual_expansion.render.path_output import render_paths


@settings(max_examples=40, deadline=None)
@given(m=st.integers(0, 700), shift=st.integers(0, 3), data=st.data())
def test_random_access_equals_comb(m, shift, data):
    c = BinomialCounts(m, shift)
    n = len(c)
    assert n == m + shift + 1
    for k in data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=30)):  # any order: anchors and cursors
        assert c[k] == (math.comb(m, k - shift) if k >= shift else 0)
    lo = data.draw(st.integers(0, n))
    hi = data.draw(st.integers(lo, n))
    assert c[lo:hi] == [math.comb(m, k - shift) if k >= shift else 0 for k in range(lo, hi)]
    assert c[-1] == 1 and c == tuple(c) and list(c)[::7] == c[::7]


def test_iteration_and_decimal_walk_equal_the_held_polynomial():
    for arch in (plain(1), plain(64), plain(1001), two_branch(300)):
        counts = path_counts(arch)
        assert isinstance(counts, BinomialCounts)
        held = path_polynomial(arch)
        assert tuple(counts) == held
        assert list(counts.decimal_strings()) == [str(x) for x in held]
    assert list(BinomialCounts(5, shift=2).decimal_strings()) == ["0", "0", "1", "5", "10", "10", "5", "1"]


def test_a_wrong_decimal_step_is_caught():
    """A walk that ends off C(m, m) = 1 is an inconsistency; a step that is not exact raises (Inexact trap)."""

    class OffByOne(BinomialCounts):
        def _decimal_step(self, ctx, c, j):
            return super()._decimal_step(ctx, c, j) + (j == 7)

    with pytest.raises((InconsistencyError, decimal.Inexact)):
        list(OffByOne(40).decimal_strings())

    class EndsOff(BinomialCounts):
        def _decimal_step(self, ctx, c, j):
            return super()._decimal_step(ctx, c, j) * (2 if j == self.m - 1 else 1)

    with pytest.raises(InconsistencyError, match="not 1"):
        list(EndsOff(40).decimal_strings())

    class Inexact(BinomialCounts):
        def _decimal_step(self, ctx, c, j):
            return ctx.divide(ctx.multiply(c, self.m - j), 7)  # 40/7 is not an integer

    with pytest.raises(decimal.Inexact):
        list(Inexact(40).decimal_strings())


def test_index_errors_and_equality():
    c = BinomialCounts(3)
    with pytest.raises(IndexError):
        c[4]
    assert c[-4] == 1 and c != (1, 3, 3, 2) and c != (1, 3, 3) and c == BinomialCounts(3) != BinomialCounts(3, 1)


def test_non_binomial_architecture_keeps_the_tuple():
    data = {"nodes": [{"id": "x0", "kind": "junction"}, {"id": "a", "kind": "module"}, {"id": "b", "kind": "module"},
                      {"id": "y", "kind": "junction"}],
            "edges": [["x0", "a"], ["a", "b"], ["x0", "b"], ["b", "y"], ["x0", "y"]]}  # P = 1 + t + t^2
    counts = path_counts(architecture_from_dict(data))
    assert isinstance(counts, tuple) and counts == path_polynomial(architecture_from_dict(data))


@pytest.mark.parametrize("m", [10, 200, 5000])
def test_statistics_from_lazy_counts_equal_held(m):
    lazy, held = BinomialCounts(m), tuple(BinomialCounts(m))
    shares = sorted(set(SHARE_LADDER) | {Fraction(1, 3), 1 - Fraction(1, 10**9)})
    assert shortest_intervals(lazy, shares) == shortest_intervals(held, shares)
    assert moments(lazy) == moments(held) == (Fraction(m, 2), Fraction(m, 4))
    p = _Prefix(lazy)
    assert len(p.checkpoints) <= _Prefix.STRIDE + 2  # linear memory: a bounded number of checkpoints
    for i in (0, 1, m // 3, m // 2, m + 1):
        assert p.at(i) == sum(held[:i])


def test_rendering_does_not_depend_on_how_the_counts_are_held():
    s = path_statistics(plain(3000), exact_digits=40)
    assert isinstance(s.counts, BinomialCounts)
    from dataclasses import replace

    held = replace(s, counts=tuple(s.counts))
    for fmt in ("text", "latex"):
        assert render_paths(s, fmt) == render_paths(held, fmt)
    wrong = replace(s, counts=tuple(s.counts[:1500]) + (2 * s.counts[1500],) + tuple(s.counts[1501:]))
    assert render_paths(wrong, "text") != render_paths(s, "text")  # the bins see every count
