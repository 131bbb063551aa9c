"""Per-sample seeds hashed all at once (issue 14): the same PCG64 words and draws as numpy's SeedSequence."""

from __future__ import annotations

import numpy as np
import pytest

from residual_expansion.errors import UsageError
from residual_expansion.scaling.streams import Draws, pcg64_seed_words, sample_generator, sample_generators

KEYS = [(0, ()), (0, (8,)), (5, (256, 3)), (2**40 + 7, (1, 2, 3)), (2**130 + 3, (9,)), (123456789012, (2**33,)),
        (2**32 - 1, (2**32 - 1, 0))]


@pytest.mark.parametrize("seed,key", KEYS, ids=str)
def test_seed_words_equal_numpy_seedsequence(seed, key):
    samples = np.array([0, 1, 2, 77, 4095, 2**31, 2**32 - 1], dtype=np.uint64)
    ours = pcg64_seed_words(seed, key, samples)
    theirs = np.array([np.random.SeedSequence(seed, spawn_key=(*key, int(j))).generate_state(4, np.uint64)
                       for j in samples])
    assert ours.dtype == np.uint64 and np.array_equal(ours, theirs)


def test_a_wrong_hash_constant_is_caught(monkeypatch):
    from residual_expansion.scaling import streams

    monkeypatch.setattr(streams, "_MULT_B", streams._MULT_B + 2)
    theirs = np.random.SeedSequence(0, spawn_key=(8, 1)).generate_state(4, np.uint64)
    assert not np.array_equal(pcg64_seed_words(0, (8,), np.array([1]))[0], theirs)


def test_generators_draw_the_same_numbers():
    fast = sample_generators(3, (16, 2), 10, 40)
    for j, g in zip(range(10, 40), fast):
        ref = sample_generator(3, (16, 2), j)
        assert np.array_equal(g.random(7), ref.random(7))
        assert np.array_equal(g.standard_normal(5), ref.standard_normal(5))
    a = Draws.of(4, (8,), 0, 50).uniform(0.5, (3, 4))
    b = np.stack([sample_generator(4, (8,), j).random((3, 4)) for j in range(50)]) * 1.0 - 0.5
    assert np.array_equal(a, b)


def test_sample_generators_refuse_negative_input():
    with pytest.raises(UsageError, match="seed"):
        sample_generators(-1, (3,), 0, 2)
    with pytest.raises(UsageError, match="non-negative"):
        sample_generators(0, (-3,), 0, 2)
