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
import sys

import numpy as np

from residual_expansion.scaling import predictions as scaling
from residual_expansion.errors import UsageError
from residual_expansion.scaling.sweep import Sweep


def pyplot():
    """matplotlib.pyplot on the Agg backend (in a Jupyter kernel: the kernel's backend).

    Raises
    ------
    UsageError
        When matplotlib is not installed.
    """
    try:
        import matplotlib

        if "ipykernel" not in sys.modules:  # in a Jupyter kernel keep its (inline) backend: Figures display
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("plotting needs matplotlib; install the extra: pip install 'residual-expansion[plot]'") from None
    return plt


def _finish(plt, fig, path: str | None, **savefig):
    """Save to ``path`` (then close, so scripts do not accumulate open figures) and return the Figure."""
    if path is not None:
        fig.savefig(path, **savefig)
        plt.close(fig)
    return fig


def plot_ratio(sweep: Sweep, path: str | None = None):
    """The ratio-against-depth panel as a matplotlib Figure; also written to ``path`` (PNG, PDF or SVG by
    extension) when given. In a notebook the returned Figure displays itself."""
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
    return _finish(plt, fig, path)


def plot_spectrum(sweep: Sweep, path: str | None = None):
    """The per-order energy spectrum (linear modules, run with orders) as a Figure; also written to ``path``.

    Raises
    ------
    UsageError
        When the sweep has no per-order energies.
    """
    if sweep.orders is None or sweep.model.kind != "linear":
        raise UsageError("spectrum_plot needs kind linear with orders K", parameters=("spectrum_plot", "kind", "orders"))
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
    return _finish(plt, fig, path)


def plot_norm_energy(sweep, path: str | None = None):
    """Energy ||h_L||^2/||h_0||^2 against depth, normalized (measured, predicted) and unnormalized (mean, median,
    predicted), log-log: additive against multiplicative growth. ``sweep`` is a
    :class:`residual_expansion.scaling.normalized.NormSweep`."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    schedules = list(dict.fromkeys(r.run.schedule for r in sweep.rows))
    for i, sch in enumerate(schedules):
        rows = [r for r in sweep.rows if r.run.schedule == sch]
        L = np.array([r.run.depth for r in rows])
        color = f"C{2 * i}"
        good = [r for r in rows if r.run.sq_norm_ratio is not None]
        ax.errorbar([r.run.depth for r in good], [r.run.sq_norm_ratio.mean for r in good],
                    yerr=[4 * r.run.sq_norm_ratio.stderr for r in good], fmt="o", color=color, ms=4, capsize=2,
                    label=f"{sweep.norm.label}, {sch.label}: measured (+-4 se)")
        pred = [r.predicted_sq_norm_ratio for r in rows]
        if all(p is not None for p in pred):
            ax.plot(L, pred, "-", color=color, lw=1.2, label=f"{sweep.norm.label}: predicted (additive)")
        color = f"C{2 * i + 1}"
        ref = [r for r in rows if r.reference.sq_norm_ratio is not None]
        ax.plot([r.run.depth for r in ref], [r.reference.sq_norm_ratio.mean for r in ref], "s", color=color, ms=4,
                label=f"none, {sch.label}: measured mean")
        ax.plot([r.run.depth for r in ref], [r.reference.sq_norm_ratio.q50 for r in ref], "v", color=color, ms=4,
                mfc="none", label="none: measured median")
        refp = [r.reference_predicted for r in rows]
        if all(p is not None and not p.explodes for p in refp):
            ax.plot(L, [p.value for p in refp], "--", color=color, lw=1.2, label="none: predicted (multiplicative)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("depth L")
    ax.set_ylabel(r"$\|h_L\|^2 / \|h_0\|^2$")
    m = sweep.model
    ax.set_title(f"{m.kind if m.kind == 'linear' else m.kind + '/' + m.activation}, {sweep.init.label}, d={m.dim}, "
                 f"{sweep.samples} samples", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return _finish(plt, fig, path)


def plot_order_profiles(profiles, path: str | None = None):
    """Per-order energies E||lambda^k T_k||^2/||x||^2 against k, one panel per schedule, one curve per depth
    (``profiles`` from :func:`residual_expansion.scaling.orders.run_order_profiles`)."""
    plt = pyplot()
    labels = list(dict.fromkeys(p.label for _, p in profiles.rows))
    fig, axes = plt.subplots(1, len(labels), figsize=(3.4 * len(labels), 3.6), dpi=120, squeeze=False)
    depths = sorted({L for L, _ in profiles.rows})
    for ax, lab in zip(axes[0], labels):
        for j, L in enumerate(depths):
            (p,) = [p for M, p in profiles.rows if M == L and p.label == lab]
            k = np.arange(1, len(p.energies) + 1)
            mean = np.array([st.mean for st in p.energies])
            se = np.array([st.stderr for st in p.energies])
            ax.errorbar(k, mean, yerr=4 * se, fmt="o-", color=f"C{j}", ms=3, capsize=2, lw=1, label=f"L={L}")
        ax.set_yscale("log")
        ax.set_xlabel("order k")
        ax.set_title(lab, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel(r"$E\|\lambda^k T_k\|^2 / \|x\|^2$")
    axes[0][-1].legend(fontsize=7)
    m = profiles.model
    fig.suptitle(f"per-order energies by Taylor mode, {m.kind}/{m.activation}, {profiles.init.label}, d={m.dim}, "
                 f"{profiles.samples} samples", fontsize=9)
    fig.tight_layout()
    return _finish(plt, fig, path)


def plot_lesion(lesions, path: str | None = None):
    """Change-energy fraction against the number K of deleted blocks, one curve per lesion study
    (residual, plain), with the exact predictions where they exist."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for i, les in enumerate(lesions):
        color = f"C{i}"
        ok = [r for r in les.results if not r.explodes]
        K = np.array([r.deleted for r in ok])
        frac = np.array([r.fraction for r in ok])
        se = np.array([r.stderr for r in ok])
        m = les.model
        name = f"{'plain' if les.plain else 'residual'} {m.kind if m.kind == 'linear' else m.kind + '/' + m.activation}"
        ax.errorbar(K, frac, yerr=4 * se, fmt="o", color=color, ms=4, capsize=2, label=f"{name}: measured (+-4 se)")
        pred = [r.predicted for r in ok]
        if ok and all(p is not None for p in pred):
            ax.plot(K, pred, "-", color=color, lw=1.2, label=f"{name}: predicted")
    ax.set_xlabel("deleted blocks K")
    ax.set_ylabel(r"$E\|x_n - x_n^{(-D)}\|^2 / E\|x_n\|^2$")
    first = lesions[0]
    ax.set_title(f"lesions, n={first.depth}, {first.schedule.label}, {first.init.label}, d={first.model.dim}, "
                 f"{first.samples} samples", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)


