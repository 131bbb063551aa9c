"""``scaling``: Monte Carlo of random residual networks against the scaling predictions."""

from __future__ import annotations

import argparse

from residual_expansion.cli.args import comma_list, finite_float, float_grid, nonnegative_int, positive_int
from residual_expansion.cli.execution_args import add_execution_arguments, backend_of, reject_execution_arguments
from residual_expansion.cli.common import (add_figsize_option, add_output_options, check_figsize, check_output_options,
                                           emit, progress)

FIGURE1_DEPTHS = "10,120,230,340,450,560,670,780,890,1000"
FIGURE1_DEPTHS_TUPLE = tuple(int(x) for x in FIGURE1_DEPTHS.split(","))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scaling",
        help="Monte Carlo of the large-depth scaling regimes, next to the predictions",
        description=(
            "Run independent random residual networks under scale schedules lambda = c n^(-beta) and "
            "print ||h_L - h_0|| / ||h_0|| (mean, standard error, quantiles), its mean square next to the "
            "exact prediction where theory has one, the predicted regime, and the fitted trend in L. "
            "Input: h_0 = A x, x ~ U[0,1]^n_in, A i.i.d. of variance 1/n_in."
        ),
    )
    p.add_argument("--model", choices=("linear", "res1", "res2", "res3"), default="res3",
                   help="linear, res1 (h + a V s(h)), res2 (h + a s(V h)), res3 (h + a V s(W h), default)")
    p.add_argument("--activation", type=_activation, default="relu",
                   help="relu (default), tanh, identity or leaky_relu:SLOPE")
    p.add_argument("--init", default="iid-uniform",
                   help="iid-uniform (default), iid-gaussian, smooth, fbm:H, or fbm with --hurst")
    p.add_argument("--hurst", type=float_grid, default=None,
                   help="with --init fbm: Hurst indices, a list or a range a:b:n (Marion's Figure 7: 0.05:0.97:51)")
    p.add_argument("--gradients", action="store_true",
                   help="also run the backward pass: ||p_0|| / ||p_L||, ||p_L - p_0|| / ||p_L|| (materialised weights)")
    p.add_argument("--cotangent", choices=("loss", "random"), default="loss",
                   help="p_L with --gradients: loss (read-out B, target y ~ U[0,1], l = (B h_L - y)^2; default) "
                        "or random (v ~ N(0, I), independent of the weights)")
    grp = p.add_mutually_exclusive_group()
    grp.add_argument("--beta", type=float_grid,
                     help="exponents beta of lambda = c L^(-beta): a list 0.25,0.5,1 or a range a:b:n")
    grp.add_argument(
        "--schedule", action="append",
        help="const, sqrt, inv, power:BETA or list:L1/L2/.../Ln (repeatable); a list fixes the depth",
    )
    p.add_argument("--c", type=finite_float, default=1.0, help="constant c of the power schedules (default 1)")
    p.add_argument("--depths", type=comma_list(positive_int), default=None,
                   help=f"depths L (default {FIGURE1_DEPTHS}, Marion et al.'s Figure 1 grid)")
    p.add_argument("--samples", type=positive_int, default=None,
                   help="independent networks per depth (default 50); with --hurst use --networks and --inputs")
    p.add_argument("--networks", type=positive_int, default=None,
                   help="with --hurst: networks per Hurst index (default 5, Marion et al.'s Figure 7); standard "
                        "errors come from the spread over networks")
    p.add_argument("--inputs", type=positive_int, default=None,
                   help="with --hurst: inputs per network; each network runs every beta on the same inputs (default 10)")
    p.add_argument("--dim", type=positive_int, default=40, help="width d (default 40)")
    p.add_argument("--input-dim", type=positive_int, default=64, help="input dimension n_in (default 64)")
    p.add_argument("--weight-scale", type=finite_float, default=1.0, help="s: weight entries have variance s^2/d (default 1)")
    p.add_argument("--orders", type=nonnegative_int, default=None,
                   help="measure the energy of orders 0..K: linear modules by the order recursion (with the tail "
                        "beyond K); res1/res3 by Taylor-mode propagation, with the remainder after each order")
    p.add_argument("--capacity", action="store_true",
                   help="linear/res3: the input-output Jacobian energy E||dx_n/dx||_F^2 / d against its prediction, "
                        "and its order split up to --orders K (default 4) when exact; with --norm, measured only")
    p.add_argument("--tied", action="store_true",
                   help="with --orders for res1/res3: one module shared by every layer (perfectly correlated weights)")
    p.add_argument("--norm", choices=("none", "pre-rms", "pre-ln", "post-rms", "post-ln"), default="none",
                   help="normalization: pre (h + lambda g(N(h))) or post (N(h + lambda g(h))), RMSNorm or "
                        "LayerNorm; prints ||h_L||^2/||h_0||^2 next to its prediction and the unnormalized run")
    p.add_argument("--scheme", choices=("none", "skipinit", "fixup"), default="none",
                   help="normalization-free scheme: skipinit multiplies every branch by L^(-1/2) (De and Smith); "
                        "fixup (res3) zeroes V and scales W by L^(-1/2) and prints the first-update kernel trace")
    p.add_argument("--route", choices=("auto", "materialised", "gaussian-vector", "gaussian-radial"), default="auto",
                   help="auto (default) takes an exact Gaussian shortcut where one applies")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of every random draw (default 0)")
    add_execution_arguments(p)
    p.add_argument("--plot", metavar="FILE", help="write the ratio-against-L panel (with --norm: the energy with and without it; needs matplotlib)")
    p.add_argument("--spectrum-plot", metavar="FILE", help="write the per-order energy spectrum (with --orders)")
    p.add_argument("--ode", action="store_true",
                   help="neural-ODE limit instead of a sweep: smooth weight functions, alpha = 1/L, error of the stack "
                        "against solve_ivp at each depth (--samples networks, --dim, --activation; --plot draws it)")
    p.add_argument("--heatmap", metavar="FILE",
                   help="with --hurst: heatmaps of log10 of the forward (and gradient) ratio over (beta, H)")
    p.add_argument("--histogram", metavar="FILE",
                   help="histograms of ||h_L|| / ||h_0|| (and ||p_0|| / ||p_L||) at the largest depth and first beta")
    add_figsize_option(p)
    add_output_options(p)
    p.set_defaults(run=run)


