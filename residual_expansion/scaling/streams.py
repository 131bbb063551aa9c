"""Per-sample random streams: every draw of a Monte Carlo sweep derives from (root seed, cell, sample).

Seed scheme (docs/distributed.md): sample ``j`` of cell ``key`` (a tuple of non-negative
integers naming the cell, for example ``(depth,)`` for a scaling sweep) draws from

    numpy.random.default_rng(SeedSequence(seed, spawn_key=(*key, j)))

and from nothing else. The sample grid is fixed (one stream per sample), so how the samples
are cut into chunks, which worker runs a chunk, and how many threads fill a chunk's
arrays cannot change a single number: a chunk of samples ``start..stop-1`` asks each
sample's stream for the same values in the same order, whatever else runs.

Batched draws rely on numpy's stream property: ``g.random(m)`` followed by ``g.random(n)``
gives the same numbers as ``g.random(m + n)`` (likewise ``standard_normal`` and float32
draws), so a sample's weights may be drawn one layer at a time or many layers at once.
Draws of different kinds (binomial, gamma, normal) interleave differently with the batch
size, so routes that mix kinds draw on the FIXED layer grid :data:`LAYER_BLOCK`.

:class:`Draws` fills a chunk's ``(samples, ...)`` array row by row from the per-sample
streams, optionally in threads (numpy Generators release the GIL while filling), in
float64 or float32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

import numpy as np

from residual_expansion.errors import UsageError

#: Layers per draw on routes that mix distribution kinds in one stream (a fixed grid).
LAYER_BLOCK = 256
#: Floating-point types the weight draws may use.
DTYPES = ("float64", "float32")
#: First spawn-key entry of the routes whose sample streams are SeedSequence(seed, spawn_key=(key, n, j))
#: (n the depth, j the sample): one key per route, so no two routes share a stream. The sweeps and
#: their gradients use (L, j), two entries.
ROUTE_KEYS = MappingProxyType({"norm": 11, "lesion": 13, "orders": 17, "capacity": 19, "fixup": 23})
#: A row of at most this many entries is scaled with the whole array after every row is
#: drawn (two array operations instead of two per sample); a longer row is scaled right after
#: its draw, while it is in cache. The same operations on the same numbers either way.
SMALL_ROW = 4096

T = TypeVar("T")
P = TypeVar("P")


def sample_generator(seed: int, key: Sequence[int], sample: int) -> np.random.Generator:
    """The generator of sample ``sample`` in cell ``key``: SeedSequence(seed, spawn_key=(*key, sample)).

    >>> a = sample_generator(9, (50,), 3).random()
    >>> a == sample_generator(9, (50,), 3).random() != sample_generator(9, (50,), 4).random()
    True

    Raises
    ------
    UsageError
        When seed, a key entry or sample is negative.
    """
    if seed < 0:
        raise UsageError(f"seed must be a non-negative integer, got {seed}", parameters=("seed",))
    if any(int(k) < 0 for k in key) or sample < 0:
        raise UsageError(f"cell key and sample must be non-negative integers, got {tuple(key)} and {sample}")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*(int(k) for k in key), int(sample))))


# SeedSequence's hash constants (numpy.random.bit_generator; Melissa O'Neill's seed_seq_fe design).
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4
_U32 = np.uint32


def _words(x: int) -> list[int]:
    """The little-endian 32-bit words of ``x >= 0``, as SeedSequence splits an int (``[0]`` for 0)."""
    out = [x & 0xFFFFFFFF]
    x >>= 32
    while x:
        out.append(x & 0xFFFFFFFF)
        x >>= 32
    return out


def pcg64_seed_words(seed: int, key: Sequence[int], samples: np.ndarray) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(*key, j)).generate_state(4, uint64)`` for every j in ``samples``.

    The same hash as numpy's SeedSequence (pool of 4 words, hashmix and mix of uint32 words;
    numpy.random.bit_generator), computed for all samples at once on uint32 arrays instead of
    one SeedSequence object per sample (about 4x faster; tests/test_streams.py compares it
    with numpy's own for many keys). Sample indices must be below 2^32 (one word each).
    Returns a (len(samples), 4) uint64 array: the words PCG64 is seeded from.

    >>> w = pcg64_seed_words(7, (16,), np.arange(3))
    >>> bool((w[2] == np.random.SeedSequence(7, spawn_key=(16, 2)).generate_state(4, np.uint64)).all())
    True
    """
    count = len(samples)
    run = _words(int(seed))
    if len(run) < _POOL:
        run += [0] * (_POOL - len(run))
    cols = [np.full(count, w, dtype=_U32) for w in run + [w for k in key for w in _words(int(k))]]
    cols.append(np.asarray(samples).astype(_U32))
    const = [_INIT_A]

    def hashmix(value: np.ndarray) -> np.ndarray:
        value = value ^ _U32(const[0])
        const[0] = (const[0] * _MULT_A) & 0xFFFFFFFF
        value = value * _U32(const[0])
        return value ^ (value >> _U32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = _U32(_MIX_L) * x - _U32(_MIX_R) * y
        return r ^ (r >> _U32(16))

    with np.errstate(over="ignore"):
        pool = [hashmix(cols[i]) for i in range(_POOL)]  # the entropy has at least 4 words (padded)
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    pool[dst] = mix(pool[dst], hashmix(pool[src]))
        for src in range(_POOL, len(cols)):
            for dst in range(_POOL):
                pool[dst] = mix(pool[dst], hashmix(cols[src]))
        const_b = _INIT_B
        state = np.empty((count, 8), dtype="<u4")
        for i in range(8):
            v = pool[i % _POOL] ^ _U32(const_b)
            const_b = (const_b * _MULT_B) & 0xFFFFFFFF
            v = v * _U32(const_b)
            state[:, i] = v ^ (v >> _U32(16))
    return state.view("<u8").astype(np.uint64)


class _Words(np.random.bit_generator.ISeedSequence):
    """A seed sequence that hands PCG64 precomputed words (:func:`pcg64_seed_words`)."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:  # PCG64 asks for exactly this
            raise ValueError(f"precomputed PCG64 words: asked for {n_words} words of {np.dtype(dtype)}")
        return self.words


def sample_generators(seed: int, key: Sequence[int], start: int, stop: int) -> tuple[np.random.Generator, ...]:
    """``sample_generator(seed, key, j)`` for j = start..stop-1, the seeds hashed all at once.

    >>> a = sample_generators(9, (50,), 2, 5)
    >>> [g.random() for g in a] == [sample_generator(9, (50,), j).random() for j in range(2, 5)]
    True

    Raises
    ------
    UsageError
        When seed, a key entry, start or stop is negative.
    """
    if seed < 0:
        raise UsageError(f"seed must be a non-negative integer, got {seed}", parameters=("seed",))
    if any(int(k) < 0 for k in key) or start < 0 or stop < 0:
        raise UsageError(f"cell key and sample must be non-negative integers, got {tuple(key)} and {start}")
    if stop > 2**32:  # a sample index of two words: numpy's own route
        return tuple(sample_generator(seed, key, j) for j in range(start, stop))
    words = pcg64_seed_words(seed, key, np.arange(start, stop, dtype=np.uint64))
    return tuple(np.random.Generator(np.random.PCG64(_Words(w))) for w in words)


@dataclass(frozen=True)
class Draws:
    """Random draws for the samples ``start..stop-1`` of one cell, one stream per sample.

    Every method returns an array whose leading axis is the sample (row i from sample
    ``start + i``'s own stream). ``threads`` > 1 fills rows in that many threads with
    disjoint sets of samples; ``dtype`` (``float64`` or ``float32``) is the type of
    :meth:`uniform` and :meth:`normal` draws.

    A chunk of samples 1..2 draws exactly rows 1..2 of the chunk 0..2:

    >>> a = Draws.of(0, (4,), 0, 3).uniform(1.0, (2,))
    >>> a.shape, bool(np.array_equal(Draws.of(0, (4,), 1, 3, threads=2).uniform(1.0, (2,)), a[1:]))
    ((3, 2), True)
    """

    gens: tuple[np.random.Generator, ...]
    threads: int = 1
    dtype: str = "float64"

    @staticmethod
    def of(seed: int, key: Sequence[int], start: int, stop: int, threads: int = 1, dtype: str = "float64") -> "Draws":
        """Streams of samples start..stop-1 of cell ``key`` (see :func:`sample_generator`).

        Raises
        ------
        UsageError
            For an empty or negative range, threads < 1 or an unknown dtype.
        """
        if not 0 <= start < stop:
            raise UsageError(f"sample range start={start}, stop={stop} must satisfy 0 <= start < stop")
        if threads < 1:
            raise UsageError(f"threads must be at least 1, got {threads}", parameters=("threads",))
        if dtype not in DTYPES:
            raise UsageError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}", parameters=("dtype",))
        return Draws(sample_generators(seed, key, start, stop), threads, dtype)

    @property
    def count(self) -> int:
        return len(self.gens)

    def _rows(self, fill: Callable[[int, np.random.Generator], None]) -> None:
        """Call fill(i, gen_i) for every sample, split over the threads in contiguous groups."""
        n = len(self.gens)
        if self.threads == 1 or n == 1:
            for i, g in enumerate(self.gens):
                fill(i, g)
            return
        parts = np.array_split(np.arange(n), min(self.threads, n))

        def work(idx: np.ndarray) -> None:
            for i in idx:
                fill(int(i), self.gens[i])

        with ThreadPoolExecutor(max_workers=len(parts)) as pool:
            list(pool.map(work, parts))

    def random(self, shape: tuple[int, ...]) -> np.ndarray:
        """U[0, 1) in float64 (inputs always use float64), shape (samples, *shape)."""
        out = np.empty((self.count, *shape))
        self._rows(lambda i, g: g.random(out=out[i]))
        return out

    def _out(self, shape: tuple[int, ...], dt: np.dtype, out: np.ndarray | None) -> np.ndarray:
        """``out`` when it has shape (samples, *shape) and type ``dt`` (reused, no allocation), else a new array."""
        want = (self.count, *shape)
        if out is None:
            return np.empty(want, dtype=dt)
        if out.shape != want or out.dtype != dt or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous {dt} array of shape {want}, got {out.dtype} {out.shape}")
        return out

    def uniform(self, half_width: float, shape: tuple[int, ...], dtype: str | None = None,
                out: np.ndarray | None = None) -> np.ndarray:
        """U(-a, a) with a = ``half_width``, computed as -a + 2a u from u ~ U[0, 1) in ``dtype``
        (default: the Draws' dtype), in place (the uniforms are drawn into ``out`` when given,
        then scaled and shifted there: no temporaries, no float64 pass for float32)."""
        dt = np.dtype(dtype or self.dtype)
        out = self._out(shape, dt, out)
        return self._affine(out, lambda g, row: g.random(out=row, dtype=dt), dt.type(2.0 * half_width),
                            dt.type(-half_width))

    def normal(self, std: float, shape: tuple[int, ...], dtype: str | None = None,
               out: np.ndarray | None = None) -> np.ndarray:
        """N(0, std^2) in ``dtype`` (default: the Draws' dtype), shape (samples, *shape), into ``out`` when given."""
        dt = np.dtype(dtype or self.dtype)
        out = self._out(shape, dt, out)
        return self._affine(out, lambda g, row: g.standard_normal(out=row, dtype=dt),
                            None if std == 1.0 else dt.type(std))

    def _affine(self, out: np.ndarray, draw: Callable[[np.random.Generator, np.ndarray], None],
                scale=None, shift=None) -> np.ndarray:
        """Row i of ``out`` drawn by ``draw(gen_i, row)``, then multiplied by ``scale`` and shifted
        by ``shift`` (None: skipped) in place: on the whole array after every row is drawn when a
        row has at most :data:`SMALL_ROW` entries, else on each row right after its draw, while it
        is in cache. The same operations on the same numbers either way."""

        def affine(a: np.ndarray) -> None:
            if scale is not None:
                a *= scale
            if shift is not None:
                a += shift

        if out[0].size <= SMALL_ROW:
            self._rows(lambda i, g: draw(g, out[i]))
            affine(out)
        else:
            self._rows(lambda i, g: (draw(g, out[i]), affine(out[i])))
        return out

    def each(self, draw: Callable[[np.random.Generator], np.ndarray]) -> np.ndarray:
        """np.stack([draw(g) for each sample's stream]) (any distribution, float64, no threads)."""
        return np.stack([np.asarray(draw(g)) for g in self.gens])


def in_thread_groups(run: Callable[[int, int, Callable[[int], None] | None], T], start: int, stop: int, threads: int,
                     join: Callable[[list[T]], T], progress: Callable[[int], None] | None = None) -> T:
    """``run(a, b, progress)`` on ``threads`` consecutive groups of the samples start..stop-1, each
    in its own thread, joined in sample order by ``join``; only the first group reports progress.

    Every sample draws from its own stream, so the groups compute exactly the rows that one
    call over start..stop-1 would (numpy releases the GIL in its bit generators and in matmul,
    so the groups run in parallel). With one thread or one sample: ``run(start, stop, progress)``.

    >>> in_thread_groups(lambda a, b, p: list(range(a, b)), 2, 7, 2, lambda parts: sum(parts, []))
    [2, 3, 4, 5, 6]
    """
    if threads <= 1 or stop - start <= 1:
        return run(start, stop, progress)
    groups = [(int(g[0]), int(g[-1]) + 1) for g in np.array_split(np.arange(start, stop), min(threads, stop - start))]
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        parts = list(pool.map(lambda i: run(*groups[i], progress if i == 0 else None), range(len(groups))))
    return join(parts)


def in_sample_order(parts: Sequence[P], size: Callable[[P], int]) -> list[P]:
    """Chunk results sorted by their ``start``, checked to follow each other (no gap, no overlap).

    >>> from types import SimpleNamespace as C
    >>> [p.start for p in in_sample_order([C(start=3, n=2), C(start=1, n=2)], lambda p: p.n)]
    [1, 3]

    Raises
    ------
    UsageError
        When a chunk does not start where the previous one stopped.
    """
    ordered = sorted(parts, key=lambda p: p.start)
    at = ordered[0].start
    for p in ordered:
        if p.start != at:
            raise UsageError(f"chunks must follow each other; a chunk starts at {p.start}, expected {at}")
        at += size(p)
    return ordered


def covering(parts: Sequence[P], size: Callable[[P], int], total: int, what: str = "samples") -> list[P]:
    """Chunk results sorted by ``start``, checked to cover ``what`` 0..total-1 exactly once.

    >>> from types import SimpleNamespace as C
    >>> [p.start for p in covering([C(start=2, n=2), C(start=0, n=2)], lambda p: p.n, 4)]
    [0, 2]
    >>> covering([C(start=0, n=2)], lambda p: p.n, 4, "networks")
    Traceback (most recent call last):
    ...
    residual_expansion.errors.UsageError: chunks cover 2 networks, expected networks=4

    Raises
    ------
    UsageError
        When a chunk does not start where the previous one stopped, or the chunks do not add up to ``total``.
    """
    ordered = sorted(parts, key=lambda p: p.start)
    covered = 0
    for p in ordered:
        if p.start != covered:
            raise UsageError(f"chunks must cover {what} 0..{total - 1} once; a chunk starts at {p.start}, "
                             f"expected {covered}")
        covered += size(p)
    if covered != total:
        raise UsageError(f"chunks cover {covered} {what}, expected {what}={total}")
    return ordered