def plot_gradients(sweep: Sweep, path: str) -> None:
    """Marion et al.'s Figures 1 and 3 side by side: ||h_L - h_0|| / ||h_0|| and ||p_L - p_0|| / ||p_L||
    against L (mean with the 5-95 % band), the forward panel with the predicted RMS where it exists.

    Raises
    ------
    UsageError
        When the sweep has no gradients.
    """
    if sweep.cotangent is None:
        raise UsageError("the gradient panel needs a sweep run with gradients")
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2), dpi=120)
    schedules = list(dict.fromkeys(r.run.schedule for r in sweep.rows))
    for i, sch in enumerate(schedules):
        color = f"C{i}"
        rows = [r for r in sweep.rows if r.run.schedule == sch and r.run.ratio is not None and not r.gradient.explodes]
        if not rows:
            continue
        L = np.array([r.run.depth for r in rows])
        for ax, stats in ((axes[0], [r.run.ratio for r in rows]), (axes[1], [r.gradient.diff_ratio for r in rows])):
            ax.fill_between(L, [s.q05 for s in stats], [s.q95 for s in stats], color=color, alpha=0.15)
            ax.plot(L, [s.mean for s in stats], "o-", color=color, ms=4, label=f"{sch.label}")
        pred = [r.predicted_sq_ratio for r in rows]
        if all(p is not None and math.isfinite(p) for p in pred):
            axes[0].plot(L, np.sqrt(pred), "--", color=color, lw=1.2, label=f"{sch.label}: predicted RMS")
    for ax, label in zip(axes, (r"$\|h_L - h_0\| / \|h_0\|$", r"$\|p_L - p_0\| / \|p_L\|$")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("depth L")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"{sweep.model.kind}/{sweep.model.activation}, {sweep.init.label}, d={sweep.model.dim}, {sweep.samples} "
        f"networks, cotangent {sweep.cotangent} (mean, 5-95 % band)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_histograms(sweep: Sweep, path: str) -> None:
    """Marion et al.'s Figure 2: histograms of ||h_L|| / ||h_0|| and ||p_0|| / ||p_L|| at the largest depth
    for the first schedule, with the neural-SDE limit density of ||H_1|| / ||H_0|| on the forward panel
    where it exists (beta = 1/2, i.i.d. weights; docs/scaling.md).

    Raises
    ------
    UsageError
        When the sweep kept no per-sample values (run with gradients and keep_samples).
    """
    from residual_expansion.scaling.limits import sde_limit_for

    depth = max(r.run.depth for r in sweep.rows)
    row = next(r for r in sweep.rows if r.run.depth == depth)
    g = row.gradient
    if g is None or g.norm_samples is None:
        raise UsageError("histogram needs gradients (per-sample values of both ratios)",
                         parameters=("histogram", "gradients"))
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0), dpi=120)
    fwd = g.norm_samples[np.isfinite(g.norm_samples)]
    back = g.grad_samples[np.isfinite(g.grad_samples)]
    axes[0].hist(fwd, bins=50, density=True, color="C0", alpha=0.6, label="measured")
    law = sde_limit_for(sweep.model, sweep.init, row.run.schedule, depth)
    if law is not None and len(fwd):
        r = np.linspace(max(fwd.min() * 0.8, 1e-6), fwd.max() * 1.2, 400)
        axes[0].plot(r, law.pdf_of_norm_ratio(r), "k--", lw=1.3, label="SDE limit density")
    axes[1].hist(back, bins=50, density=True, color="C1", alpha=0.6, label="measured")
    axes[0].set_xlabel(r"$\|h_L\| / \|h_0\|$")
    axes[1].set_xlabel(r"$\|p_0\| / \|p_L\|$")
    for ax in axes:
        ax.set_ylabel("density")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    fig.suptitle(
        f"{sweep.model.kind}/{sweep.model.activation}, {sweep.init.label}, d={sweep.model.dim}, L={depth}, "
        f"{row.run.schedule.label}, {sweep.samples} networks, cotangent {sweep.cotangent}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_heatmap(hmap, path: str | None = None):
    """Marion et al.'s Figure 7: per (beta, H) at the largest depth, the mean over networks x inputs of
    log10 of ||h_L - h_0|| / ||h_0|| (and of ||p_L - p_0|| / ||p_L||), colour range [-1, 1] (overflow
    drawn at the top colour, as the paper's code does), with the derived critical line max(H, 1/2)
    and, with two depths, the finite-depth first-order line and the measured crossings."""
    plt = pyplot()
    depth = max(hmap.depths)
    panels = [("forward", hmap.heat_forward, r"mean $\log_{10} \|h_L - h_0\| / \|h_0\|$")]
    if hmap.heat_gradient is not None:
        panels.append(("gradient", hmap.heat_gradient, r"mean $\log_{10} \|p_L - p_0\| / \|p_L\|$"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.6), dpi=120, squeeze=False)
    betas = np.array(hmap.betas)
    hs = np.array(hmap.hursts)
    for ax, (kind, heat, label) in zip(axes[0], panels):
        grid = np.array(heat, dtype=float)
        grid = np.where(np.isnan(grid), 1.0, grid)
        extent = None
        if len(betas) > 1 and len(hs) > 1:  # cell edges half a grid step beyond the first and last values
            db, dh = (betas[-1] - betas[0]) / (len(betas) - 1), (hs[-1] - hs[0]) / (len(hs) - 1)
            extent = (betas[0] - db / 2, betas[-1] + db / 2, hs[0] - dh / 2, hs[-1] + dh / 2)
        im = ax.imshow(np.clip(grid, -1, 1), origin="lower", aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1,
                       extent=extent, interpolation="nearest")
        fig.colorbar(im, ax=ax, label=label)
        if extent is not None and all(a is not None for a in hmap.derived_asymptotic):
            ax.plot(hmap.derived_asymptotic, hs, "k-", lw=1.5, label=r"derived: $\beta = \max(H, 1/2)$")
            if all(f is not None for f in hmap.derived_finite):
                ax.plot(hmap.derived_finite, hs, "k--", lw=1.0,
                        label=f"first-order line, L={min(hmap.depths)}..{max(hmap.depths)}")
            meas = hmap.measured_forward if kind == "forward" else hmap.measured_gradient
            pts = [(m[0], h) for m, h in zip(meas, hs) if m[0] is not None]
            if pts:
                ax.plot(*zip(*pts), "k.", ms=4, label="measured crossing")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_xlabel(r"$\beta$")
        ax.set_ylabel("Hurst index H")
        ax.set_title(f"{kind}, L={depth}", fontsize=9)
    fig.suptitle(f"{hmap.model.kind}/{hmap.model.activation}, fbm weights, d={hmap.model.dim}, "
                 f"{hmap.networks} networks x {hmap.inputs} inputs per H (each network at every beta)", fontsize=9)
    fig.tight_layout()
    return _finish(plt, fig, path)


def plot_ode(errors, path: str) -> None:
    """The ODE convergence plot: ||h_L - H(1)|| / ||H(1)|| against L on log-log axes, with a 1/L guide."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.2), dpi=120)
    L = np.array(errors.depths, dtype=float)
    e = np.array(errors.errors)
    ax.plot(L, e, "o-", label="stack at alpha = 1/L vs solve_ivp")
    ax.plot(L, e[-1] * L[-1] / L, "k--", lw=1, label="slope -1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("depth L")
    ax.set_ylabel(r"$\|h_L - H(1)\| / \|H(1)\|$")
    ax.set_title(f"neural ODE limit, smooth weights, d={errors.dim}, {errors.networks} networks", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _finish(plt, fig, path)
