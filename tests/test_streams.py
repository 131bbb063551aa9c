"""Per-sample seed streams: the numbers do not depend on chunk size, threads or partition."""

from __future__ import annotations

import numpy as np
import pytest

from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init, parse_init
from residual_expansion.scaling.montecarlo import (
    Model, reduce_chunks, simulate, simulate_chunk,
)
from residual_expansion.scaling.schedules import power
from residual_expansion.scaling.streams import Draws, sample_generator

CASES = [
    (Model("res3", dim=6, input_dim=5), Init("iid-uniform"), "materialised", None),
    (Model("linear", dim=5, input_dim=4), Init("iid-uniform"), "materialised", 3),
    (Model("res3", dim=5, input_dim=4), Init("smooth"), "materialised", None),
    (Model("res1", "tanh", dim=5, input_dim=4), parse_init("fbm:0.7"), "materialised", None),
    (Model("res3", dim=6, input_dim=5), Init("iid-gaussian"), "gaussian-vector", None),
    (Model("res3", dim=6, input_dim=5), Init("iid-gaussian"), "gaussian-radial", None),
    (Model("linear", dim=6, input_dim=5), Init("iid-gaussian"), "gaussian-radial", None),
]


@pytest.mark.parametrize("model, init, route, orders", CASES)
def test_any_chunk_size_gives_the_same_numbers(model, init, route, orders):
    # depth 300 crosses the radial route's fixed 256-layer grid
    scheds = [power(0.5), power(1.0)]
    depth = 300 if route == "gaussian-radial" else 30
    ref = simulate(model, init, scheds, depth, 9, 4, route, orders)
    for chunk in (1, 2, 4, 9):
        assert simulate(model, init, scheds, depth, 9, 4, route, orders, chunk=chunk) == ref
    assert simulate(model, init, scheds, depth, 9, 4, route, orders, chunk=3, threads=2) == ref
    # the seed matters: another seed gives other numbers
    assert simulate(model, init, scheds, depth, 9, 5, route, orders) != ref


def test_chunks_reduce_in_sample_order_whatever_order_they_finish():
    model, init = Model("res3", dim=6, input_dim=5), Init("iid-uniform")
    scheds = [power(0.5)]
    lams = np.stack([s.scales(12) for s in scheds])
    parts = [simulate_chunk(model, init, lams, 3, a, b, "materialised") for a, b in ((0, 4), (4, 7), (7, 10))]
    ref = reduce_chunks(scheds, 12, "materialised", 10, parts)
    assert reduce_chunks(scheds, 12, "materialised", 10, parts[::-1]) == ref
    assert ref == simulate(model, init, scheds, 12, 10, 3, "materialised")
    with pytest.raises(UsageError, match="cover"):
        reduce_chunks(scheds, 12, "materialised", 10, parts[:2])
    with pytest.raises(UsageError, match="cover"):
        reduce_chunks(scheds, 12, "materialised", 10, [parts[0], parts[0], *parts[1:]])


def test_a_sample_is_the_same_network_in_any_sweep():
    # sample j's stream depends on (seed, depth, j) only: the first 5 of 9 samples are the 5 samples of a smaller run
    model, init = Model("res3", dim=6, input_dim=5), Init("iid-uniform")
    lams = np.stack([power(0.5).scales(10)])
    big = simulate_chunk(model, init, lams, 2, 0, 9, "materialised")
    small = simulate_chunk(model, init, lams, 2, 0, 5, "materialised")
    assert np.array_equal(big.norm[:5], small.norm)
    # and different samples are different networks
    assert len(set(big.norm[:, 0].tolist())) == 9