def _activation(text: str) -> str:
    """An activation name accepted by the Monte Carlo (checked here so a bad one is a usage error)."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.scaling.gradients import pointwise

    try:
        pointwise(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _taylor_route(args: argparse.Namespace) -> bool:
    """True when ``--orders`` runs the Taylor-mode route (res1/res3, no --capacity, no --norm)."""
    return args.orders is not None and args.model != "linear" and not args.capacity and args.norm == "none"


def _check_limits(args: argparse.Namespace) -> None:
    """Every size limit and output path, before numpy is imported (limits.check_scaling)."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.limits import check_output_path, check_scaling

    depths = args.depths if args.depths is not None else (() if args.schedule else FIGURE1_DEPTHS_TUPLE)
    schedules = len(args.schedule) if args.schedule else len(args.beta or (0.25, 0.5, 1.0))
    # Before any import: the cheapest route these flags could take; the route actually
    # chosen is checked again in run(), still before any work.
    shortcut_possible = (args.init == "iid-gaussian" and args.orders is None and not args.gradients
                         and args.norm == "none" and args.scheme == "none" and not args.capacity)
    cheapest = (args.route if args.route != "auto" else "gaussian-radial") if shortcut_possible else "materialised"
    check_scaling(depths, args.samples, args.dim, args.input_dim, args.orders, schedules,
                  betas=args.beta or (), c=args.c, weight_scale=args.weight_scale, capacity=args.capacity,
                  route=cheapest, taylor=_taylor_route(args), fixup=args.scheme == "fixup")
    if args.hurst is not None:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.limits import check_hurst_map

        check_hurst_map(len(args.hurst), args.networks, args.inputs, schedules, depths, args.dim)
    check_figsize(args, "plot", "spectrum_plot", "heatmap", "histogram")
    for option, path in (("plot", args.plot), ("spectrum_plot", args.spectrum_plot), ("heatmap", args.heatmap),
                         ("histogram", args.histogram)):
        if path:
            check_output_path(path, option)


