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
                      (``1``, ``2``: a LocalCluster on 127.0.0.1, started before the timing,
                      its start-up printed apart). Default: in-process,1,2.
  --heatmap FILE      write the heatmap of the last Figure 7 run (render/figures.py)

Every time is one wall-clock run (time.perf_counter); the load average is printed first and
last, because a shared machine moves these numbers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from timing import best  # noqa: E402  (also puts the repository on sys.path)

import numpy as np  # noqa: E402

from residual_expansion.models.weights import Init  # noqa: E402
from residual_expansion.scaling.execution import Backend  # noqa: E402
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


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-figures", action="store_true")
    ap.add_argument("--hursts", type=int, default=51)
    ap.add_argument("--backends", default="in-process,1,2")
    ap.add_argument("--heatmap", default=None)
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
        times: dict[str, float] = {}
        cpus: dict[str, float] = {}
        hmap = None
        for name in args.backends.split(","):
            name = name.strip()
            cluster = client = None
            if name == "in-process":
                backend = Backend()
            else:
                import logging

                from distributed import Client, LocalCluster

                import dask

                t0 = time.perf_counter()
                # as residual_expansion.scaling.execution starts its clusters: glibc's malloc defaults kept
                with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                    cluster = LocalCluster(n_workers=int(name), threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                           silence_logs=logging.ERROR)
                client = Client(cluster)
                print(f"  local cluster of {name} worker(s) started in {time.perf_counter() - t0:.1f} s (not counted)")
                backend = Backend(scheduler=cluster.scheduler_address)
            try:
                w0 = sum(client.run(worker_cpu).values()) if client is not None else 0.0
                t0, c0 = time.perf_counter(), time.process_time()
                hmap = figure7(hursts, backend)
                times[name] = time.perf_counter() - t0
                cpu = time.process_time() - c0
                if client is not None:
                    cpu += sum(client.run(worker_cpu).values()) - w0
                cpus[name] = cpu
            finally:
                if client is not None:
                    client.close()
                    cluster.close()
            label = name if name == "in-process" else f"{name} worker{'s' if name != '1' else ''}"
            print(f"Figure 7 (70 betas, {what}; L = 1000, d = 40, 5 networks x 10 inputs per H, gradients), "
                  f"{label}: {times[name]:8.1f} s" + ("" if scale == 1 else f" -> {scale * times[name]:.0f} s for 51 H")
                  + f" (CPU, this process and the workers: {cpu:.1f} s)")
        if "in-process" in times and "1" in times:
            print(f"Dask overhead, 1 worker / in-process:            {times['1'] / times['in-process']:8.3f} wall, "
                  f"{cpus['1'] / cpus['in-process']:.3f} CPU (target <= 1.10)")
        if "1" in times and "2" in times:
            print(f"speed-up, 2 workers against 1:                   {times['1'] / times['2']:8.2f}")
        if "in-process" in times and "2" in times:
            print(f"speed-up, 2 workers against in-process:          {times['in-process'] / times['2']:8.2f}")
        if args.heatmap and hmap is not None:
            from residual_expansion.render.figures import plot_heatmap

            plot_heatmap(hmap, args.heatmap)
            print(f"heatmap written to {args.heatmap}")
    print(load())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
