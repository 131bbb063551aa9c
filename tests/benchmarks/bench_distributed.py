"""Benchmarks of the random-draw floor and of sweeps on Dask (run: python tests/benchmarks/bench_distributed.py).

Targets (issue 13):
- The materialised uniform Figure-2 slice (40 networks, L = 1000, d = 100, res-3/ReLU,
  beta = 1/2) runs in at most 0.7 of the time one thread takes to draw the same weights
  in float64 (both measured in this run): ``--threads 2 --dtype float32``. The floor is
  the draw alone, done as the sweep does it (one layer at a time into a reused buffer,
  scaled in place), so the ratio compares like with like.
- Figure 2 with uniform weights, all 10,000 networks, in float32, in-process with 2
  threads and on 2 local workers (``--full``, or ``--only-full``; several minutes each on
  an idle 2-core machine; not run by default).
- Strong scaling: the same sweep in-process, on 1 and on 2 local Dask workers (cluster
  start-up timed separately, since a long sweep pays it once).

Options: ``--networks N --depth L --dim D`` size the slice (default 40, 1000, 100);
``--sweep-samples S --sweep-depths L1,L2 --chunk C`` size the strong-scaling sweep
(default 40 samples, depths 500,1000, chunks of 10); ``--full`` adds the 10,000-network runs.
Every time is one wall-clock run (time.perf_counter) unless said otherwise; the machine's
load average is printed first, because shared machines make these numbers move.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from timing import best  # noqa: E402  (also puts the repository on sys.path)

import numpy as np  # noqa: E402

from residual_expansion.scaling.execution import Backend, start_local_cluster  # noqa: E402
from residual_expansion.models.weights import Init  # noqa: E402
from residual_expansion.scaling.montecarlo import DRAW_BUDGET, Model, simulate  # noqa: E402
from residual_expansion.scaling.schedules import power  # noqa: E402
from residual_expansion.scaling.streams import Draws  # noqa: E402
from residual_expansion.scaling.sweep import run_sweep  # noqa: E402


def draw_rates(n: int = 2**24) -> list[str]:
    """ns per number of numpy's default generator (PCG64) filling a preallocated array, one thread."""
    g = np.random.default_rng(0)
    out64, out32 = np.empty(n), np.empty(n, dtype=np.float32)
    lines = []
    for label, fn in [
        ("random float64", lambda: g.random(out=out64)),
        ("random float32", lambda: g.random(out=out32, dtype=np.float32)),
        ("standard_normal float64", lambda: g.standard_normal(out=out64)),
        ("standard_normal float32", lambda: g.standard_normal(out=out32, dtype=np.float32)),
    ]:
        t = best(fn, 3)
        lines.append(f"numpy default_rng {label:<24} {1e9 * t / n:6.2f} ns/number  ({n / t / 1e6:6.0f} M/s)")
    return lines