def _resolve_counts(args: argparse.Namespace) -> None:
    """--samples (default 50) for sweeps; --networks (default 5) and --inputs (default 10) for --hurst only."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError

    if args.hurst is not None:
        if args.samples is not None:
            raise UsageError("--samples does not apply to --hurst; give --networks (per Hurst index) and --inputs "
                             "(per network)")
        args.networks = 5 if args.networks is None else args.networks
        args.inputs = 10 if args.inputs is None else args.inputs
        args.samples = args.networks * args.inputs
    else:
        if args.networks is not None or args.inputs is not None:
            raise UsageError("--networks and --inputs apply to --hurst only; give --samples")
        args.samples = 50 if args.samples is None else args.samples


def run(args: argparse.Namespace) -> int:
    _resolve_counts(args)
    _check_limits(args)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.render.sweep_output import render_sweep
    from residual_expansion.scaling.sweep import run_sweep, total_layers

    check_output_options(args)
    if args.ode:
        return _run_ode(args)
    model, init, gradients, schedules, depths = _sweep_inputs(args)
    if gradients is not None and (args.orders is not None or args.norm != "none" or args.scheme != "none"):
        raise UsageError("--gradients cannot be combined with --orders, --norm or --scheme")
    if (args.hurst is not None or args.heatmap or args.histogram) and (args.norm != "none" or args.scheme != "none"):
        raise UsageError("--hurst, --heatmap and --histogram cannot be combined with --norm or --scheme")
    if args.scheme == "fixup":
        reject_execution_arguments(args, "--scheme fixup")
        return _run_fixup(args, model, init, schedules, depths)
    if args.capacity:
        reject_execution_arguments(args, "--capacity")
        return _run_capacity(args, model, init, schedules, depths)
    if args.tied and (args.orders is None or args.model == "linear"):
        raise UsageError("--tied applies to --orders with --model res1 or res3")
    if args.norm != "none":
        reject_execution_arguments(args, "--norm")
        return _run_normalized(args, model, init, schedules, depths)
    if args.orders is not None and args.model != "linear":
        reject_execution_arguments(args, "--orders with res1/res3")
        return _run_orders(args, model, init, schedules, depths)
    if args.spectrum_plot and args.orders is None:
        raise UsageError("--spectrum-plot needs --model linear with --orders K")
    if args.histogram and not args.gradients:
        raise UsageError("--histogram needs --gradients (it draws both panels of Marion et al.'s Figure 2)")
    if args.gradients and args.route not in ("auto", "materialised"):
        raise UsageError("--gradients runs on materialised weights; drop --route or use --route materialised")
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.limits import check_scaling
    from residual_expansion.scaling.montecarlo import choose_route

    plain_sweep = init is not None and gradients is None and args.norm == "none" and args.scheme == "none" \
        and not args.capacity and (args.orders is None or args.model == "linear")
    route = choose_route(model, init, args.route, args.orders) if plain_sweep else "materialised"
    check_scaling(depths, args.samples, args.dim, args.input_dim, args.orders, len(schedules),
                  betas=[s.beta for s in schedules if s.beta is not None], c=args.c, weight_scale=args.weight_scale,
                  capacity=args.capacity, route=route, taylor=_taylor_route(args), fixup=args.scheme == "fixup")
    if args.plot or args.spectrum_plot or args.heatmap or args.histogram:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render.figures import require_matplotlib

        require_matplotlib()  # fail early, before the sweep, when matplotlib is missing
    if init is None:
        return _run_hurst(args, model, schedules, depths, gradients)
    backend = backend_of(args)
    total = total_layers(depths, args.samples, model, init, args.route, args.orders, gradients, len(schedules),
                         args.chunk)
    with progress(total, desc="scaling", quiet=args.quiet, unit="layer") as bar:
        sweep = run_sweep(
            model, init, schedules, depths, args.samples, args.seed, args.route, args.orders, bar.update,
            gradients=gradients, keep_samples=bool(args.histogram),
            chunk=args.chunk, dtype=args.dtype, threads=args.threads, backend=backend, checkpoint=args.checkpoint,
        )
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.scaling.checks import prediction_checks

    checks = prediction_checks(sweep)
    emit(args, render_sweep(sweep, args.format, checks), title="Scaling")
    _plot_sweep(args, sweep, gradients)
    return 0 if all(c.passed for c in checks) else 1


def _sweep_inputs(args: argparse.Namespace):
    """The model, weight law (None for a Hurst grid), cotangent, schedules and depths a sweep runs, checked."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.models.weights import parse_init
    from residual_expansion.scaling.montecarlo import Model
    from residual_expansion.scaling.schedules import parse_schedule, power

    model = Model(args.model, args.activation, args.dim, args.input_dim, args.weight_scale)
    gradients = args.cotangent if args.gradients else None
    if args.hurst is not None:
        if args.init != "fbm":
            raise UsageError("--hurst needs --init fbm (without :H; the Hurst indices come from --hurst)")
        init = None
    elif args.init == "fbm":
        raise UsageError("--init fbm needs a Hurst index: fbm:H, or a grid with --hurst")
    else:
        init = parse_init(args.init)
    if args.heatmap and args.hurst is None:
        raise UsageError("--heatmap needs --init fbm --hurst a:b:n")
    if args.schedule:
        schedules = [parse_schedule(s, args.c) for s in args.schedule]
    else:
        schedules = [power(b, args.c) for b in (args.beta or (0.25, 0.5, 1.0))]
    if args.scheme == "skipinit":
        if any(s.values is not None for s in schedules):
            raise UsageError("--scheme skipinit takes power schedules")
        schedules = [power(s.beta + 0.5, s.c) for s in schedules]
    explicit_lengths = {len(s.values) for s in schedules if s.values is not None}
    if args.depths is not None:
        depths = tuple(args.depths)
    elif explicit_lengths:
        depths = (max(explicit_lengths),)
    else:
        depths = tuple(int(x) for x in FIGURE1_DEPTHS.split(","))
    if explicit_lengths and (len(explicit_lengths) > 1 or set(depths) != explicit_lengths):
        raise UsageError("an explicit schedule list:... applies only at its own length; give --depths equal to it")
    return model, init, gradients, schedules, depths


