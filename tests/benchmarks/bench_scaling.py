"""Benchmarks of the scaling Monte Carlo (run: python tests/benchmarks/bench_scaling.py [--full-uniform]).

Targets (issue 5):
- Marion et al.'s Figure 1 sweep (res-3/ReLU, i.i.d. uniform, d = 40, n_in = 64, 50 samples,
  L in 10..1000 step 110, beta in {0.25, 0.5, 1}): under 20 s.
- Figure 2 setting (d = 100, L = 1000, beta = 1/2, 10,000 networks) with Gaussian weights:
  under 1 minute (exact shortcut routes), and the time with uniform weights (materialised).
  The uniform run takes long; by default it is timed on 200 networks and scaled linearly
  (cost is linear in the number of networks); --full-uniform times all 10,000.

Prints the best of a few runs (time.perf_counter) for each.
"""

from __future__ import annotations

import sys

from timing import best  # noqa: E402  (also puts the repository on sys.path)

from residual_expansion.models.weights import Init  # noqa: E402
from residual_expansion.scaling.montecarlo import Model, simulate  # noqa: E402
from residual_expansion.scaling.schedules import power  # noqa: E402
from residual_expansion.scaling.sweep import run_sweep  # noqa: E402

FIG1_DEPTHS = tuple(range(10, 1001, 110))



def figure1(init: str = "iid-uniform") -> None:
    run_sweep(Model("res3", "relu", 40, 64), Init(init), [power(b) for b in (0.25, 0.5, 1.0)], FIG1_DEPTHS, 50, 0)


def figure2(init: str, route: str, samples: int = 10_000) -> None:
    simulate(Model("res3", "relu", 100, 64), Init(init), [power(0.5)], 1000, samples, 0, route=route)


def main(argv: list[str]) -> int:
    print(f"Figure 1 sweep, iid-uniform, materialised:           {best(figure1, 2):8.2f} s (target < 20 s)")
    print(f"Figure 1 sweep, smooth, materialised:                {best(lambda: figure1('smooth'), 1):8.2f} s")
    print(f"Figure 2, iid-gaussian, route gaussian-radial:       {best(lambda: figure2('iid-gaussian', 'gaussian-radial'), 3):8.2f} s (target < 60 s)")
    print(f"Figure 2, iid-gaussian, route gaussian-vector:       {best(lambda: figure2('iid-gaussian', 'gaussian-vector'), 1):8.2f} s (target < 60 s)")
    if "--full-uniform" in argv:
        print(f"Figure 2, iid-uniform, materialised, 10,000 networks: {best(lambda: figure2('iid-uniform', 'materialised'), 1):8.2f} s")
    else:
        t = best(lambda: figure2("iid-uniform", "materialised", 200), 1)
        print(f"Figure 2, iid-uniform, materialised, 200 networks:   {t:8.2f} s (x50 -> about {50 * t:.0f} s for 10,000)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
