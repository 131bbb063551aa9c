"""Growth of the exact engine with depth and order (issue 14). Run: ``python tests/benchmarks/bench_growth.py``.

Every measurement runs in a fresh child interpreter (so peak memory is that run's own
``ru_maxrss``), stdout to /dev/null; times are wall clock (``time.perf_counter``) and CPU time of the
child (``time.process_time``, less sensitive to other jobs on a loaded machine), best of
``--repeat`` runs; every ratio is printed for both. Prints:

1. ``expand`` at depth 10, order 6: the build alone, then the build plus each format
   written to /dev/null (time and peak memory), and the issue's ratios;
2. growth of build and formats against depth (order 6) and against order (depth 8),
   with the exponent b of a least-squares fit time ~ terms^b;
3. ``verify`` at depth 8 and 16, the bare import of its dependencies, and the sympy.series
   anchor of REX; the bare import and ``verify --depth 8`` run alternately (at least 5 pairs),
   so that a change of the machine's load falls on both, and the pairs' own ratios are printed
   next to the ratio of the best runs;
4. ``expand --tied --order 8`` against depth (exact at every depth) and its ratio to verify;
5. ``crosscheck`` against depth and order;
6. ``paths`` text and JSON against depth, time and peak memory, with fitted growth: the
   command up to its limit (depth 20,000, limits.py), then the library calls it makes at
   10,000 to 40,000 (80,000 with ``--full``).

The bare import that ``verify`` is compared with is exactly the third-party modules it
imports, listed by ``python -X importtime``. Children run with compiled modules cached
(:func:`child_env`).

``--quick`` runs reduced sizes (the machine is shared; the full run takes a few minutes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys

from timing import ROOT  # noqa: E402  (puts the repository on sys.path)

#: A child interpreter: imports, runs ``code`` (timed), prints {"wall", "work", "peak_mb"} to stderr
#: (peak: the largest resident set of the child and of any process it waited for, e.g. verify's workers).
CHILD = r"""
import json, os, resource, sys, time
start = time.perf_counter()
sys.stdout = open(os.devnull, "w")
{setup}
t0, c0 = time.perf_counter(), time.process_time()
{code}
t1, c1 = time.perf_counter(), time.process_time()
mid = globals().get("_mid", c0)  # the code may mark the end of its first part
sys.stderr.write(json.dumps({{"wall": t1 - start, "work": t1 - t0, "work_cpu": c1 - c0, "cpu": c1,
                             "first_cpu": mid - c0, "second_cpu": c1 - mid,
                             "peak_mb": max(resource.getrusage(who).ru_maxrss
                                            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024}}))
"""


def child_env() -> dict[str, str]:
    """The children's environment: this one, but compiled modules are cached (``__pycache__``).

    With ``PYTHONDONTWRITEBYTECODE`` set, every run would compile the package's own modules
    again (about 0.2 s), which an installed package never does; the first run writes the
    cache and ``--repeat`` keeps the best run.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def child(code: str, setup: str = "", repeat: int = 1) -> dict[str, float]:
    """Best wall/work time and the peak memory (MB) of ``code`` in a fresh interpreter.

    ``cpu`` is the CPU time (user + system) of the child and of every process it waited
    for (``verify``'s worker processes), from ``RUSAGE_CHILDREN``.
    """
    runs = []
    for _ in range(repeat):
        src = CHILD.format(setup=setup, code=code)
        wall_start = _now()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, cwd=ROOT, env=child_env())
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = _now() - wall_start
        if p.returncode not in (0, 1):
            raise SystemExit(f"benchmark child failed:\n{p.stderr}")
        r = json.loads(p.stderr.strip().splitlines()[-1])
        r["process"] = total
        r["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        runs.append(r)
    best = min(runs, key=lambda r: r["process"])
    for key in ("peak_mb", "work", "work_cpu", "cpu"):
        best[key] = min(r[key] for r in runs)
    best["first_cpu"], best["second_cpu"] = min((r["first_cpu"], r["second_cpu"]) for r in runs)
    return best


def paired(code_a: str, code_b: str, repeat: int) -> tuple[dict[str, float], dict[str, float], list[float]]:
    """:func:`child` of ``code_a`` and of ``code_b``, run alternately ``repeat`` times each (a, b, a, b, ...),
    so that a change in the machine's load falls on both: their best runs and the ratio b / a of
    each pair's process times."""
    a_runs, b_runs = [], []
    for _ in range(repeat):
        a_runs.append(child(code_a))
        b_runs.append(child(code_b))

    def best(runs: list[dict[str, float]]) -> dict[str, float]:
        out = dict(min(runs, key=lambda r: r["process"]))
        for key in ("peak_mb", "work", "work_cpu", "cpu"):
            out[key] = min(r[key] for r in runs)
        return out

    return best(a_runs), best(b_runs), [b["process"] / a["process"] for a, b in zip(a_runs, b_runs)]


def _now() -> float:
    import time

    return time.perf_counter()


#: The child code of one command (see :func:`cli`).
CLI = "from residual_expansion.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"


def cli(argv: str, repeat: int = 1) -> dict[str, float]:
    """The whole command ``python -m residual_expansion ARGV`` (interpreter start included)."""
    return child(CLI.format(argv=argv.split()), repeat=repeat)


def fit(xs: list[float], ys: list[float]) -> float:
    """Exponent b of the least-squares fit y = a x^b (log-log)."""
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def ratio_line(name: str, value: float, goal: float, unit: str = "x", cpu: float | None = None,
               label: str = "wall") -> str:
    """One issue ratio next to its goal: wall clock (or ``label``), and CPU time when given."""
    ok = "meets" if value <= goal else "MISSES"
    line = f"  RATIO {name:56s} {label} {value:6.2f}{unit} ({ok})"
    if cpu is not None:
        line += f"  cpu {cpu:6.2f}{unit} ({'meets' if cpu <= goal else 'MISSES'})"
    return line + f"  goal <= {goal:g}{unit}"


#: Imported before the clock starts, so "work" is the build (and the writing) alone.
IMPORTS = ("from residual_expansion.theorem.expansion import expand\n"
           "from residual_expansion.render.expansion_output import write_expansion")
BUILD = "e = expand({n}, {k})"
WRITE = "write_expansion(e, {fmt!r}, sys.stdout)"
FORMATS = ("text", "latex", "json")


def expand_section(repeat: int, quick: bool) -> None:
    n, k = (8, 6) if quick else (10, 6)
    print(f"== expand, depth {n}, order {k} (each run a fresh interpreter; output to /dev/null)")
    base = child(BUILD.format(n=n, k=k), setup=IMPORTS, repeat=repeat)
    print(f"  build only                 work {base['work']:6.2f} s (cpu {base['work_cpu']:6.2f} s)   "
          f"process {base['process']:6.2f} s (cpu {base['cpu']:6.2f} s)   peak {base['peak_mb']:6.1f} MB")
    for fmt in FORMATS:
        r = child(BUILD.format(n=n, k=k) + "\n" + WRITE.format(fmt=fmt), setup=IMPORTS, repeat=repeat)
        print(f"  build + {fmt:5s}              work {r['work']:6.2f} s (cpu {r['work_cpu']:6.2f} s)   "
              f"process {r['process']:6.2f} s (cpu {r['cpu']:6.2f} s)   peak {r['peak_mb']:6.1f} MB")
        print(ratio_line(f"expand --format {fmt}: time / build (in process)", r["work"] / base["work"], 3,
                         cpu=r["work_cpu"] / base["work_cpu"]))
        print(ratio_line(f"expand --format {fmt}: time / build (whole process)", r["process"] / base["process"], 3,
                         cpu=r["cpu"] / base["cpu"]))
        print(ratio_line(f"expand --format {fmt}: peak memory / build peak", r["peak_mb"] / base["peak_mb"], 2,
                         label="peak"))


def expand_growth(repeat: int, quick: bool) -> None:
    from residual_expansion.theorem.trees import count_labeled_trees

    print("== expand growth: CPU time (s) of the build and of writing each format after it, in one process "
          "(imports excluded); peak memory (MB) of build + format")
    grids = [("depth", [(n, 6) for n in ((4, 5, 6, 7) if quick else (6, 7, 8, 9, 10))]),
             ("order", [(8, k) for k in ((3, 4, 5) if quick else (3, 4, 5, 6))])]
    for label, grid in grids:
        rows: dict[str, list[float]] = {"build": [], **{f: [] for f in FORMATS}}
        sizes = []
        for n, k in grid:
            terms = sum(count_labeled_trees(n, j) for j in range(1, k + 1))
            sizes.append(terms)
            builds = []
            line = ""
            for fmt in FORMATS:  # one process: build, mark, write (CPU time of each part)
                code = BUILD.format(n=n, k=k) + "\n_mid = time.process_time()\n" + WRITE.format(fmt=fmt)
                r = child(code, setup=IMPORTS, repeat=repeat)
                builds.append(r["first_cpu"])
                rows[fmt].append(max(r["second_cpu"], 1e-4))
                line += f" | {fmt} {rows[fmt][-1]:6.3f} s {r['peak_mb']:4.0f} MB"
            rows["build"].append(min(builds))
            line = f"  n={n:2d} K={k} {terms:7d} terms  build {min(builds):6.3f} s" + line
            print(line)
        fits = ", ".join(f"{name} terms^{fit(sizes, ys):.2f}" for name, ys in rows.items())
        print(f"  fitted growth against {label} (CPU time ~ terms^b): {fits}")


def verify_dependencies() -> list[str]:
    """The third-party modules ``verify --depth 8`` imports, in import order, from ``python -X importtime``.

    Every module whose top-level package is neither the standard library nor this package
    (the forked workers inherit -X importtime, so their lazy imports count too).
    """
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "residual_expansion", "verify", "--depth", "8"],
                       capture_output=True, text=True, cwd=ROOT, env=child_env())
    names = [line.rsplit("|", 1)[-1].strip() for line in p.stderr.splitlines()
             if line.startswith("import time:") and not line.startswith("import time: self")]
    skip = set(sys.stdlib_module_names) | {"sitecustomize", "usercustomize", "site", "module"}
    seen, out = set(), []
    for name in names:
        top = name.split(".")[0]
        if top in skip or "residual_expansion" in name or name in seen:
            continue
        seen.add(name)
        out.append(name)
    return out


