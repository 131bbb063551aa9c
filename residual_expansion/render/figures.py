"""Figures of a scaling sweep (needs the optional ``matplotlib``; imported only here, on use).

- :func:`plot_ratio`: Marion et al.'s panel, ||h_L - h_0|| / ||h_0|| against L on log-log
  axes for each schedule (mean with its 5-95 % band), the measured root mean square
  sqrt(mean ratio^2), and the predicted root mean square sqrt(E ratio^2) where theory gives it.
- :func:`plot_spectrum`: per-order energies of linear modules at the largest depth,
  measured (with 4 standard errors) against e_k = C(n, k) (lambda s)^(2k) and, for
  beta = 1/2, against the Poisson limit (c^2 s^2)^k / k!.
"""

from __future__ import annotations

import math

import numpy as np

from residual_expansion.scaling import predictions as scaling
from residual_expansion.errors import UsageError
from residual_expansion.scaling.sweep import Sweep


def pyplot():
    """matplotlib.pyplot on the Agg backend.

    Raises
    ------
    UsageError
        When matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("plotting needs matplotlib; install the extra: pip install 'residual-expansion[plot]'") from None
    return plt


def plot_ratio(sweep: Sweep, path: str) -> None:
    """Write the ratio-against-depth panel to ``path`` (PNG, PDF or SVG by extension)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    schedules = list(dict.fromkeys(r.run.schedule for r in sweep.rows))
    for i, sch in enumerate(schedules):
        color = f"C{i}"
        rows = [r for r in sweep.rows if r.run.schedule == sch and r.run.ratio is not None]
        if not rows:
            continue
        L = np.array([r.run.depth for r in rows])
        mean = np.array([r.run.ratio.mean for r in rows])
        ax.fill_between(L, [r.run.ratio.q05 for r in rows], [r.run.ratio.q95 for r in rows], color=color, alpha=0.15)
        ax.plot(L, mean, "o-", color=color, ms=4, label=f"{sch.label}: mean (5-95 % band)")
        rms = np.sqrt([r.run.sq_ratio.mean for r in rows])
        ax.plot(L, rms, "s", color=color, ms=3, mfc="none")
        pred = [r.predicted_sq_ratio for r in rows]
        if all(p is not None and math.isfinite(p) for p in pred):
            ax.plot(L, np.sqrt(pred), "--", color=color, lw=1.2, label=f"{sch.label}: predicted RMS")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("depth L")
    ax.set_ylabel(r"$\|h_L - h_0\| \,/\, \|h_0\|$")
    ax.set_title(
        f"{sweep.model.kind if sweep.model.kind == 'linear' else sweep.model.kind + '/' + sweep.model.activation}, {sweep.init.label}, d={sweep.model.dim}, "
        f"{sweep.samples} samples (squares: measured RMS)",
        fontsize=9,
    )
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_spectrum(sweep: Sweep, path: str) -> None:
    """Write the per-order energy spectrum (linear modules, run with orders) to ``path``.

    Raises
    ------
    UsageError
        When the sweep has no per-order energies.
    """
    if sweep.orders is None or sweep.model.kind != "linear":
        raise UsageError("--spectrum-plot needs --model linear with --orders K")
    plt = pyplot()
    depth = max(r.run.depth for r in sweep.rows)
    rows = [r for r in sweep.rows if r.run.depth == depth and r.run.orders is not None]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    K = sweep.orders
    k = np.arange(K + 1)
    for i, r in enumerate(rows):
        color = f"C{i}"
        sch = r.run.schedule
        mean = np.array([st.mean for st in r.run.orders[: K + 1]])
        se = np.array([st.stderr for st in r.run.orders[: K + 1]])
        ax.errorbar(k + 0.08 * i, mean, yerr=4 * se, fmt="o", color=color, ms=4, capsize=2,
                    label=f"{sch.label}: measured (+-4 se)")
        if r.predicted_orders is not None:
            ax.plot(k, r.predicted_orders[: K + 1], "_", color=color, ms=14, mew=2,
                    label=f"{sch.label}: binomial e_k")
        if sch.beta == 0.5:
            mass = (sch.c * sweep.model.s) ** 2
            ax.plot(k, scaling.poisson_spectrum(mass, K), ":", color=color, lw=1.2,
                    label=f"{sch.label}: Poisson limit ({mass:g})^k/k!")
    ax.set_yscale("log")
    ax.set_xlabel("order k")
    ax.set_ylabel(r"energy $E\|\lambda^k T_k\|^2 / \|x\|^2$")
    ax.set_title(f"linear, {sweep.init.label}, n={depth}, d={sweep.model.dim}, {sweep.samples} samples", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
