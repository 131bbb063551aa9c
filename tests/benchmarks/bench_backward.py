"""Benchmarks of the backward pass and the Hurst map.

Run: ``OMP_NUM_THREADS=1 python tests/benchmarks/bench_backward.py [options]`` (one BLAS
thread, as Dask's workers use: on a shared 2-core machine OpenBLAS's own threads make these
small matrix products many times slower; the script prints the setting it ran with).

Targets (issue 10):
- Figures 1 and 3 together: forward and gradients, res-3/ReLU, i.i.d. uniform, 50 networks,
  d = 40, n_in = 64, L in 10..1000 step 110, beta in {0.25, 0.5, 1}: under 15 s. Marion et
  al.'s code (one network at a time, torch) computes the same in 657 s on this machine.
- The gradient run costs at most 2.5 x the forward pass alone (same sweep, measured here).
- Figure 7 on Marion et al.'s protocol (fbm weights, 70 betas x 51 Hurst indices, L = 1000,
  d = 40, per H 5 networks each run at every beta on the same 10 inputs, forward and loss
  gradients): in-process and on local Dask workers; the Dask overhead (1 worker against
  in-process, the same single-threaded work) at most 1.10x, and the 2-worker speed-up.

Options:
  --skip-figures      skip Figures 1 and 3
  --hursts N          Figure 7 on N of the 51 Hurst indices (evenly spread over the 51; the full
                      70 betas, L = 1000); times are also scaled by 51 / N (the cost is linear in
                      the number of cells, one cell per H). Default 51: the full grid. 0 skips it.
  --backends LIST     where Figure 7 runs, comma-separated: ``in-process`` and worker counts
                      (``1``, ``2``: a LocalCluster on 127.0.0.1 started as ``--workers N`` starts
                      it, execution.start_local_cluster, before the timing, its start-up printed
                      apart; ``1:defaults``: the same with Dask's default profiler and monitors
                      instead of execution.QUIET_CLUSTER). Default: in-process,1,2.
  --repeat R          run the list of backends R times, in turn (default 1); the overhead
                      ratio is printed per round and as the median of the rounds.

What is counted: each run's wall time, and its CPU time split into this process (client,
scheduler and nannies run here) and the workers (resource.getrusage on each worker, read
before and after). In-process runs start after this script's imports; a worker is a fresh
process that imports the package when it unpickles its first task (about 0.05 s, counted).
Every cluster is started before the clock starts and closed after it stops.
  --heatmap FILE      write the heatmap of the last Figure 7 run (render/figures.py)

Every time is one wall-clock run (time.perf_counter); the load average is printed first and
last, because a shared machine moves these numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from timing import best  # noqa: E402  (also puts the repository on sys.path)

import numpy as np  # noqa: E402

from residual_expansion.models.weights import Init  # noqa: E402
from residual_expansion.render.sweep_output import render_hurst_map  # noqa: E402
from residual_expansion.scaling.execution import Backend, start_local_cluster  # noqa: E402
from residual_expansion.scaling.hurst import run_hurst_map  # noqa: E402
from residual_expansion.scaling.montecarlo import Model  # noqa: E402
from residual_expansion.scaling.schedules import power  # noqa: E402
from residual_expansion.scaling.sweep import run_sweep  # noqa: E402

FIG1_DEPTHS = tuple(range(10, 1001, 110))
MARION_SECONDS = 657.0
FIG7_HURSTS = tuple(np.linspace(0.05, 0.97, 51))
FIG7_BETAS = tuple(np.linspace(0.0, 1.3, 70))


def figures_1_3(gradients: str | None) -> None:
    run_sweep(Model("res3", "relu", 40, 64), Init("iid-uniform"), [power(b) for b in (0.25, 0.5, 1.0)], FIG1_DEPTHS,
              50, 0, route="materialised", gradients=gradients)


def figure7(hursts, backend: Backend):
    return run_hurst_map(Model("res3", "relu", 40, 64), hursts, FIG7_BETAS, [1000], 5, 10, 0, "loss",
                         backend=backend)


def worker_cpu() -> float:
    """User + system CPU seconds of the calling process (run on each Dask worker)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def figure7_run(name: str, hursts) -> tuple[object, tuple[float, float, float]]:
    """One timed Figure 7 run on backend ``name``: (the map, (wall s, CPU s of this process, CPU s of the workers))."""
    client = cluster = None
    if name == "in-process":
        backend = Backend()
    else:
        from distributed import Client

        workers, _, mode = name.partition(":")
        t0 = time.perf_counter()
        cluster = start_local_cluster(int(workers), quiet=mode != "defaults")
        client = Client(cluster)
        print(f"  local cluster of {workers} worker(s) started in {time.perf_counter() - t0:.1f} s (not counted)")
        backend = Backend(scheduler=cluster.scheduler_address)
    try:
        w0 = sum(client.run(worker_cpu).values()) if client is not None else 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        hmap = figure7(hursts, backend)
        wall, here = time.perf_counter() - t0, time.process_time() - c0
        workers_cpu = sum(client.run(worker_cpu).values()) - w0 if client is not None else 0.0
    finally:
        if client is not None:
            client.close()
            cluster.close()
    return hmap, (wall, here, workers_cpu)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-figures", action="store_true")
    ap.add_argument("--hursts", type=int, default=51)
    ap.add_argument("--backends", default="in-process,1,2")
    ap.add_argument("--heatmap", default=None)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    print(f"{load()}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    if not args.skip_figures:
        c0 = time.process_time()
        t_fwd = best(lambda: figures_1_3(None), 1)
        c1 = time.process_time()
        t_grad = best(lambda: figures_1_3("loss"), 1)
        c2 = time.process_time()
        print(f"Figure 1 forward only, materialised:             {t_fwd:8.2f} s (CPU {c1 - c0:.2f} s)")
        print(f"Figures 1 and 3, forward and gradients:          {t_grad:8.2f} s (CPU {c2 - c1:.2f} s; target < 15 s; "
              f"Marion et al.'s code {MARION_SECONDS:.0f} s: {MARION_SECONDS / t_grad:.0f}x faster)")
        print(f"gradients / forward:                             {t_grad / t_fwd:8.2f} (CPU {(c2 - c1) / (c1 - c0):.2f}; "
              "target <= 2.5)")
    if args.hursts > 0:
        idx = np.unique(np.round(np.linspace(0, 50, min(args.hursts, 51))).astype(int))
        hursts = [FIG7_HURSTS[i] for i in idx]
        scale = 51 / len(hursts)
        what = "full grid" if len(hursts) == 51 else f"{len(hursts)} of the 51 Hurst indices, x{scale:.2f} for 51"
        rounds: list[dict[str, tuple[float, float, float]]] = []
        hmap = None
        outputs: list[str] = []
        for r in range(args.repeat):
            rounds.append({})
            for name in (n.strip() for n in args.backends.split(",")):
                hmap, rounds[-1][name] = figure7_run(name, hursts)
                outputs.append(render_hurst_map(hmap, "json"))
                wall, here, workers = rounds[-1][name]
                label = name if name == "in-process" else (
                    f"{name.split(':')[0]} worker{'s' if name.split(':')[0] != '1' else ''}"
                    + (" (Dask's default profiler and monitors)" if name.endswith(":defaults") else ""))
                print(f"Figure 7 (70 betas, {what}; L = 1000, d = 40, 5 networks x 10 inputs per H, gradients), "
                      f"{label}: {wall:8.1f} s" + ("" if scale == 1 else f" -> {scale * wall:.0f} s for 51 H")
                      + f" (CPU {here + workers:.1f} s: this process {here:.1f} s, workers {workers:.1f} s)"
                      + (f" [round {r + 1}, {load()}]" if args.repeat > 1 else ""))
        for other in ("1", "1:defaults"):
            pairs = [(rd[other][0] / rd["in-process"][0], sum(rd[other][1:]) / sum(rd["in-process"][1:]))
                     for rd in rounds if other in rd and "in-process" in rd]
            if not pairs:
                continue
            name = "1 worker" if other == "1" else "1 worker, Dask defaults"
            for i, (w, c) in enumerate(pairs):
                print(f"Dask overhead, {name} / in-process{'' if len(pairs) == 1 else f', round {i + 1}'}: "
                      f"{w:.3f} wall, {c:.3f} CPU (target <= 1.10)")
            if len(pairs) > 1:
                print(f"Dask overhead, {name} / in-process, median of {len(pairs)} rounds: "
                      f"{statistics.median(w for w, _ in pairs):.3f} wall, {statistics.median(c for _, c in pairs):.3f} CPU")
        print(f"outputs (render_hurst_map JSON) of all {len(outputs)} runs: "
              + ("the same bytes" if len(set(outputs)) == 1 else "DIFFERENT"))
        last = rounds[-1]
        if "1" in last and "2" in last:
            print(f"speed-up, 2 workers against 1:                   {last['1'][0] / last['2'][0]:8.2f}")
        if "in-process" in last and "2" in last:
            print(f"speed-up, 2 workers against in-process:          {last['in-process'][0] / last['2'][0]:8.2f}")
        if args.heatmap and hmap is not None:
            from residual_expansion.render.figures import plot_heatmap

            plot_heatmap(hmap, args.heatmap)
            print(f"heatmap written to {args.heatmap}")
    print(load())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
