"""Benchmarks of the backward pass and the Hurst map (run: python tests/benchmarks/bench_backward.py [--full-hurst]).

Targets (issue 10):
- Figures 1 and 3 together: forward and gradients, res-3/ReLU, i.i.d. uniform, 50 networks,
  d = 40, n_in = 64, L in 10..1000 step 110, beta in {0.25, 0.5, 1}: under 15 s. Marion et
  al.'s code (one network at a time, torch) computes the same in 657 s on this machine.
- The gradient run costs at most 2.5 x the forward pass alone (same sweep, materialised route).
- Figure 7 (fbm weights, 70 betas x 51 Hurst indices, L = 1000, d = 40, 50 networks per H):
  the in-process time. By default a reduced grid (2 Hurst indices, the full 70 betas) is timed
  and scaled linearly to 51 Hurst indices (the cost is linear in the number of H);
  --full-hurst runs the whole grid (long).

Prints one run of each (time.perf_counter), with the ratios.
"""

from __future__ import annotations

import sys

from timing import best  # noqa: E402  (also puts the repository on sys.path)

import numpy as np  # noqa: E402

from residual_expansion.scaling.hurst import run_hurst_map  # noqa: E402
from residual_expansion.models.weights import Init  # noqa: E402
from residual_expansion.scaling.montecarlo import Model  # noqa: E402
from residual_expansion.scaling.schedules import power  # noqa: E402
from residual_expansion.scaling.sweep import run_sweep  # noqa: E402

FIG1_DEPTHS = tuple(range(10, 1001, 110))
MARION_SECONDS = 657.0


def figures_1_3(gradients: str | None) -> None:
    run_sweep(Model("res3", "relu", 40, 64), Init("iid-uniform"), [power(b) for b in (0.25, 0.5, 1.0)], FIG1_DEPTHS,
              50, 0, route="materialised", gradients=gradients)


def figure7(hursts) -> None:
    run_hurst_map(Model("res3", "relu", 40, 64), hursts, list(np.linspace(0, 1.3, 70)), [1000], 50, 0, "loss")


def main(argv: list[str]) -> int:
    t_fwd = best(lambda: figures_1_3(None), 1)
    t_grad = best(lambda: figures_1_3("loss"), 1)
    print(f"Figure 1 forward only, materialised:             {t_fwd:8.2f} s")
    print(f"Figures 1 and 3, forward and gradients:          {t_grad:8.2f} s (target < 15 s; "
          f"Marion et al.'s code {MARION_SECONDS:.0f} s, {MARION_SECONDS / t_grad:.0f}x)")
    print(f"gradients / forward:                             {t_grad / t_fwd:8.2f} (target <= 2.5)")
    if "--full-hurst" in argv:
        grid = list(np.linspace(0.05, 0.97, 51))
        print(f"Figure 7 full grid (70 x 51, L = 1000, 50 networks): {best(lambda: figure7(grid), 1):8.2f} s")
    else:
        grid = [0.3, 0.8]
        t = best(lambda: figure7(grid), 1)
        print(f"Figure 7, 70 betas x 2 H, L = 1000, 50 networks: {t:8.2f} s (x25.5 -> about {25.5 * t:.0f} s for 51 H)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
