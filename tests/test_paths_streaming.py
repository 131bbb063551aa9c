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