def verify_section(repeat: int, quick: bool) -> dict[str, float]:
    print("== verify (whole command) and its dependencies")
    deps = verify_dependencies()
    tops = sorted({d.split(".")[0] for d in deps})
    bare = ("import importlib\nfor _name in " + repr(deps) + ":\n"
            "    try:\n        importlib.import_module(_name)\n    except ImportError:\n        pass")
    imports, v8, pairs = paired(bare, CLI.format(argv=["verify", "--depth", "8"]), max(repeat, 5))
    v8_seq = cli("verify --depth 8 --jobs 1", repeat)
    print(f"  verify imports {len(deps)} third-party modules (top level: {', '.join(tops)}; failed optional imports "
          f"included), found by python -X importtime")
    print(f"  bare import of exactly those modules              process {imports['process']:6.2f} s (cpu {imports['cpu']:.2f} s)")
    print(f"  verify --depth 8 (checks on {os.cpu_count()} cores)              process {v8['process']:6.2f} s (cpu {v8['cpu']:.2f} s)   "
          f"peak {v8['peak_mb']:.0f} MB")
    print(f"  verify --depth 8 --jobs 1 (one process)           process {v8_seq['process']:6.2f} s (cpu {v8_seq['cpu']:.2f} s)")
    series = child("from residual_expansion.theorem.composition import sympy_series_coefficients\n"
                   "x, lam = sympy.symbols('x lambda')\nsympy_series_coefficients(3, 3, x, lam)",
                   setup="import sympy", repeat=repeat)
    timed = subprocess.run([sys.executable, "-m", "residual_expansion", "verify", "--depth", "8", "--timings", "--jobs", "1"],
                           capture_output=True, text=True, cwd=ROOT, env=child_env()).stdout
    checks = sorted(((float(m.group(2)), m.group(1)) for m in
                     re.finditer(r"^(\S+) +(?:PASS|FAIL|SKIP) .*\((\d+\.\d+) s\)$", timed, re.M)), reverse=True)
    print(f"  verify --depth 8 --timings --jobs 1: {len(checks)} checks, {sum(t for t, _ in checks):.2f} s in all; slowest: "
          + ", ".join(f"{name} {t:.2f} s" for t, name in checks[:6]))
    print(f"  sympy.series anchor of REX (n = K = 3), alone     work    {series['work']:6.2f} s (cpu {series['work_cpu']:.2f} s)")
    out = {"verify8": v8["process"], "verify8_cpu": v8["cpu"]}
    if not quick:
        v16 = cli("verify --depth 16", repeat)
        print(f"  verify --depth 16                                 process {v16['process']:6.2f} s (cpu {v16['cpu']:.2f} s)   "
              f"peak {v16['peak_mb']:.0f} MB")
        print(ratio_line("verify --depth 16 / verify --depth 8", v16["process"] / v8["process"], 3,
                         cpu=v16["cpu"] / v8["cpu"]))
    print(ratio_line("verify --depth 8 / bare import of its dependencies", v8["process"] / imports["process"], 1.5,
                     cpu=v8["cpu"] / imports["cpu"]))
    pairs.sort()
    print(f"  (best run of each over {len(pairs)} alternating pairs; the pairs' own ratios: median "
          f"{pairs[len(pairs) // 2]:.2f}x, {pairs[0]:.2f}x to {pairs[-1]:.2f}x, over 1.5x in "
          f"{sum(r > 1.5 for r in pairs)} of {len(pairs)})")
    return out


