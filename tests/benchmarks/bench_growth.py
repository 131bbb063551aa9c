"""Growth of the exact engine with depth and order (issue 14). Run: ``python tests/benchmarks/bench_growth.py``.

Every measurement runs in a fresh child interpreter (so peak memory is that run's own
``ru_maxrss``), stdout to /dev/null; times are wall clock (``time.perf_counter``), best
of ``--repeat`` runs. Prints:

1. ``expand`` at depth 10, order 6: the build alone, then the build plus each format
   written to /dev/null (time and peak memory), and the issue's ratios;
2. growth of build and formats against depth (order 6) and against order (depth 8),
   with the exponent b of a least-squares fit time ~ terms^b;
3. ``verify`` at depth 8 and 16, the bare import of its dependencies, and the sympy.series
   anchor of REX;
4. ``expand --tied --order 8`` against depth (exact at every depth) and its ratio to verify;
5. ``crosscheck`` against depth and order;
6. ``paths`` text and JSON against depth, time and peak memory, with fitted growth.

``--quick`` runs reduced sizes (the machine is shared; the full run takes a few minutes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

from timing import ROOT  # noqa: E402  (puts the repository on sys.path)

#: A child interpreter: imports, runs ``code`` (timed), prints {"wall", "work", "peak_mb"} to stderr.
CHILD = r"""
import json, os, resource, sys, time
start = time.perf_counter()
sys.stdout = open(os.devnull, "w")
{setup}
t0 = time.perf_counter()
{code}
t1 = time.perf_counter()
sys.stderr.write(json.dumps({{"wall": t1 - start, "work": t1 - t0,
                             "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def child(code: str, setup: str = "", repeat: int = 1) -> dict[str, float]:
    """Best wall/work time and the peak memory (MB) of ``code`` in a fresh interpreter."""
    runs = []
    for _ in range(repeat):
        src = CHILD.format(setup=setup, code=code)
        wall_start = _now()
        p = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, cwd=ROOT)
        total = _now() - wall_start
        if p.returncode not in (0, 1):
            raise SystemExit(f"benchmark child failed:\n{p.stderr}")
        r = json.loads(p.stderr.strip().splitlines()[-1])
        r["process"] = total
        runs.append(r)
    best = min(runs, key=lambda r: r["process"])
    best["peak_mb"] = min(r["peak_mb"] for r in runs)
    return best


def _now() -> float:
    import time

    return time.perf_counter()


def cli(argv: str, repeat: int = 1) -> dict[str, float]:
    """The whole command ``python -m residual_expansion ARGV`` (interpreter start included)."""
    code = ("from residual_expansion.cli import main\n"
            f"try:\n    main({argv.split()!r})\nexcept SystemExit:\n    pass")
    return child(code, repeat=repeat)


def fit(xs: list[float], ys: list[float]) -> float:
    """Exponent b of the least-squares fit y = a x^b (log-log)."""
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def ratio_line(name: str, value: float, goal: float, unit: str = "x") -> str:
    ok = "meets" if value <= goal else "MISSES"
    return f"  RATIO {name:58s} {value:6.2f}{unit}  goal <= {goal:g}{unit}  {ok}"


BUILD = "from residual_expansion.theorem.expansion import expand\ne = expand({n}, {k})"
WRITE = ("from residual_expansion.render.expansion_output import write_expansion\n"
         "write_expansion(e, {fmt!r}, sys.stdout)")
FORMATS = ("text", "latex", "json")


def expand_section(repeat: int, quick: bool) -> None:
    n, k = (8, 6) if quick else (10, 6)
    print(f"== expand, depth {n}, order {k} (each run a fresh interpreter; output to /dev/null)")
    base = child(BUILD.format(n=n, k=k), repeat=repeat)
    print(f"  build only                 work {base['work']:7.2f} s   process {base['process']:6.2f} s   "
          f"peak {base['peak_mb']:7.1f} MB")
    for fmt in FORMATS:
        r = child(BUILD.format(n=n, k=k) + "\n" + WRITE.format(fmt=fmt), repeat=repeat)
        print(f"  build + {fmt:5s}              work {r['work']:7.2f} s   process {r['process']:6.2f} s   "
              f"peak {r['peak_mb']:7.1f} MB")
        print(ratio_line(f"expand --format {fmt}: time / build time (in process)", r["work"] / base["work"], 3))
        print(ratio_line(f"expand --format {fmt}: time / build time (whole process)", r["process"] / base["process"], 3))
        print(ratio_line(f"expand --format {fmt}: peak memory / build peak", r["peak_mb"] / base["peak_mb"], 2))


def expand_growth(repeat: int, quick: bool) -> None:
    from residual_expansion.theorem.trees import count_labeled_trees

    print("== expand growth: work time (s) and peak (MB) of build and build + format")
    grids = [("depth", [(n, 6) for n in ((4, 5, 6, 7) if quick else (6, 7, 8, 9, 10))]),
             ("order", [(8, k) for k in ((3, 4, 5) if quick else (3, 4, 5, 6))])]
    for label, grid in grids:
        rows: dict[str, list[float]] = {"build": [], **{f: [] for f in FORMATS}}
        sizes = []
        for n, k in grid:
            terms = sum(count_labeled_trees(n, j) for j in range(1, k + 1))
            sizes.append(terms)
            b = child(BUILD.format(n=n, k=k), repeat=repeat)
            rows["build"].append(b["work"])
            line = f"  n={n:2d} K={k}  {terms:8d} terms  build {b['work']:6.2f} s {b['peak_mb']:6.0f} MB"
            for fmt in FORMATS:
                r = child(BUILD.format(n=n, k=k) + "\n" + WRITE.format(fmt=fmt), repeat=repeat)
                rows[fmt].append(r["work"])
                line += f" | {fmt} {r['work']:6.2f} s {r['peak_mb']:6.0f} MB"
            print(line)
        fits = ", ".join(f"{name} terms^{fit(sizes, ys):.2f}" for name, ys in rows.items())
        print(f"  fitted growth against {label} (time ~ terms^b): {fits}")


def verify_section(repeat: int, quick: bool) -> dict[str, float]:
    print("== verify (whole command) and its dependencies")
    imports = child("import sympy, numpy, scipy, networkx", repeat=repeat)
    package = child("import sympy, numpy, scipy, networkx\nimport residual_expansion.claims", repeat=repeat)
    v8 = cli("verify --depth 8", repeat)
    print(f"  bare import of sympy, numpy, scipy, networkx      process {imports['process']:6.2f} s")
    print(f"  ... plus the claims registry                      process {package['process']:6.2f} s")
    print(f"  verify --depth 8                                  process {v8['process']:6.2f} s   peak {v8['peak_mb']:.0f} MB")
    series = child("from residual_expansion.theorem.composition import sympy_series_coefficients\n"
                   "x, lam = sympy.symbols('x lambda')\nsympy_series_coefficients(3, 3, x, lam)",
                   setup="import sympy", repeat=repeat)
    print(f"  sympy.series anchor of REX (n = K = 3), alone     work    {series['work']:6.2f} s")
    out = {"verify8": v8["process"]}
    if not quick:
        v16 = cli("verify --depth 16", 1)
        print(f"  verify --depth 16                                 process {v16['process']:6.2f} s   peak {v16['peak_mb']:.0f} MB")
        print(ratio_line("verify --depth 16 / verify --depth 8", v16["process"] / v8["process"], 3))
    print(ratio_line("verify --depth 8 / bare import of its dependencies", v8["process"] / imports["process"], 1.5))
    return out


def tied_section(repeat: int, verify8: float, quick: bool) -> None:
    print("== expand --tied --order 8 against depth (a_n(tau) from its Newton form: exact at every depth)")
    depths = (10, 100, 1000, 10000) if not quick else (10, 1000)
    times = []
    for n in depths:
        r = cli(f"expand --depth {n} --order 8 --tied", repeat)
        times.append(r["process"])
        print(f"  depth {n:6d}: process {r['process']:6.2f} s   peak {r['peak_mb']:.0f} MB")
    print(f"  fitted growth: time ~ depth^{fit(list(depths), times):.2f}")
    print(ratio_line(f"expand --depth {depths[-1]} --order 8 --tied / verify --depth 8", times[-1] / verify8, 3))


def crosscheck_section(repeat: int, quick: bool) -> None:
    print("== crosscheck (mlp/tanh, d = 16) against depth and order")
    for n, k in ((8, 3), (16, 3), (32, 3)) if quick else ((8, 3), (16, 3), (32, 3), (64, 3), (8, 4), (8, 5)):
        r = cli(f"crosscheck --depth {n} --order {k}", repeat)
        print(f"  depth {n:3d} order {k}: process {r['process']:6.2f} s   peak {r['peak_mb']:.0f} MB")


def paths_section(repeat: int, quick: bool) -> None:
    print("== paths (plain) against depth: text and JSON, whole command")
    depths = (2500, 5000, 10000) if quick else (3750, 7500, 15000, 30000)
    rows = {"text": ([], []), "json": ([], [])}
    for n in depths:
        line = f"  depth {n:6d}"
        for fmt in ("text", "json"):
            r = cli(f"paths --depth {n} --format {fmt}", repeat)
            rows[fmt][0].append(r["process"])
            rows[fmt][1].append(r["peak_mb"])
            line += f" | {fmt}: {r['process']:6.2f} s, peak {r['peak_mb']:6.0f} MB"
        print(line)
    for fmt, (ts, ms) in rows.items():
        print(f"  {fmt}: time ~ depth^{fit(list(depths), ts):.2f}, peak memory ~ depth^{fit(list(depths), ms):.2f}")
    print(ratio_line(f"paths --depth {depths[-1]} --format json / text (time)", rows["json"][0][-1] / rows["text"][0][-1], 2))
    print(ratio_line(f"paths --depth {depths[-1]}: JSON peak memory growth exponent", fit(list(depths), rows["json"][1]), 1,
                     unit=" "))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="reduced sizes")
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
    verify8 = None
    if want("verify") or want("tied"):
        verify8 = verify_section(args.repeat, args.quick)["verify8"]
    if want("tied"):
        tied_section(args.repeat, verify8, args.quick)
    if want("crosscheck"):
        crosscheck_section(args.repeat, args.quick)
    if want("paths"):
        paths_section(args.repeat, args.quick)
    print(f"# load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
