"""paths: fast decimal conversion and the streamed JSON writer (issue 14)."""

from __future__ import annotations

import io
import sys

import pytest

from residual_expansion.paths.architectures import plain, two_branch
from residual_expansion.paths.polynomial import path_statistics
from residual_expansion.render import bigint, path_output
from residual_expansion.render.path_output import render_paths, write_paths, write_paths_json
from residual_expansion.render.table import to_json


@pytest.fixture
def unlimited():
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    yield
    sys.set_int_max_str_digits(previous)


VALUES = [0, 1, -1, 9, 10, -(10**40), 2**2048 - 1, 2**2048, 3**20000, -(7**9001) + 1, 10**12345]


@pytest.mark.parametrize("x", VALUES, ids=lambda x: f"{x.bit_length()}bits")
def test_decimal_string_equals_str(x, unlimited):
    assert bigint.decimal_string(x) == str(x)


@pytest.mark.parametrize("x", VALUES, ids=lambda x: f"{x.bit_length()}bits")
def test_decimal_string_without_gmpy2(x, monkeypatch, unlimited):
    monkeypatch.setattr(bigint, "_mpz", None)
    assert bigint.decimal_string(x) == str(x)


def test_fast_route_is_gmpy2_when_installed():
    """The core dependency is present, so large ints go through GMP (the faster route)."""
    assert bigint._mpz is not None


def test_decimal_string_refuses_non_ints():
    with pytest.raises(TypeError, match="x must be an int"):
        bigint.decimal_string(True)
    with pytest.raises(TypeError, match="x must be an int"):
        bigint.decimal_string(1.0)


@pytest.mark.parametrize("arch", [plain(1), plain(5), plain(54), plain(2500), two_branch(900)], ids=lambda a: f"{a.name}{a.depth}")
def test_streamed_json_is_byte_identical(arch, monkeypatch, unlimited):
    monkeypatch.setattr(path_output, "CHUNK_COUNTS", 7)
    s = path_statistics(arch)
    out = io.StringIO()
    write_paths_json(s, out)
    assert out.getvalue() == to_json(path_output.stats_to_dict(s)) + "\n"


def test_streamed_json_catches_a_wrong_count(unlimited):
    """The comparison above fails when one count is changed after conversion."""
    s = path_statistics(plain(2500))

    class Corrupt(io.StringIO):
        def write(self, text):
            return super().write(text.replace(str(s.counts[1250]), str(s.counts[1250] + 1)))

    out = Corrupt()
    write_paths_json(s, out)
    assert out.getvalue() != to_json(path_output.stats_to_dict(s)) + "\n"


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json"])
def test_write_paths_every_format(fmt):
    s = path_statistics(plain(70))
    out = io.StringIO()
    write_paths(s, fmt, out)
    assert out.getvalue() == render_paths(s, fmt) + "\n"


# ---------------------------------------------------------------- intervals without a full prefix list

from fractions import Fraction  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from residual_expansion.paths.polynomial import _Prefix, shortest_intervals  # noqa: E402


def brute_force(counts, share):
    """Every (lo, hi): the shortest holding ceil(share * total), then most paths, then smallest lo."""
    total = sum(counts)
    need = -((-share.numerator * total) // share.denominator)
    best = None
    for lo in range(len(counts)):
        mass = 0
        for hi in range(lo, len(counts)):
            mass += counts[hi]
            if mass >= need:
                key = (hi - lo, -mass, lo)
                if best is None or key < best[0]:
                    best = (key, lo, hi, mass)
                break
    return best[1], best[2], best[3]


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.one_of(st.integers(0, 3), st.integers(0, 10**30)), min_size=1, max_size=150),
       share=st.fractions(min_value=Fraction(1, 10**6), max_value=1))
def test_intervals_equal_brute_force(counts, share):
    if sum(counts) == 0:
        counts = counts + [1]
    iv = shortest_intervals(counts, [share])[0]
    assert (iv.lo, iv.hi, iv.count) == brute_force(counts, share)


def test_brute_force_comparison_catches_a_wrong_interval():
    counts = [1, 4, 6, 4, 1]
    assert brute_force(counts, Fraction(1, 2)) == (1, 2, 10)
    assert brute_force(counts, Fraction(1, 2)) != (2, 3, 10)  # the later of two equal intervals loses


def test_prefix_checkpoints():
    counts = list(range(1, 300))
    p = _Prefix(counts)
    assert len(p.checkpoints) == 1 + len(counts) // _Prefix.STRIDE
    assert all(p.at(i) == sum(counts[:i]) for i in range(len(counts) + 1))
    assert p.first_reaching(sum(counts[:100])) == 100 and p.first_reaching(10**9) == len(counts) + 1
    assert p.first_reaching(1, start=50) == 50
