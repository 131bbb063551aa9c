"""Render a normalized scaling sweep (``scaling --norm ...``) and a lesion study (``lesion``).

Measured means sit next to the exact predictions; the unnormalized run of the same model is
printed beside the normalized one, so additive growth reads against multiplicative growth.
An overflow reads "explodes at layer k", never inf or nan.
"""

from __future__ import annotations

import math
from typing import Any

from residual_expansion.render.sweep_output import notes_block
from residual_expansion.render.table import Table, render_table, to_json
from residual_expansion.scaling.normalized import NormSweep
from residual_expansion.scaling.sweep import INPUT_LAW


def _g(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "-"
    if not math.isfinite(x):
        return "explodes"
    return f"{x:.{digits}g}"


def _pm(st) -> str:
    return "-" if st is None else f"{_g(st.mean)} +- {_g(st.stderr, 2)}"


def _z(z: float | None) -> str:
    return "-" if z is None else f"{z:+.2f}"


def _num(x: float | None) -> float | None:
    """A finite number for JSON, or None (overflow is reported by the explodes fields)."""
    return None if x is None or not math.isfinite(x) else x


def _notes(notes: list[str], fmt: str) -> str:
    return notes_block(notes, fmt)


def _model_label(model) -> str:
    return model.kind if model.kind == "linear" else f"{model.kind}/{model.activation}"


def norm_table(sweep: NormSweep) -> Table:
    """One row per (schedule, depth): normalized ||h_L||^2/||h_0||^2 against its prediction, then the unnormalized run."""
    rows = []
    for r in sweep.rows:
        run, ref = r.run, r.reference
        if run.explodes_at is not None:
            measured = f"explodes at layer {run.explodes_at}"
        else:
            measured = _pm(run.sq_norm_ratio)
        if ref.explodes_at is not None or ref.sq_norm_ratio is None:
            ref_meas, ref_med = f"explodes at layer {ref.explodes_at}", "-"
        else:
            ref_meas, ref_med = _pm(ref.sq_norm_ratio), _g(ref.sq_norm_ratio.q50)
        rp = r.reference_predicted
        ref_pred = "-" if rp is None else (f"explodes (e^{rp.log:.4g})" if rp.explodes else _g(rp.value, 5))
        rows.append((
            run.schedule.label, str(run.depth), measured, _g(r.predicted_sq_norm_ratio, 5), _z(r.z("norm")),
            _pm(run.sq_ratio), _g(r.predicted_sq_ratio, 5), _z(r.z("diff")),
            ref_meas, ref_med, ref_pred,
        ))
    return Table(
        headers=(
            "schedule", "L", f"{sweep.norm.label}: mean ||h_L||^2/||h_0||^2", "predicted", "z",
            "mean ||h_L-h_0||^2/||h_0||^2", "predicted", "z",
            "none: mean ||h_L||^2/||h_0||^2", "none: median", "none: predicted",
        ),
        rows=tuple(rows),
        caption=(
            f"scaling --norm {sweep.norm.label}: {_model_label(sweep.model)}, init {sweep.init.label}, "
            f"d={sweep.model.dim}, n_in={sweep.model.input_dim}, {sweep.samples} samples, seed {sweep.seed}, "
            f"route {sweep.rows[0].run.route if sweep.rows else '-'}; predictions given the drawn inputs"
        ),
        align="lrrrrrrrrrr",
    )


def _growth_note(sweep: NormSweep) -> str:
    if sweep.norm.placement == "pre":
        return ("pre-normalization: E[||h_L||^2 | h_0] = ||h_0||^2 + kappa d sum_k lambda_k^2 (additive in L); "
                "none: E ||h_L||^2 / ||h_0||^2 = prod_k (1 + kappa lambda_k^2) (multiplicative)")
    return "post-normalization: ||h_L||^2 = d for every sample, so the ratio is d / ||h_0||^2"


def norm_json(sweep: NormSweep) -> dict[str, Any]:
    """The JSON document of a normalized sweep."""
    results = []
    for r in sweep.rows:
        run, ref = r.run, r.reference
        rp = r.reference_predicted
        results.append({
            "schedule": run.schedule.label,
            "beta": run.schedule.beta,
            "c": run.schedule.c if run.schedule.is_power else None,
            "depth": run.depth,
            "norm": sweep.norm.label,
            "explodes_at": run.explodes_at,
            "mean_norm_sq_ratio": run.sq_norm_ratio.mean if run.sq_norm_ratio else None,
            "stderr_norm_sq_ratio": run.sq_norm_ratio.stderr if run.sq_norm_ratio else None,
            "predicted_norm_sq_ratio": _num(r.predicted_sq_norm_ratio),
            "z_norm_sq_ratio": r.z("norm"),
            "mean_sq_ratio": run.sq_ratio.mean if run.sq_ratio else None,
            "stderr_sq_ratio": run.sq_ratio.stderr if run.sq_ratio else None,
            "predicted_sq_ratio": _num(r.predicted_sq_ratio),
            "z_sq_ratio": r.z("diff"),
            "mean_inverse_input_energy": run.inv_input_energy,
            "post_rms_homogeneity_residual": run.homogeneity_residual,
            "route": run.route,
            "unnormalized": {
                "explodes_at": ref.explodes_at,
                "mean_norm_sq_ratio": ref.sq_norm_ratio.mean if ref.sq_norm_ratio else None,
                "stderr_norm_sq_ratio": ref.sq_norm_ratio.stderr if ref.sq_norm_ratio else None,
                "median_norm_sq_ratio": ref.sq_norm_ratio.q50 if ref.sq_norm_ratio else None,
                "predicted_norm_sq_ratio": None if rp is None or rp.explodes else rp.value,
                "predicted_log_norm_sq_ratio": None if rp is None else _num(rp.log),
                "route": ref.route,
            },
        })
    return {
        "model": sweep.model.kind,
        "activation": sweep.model.activation,
        "init": sweep.init.label,
        "norm": sweep.norm.label,
        "dim": sweep.model.dim,
        "input_dim": sweep.model.input_dim,
        "weight_scale": sweep.model.s,
        "samples": sweep.samples,
        "seed": sweep.seed,
        "input": INPUT_LAW,
        "results": results,
    }


def render_norm_sweep(sweep: NormSweep, fmt: str) -> str:
    """The normalized sweep in ``fmt`` (text, markdown, latex or json)."""
    if fmt == "json":
        return to_json(norm_json(sweep))
    notes = [_growth_note(sweep), f"input: {INPUT_LAW}"]
    homog = [r.run.homogeneity_residual for r in sweep.rows if r.run.homogeneity_residual is not None]
    if homog:
        notes.append(f"post-rms with homogeneous branches: max ||h_L - N(h_L^none)|| / sqrt(d) = {max(homog):.3g} "
                     "(every path survives, rescaled by one factor)")
    return render_table(norm_table(sweep), fmt) + "\n\n" + _notes(notes, fmt)


# --------------------------------------------------------------------------- lesions


def lesion_table(lesion) -> Table:
    """One row per number K of deleted blocks: measured change-energy fraction, prediction, z."""
    rows = tuple(
        (str(r.deleted), "explodes (float64 overflow)" if r.explodes else f"{_g(r.fraction)} +- {_g(r.stderr, 2)}",
         _g(r.predicted, 5), _z(r.z))
        for r in lesion.results
    )
    kind = "plain" if lesion.plain else "residual"
    return Table(
        headers=("deleted K", "mean ||x_n - x_n^(-D)||^2 / mean ||x_n||^2", "predicted", "z"),
        rows=rows,
        caption=(
            f"lesion: {kind} {_model_label(lesion.model)}, norm {lesion.norm.label}, init {lesion.init.label}, "
            f"n={lesion.depth}, {lesion.schedule.label}, d={lesion.model.dim}, {lesion.samples} samples, "
            f"seed {lesion.seed}; K blocks deleted uniformly at random per sample"
        ),
        align="rrrr",
    )


def lesion_json(lesion) -> dict[str, Any]:
    """The JSON document of a lesion study (``results``: one item per K)."""
    return {
        "model": lesion.model.kind,
        "activation": lesion.model.activation,
        "plain": lesion.plain,
        "norm": lesion.norm.label,
        "init": lesion.init.label,
        "depth": lesion.depth,
        "schedule": lesion.schedule.label,
        "beta": lesion.schedule.beta,
        "lambda": float(lesion.schedule.scales(lesion.depth)[0]),
        "dim": lesion.model.dim,
        "input_dim": lesion.model.input_dim,
        "weight_scale": lesion.model.s,
        "samples": lesion.samples,
        "seed": lesion.seed,
        "input": INPUT_LAW,
        "results": [
            {
                "deleted": r.deleted,
                "change_energy_fraction": r.fraction,
                "stderr_change_energy_fraction": r.stderr,
                "predicted_change_energy_fraction": r.predicted,
                "z": r.z,
                "explodes": r.explodes,
                "mean_norm_sq_ratio": r.full_energy,
            }
            for r in lesion.results
        ],
    }


def render_lesion(lesion, fmt: str) -> str:
    """The lesion study in ``fmt`` (text, markdown, latex or json)."""
    if fmt == "json":
        return to_json(lesion_json(lesion))
    notes = [
        "prediction (i.i.d. linear modules, no normalization): residual 1 - (1 + lambda^2 s^2)^(-K), "
        "plain 1 + s^(-2K); none where theory has no identity",
        f"input: {INPUT_LAW}",
    ]
    return render_table(lesion_table(lesion), fmt) + "\n\n" + _notes(notes, fmt)


# --------------------------------------------------------------------------- per-order profiles


def order_profiles_table(profiles) -> Table:
    """Per (schedule, depth, order k): E ||lambda^k T_k||^2 / ||x||^2 and the relative remainder after order k."""
    rows = []
    for L, p in profiles.rows:
        for k, (st, rem) in enumerate(zip(p.energies, p.remainders), start=1):
            rows.append((p.label, str(L), f"{p.lam:.4g}", str(k), f"{_g(st.mean)} +- {_g(st.stderr, 2)}", _g(rem, 3)))
    return Table(
        headers=("schedule", "L", "lambda", "order k", "mean ||lambda^k T_k||^2/||x||^2", "remainder after k"),
        rows=tuple(rows),
        caption=(
            f"per-order energies by Taylor mode: {_model_label(profiles.model)}"
            f"{' (weight-tied: one module for every layer)' if profiles.tied else ''}, init {profiles.init.label}, "
            f"d={profiles.model.dim}, {profiles.samples} samples, seed {profiles.seed}; remainder after k = "
            "mean ||x_n - sum_{j<=k} lambda^j T_j||^2 / mean ||x_n - x||^2"
        ),
        align="lrrrrr",
    )


def negligible_table(profiles) -> Table:
    """Per (schedule, depth): the first order after which the remainder is under 1 % of ||x_n - x|| (RMS)."""
    rows = tuple(
        (p.label, str(L), str(p.negligible_from) if p.negligible_from else f"> {profiles.order}")
        for L, p in profiles.rows
    )
    return Table(
        headers=("schedule", "L", "remainder < 1 % from order"),
        rows=rows,
        caption="first K with mean ||R_K||^2 / mean ||x_n - x||^2 < 1e-4",
        align="lrr",
    )


def order_profiles_json(profiles) -> dict[str, Any]:
    """The JSON document of ``scaling --orders K`` for res1/res3."""
    return {
        "model": profiles.model.kind,
        "activation": profiles.model.activation,
        "init": profiles.init.label,
        "dim": profiles.model.dim,
        "input_dim": profiles.model.input_dim,
        "samples": profiles.samples,
        "seed": profiles.seed,
        "orders": profiles.order,
        "tied": profiles.tied,
        "input": INPUT_LAW,
        "results": [
            {
                "schedule": p.label,
                "depth": L,
                "lambda": p.lam,
                "orders": [
                    {"k": k, "mean": st.mean if math.isfinite(st.mean) else None,
                     "stderr": st.stderr if math.isfinite(st.stderr) else None,
                     "remainder": rem if math.isfinite(rem) else None}
                    for k, (st, rem) in enumerate(zip(p.energies, p.remainders), start=1)
                ],
                "negligible_from": p.negligible_from,
            }
            for L, p in profiles.rows
        ],
    }


def render_order_profiles(profiles, fmt: str) -> str:
    """``scaling --orders K`` (res1/res3) in ``fmt``."""
    if fmt == "json":
        return to_json(order_profiles_json(profiles))
    note = _notes([f"input: {INPUT_LAW}"], fmt)
    return "\n\n".join([render_table(order_profiles_table(profiles), fmt), render_table(negligible_table(profiles), fmt), note])


# --------------------------------------------------------------------------- Fixup


def fixup_table(rows, model, init, samples, seed) -> Table:
    """Per (schedule, depth): tr Theta / (d ||h_0||^2) with Fixup's inner scale L^(-1/2) and without it."""
    out = []
    for r in rows:
        z = None
        if r.predicted is not None and r.measured.stderr > 0:
            z = (r.measured.mean - r.predicted) / r.measured.stderr
        out.append((
            r.schedule.label, str(r.depth), f"{r.inner_scale:.4g}",
            f"{_g(r.measured.mean)} +- {_g(r.measured.stderr, 2)}", _g(r.predicted, 5), _z(z),
            f"{_g(r.unscaled.mean)} +- {_g(r.unscaled.stderr, 2)}", _g(r.unscaled_predicted, 5),
        ))
    return Table(
        headers=("schedule", "L", "inner scale", "fixup: tr Theta/(d||h_0||^2)", "predicted", "z",
                 "unscaled W: measured", "unscaled: predicted"),
        rows=tuple(out),
        caption=(
            f"scaling --scheme fixup: {_model_label(model)}, init {init.label}, d={model.dim}, {samples} samples, "
            f"seed {seed}; last layer V = 0, W scaled by L^(-1/(2m-2)) = L^(-1/2); Theta = tangent kernel of h_L "
            "in (W, V) by reverse mode (size of the first gradient update)"
        ),
        align="lrrrrrrr",
    )


def render_fixup(rows, model, init, samples, seed, fmt: str) -> str:
    """``scaling --scheme fixup`` in ``fmt``."""
    if fmt == "json":
        return to_json({
            "model": model.kind, "activation": model.activation, "init": init.label, "dim": model.dim,
            "samples": samples, "seed": seed, "scheme": "fixup",
            "results": [
                {"schedule": r.schedule.label, "depth": r.depth, "inner_scale": r.inner_scale,
                 "mean_ntk_trace": r.measured.mean, "stderr_ntk_trace": r.measured.stderr,
                 "predicted_ntk_trace": r.predicted,
                 "unscaled_mean_ntk_trace": r.unscaled.mean, "unscaled_stderr_ntk_trace": r.unscaled.stderr,
                 "unscaled_predicted_ntk_trace": r.unscaled_predicted}
                for r in rows
            ],
        })
    note = "Fixup keeps the first update depth-independent: the 1/n principle for the aligned updated branches"
    if fmt == "latex":
        note = "% " + note
    return render_table(fixup_table(rows, model, init, samples, seed), fmt) + "\n\n" + note


# --------------------------------------------------------------------------- capacity


def capacity_tables(sweep) -> tuple[Table, ...]:
    """The total Jacobian energy per (schedule, depth), and its order split where it is exact."""
    rows = []
    for r in sweep.runs:
        z = None
        if r.predicted_total is not None and r.total.stderr > 0 and math.isfinite(r.predicted_total):
            z = (r.total.mean - r.predicted_total) / r.total.stderr
        rows.append((r.schedule.label, str(r.depth), f"{_g(r.total.mean)} +- {_g(r.total.stderr, 2)}",
                     _g(r.predicted_total, 5), _z(z)))
    m = sweep.model
    main = Table(
        headers=("schedule", "L", "mean ||dx_n/dx||_F^2 / d", "predicted", "z"),
        rows=tuple(rows),
        caption=(f"capacity: {_model_label(m)}, norm {sweep.norm.label}, init {sweep.init.label}, d={m.dim}, "
                 f"{sweep.samples} samples, seed {sweep.seed}; prediction prod(1 + kappa lambda^2)"
                 + (" (no identity with a normalization)" if sweep.norm.placement else "")),
        align="lrrrr",
    )
    split = []
    for r in sweep.runs:
        if r.orders is None:
            continue
        for k, st in enumerate(r.orders):
            p = r.predicted_orders[k] if r.predicted_orders else None
            z = None if p is None or st.stderr == 0 else (st.mean - p) / st.stderr
            split.append((r.schedule.label, str(r.depth), str(k), f"{_g(st.mean)} +- {_g(st.stderr, 2)}", _g(p, 5), _z(z)))
    if not split:
        return (main,)
    return main, Table(
        headers=("schedule", "L", "order k", "mean ||J_k||_F^2 / d", "predicted e_k", "z"),
        rows=tuple(split),
        caption="order-k part of the Jacobian (branch Jacobians at the input): e_k(kappa lambda_1^2, ...)",
        align="lrrrrr",
    )


def capacity_json(sweep) -> dict[str, Any]:
    """The JSON document of ``scaling --capacity``."""
    def num(x):
        return None if x is None or not math.isfinite(x) else x

    return {
        "model": sweep.model.kind, "activation": sweep.model.activation, "norm": sweep.norm.label,
        "init": sweep.init.label, "dim": sweep.model.dim, "samples": sweep.samples, "seed": sweep.seed,
        "input": INPUT_LAW,
        "results": [
            {"schedule": r.schedule.label, "depth": r.depth,
             "mean_jacobian_energy": num(r.total.mean), "stderr_jacobian_energy": num(r.total.stderr),
             "predicted_jacobian_energy": num(r.predicted_total),
             "orders": None if r.orders is None else [
                 {"k": k, "mean": num(st.mean), "stderr": num(st.stderr),
                  "predicted": None if r.predicted_orders is None else num(r.predicted_orders[k])}
                 for k, st in enumerate(r.orders)]}
            for r in sweep.runs
        ],
    }


def render_capacity(sweep, fmt: str) -> str:
    """``scaling --capacity`` in ``fmt``."""
    if fmt == "json":
        return to_json(capacity_json(sweep))
    return "\n\n".join([*(render_table(t, fmt) for t in capacity_tables(sweep)), _notes([f"input: {INPUT_LAW}"], fmt)])