def test_streams_are_distinct_and_batched_draws_are_stream_consistent():
    seen = {sample_generator(0, (d,), j).random() for d in (10, 11) for j in range(50)}
    assert len(seen) == 100
    g1, g2 = sample_generator(1, (3,), 0), sample_generator(1, (3,), 0)
    assert np.array_equal(g1.standard_normal(100), np.concatenate([g2.standard_normal(37), g2.standard_normal(63)]))
    a = Draws.of(1, (3,), 0, 4, dtype="float32").uniform(0.5, (2, 3))
    b = Draws.of(1, (3,), 0, 4, threads=3, dtype="float32").uniform(0.5, (2, 3))
    assert a.dtype == np.float32 and np.array_equal(a, b) and np.all(np.abs(a) <= 0.5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_small_rows_are_scaled_whole_and_give_the_same_numbers(monkeypatch, dtype):
    # SMALL_ROW only chooses where u -> -a + 2a u is applied (per row or on the whole array)
    from residual_expansion.scaling import streams

    ref_u = Draws.of(2, (5,), 0, 6, dtype=dtype).uniform(0.3, (4, 3))
    ref_n = Draws.of(2, (5,), 0, 6, dtype=dtype).normal(0.7, (4, 3))
    monkeypatch.setattr(streams, "SMALL_ROW", 0)
    assert np.array_equal(Draws.of(2, (5,), 0, 6, dtype=dtype).uniform(0.3, (4, 3)), ref_u)
    assert np.array_equal(Draws.of(2, (5,), 0, 6, dtype=dtype).normal(0.7, (4, 3)), ref_n)
    assert ref_u.dtype == np.dtype(dtype) and np.all(np.abs(ref_u) <= 0.3)


@pytest.mark.parametrize("model, init, route, orders", CASES[:2])
def test_layers_per_draw_does_not_change_the_numbers(monkeypatch, model, init, route, orders):
    # many layers per call of a stream (short rows) or one: the same weights in the same order
    from residual_expansion.scaling import montecarlo

    scheds = [power(0.5), power(1.0)]
    ref = simulate(model, init, scheds, 30, 9, 4, route, orders)
    monkeypatch.setattr(montecarlo, "MIN_DRAW_ROW", 1)
    monkeypatch.setattr(montecarlo, "DRAW_BUDGET", 1)
    assert montecarlo.layers_per_draw(9, 36, 8) == 1
    assert simulate(model, init, scheds, 30, 9, 4, route, orders) == ref


def test_float32_is_close_to_float64_and_only_on_materialised():
    model, init = Model("res3", dim=8, input_dim=5), Init("iid-uniform")
    (r64,) = simulate(model, init, [power(0.5)], 30, 40, 1)
    (r32,) = simulate(model, init, [power(0.5)], 30, 40, 1, dtype="float32")
    # float32 weights are other numbers (24-bit uniforms), so the samples differ, but the
    # means agree within the statistical error
    assert r32 != r64
    assert abs(r32.sq_ratio.mean - r64.sq_ratio.mean) < 4 * r64.sq_ratio.stderr * np.sqrt(2)
    with pytest.raises(UsageError, match="dtype float32 applies to the materialised route only"):
        simulate(model, Init("iid-gaussian"), [power(0.5)], 5, 10, 1, dtype="float32")


@pytest.mark.parametrize("kwargs, message", [
    (dict(seed=-1, key=(1,), sample=0), "seed must be"),
    (dict(seed=0, key=(-1,), sample=0), "cell key and sample"),
])
def test_bad_stream_arguments(kwargs, message):
    with pytest.raises(UsageError, match=message):
        sample_generator(**kwargs)


def test_bad_draws_arguments():
    with pytest.raises(UsageError, match="threads must be"):
        Draws.of(0, (1,), 0, 2, threads=0)
    with pytest.raises(UsageError, match="dtype must be"):
        Draws.of(0, (1,), 0, 2, dtype="float16")
    with pytest.raises(UsageError, match="sample range"):
        Draws.of(0, (1,), 2, 2)


def test_gradient_weights_drawn_many_layers_at_once_are_the_same_networks(monkeypatch):
    # the forward pass draws layers_per_draw layers per call; the loss readout comes after all of them
    from residual_expansion.scaling import gradients, montecarlo

    args = (Model("res3", dim=4, input_dim=3), Init("iid-uniform"), [power(0.5)], 12, 6, 1, "loss")
    ref = gradients.simulate_gradients(*args)
    monkeypatch.setattr(montecarlo, "MIN_DRAW_ROW", 1)
    monkeypatch.setattr(montecarlo, "DRAW_BUDGET", 1)
    assert gradients.simulate_gradients(*args) == ref


def test_route_keys_are_distinct_and_used_by_their_routes():
    """No two routes share a stream: each keyed route (key, n, j) has its own first entry, and the modules
    read theirs from streams.ROUTE_KEYS."""
    from residual_expansion.scaling import capacity, lesion, normalized, orders
    from residual_expansion.scaling.streams import ROUTE_KEYS

    assert len(set(ROUTE_KEYS.values())) == len(ROUTE_KEYS)
    assert (capacity.CAPACITY_KEY, lesion.LESION_KEY, orders.ORDERS_KEY, normalized.NORM_KEY, normalized.FIXUP_KEY) == (
        ROUTE_KEYS["capacity"], ROUTE_KEYS["lesion"], ROUTE_KEYS["orders"], ROUTE_KEYS["norm"], ROUTE_KEYS["fixup"])