def tied_section(repeat: int, verify8: dict[str, float], quick: bool) -> None:
    print("== expand --tied --order 8 against depth (a_n(tau) from its Newton form: exact at every depth)")
    depths = (10, 100, 1000, 10000) if not quick else (10, 1000)
    times, last = [], {}
    for n in depths:
        last = cli(f"expand --depth {n} --order 8 --tied", repeat)
        times.append(last["process"])
        print(f"  depth {n:6d}: process {last['process']:6.2f} s (cpu {last['cpu']:.2f} s)   peak {last['peak_mb']:.0f} MB")
    print(f"  fitted growth: time ~ depth^{fit(list(depths), times):.2f}")
    print(ratio_line(f"expand --depth {depths[-1]} --order 8 --tied / verify --depth 8", times[-1] / verify8["verify8"], 3,
                     cpu=last["cpu"] / verify8["verify8_cpu"]))


def crosscheck_section(repeat: int, quick: bool) -> None:
    print("== crosscheck (mlp/tanh, d = 16) against depth and order")
    for n, k in ((8, 3), (16, 3), (32, 3)) if quick else ((8, 3), (16, 3), (32, 3), (64, 3), (8, 4), (8, 5)):
        r = cli(f"crosscheck --depth {n} --order {k}", repeat)
        print(f"  depth {n:3d} order {k}: process {r['process']:6.2f} s (cpu {r['cpu']:.2f} s)   peak {r['peak_mb']:.0f} MB")
    print("== crosscheck --module linear (exactness: the 2^n paths summed by the layer recurrence)")
    for n in (8, 16, 24):
        r = cli(f"crosscheck --module linear --depth {n} --order 3", repeat)
        print(f"  depth {n:3d} order 3: process {r['process']:6.2f} s (cpu {r['cpu']:.2f} s)   peak {r['peak_mb']:.0f} MB")