def _plot_sweep(args: argparse.Namespace, sweep, gradients) -> None:
    """Write the figures a plain sweep was asked for (--plot, --spectrum-plot, --histogram)."""
    if not (args.plot or args.spectrum_plot or args.histogram):
        return
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.render import figures as plots

    if args.plot and gradients is not None:
        plots.plot_gradients(sweep, args.plot, figsize=args.figsize)
    elif args.plot:
        plots.plot_ratio(sweep, args.plot, figsize=args.figsize)
    if args.spectrum_plot:
        plots.plot_spectrum(sweep, args.spectrum_plot, figsize=args.figsize)
    if args.histogram:
        plots.plot_histograms(sweep, args.histogram, figsize=args.figsize)


def _run_ode(args: argparse.Namespace) -> int:
    """``scaling --ode``: the stack at alpha = 1/L with smooth weight functions against the neural ODE."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.render.sweep_output import render_ode
    from residual_expansion.scaling.limits import ode_errors

    if args.model != "res3" or args.gradients or args.hurst is not None or args.orders is not None:
        raise UsageError("--ode runs res3 with smooth weight functions; it takes --depths, --samples, --dim, "
                         "--activation, --seed and --plot only")
    if args.activation not in ("tanh", "identity"):
        raise UsageError("--ode needs a smooth activation: --activation tanh or identity")
    depths = tuple(args.depths) if args.depths is not None else (16, 32, 64, 128, 256, 512)
    if args.plot:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render.figures import require_matplotlib

        require_matplotlib()
    res = ode_errors(depths, args.samples, args.dim, args.activation, args.seed)
    emit(args, render_ode(res, args.format), title="Scaling: neural ODE limit")
    if args.plot:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render import figures as plots

        plots.plot_ode(res, args.plot, figsize=args.figsize)
    return 0


def _run_hurst(args: argparse.Namespace, model, schedules, depths, gradients) -> int:
    """The Hurst map (Marion et al.'s Figure 7 protocol): per Hurst index, --networks networks, each run at
    every beta on the same --inputs inputs; one cell per Hurst index on the execution layer."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.render.sweep_output import render_hurst_map
    from residual_expansion.scaling.hurst import hurst_cells, run_hurst_map

    if any(not s.is_power for s in schedules):
        raise UsageError("--hurst needs power schedules (--beta), not explicit lists")
    if args.threads != 1 or args.dtype != "float64":
        raise UsageError("--threads and --dtype do not apply to --hurst (float64 weights, one draw stream per network)")
    if args.histogram:
        raise UsageError("--histogram does not apply to --hurst; use --heatmap")
    betas = [s.beta for s in schedules]
    cells = hurst_cells(model, args.hurst, betas, args.c, tuple(dict.fromkeys(depths)), args.networks, args.inputs,
                        args.seed, gradients, args.chunk)
    total = sum(t.weight for cell in cells for t in cell.tasks)
    with progress(total, desc="scaling", quiet=args.quiet, unit="layer") as bar:
        hmap = run_hurst_map(model, args.hurst, betas, depths, args.networks, args.inputs, args.seed, gradients,
                             args.c, bar.update, backend=backend_of(args), checkpoint=args.checkpoint, chunk=args.chunk)
    emit(args, render_hurst_map(hmap, args.format), title="Scaling: Hurst map")
    if args.heatmap:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render import figures as plots

        plots.plot_heatmap(hmap, args.heatmap, figsize=args.figsize)
    return 0


def _run_normalized(args: argparse.Namespace, model, init, schedules, depths) -> int:
    """``scaling --norm ...``: the normalized stack against its additive prediction and the unnormalized run."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.render.normalization_output import render_norm_sweep
    from residual_expansion.scaling.normalized import parse_norm, run_norm_sweep

    if args.orders is not None or args.spectrum_plot:
        raise UsageError("--norm does not combine with --orders or --spectrum-plot")
    if args.plot:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render.figures import require_matplotlib

        require_matplotlib()
    route = "auto" if args.route in ("auto", "gaussian-radial") else args.route
    if args.route == "gaussian-radial":
        raise UsageError("--route gaussian-radial is not available with --norm; use auto, materialised or gaussian-vector")
    sweep = run_norm_sweep(model, init, parse_norm(args.norm), schedules, depths, args.samples, args.seed, route)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.render.normalization_output import norm_json
    from residual_expansion.scaling.checks import z_checks

    doc = norm_json(sweep)
    checks = (z_checks("energy", doc["results"], "mean_norm_sq_ratio", "predicted_norm_sq_ratio",
                       "stderr_norm_sq_ratio", args.samples)
              + z_checks("energy", doc["results"], "mean_sq_ratio", "predicted_sq_ratio", "stderr_sq_ratio",
                         args.samples))
    status = _emit_variant(args, "norm", doc, render_norm_sweep(sweep, args.format) if args.format != "json" else "",
                           checks)
    if args.plot:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render.figures import plot_norm_energy

        plot_norm_energy(sweep, args.plot, figsize=args.figsize)
    return status


def _run_orders(args: argparse.Namespace, model, init, schedules, depths) -> int:
    """``scaling --orders K`` for res1/res3: per-order energies by Taylor mode and the remainder after each order."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.render.normalization_output import render_order_profiles
    from residual_expansion.scaling.orders import run_order_profiles

    if args.plot:
        raise UsageError("--plot is not available with --orders for res1/res3; use --spectrum-plot")
    if any(s.values is not None for s in schedules):
        raise UsageError("--orders for res1/res3 takes power schedules (--beta or const/sqrt/inv/power:BETA)")
    if args.spectrum_plot:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render.figures import require_matplotlib

        require_matplotlib()
    profiles = run_order_profiles(model, init, schedules, depths, args.orders, args.samples, args.seed, args.tied)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.render.normalization_output import order_profiles_json

    status = _emit_variant(args, "orders", order_profiles_json(profiles),
                           render_order_profiles(profiles, args.format) if args.format != "json" else "", ())
    if args.spectrum_plot:
        # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
        from residual_expansion.render.figures import plot_order_profiles

        plot_order_profiles(profiles, args.spectrum_plot, figsize=args.figsize)
    return status


def _run_fixup(args: argparse.Namespace, model, init, schedules, depths) -> int:
    """``scaling --scheme fixup``: the tangent-kernel trace at a Fixup initialisation against depth."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.render.normalization_output import render_fixup
    from residual_expansion.scaling.normalized import run_fixup

    if args.model != "res3" or args.norm != "none" or args.orders is not None or args.plot or args.spectrum_plot:
        raise UsageError("--scheme fixup applies to --model res3 without --norm, --orders or plots")
    if any(s.values is not None for s in schedules):
        raise UsageError("--scheme fixup takes power schedules")
    rows = run_fixup(model, init, schedules, depths, args.samples, args.seed)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    import json

    from residual_expansion.scaling.checks import z_checks

    doc = json.loads(render_fixup(rows, model, init, args.samples, args.seed, "json"))
    checks = z_checks("fixup", doc["results"], "mean_ntk_trace", "predicted_ntk_trace", "stderr_ntk_trace",
                      args.samples)
    text = render_fixup(rows, model, init, args.samples, args.seed, args.format) if args.format != "json" else ""
    return _emit_variant(args, "fixup", doc, text, checks)


def _emit_variant(args: argparse.Namespace, mode: str, doc: dict, text: str, checks) -> int:
    """Print a ``--norm``, ``--orders`` (res1/res3) or ``--scheme fixup`` run with its prediction checks;
    return the exit status (1 when a check fails)."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.render.sweep_output import checks_json, checks_line, notes_block
    from residual_expansion.render.table import to_json
    from residual_expansion.schemas import tag

    ok = all(c.passed for c in checks)
    if args.format == "json":
        emit(args, to_json(tag("scaling", {"mode": mode, **doc, "checks": checks_json(checks), "all_pass": ok})))
    else:
        emit(args, text + "\n\n" + notes_block([checks_line(checks)], args.format), title="Scaling")
    return 0 if ok else 1


def _run_capacity(args: argparse.Namespace, model, init, schedules, depths) -> int:
    """``scaling --capacity``: Jacobian energies, per order where exact."""
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.errors import UsageError
    from residual_expansion.render.normalization_output import render_capacity
    from residual_expansion.scaling.capacity import run_capacity
    from residual_expansion.scaling.normalized import parse_norm, require_iid

    require_iid(init, "--capacity")
    if args.model == "res1" or args.plot or args.spectrum_plot or args.tied:
        raise UsageError("--capacity applies to --model linear or res3, without plots or --tied")
    if any(s.values is not None for s in schedules):
        raise UsageError("--capacity takes power schedules")
    orders = 4 if args.orders is None else args.orders
    sweep = run_capacity(model, init, parse_norm(args.norm), schedules, depths, orders, args.samples, args.seed)
    # start-up: commands register without loading numpy or sympy; a command's modules load when it runs
    from residual_expansion.render.normalization_output import capacity_json
    from residual_expansion.scaling.checks import z_checks

    doc = capacity_json(sweep)
    checks = z_checks("capacity", doc["results"], "mean_jacobian_energy", "predicted_jacobian_energy",
                      "stderr_jacobian_energy", args.samples)
    return _emit_variant(args, "capacity", doc, render_capacity(sweep, args.format) if args.format != "json" else "",
                         checks)
