"""Render a scaling sweep (``scaling`` command) as text, Markdown, LaTeX or JSON.

Measured statistics sit next to the predictions; an overflow reads "explodes at layer k",
never inf or nan.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from residual_expansion.render.latex import latex_text
from residual_expansion.render.table import Table, render_table, to_json
from residual_expansion.scaling.checks import MIN_SAMPLES, PredictionCheck, prediction_checks
from residual_expansion.scaling.sweep import Sweep, SweepRow
from residual_expansion.schemas import tag


def _g(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "explodes"
    return f"{x:.{digits}g}"


def _pm(mean: float, se: float) -> str:
    return f"{_g(mean)} +- {_g(se, 2)}"


def _model_label(sweep: Sweep) -> str:
    m = sweep.model
    return m.kind if m.kind == "linear" else f"{m.kind}/{m.activation}"


def _beta(row: SweepRow) -> str:
    return row.run.schedule.label


def measurements_table(sweep: Sweep) -> Table:
    """One row per (schedule, depth): ratio statistics, mean squared ratio, prediction, z, regime."""
    rows = []
    for r in sweep.rows:
        run = r.run
        regime = r.regime.name if r.regime else "-"
        pe = r.predicted_energy
        if pe is None:
            pred_txt = "-"
        elif pe.explodes:
            pred_txt = f"explodes (e^{pe.log:.4g})"
        else:
            pred_txt = _g(pe.minus_one, 5)
        if run.explodes_at is not None:
            blank = f"explodes at layer {run.explodes_at}"
            rows.append((_beta(r), str(run.depth), blank, "-", "-", "-", "-", pred_txt, "-", regime))
            continue
        z = r.z_score
        rows.append((
            _beta(r), str(run.depth), _pm(run.ratio.mean, run.ratio.stderr),
            _g(run.ratio.q05), _g(run.ratio.q50), _g(run.ratio.q95),
            _pm(run.sq_ratio.mean, run.sq_ratio.stderr), pred_txt,
            "-" if z is None else f"{z:+.2f}", regime,
        ))
    return Table(
        headers=("schedule", "L", "mean ratio", "q05", "q50", "q95", "mean ratio^2", "predicted ratio^2", "z", "regime"),
        rows=tuple(rows),
        caption=(
            f"scaling: {_model_label(sweep)}, init {sweep.init.label}, d={sweep.model.dim}, "
            f"n_in={sweep.model.input_dim}, {sweep.samples} samples, seed {sweep.seed}, route {sweep.route}; "
            "ratio = ||h_L - h_0|| / ||h_0||"
        ),
        align="lrrrrrrrrl",
        key_columns=2,
    )


def gradients_table(sweep: Sweep) -> Table:
    """One row per (schedule, depth): the backward ratios next to the forward one and the exact prediction."""
    rows = []
    for r in sweep.rows:
        g = r.gradient
        regime = r.regime.name if r.regime else "-"
        fwd = "explodes" if r.run.ratio is None else _pm(r.run.ratio.mean, r.run.ratio.stderr)
        pred = _g(g.predicted_sq_ratio, 5)
        if g.explodes:
            rows.append((_beta(r), str(r.run.depth), fwd, "explodes", "-", "-", pred, "-", regime))
            continue
        z = None
        if g.predicted_sq_ratio is not None and math.isfinite(g.predicted_sq_ratio) and g.sq_ratio.stderr > 0:
            z = (g.sq_ratio.mean - g.predicted_sq_ratio) / g.sq_ratio.stderr
        rows.append((
            _beta(r), str(r.run.depth), fwd, _pm(g.ratio.mean, g.ratio.stderr),
            _pm(g.diff_ratio.mean, g.diff_ratio.stderr), _pm(g.sq_ratio.mean, g.sq_ratio.stderr), pred,
            "-" if z is None else f"{z:+.2f}", regime,
        ))
    return Table(
        headers=("schedule", "L", "||h_L - h_0||/||h_0||", "||p_0||/||p_L||", "||p_L - p_0||/||p_L||",
                 "||p_0||^2/||p_L||^2", "predicted", "z", "regime"),
        rows=tuple(rows),
        caption=(
            f"gradients: cotangent {sweep.cotangent} (p_L = dl/dh_L), same networks as the forward pass; "
            "predicted = exact E ||p_0||^2 / ||p_L||^2 where it exists (random cotangent, i.i.d. weights)"
        ),
        align="lrrrrrrrl",
    )


def log_moments_table(sweep: Sweep) -> Table:
    """One row per (schedule, depth): mean and variance of log(||h_L||^2 / ||h_0||^2) with standard errors,
    next to the neural-SDE limit where it exists (beta = 1/2, docs/theory.md and proofs/limits.md)."""
    # start-up: scaling.limits loads scipy, needed only for the log-moment table
    from residual_expansion.scaling.limits import sde_limit_for

    rows = []
    for r in sweep.rows:
        lm = r.run.log_moments
        lim = sde_limit_for(sweep.model, sweep.init, r.run.schedule, r.run.depth)
        lim_txt = ("-", "-") if lim is None else (_g(lim.mean, 5), _g(lim.var, 5))
        if lm is None:
            rows.append((_beta(r), str(r.run.depth), "explodes", "explodes", *lim_txt))
            continue
        rows.append((_beta(r), str(r.run.depth), _pm(lm.mean, lm.stderr), _pm(lm.var, lm.stderr_var), *lim_txt))
    return Table(
        headers=("schedule", "L", "mean log ratio", "var log ratio", "SDE limit mean", "SDE limit var"),
        rows=tuple(rows),
        caption="log ratio = log(||h_L||^2 / ||h_0||^2); SDE limit: N((d - 2) c^2 T, 4 c^2 T), T = L lambda^2",
        align="lrrrrr",
    )


def trends_table(sweep: Sweep, grad: bool = False) -> Table:
    """Per schedule: weighted log-log slope of the mean ratio against L, its reading and the expected one."""
    rows = tuple(
        (
            f.schedule.label,
            ("explodes" if math.isinf(f.fit.slope) else "none" if math.isnan(f.fit.slope)
             else f"{f.fit.slope:+.3f} +- {f.fit.stderr:.3f}"),
            f.trend,
            f.expected or "-",
        )
        for f in (sweep.grad_fits if grad else sweep.fits)
    )
    caption = "trend in L: growth if slope - 4 se > 0.15, decay if slope + 4 se < -0.15, bounded if within +-0.15"
    if grad:
        caption = "gradient " + caption + "; ratio = ||p_L - p_0|| / ||p_L||"
    return Table(
        headers=("schedule", "log-log slope", "measured", "expected"),
        rows=rows,
        caption=caption,
        align="lrll",
    )


def orders_table(sweep: Sweep) -> Table:
    """Per (schedule, depth, order): measured energy of the order-k part against e_k."""
    rows = []
    for r in sweep.rows:
        if r.run.orders is None:
            continue
        K = len(r.run.orders) - 2
        for k, st in enumerate(r.run.orders):
            pred = r.predicted_orders[k] if r.predicted_orders else None
            z = (None if pred is None or st.stderr == 0 or not math.isfinite(pred)
                 or not (math.isfinite(st.mean) and math.isfinite(st.stderr)) else (st.mean - pred) / st.stderr)
            rows.append((
                _beta(r), str(r.run.depth), f">{K}" if k == K + 1 else str(k),
                _pm(st.mean, st.stderr), _g(pred, 5), "-" if z is None else f"{z:+.2f}",
            ))
    return Table(
        headers=("schedule", "L", "order k", "measured energy", "predicted e_k", "z"),
        rows=tuple(rows),
        caption="energy of each order: ||lambda^k T_k||^2 / ||h_0||^2 against e_k(lambda_1^2 s^2, ...)",
        align="lrrrrr",
    )


def _log_fields(lm) -> dict[str, Any]:
    keys = ("mean_log_norm_sq_ratio", "stderr_log_norm_sq_ratio", "var_log_norm_sq_ratio", "stderr_var_log_norm_sq_ratio")
    if lm is None:
        return dict.fromkeys(keys)
    vals = (lm.mean, lm.stderr, lm.var, lm.stderr_var)
    return {k: (v if math.isfinite(v) else None) for k, v in zip(keys, vals)}


def _gradient_json(r: SweepRow) -> dict[str, Any]:
    g = r.gradient
    pred = g.predicted_sq_ratio
    return {
        "cotangent": g.cotangent,
        "ratio_mean": None if g.explodes else g.ratio.mean,
        "ratio_stderr": None if g.explodes else g.ratio.stderr,
        "diff_ratio_mean": None if g.explodes else g.diff_ratio.mean,
        "diff_ratio_stderr": None if g.explodes else g.diff_ratio.stderr,
        "sq_ratio_mean": None if g.explodes else g.sq_ratio.mean,
        "sq_ratio_stderr": None if g.explodes else g.sq_ratio.stderr,
        "predicted_sq_ratio": pred if pred is not None and math.isfinite(pred) else None,
        "regime": r.regime.name if r.regime else None,
        "explodes": g.explodes,
    }


def sweep_json(sweep: Sweep) -> dict[str, Any]:
    """The JSON document: settings, one result per (schedule, depth), trend fits."""
    return {
        "model": sweep.model.kind,
        "activation": sweep.model.activation,
        "init": sweep.init.label,
        "dim": sweep.model.dim,
        "input_dim": sweep.model.input_dim,
        "weight_scale": sweep.model.s,
        "samples": sweep.samples,
        "seed": sweep.seed,
        "route": sweep.route,
        "input": sweep.input_law,
        "explodes_at_depth": sweep.explodes_at(),
        "results": [_row_json(sweep, r) for r in sweep.rows],
        "trends": [
            {"schedule": f.schedule.label, "beta": f.schedule.beta,
             "slope": f.fit.slope if math.isfinite(f.fit.slope) else None,
             "stderr": f.fit.stderr if math.isfinite(f.fit.slope) else None,
             "measured": f.trend, "expected": f.expected}
            for f in sweep.fits
        ],
        **({} if sweep.cotangent is None else {
            "cotangent": sweep.cotangent,
            "gradient_trends": [
                {"schedule": f.schedule.label, "beta": f.schedule.beta,
                 "slope": None if math.isinf(f.fit.slope) else f.fit.slope,
                 "stderr": None if math.isinf(f.fit.slope) else f.fit.stderr,
                 "measured": f.trend, "expected": f.expected}
                for f in sweep.grad_fits
            ],
        }),
    }


def _row_json(sweep: Sweep, r: SweepRow) -> dict[str, Any]:
    """One (schedule, depth) result of :func:`sweep_json`: the measured ratios next to the predictions."""
    run = r.run
    pe = r.predicted_energy
    item: dict[str, Any] = {
        "schedule": run.schedule.label,
        "beta": run.schedule.beta,
        "c": run.schedule.c if run.schedule.is_power else None,
        "depth": run.depth,
        "explodes_at": run.explodes_at,
        "mean_ratio": run.ratio.mean if run.ratio else None,
        "stderr_ratio": run.ratio.stderr if run.ratio else None,
        "quantiles_ratio": [run.ratio.q05, run.ratio.q50, run.ratio.q95] if run.ratio else None,
        "mean_sq_ratio": run.sq_ratio.mean if run.sq_ratio else None,
        "stderr_sq_ratio": run.sq_ratio.stderr if run.sq_ratio else None,
        "mean_norm_ratio": run.norm_ratio.mean if run.norm_ratio else None,
        "stderr_norm_ratio": run.norm_ratio.stderr if run.norm_ratio else None,
        "predicted_sq_ratio": None if pe is None or pe.explodes else pe.minus_one,
        "predicted_log_energy": None if pe is None else pe.log,
        "predicted_explodes": bool(pe is not None and pe.explodes),
        "z": r.z_score,
        "regime": r.regime.name if r.regime else None,
        "route": run.route,
        "mean_norm_sq_ratio": run.sq_norm_ratio.mean if run.sq_norm_ratio else None,
        "stderr_norm_sq_ratio": run.sq_norm_ratio.stderr if run.sq_norm_ratio else None,
        **_log_fields(run.log_moments),
    }
    if sweep.init.hurst is not None:
        item["hurst"] = sweep.init.hurst
    if r.gradient is not None:
        item["gradient"] = _gradient_json(r)
    if run.orders is not None:
        item["orders"] = [
            {"k": k, "mean": st.mean, "stderr": st.stderr,
             "predicted": None if r.predicted_orders is None or math.isinf(r.predicted_orders[k]) else r.predicted_orders[k]}
            for k, st in enumerate(run.orders)
        ]
    return item


def checks_line(checks: tuple[PredictionCheck, ...]) -> str:
    """``checks: 12 predictions (9 energy, 3 trend): 12 PASS, 0 FAIL`` and each failure."""
    if not checks:
        return ("checks: none (theory gives no prediction for this sweep, or fewer than "
                f"{MIN_SAMPLES} samples: too few for a standard error)")
    kinds = Counter(c.kind for c in checks)
    failed = [c for c in checks if not c.passed]
    head = (f"checks: {len(checks)} prediction{'s' if len(checks) != 1 else ''} ({', '.join(f'{n} {k}' for k, n in kinds.items())}): "
            f"{len(checks) - len(failed)} PASS, {len(failed)} FAIL")
    lines = [head]
    for c in failed:
        where = c.schedule + ("" if c.depth is None else f", L={c.depth}") + ("" if c.order is None else f", k={c.order}")
        z = "" if c.z is None else f", z {c.z:+.2f}"
        lines.append(f"FAIL {c.kind} ({where}): measured {_cell(c.measured)}, predicted {_cell(c.predicted)}{z}")
    return "\n".join(lines)


def _cell(x: float | str) -> str:
    return x if isinstance(x, str) else _g(x, 5)


def notes_block(notes: list[str], fmt: str) -> str:
    """Notes under the tables: plain lines, or LaTeX paragraphs (mathematics in math mode)."""
    lines = [line for n in notes for line in n.splitlines()]
    if fmt == "latex":
        lines = ["\\par\\noindent " + latex_text(n) + "\\par" for n in lines]
    return "\n".join(lines)


def checks_json(checks: tuple[PredictionCheck, ...]) -> list[dict[str, Any]]:
    return [{"kind": c.kind, "schedule": c.schedule, "depth": c.depth, "order": c.order,
             "measured": c.measured, "predicted": c.predicted, "z": c.z, "pass": c.passed} for c in checks]


def render_sweep(sweep: Sweep, fmt: str, checks: tuple[PredictionCheck, ...] | None = None) -> str:
    """The sweep in ``fmt`` (text, markdown, latex or json), with its prediction checks
    (:func:`residual_expansion.scaling.checks.prediction_checks` unless given)."""
    checks = prediction_checks(sweep) if checks is None else checks
    if fmt == "json":
        doc = {"mode": "sweep", **sweep_json(sweep)}
        doc["checks"] = checks_json(checks)
        doc["all_pass"] = all(c.passed for c in checks)
        return to_json(tag("scaling", doc))
    parts = [render_table(measurements_table(sweep), fmt)]
    if sweep.cotangent is not None:
        parts.append(render_table(gradients_table(sweep), fmt))
    parts.append(render_table(log_moments_table(sweep), fmt))
    if sweep.orders is not None:
        parts.append(render_table(orders_table(sweep), fmt))
    if sweep.fits:
        parts.append(render_table(trends_table(sweep), fmt))
    if sweep.grad_fits:
        parts.append(render_table(trends_table(sweep, grad=True), fmt))
    notes = [*checks_line(checks).splitlines(), f"input: {sweep.input_law}"]
    if sweep.explodes_at() is not None:
        notes.append(f"explodes at L = {sweep.explodes_at()} (first depth where a sample overflowed float64)")
    parts.append(notes_block(notes, fmt))
    return "\n\n".join(parts)


def hurst_table(hmap) -> Table:
    """Per Hurst index: the derived critical beta (limit and finite-depth first-order line) and the measured ones."""

    def cross(pair) -> str:
        x, se = pair
        return "-" if x is None else (f"{x:.4f}" if se is None else f"{x:.4f} +- {se:.3f}")

    rows = tuple(
        (f"{h:g}", _g(a), _g(f), cross(mf), cross(mg))
        for h, a, f, mf, mg in zip(hmap.hursts, hmap.derived_asymptotic, hmap.derived_finite,
                                   hmap.measured_forward, hmap.measured_gradient)
    )
    lo, hi = min(hmap.depths), max(hmap.depths)
    return Table(
        headers=("H", "critical beta (L -> inf)", f"first-order line L={lo}..{hi}", "measured (forward)",
                 "measured (gradient)"),
        rows=rows,
        caption=(
            f"Hurst map: {hmap.model.kind}/{hmap.model.activation}, fbm weights, d={hmap.model.dim}, "
            f"{hmap.networks} networks x {hmap.inputs} inputs per Hurst index (each network at every beta), "
            f"{len(hmap.betas)} betas (resolution {hmap.resolution:.3g}), seed {hmap.seed}; "
            "measured = zero crossing in beta of the growth exponent between the smallest and largest depth "
            "(standard errors from the spread over networks)"
        ),
        align="lrrrr",
    )


def hurst_json(hmap) -> dict[str, Any]:
    """The Hurst map as JSON: per H the critical lines, and every sweep row (each carries ``hurst``)."""
    results = []
    for sw in hmap.sweeps:
        results.extend(sweep_json(sw)["results"])

    def pair(p):
        return {"beta": p[0], "stderr": p[1]}

    def heat(grid):
        return None if grid is None else [[x if math.isfinite(x) else None for x in row] for row in grid]

    return {
        "model": hmap.model.kind,
        "activation": hmap.model.activation,
        "init": "fbm",
        "dim": hmap.model.dim,
        "networks": hmap.networks,
        "inputs": hmap.inputs,
        "samples": hmap.samples,
        "seed": hmap.seed,
        "depths": list(hmap.depths),
        "betas": list(hmap.betas),
        "resolution": hmap.resolution if math.isfinite(hmap.resolution) else None,
        "cotangent": hmap.cotangent,
        "hurst": [
            {"hurst": h, "critical_beta_limit": a, "critical_beta_first_order": f,
             "measured_forward": pair(mf), "measured_gradient": pair(mg)}
            for h, a, f, mf, mg in zip(hmap.hursts, hmap.derived_asymptotic, hmap.derived_finite,
                                       hmap.measured_forward, hmap.measured_gradient)
        ],
        "heatmap": {
            "depth": max(hmap.depths),
            "statistic": "mean over networks x inputs of log10 of the ratio; null where a sample overflowed",
            "forward": heat(hmap.heat_forward),
            "gradient": heat(hmap.heat_gradient),
        },
        "results": results,
    }


def render_hurst_map(hmap, fmt: str) -> str:
    """The Hurst map in ``fmt``: the critical-line table (text formats) or the JSON document."""
    if fmt == "json":
        checks: tuple = ()  # the Hurst map reports its critical lines; its check is the claim MARION-HURST
        return to_json(tag("scaling", {"mode": "hurst", **hurst_json(hmap), "checks": list(checks),
                                       "all_pass": all(c.passed for c in checks)}))
    return render_table(hurst_table(hmap), fmt) + "\n\n" + notes_block([checks_line(())], fmt)


def render_ode(res, fmt: str) -> str:
    """The neural-ODE comparison: error of the stack against the reference at each depth, pairwise slopes."""
    slopes = [None] + [
        (math.log(res.errors[i]) - math.log(res.errors[i - 1])) / (math.log(res.depths[i]) - math.log(res.depths[i - 1]))
        for i in range(1, len(res.depths))
    ]
    checks: tuple = ()  # the ODE comparison reports its rate; its check is the claim MARION-ODE
    if fmt == "json":
        return to_json(tag("scaling", {
            "mode": "ode", "depths": list(res.depths), "errors": list(res.errors), "slopes": slopes,
            "reference_error": res.reference_error, "kernel_error": res.kernel_error,
            "networks": res.networks, "dim": res.dim, "checks": list(checks),
            "all_pass": all(c.passed for c in checks),
        }))
    rows = tuple(
        (str(L), f"{e:.4g}", "-" if s is None else f"{s:+.4f}", f"{e * L:.4g}")
        for L, e, s in zip(res.depths, res.errors, slopes)
    )
    table = Table(
        headers=("L", "||h_L - H(1)|| / ||H(1)||", "slope from previous L", "L x error"),
        rows=rows,
        caption=(
            f"neural ODE limit: res3, smooth weight functions (squared-exponential GP, bandwidth 0.1, kernel error "
            f"{res.kernel_error:.1e}), alpha = 1/L, d={res.dim}, {res.networks} networks (RMS); reference solve_ivp "
            f"DOP853 rtol 1e-11 (its own error {res.reference_error:.1e})"
        ),
        align="rrrr",
    )
    return render_table(table, fmt)