#: One ``paths`` run through the library the command calls (the CLI refuses depths beyond its limit).
PATHS_LIB = ("from residual_expansion.paths.architectures import plain\n"
             "from residual_expansion.paths.polynomial import path_statistics\n"
             "from residual_expansion.render.path_output import WEIGHTED_DIGITS, unlimited_int_digits, write_paths")
PATHS_RUN = ("with unlimited_int_digits():\n"
             "    write_paths(path_statistics(plain({n}), exact_digits=None if {fmt!r} == 'json' else WEIGHTED_DIGITS), "
             "{fmt!r}, sys.stdout)")


def paths_section(repeat: int, quick: bool, full: bool) -> None:
    from residual_expansion.limits import PATHS_MAX_DEPTH

    print("== paths (plain) against depth: text and JSON")
    base = child(PATHS_LIB + "\nimport residual_expansion.cli.paths_command, networkx", repeat=repeat)
    print(f"  interpreter and imports alone: peak {base['peak_mb']:.0f} MB (subtracted before fitting memory growth)")
    top = min(PATHS_MAX_DEPTH, 5000 if quick else PATHS_MAX_DEPTH)
    for n in (top // 4, top // 2, top):
        line = f"  CLI depth {n:6d}"
        rs = {}
        for fmt in ("text", "json"):
            rs[fmt] = r = cli(f"paths --depth {n} --format {fmt}", repeat)
            line += f" | {fmt}: {r['process']:6.2f} s (cpu {r['cpu']:6.2f} s), peak {r['peak_mb']:5.0f} MB"
        print(line)
    print(ratio_line(f"paths --depth {top} --format json / text (CLI)", rs["json"]["process"] / rs["text"]["process"], 2,
                     cpu=rs["json"]["cpu"] / rs["text"]["cpu"]))
    depths = (2500, 5000, 10000) if quick else (10000, 20000, 30000, 40000) + ((80000,) if full else ())
    print(f"  beyond the CLI's limit (depth <= {PATHS_MAX_DEPTH}, limits.py), the library calls of the command:")
    rows = {"text": ([], [], []), "json": ([], [], [])}
    at = {}
    for n in depths:
        line = f"  lib depth {n:6d}"
        for fmt in ("text", "json"):
            r = child(PATHS_RUN.format(n=n, fmt=fmt), setup=PATHS_LIB, repeat=repeat)
            rows[fmt][0].append(r["process"])
            rows[fmt][1].append(r["peak_mb"])
            rows[fmt][2].append(r["cpu"])
            at[(n, fmt)] = r
            line += f" | {fmt}: {r['process']:6.2f} s (cpu {r['cpu']:6.2f} s), peak {r['peak_mb']:5.0f} MB"
        print(line)
    grow = {}
    for fmt, (ts, ms, cs) in rows.items():
        grow[fmt] = fit(list(depths), [m - base["peak_mb"] for m in ms])
        print(f"  {fmt}: CPU time ~ depth^{fit(list(depths), cs):.2f}, peak memory above imports ~ depth^{grow[fmt]:.2f}")
    n = 30000 if 30000 in depths else depths[-1]
    print(ratio_line(f"paths --depth {n} --format json / text (library)", at[(n, "json")]["process"] / at[(n, "text")]["process"],
                     2, cpu=at[(n, "json")]["cpu"] / at[(n, "text")]["cpu"]))
    for fmt in ("text", "json"):
        verdict = "meets" if grow[fmt] <= 1.1 else "MISSES"
        print(f"  GROWTH paths --format {fmt}: peak memory above imports ~ depth^{grow[fmt]:.2f} ({verdict})  goal <= 1.1 "
              f"(linear in depth; holding the exact counts would be sum_k log2 C(n, k) ~ 0.72 n^2 bits)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="reduced sizes")
    ap.add_argument("--full", action="store_true", help="also paths at depth 80,000 (about a minute per format)")
    ap.add_argument("--only", default=None, help="comma-separated sections: expand,growth,verify,tied,crosscheck,paths")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None

    def want(name: str) -> bool:
        return only is None or name in only

    print(f"# python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at start{' (quick sizes)' if args.quick else ''}")
    if want("expand"):
        expand_section(args.repeat, args.quick)
    if want("growth"):
        expand_growth(args.repeat, args.quick)
    verify8: dict[str, float] = {}
    if want("verify") or want("tied"):
        verify8 = verify_section(args.repeat, args.quick)
    if want("tied"):
        tied_section(args.repeat, verify8, args.quick)
    if want("crosscheck"):
        crosscheck_section(args.repeat, args.quick)
    if want("paths"):
        paths_section(args.repeat, args.quick, args.full)
    print(f"# load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