def weight_draw(networks: int, depth: int, dim: int, threads: int = 1, dtype: str = "float64") -> None:
    """Draw exactly the weights of the slice (2 d x d matrices per layer per network, U(-a, a)) from the
    per-sample streams, the way the sweep does: one layer at a time into a reused cache-sized buffer,
    scaled in place; nothing else (no forward pass)."""
    draws = Draws.of(0, (depth,), 0, networks, threads, dtype)
    batch = max(1, DRAW_BUDGET // (networks * 2 * dim * dim * np.dtype(dtype).itemsize))
    buf = None
    for k in range(0, depth, batch):
        shape = (min(batch, depth - k), 2, dim, dim)
        buf = draws.uniform(1.0, shape, out=buf if buf is not None and buf.shape[1:] == shape else None)


def slice_run(networks: int, depth: int, dim: int, threads: int, dtype: str) -> None:
    simulate(Model("res3", "relu", dim, 64), Init("iid-uniform"), [power(0.5)], depth, networks, 0,
             route="materialised", dtype=dtype, threads=threads)


def float32_rounding(networks: int, depth: int, dim: int) -> str:
    """The forward pass in float32 against float64 on the SAME float32 weights: the rounding error alone.

    res-3/ReLU, beta = 1/2, h_0 = A x as in the sweep; returns the largest relative
    difference of ||h_L - h_0|| / ||h_0|| over the networks, next to the statistical
    standard error of its mean at that many networks.
    """
    draws = Draws.of(1, (depth,), 0, networks, 1, "float32")
    x = draws.random((64,))
    a = draws.uniform(np.sqrt(3.0 / 64), (dim, 64), "float64")
    h0 = np.einsum("cij,cj->ci", a, x)
    lam = 1.0 / np.sqrt(depth)
    half = np.sqrt(3.0 / dim)
    h32, h64 = h0.astype(np.float32), h0.copy()
    for _ in range(depth):
        w = draws.uniform(half, (2, dim, dim))
        h32 = h32 + np.float32(lam) * np.einsum(
            "cij,cj->ci", w[:, 1], np.maximum(np.einsum("cij,cj->ci", w[:, 0], h32), 0))
        w64 = w.astype(np.float64)
        h64 = h64 + lam * np.einsum("cij,cj->ci", w64[:, 1], np.maximum(np.einsum("cij,cj->ci", w64[:, 0], h64), 0))
    n0 = np.linalg.norm(h0, axis=1)
    r32 = np.linalg.norm(h32.astype(np.float64) - h0, axis=1) / n0
    r64 = np.linalg.norm(h64 - h0, axis=1) / n0
    rel = float(np.max(np.abs(r32 - r64) / r64))
    se = float(np.std(r64, ddof=1) / np.sqrt(networks) / np.mean(r64))
    return (f"  float32 forward vs float64 forward, same float32 weights, {networks} networks: largest relative "
            f"difference of the ratio {rel:.1e} (relative standard error of the mean at {networks} networks: {se:.1e})")


def strong_scaling(samples: int, depths: tuple[int, ...], chunk: int, dim: int) -> list[str]:
    """One sweep in-process and on 1 and 2 local workers (cluster start-up excluded, reported apart)."""
    from distributed import Client

    model, init, scheds = Model("res3", "relu", dim, 64), Init("iid-uniform"), [power(0.5), power(1.0)]

    def sweep(backend: Backend):
        return run_sweep(model, init, scheds, depths, samples, 0, chunk=chunk, backend=backend)

    tasks = len(depths) * -(-samples // chunk)
    lines = [f"sweep: res-3 iid-uniform d={dim}, depths {','.join(map(str, depths))}, {samples} samples, "
             f"2 schedules, chunks of {chunk} ({tasks} tasks)"]
    t0 = time.perf_counter()
    ref = sweep(Backend())
    t_in = time.perf_counter() - t0
    lines.append(f"  in-process                {t_in:8.2f} s")
    for n in (1, 2):
        t0 = time.perf_counter()
        cluster = start_local_cluster(n)  # as --workers N starts it
        client = Client(cluster)
        t_up = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            got = sweep(Backend(scheduler=cluster.scheduler_address))
            t = time.perf_counter() - t0
            if n == 2:
                t0 = time.perf_counter()
                client.gather(client.map(abs, range(-500, 0), pure=False))
                per_task = (time.perf_counter() - t0) / 500
        finally:
            client.close()
            cluster.close()
        same = "same result" if got == ref else "DIFFERENT RESULT"
        lines.append(f"  {n} local worker{'s' if n > 1 else ' '}         {t:8.2f} s  (speed-up {t_in / t:4.2f}x, "
                     f"start-up {t_up:.1f} s, {same})")
    lines.append(f"  scheduler round trip, 500 no-op tasks on 2 workers: {1e3 * per_task:.2f} ms per task")
    return lines


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", type=int, default=40)
    ap.add_argument("--depth", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--sweep-samples", type=int, default=40)
    ap.add_argument("--sweep-depths", default="500,1000")
    ap.add_argument("--chunk", type=int, default=10)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--full-networks", type=int, default=10_000, help="networks of the --full runs (default 10,000)")
    ap.add_argument("--chunk-full", type=int, default=40, help="samples per task of the --full runs (default 40)")
    ap.add_argument("--only-full", action="store_true", help="run only the --full runs")
    args = ap.parse_args(argv)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    if args.only_full:
        print(full_figure2(args.full_networks, args.chunk_full))
        return 0
    for line in draw_rates():
        print(line)
    n, L, d = args.networks, args.depth, args.dim
    numbers = n * L * 2 * d * d
    print(f"Figure-2 slice: {n} networks, L={L}, d={d}, res-3/ReLU, iid-uniform, beta=1/2 ({numbers / 1e6:.0f} M weights)")
    t_floor = best(lambda: weight_draw(n, L, d), 1)
    print(f"  draw its weights, float64, 1 thread       {t_floor:8.2f} s  (the floor; {1e9 * t_floor / numbers:.2f} ns/number)")
    for threads, dtype in [(1, "float64"), (2, "float64"), (2, "float32")]:
        t = best(lambda: slice_run(n, L, d, threads, dtype), 1)
        target = "  (target <= 0.70)" if (threads, dtype) == (2, "float32") else ""
        print(f"  materialised sweep, {dtype}, {threads} thread{'s' if threads > 1 else ' '}  {t:8.2f} s  "
              f"= {t / t_floor:.2f} x the floor{target}")
    print(float32_rounding(min(n, 10), L, d))
    depths = tuple(int(x) for x in args.sweep_depths.split(","))
    for line in strong_scaling(args.sweep_samples, depths, args.chunk, d):
        print(line)
    if args.full:
        print(full_figure2(args.full_networks, args.chunk_full))
    return 0


def full_figure2(networks: int = 10_000, chunk: int = 40) -> str:
    """Figure 2 with uniform weights (res-3/ReLU, L = 1000, d = 100, beta = 1/2), float32 draws:
    in-process with 2 draw threads, then on a local cluster of 2 single-threaded workers
    (start-up included); the two results must be equal."""
    model, init = Model("res3", "relu", 100, 64), Init("iid-uniform")
    lines, results = [], []
    for label, backend, threads in [("in-process, --threads 2", Backend(), 2), ("2 local workers", Backend(workers=2), 1)]:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        results.append(run_sweep(model, init, [power(0.5)], [1000], networks, 0, chunk=chunk, dtype="float32",
                                 threads=threads, backend=backend))
        t = time.perf_counter() - t0
        lines.append(f"Figure 2, iid-uniform, {networks:,} networks, float32, chunks of {chunk}, {label}: {t:8.1f} s "
                     f"(load average {load:.1f} -> {os.getloadavg()[0]:.1f})")
    lines.append("  same result" if results[0] == results[1] else "  DIFFERENT RESULTS")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
