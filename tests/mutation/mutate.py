"""Mutation harness: how many wrong versions of the library does the verifier catch?

Each *mutant* is the package with one small change made by one of the operators below,
applied to one site of one module's syntax tree. A mutant is **killed** when

* ``verify`` (every claim) at each of :data:`VERIFY_DEPTHS` prints a FAIL row, exits with
  a status other than 0, crashes or times out (``verify``), or
* the module's tests (the test files that import it, plus the module's own doctests) fail
  or time out (``suite``).

Mutants that survive the targeted tests are re-run against the *whole* suite before they
are called survivors, so "survived" always means "survived ``verify`` at every depth and
the full test suite". A survivor is then either killed by a new test or argued equivalent
in :data:`tests.mutation.equivalents.EQUIVALENT` (one line each); the report in
``docs/soundness.md`` lists both.

Operators (:data:`OPERATORS`): ``arith`` (+ <-> -, * <-> /, // -> /, ** -> *),
``compare`` (< <-> <=, > <-> >=, == <-> !=), ``range`` (off by one at the stop or start of
``range(...)``), ``drop_term`` (``a + b`` -> ``a``, ``a * b`` -> ``a``: a dropped term or
factor), ``drop_clause`` (one operand of ``and`` removed; ``ok &= x`` removed),
``swap_args`` (first two positional arguments of a call swapped), ``scale_const`` (a
numeric constant c -> 2c, an integer c -> c + 1), ``force_bool`` (a returned or assigned
comparison or boolean forced to ``True``).

Each mutant is applied in a temporary copy of the repository (source segment replaced,
the rest of the file byte-identical; no byte-code cache), with a time budget per stage.

This is a benchmark-style job, not part of the test suite. From the repository root::

    python tests/mutation/mutate.py --limit 240 --shard 1/2 --out /tmp/mutants-1.jsonl &
    python tests/mutation/mutate.py --limit 240 --shard 2/2 --out /tmp/mutants-2.jsonl
    python tests/mutation/mutate.py --report /tmp/mutants-1.jsonl,/tmp/mutants-2.jsonl   # docs/soundness.md

``--list`` prints the mutants that would be run, without running them.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "residual_expansion"
#: The mathematics modules (and the claims that check them).
MATH_PACKAGES = ("theorem", "paths", "models", "numeric", "scaling", "claims")
VERIFY_DEPTHS = (5, 8, 12)
VERIFY_SECONDS = 60
SUITE_SECONDS = 120
#: The claims ``verify`` runs for a mutant of each subpackage (claims/X_claims.py: its own).
RELEVANT_CLAIMS = {
    "theorem": "REX,REX2,COUNT,TIED,LINEAR,NUM-COEF",
    "paths": "PATHS,LINEAR,NUM-LINEAR,NUM-PL",
    "models": "NUM-COEF,NUM-REMAINDER,NUM-LINEAR,NUM-PL",
    "numeric": "NUM-COEF,NUM-REMAINDER,NUM-LINEAR,NUM-PL",
    "scaling": "SCALE-ENERGY,SCALE-SPECTRUM,MARION-RES3,MARION-REGIMES",
    "claims/expansion_claims": "REX,REX2,COUNT,TIED",
    "claims/path_claims": "PATHS,LINEAR",
    "claims/numeric_claims": "NUM-COEF,NUM-REMAINDER,NUM-LINEAR,NUM-PL",
    "claims/scaling_claims": "SCALE-ENERGY,SCALE-SPECTRUM,MARION-RES3,MARION-REGIMES",
}


def relevant_claims(module: str) -> str | None:
    """The ``--claims`` list for a mutant of ``module`` (None: every claim)."""
    inner = module[len(PACKAGE) + 1:-3]
    return RELEVANT_CLAIMS.get(inner) or RELEVANT_CLAIMS.get(inner.split("/")[0])
OPERATORS = ("arith", "compare", "range", "drop_term", "drop_clause", "swap_args", "scale_const", "force_bool")

_ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
          ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv}
_COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


@dataclass(frozen=True)
class Mutant:
    """One change: ``original`` at lines ``line..end_line`` of ``module`` becomes ``replacement``."""

    module: str        # path relative to the repository root
    operator: str
    line: int
    col: int
    end_line: int
    end_col: int
    original: str
    replacement: str

    @property
    def id(self) -> str:
        return f"{self.module}:{self.line}:{self.col}:{self.operator}:{self.replacement}"


# --- generating mutants -------------------------------------------------------------

def _skipped_nodes(tree: ast.AST) -> set[int]:
    """ids of nodes not to mutate: docstrings, f-strings, raise statements, annotations, asserts."""
    skip: set[int] = set()

    def mark(node: ast.AST) -> None:
        for sub in ast.walk(node):
            skip.add(id(sub))

    for node in ast.walk(tree):
        if isinstance(node, (ast.JoinedStr, ast.Raise, ast.Assert)):
            mark(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs:
                if a.annotation is not None:
                    mark(a.annotation)
            if node.returns is not None:
                mark(node.returns)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "print", "TypeVar", "UsageError", "ValueError", "TypeError"):
            mark(node)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                mark(body[0])
    return skip


def _is_test(node: ast.AST | None) -> bool:
    """A comparison or a conjunction: a value that decides a pass flag."""
    return isinstance(node, ast.Compare) or (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And))


def _variants(node: ast.AST, parent: ast.AST | None) -> Iterator[tuple[str, str]]:
    """(operator, replacement source) for each mutation of ``node``."""
    if isinstance(node, ast.BinOp):
        new_op = _ARITH.get(type(node.op))
        if new_op is not None:
            yield "arith", ast.unparse(ast.BinOp(node.left, new_op(), node.right))
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            yield "drop_term", ast.unparse(node.left)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        new_op = _COMPARE.get(type(node.ops[0]))
        if new_op is not None:
            yield "compare", ast.unparse(ast.Compare(node.left, [new_op()], node.comparators))
    elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) and len(node.values) >= 2:
        for i in range(len(node.values)):
            rest = node.values[:i] + node.values[i + 1:]
            yield "drop_clause", ast.unparse(rest[0] if len(rest) == 1 else ast.BoolOp(ast.And(), rest))
    elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitAnd):
        yield "drop_clause", "pass"
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "range" and node.args and not node.keywords:
            args = list(node.args)
            stop = 1 if len(args) >= 2 else 0
            args_minus = args.copy()
            args_minus[stop] = ast.BinOp(args[stop], ast.Sub(), ast.Constant(1))
            yield "range", ast.unparse(ast.Call(node.func, args_minus, []))
            if len(args) >= 2:
                args_plus = args.copy()
                args_plus[0] = ast.BinOp(args[0], ast.Add(), ast.Constant(1))
                yield "range", ast.unparse(ast.Call(node.func, args_plus, []))
        elif (len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2])
              and ast.unparse(node.args[0]) != ast.unparse(node.args[1])
              and not (isinstance(node.func, ast.Name) and node.func.id in ("isinstance", "getattr", "setattr"))):
            args = list(node.args)
            args[0], args[1] = args[1], args[0]
            yield "swap_args", ast.unparse(ast.Call(node.func, args, node.keywords))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(
            parent, ast.UnaryOp):
        value = node.value
        new = value + 1 if isinstance(value, int) else value * 2
        yield "scale_const", repr(new)
    elif isinstance(node, ast.Return) and _is_test(node.value):
        yield "force_bool", "return True"
    elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
          and _is_test(node.value)):
        yield "force_bool", f"{node.targets[0].id} = True"


def mutants_of(path: Path) -> list[Mutant]:
    """Every mutant of the module at ``path`` (relative to :data:`ROOT`), in source order."""
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    data = source.encode()
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln.encode()))
    skip = _skipped_nodes(tree)
    parents = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    out: list[Mutant] = []
    rel = str(path.relative_to(ROOT))
    for node in ast.walk(tree):
        if id(node) in skip or not hasattr(node, "lineno") or node.end_lineno is None:
            continue
        if "no mutate" in lines[node.lineno - 1]:
            continue
        original = data[starts[node.lineno - 1] + node.col_offset:
                        starts[node.end_lineno - 1] + node.end_col_offset].decode()
        for operator, replacement in _variants(node, parents.get(id(node))):
            if replacement.strip() == original.strip():
                continue
            if "\n" in original and operator not in ("drop_clause", "force_bool"):
                replacement = "(" + replacement + ")"
            out.append(Mutant(rel, operator, node.lineno, node.col_offset, node.end_lineno,
                              node.end_col_offset, original, replacement))
    out.sort(key=lambda m: (m.line, m.col, m.operator, m.replacement))
    return out


def apply(source: str, m: Mutant) -> str:
    """``source`` with the mutant's segment replaced (the rest byte-identical); it must parse."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln.encode()))
    data = source.encode()
    lo = starts[m.line - 1] + m.col
    hi = starts[m.end_line - 1] + m.end_col
    new = (data[:lo] + m.replacement.encode() + data[hi:]).decode()
    ast.parse(new)
    return new


def target_modules(packages: tuple[str, ...]) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / PACKAGE / pkg).glob("*.py") if p.name != "__init__.py")


def select(packages: tuple[str, ...], limit: int, seed: int, operators: tuple[str, ...]) -> list[Mutant]:
    """Up to ``limit`` mutants, spread evenly over modules and operators (seeded shuffle)."""
    rng = random.Random(seed)
    pools: list[list[Mutant]] = []
    for path in target_modules(packages):
        by_op: dict[str, list[Mutant]] = {}
        for m in mutants_of(path):
            if m.operator in operators:
                by_op.setdefault(m.operator, []).append(m)
        for ms in by_op.values():
            rng.shuffle(ms)
        # interleave operators inside a module
        mixed: list[Mutant] = []
        queues = [by_op[k] for k in sorted(by_op)]
        while any(queues):
            for q in queues:
                if q:
                    mixed.append(q.pop())
        pools.append(mixed)
    chosen: list[Mutant] = []
    while len(chosen) < limit and any(pools):
        for pool in pools:
            if pool and len(chosen) < limit:
                chosen.append(pool.pop(0))
    return chosen


# --- running mutants ----------------------------------------------------------------

def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".git", ".pytest_cache", ".hypothesis", "*.egg-info",
                                    "_build", "mutation")
    for name in (PACKAGE, "tests", "docs", "proofs"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)


def tests_for(module: str) -> list[str]:
    """The module's doctests, then its own test files: ``tests/test_*<stem>*.py`` when there are
    any, else the (at most two smallest) test files that import it. The survivors of this
    targeted run are re-run against the whole suite (``--confirm``)."""
    dotted = module[:-3].replace("/", ".")
    pkg, _, name = dotted.rpartition(".")
    stem = name.removesuffix("_claims")
    own = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob(f"test_*{stem}*.py"))
    if own:
        return [module, *own]
    pattern = re.compile(rf"{re.escape(dotted)}\b|from {re.escape(pkg)} import [^\n]*\b{re.escape(name)}\b")
    found = sorted((p for p in (ROOT / "tests").glob("test_*.py") if pattern.search(p.read_text())),
                   key=lambda p: p.stat().st_size)
    return [module, *(str(p.relative_to(ROOT)) for p in found[:2])]


def _preload() -> None:
    """Import the heavy dependencies once in the parent; each mutant's stages are forked from it."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in ("numpy", "sympy", "scipy.special", "scipy.stats", "networkx", "pytest", "hypothesis", "_pytest.doctest"):
        try:
            __import__(name)
        except ImportError:
            pass


def _forked(tree: Path, stage, seconds: int) -> tuple[bool, str]:
    """Run ``stage()`` (returning (killed, why)) in a forked child inside ``tree``.

    The child imports the (mutated) package afresh from ``tree``, writes no byte code and
    is killed by SIGALRM after ``seconds`` (a timeout kills the mutant).
    """
    log = tree / ".stage-output"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(seconds)
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.chdir(tree)
            sys.path.insert(0, str(tree))
            sys.dont_write_bytecode = True
            try:
                result = stage()
            except BaseException as exc:  # a crash of the mutated package kills it
                result = (True, f"crash: {type(exc).__name__}: {str(exc)[:150]}")
            os.write(w, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return True, (f"timeout after {seconds} s" if sig == signal.SIGALRM else f"crash: signal {sig}")
    if not chunks:
        return True, "crash: no result"
    killed, why = json.loads(b"".join(chunks))
    return bool(killed), str(why)


def _verify_stage(claims: str | None):
    def stage() -> tuple[bool, str]:
        import contextlib
        import io

        from residual_expansion.cli import main as cli_main

        bad = []
        for depth in VERIFY_DEPTHS:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = cli_main(["verify", "--depth", str(depth)] + (["--claims", claims] if claims else []))
            fails = [ln.split()[0] for ln in out.getvalue().splitlines() if "  FAIL  " in ln]
            if status != 0 or fails:
                bad.append(f"depth {depth}: exit {status} {' '.join(fails)}")
        return bool(bad), ("FAIL " + "; ".join(bad)) if bad else ""
    return stage


def _tests_stage(files: list[str], tree: Path):
    def stage() -> tuple[bool, str]:
        import pytest

        code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--no-header", "-W", "ignore", *files])
        if code == 0:
            return False, ""
        sys.stdout.flush()
        text = (tree / ".stage-output").read_text(errors="replace")
        failed = [ln for ln in text.splitlines() if ln.startswith(("FAILED", "ERROR"))]
        return True, (failed[0] if failed else f"pytest exit {int(code)}")[:200]
    return stage


def run_verify(tree: Path, claims: str | None) -> tuple[bool, str]:
    """(killed, why) from ``verify --claims claims`` at every depth of :data:`VERIFY_DEPTHS`."""
    return _forked(tree, _verify_stage(claims), VERIFY_SECONDS)


def run_tests(tree: Path, files: list[str]) -> tuple[bool, str]:
    """(killed, why) from pytest on ``files`` (stop at the first failure)."""
    return _forked(tree, _tests_stage(files, tree), SUITE_SECONDS)


@dataclass(frozen=True)
class Result:
    id: str
    module: str
    operator: str
    line: int
    original: str
    replacement: str
    verify_killed: bool
    verify_why: str
    suite_killed: bool
    suite_why: str
    full_suite: bool      # True when the suite stage ran the whole suite
    seconds: float


def run_mutant(m: Mutant, tree: Path, full: bool = False) -> Result:
    start = time.perf_counter()
    target = tree / m.module
    original = target.read_text()
    try:
        target.write_text(apply(original, m))
        v_killed, v_why = run_verify(tree, None if full else relevant_claims(m.module))
        files = ["tests", PACKAGE] if full else tests_for(m.module)
        s_killed, s_why = run_tests(tree, files)
    finally:
        target.write_text(original)
    return Result(m.id, m.module, m.operator, m.line, m.original[:120], m.replacement[:120], v_killed, v_why,
                  s_killed, s_why, full, round(time.perf_counter() - start, 1))


def run_all(mutants: list[Mutant], out: Path, confirm: bool = False) -> None:
    """Run ``mutants`` (skipping ids already in ``out``), append results to ``out``.

    ``confirm``: run every claim and the whole suite (for the survivors of a first pass).
    """
    done = set()
    if out.exists():
        done = {json.loads(ln)["id"] for ln in out.read_text().splitlines() if ln.strip()}
    todo = [m for m in mutants if m.id not in done]
    print(f"{len(mutants)} mutants, {len(done)} already done, {len(todo)} to run", flush=True)
    _preload()
    tree = Path(tempfile.mkdtemp(prefix="rex-mutant-"))
    _copy_tree(tree)
    try:
        with out.open("a") as fh:
            for i, m in enumerate(todo, 1):
                r = run_mutant(m, tree, full=confirm)
                fh.write(json.dumps(asdict(r)) + "\n")
                fh.flush()
                status = ("verify+suite" if r.verify_killed and r.suite_killed else
                          "verify" if r.verify_killed else "suite" if r.suite_killed else "SURVIVED")
                print(f"[{i}/{len(todo)}] {status:12s} {r.seconds:6.1f}s {r.id}", flush=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


# --- report -------------------------------------------------------------------------

def write_report(results_path: Path, report: Path) -> None:
    from tests.mutation.equivalents import EQUIVALENT, KILLED_BY_NEW_TEST, RUN_NOTE, TARGETED

    rows = [json.loads(ln) for part in str(results_path).split(",")
            for ln in Path(part).read_text().splitlines() if ln.strip()]
    by_module: dict[str, list[dict]] = {}
    for r in rows:
        by_module.setdefault(r["module"], []).append(r)
    lines = [
        "# Soundness: what the verifier catches",
        "",
        "Generated by `python tests/mutation/mutate.py --report RESULTS` from a run of the mutation",
        "harness ([tests/mutation/mutate.py](../tests/mutation/mutate.py)); see its docstring for the",
        "operators and the kill criteria. A mutant is *killed by the suite* when the test files that import",
        "its module (or the module's doctests) fail; *killed by verify* when `verify` at depths",
        f"{', '.join(map(str, VERIFY_DEPTHS))} (the claims relevant to the module) prints a FAIL row, exits",
        "non-zero or crashes. Survivors can be re-run against every claim and the whole suite with",
        "`--confirm RESULTS`.",
        "",
        "## This run",
        "",
        RUN_NOTE,
        "",
        "## Mutants per module",
        "",
        "| module | mutants | killed by suite | killed by verify | by verify alone | by suite alone | survived |",
        "|:--|--:|--:|--:|--:|--:|--:|",
    ]
    totals = [0] * 6
    for module in sorted(by_module):
        rs = by_module[module]
        counts = [
            len(rs),
            sum(r["suite_killed"] for r in rs),
            sum(r["verify_killed"] for r in rs),
            sum(r["verify_killed"] and not r["suite_killed"] for r in rs),
            sum(r["suite_killed"] and not r["verify_killed"] for r in rs),
            sum(not (r["verify_killed"] or r["suite_killed"]) for r in rs),
        ]
        totals = [a + b for a, b in zip(totals, counts)]
        lines.append(f"| `{module}` | " + " | ".join(map(str, counts)) + " |")
    lines.append("| **total** | " + " | ".join(f"**{c}**" for c in totals) + " |")
    survivors = [r for r in rows if not (r["verify_killed"] or r["suite_killed"])]
    argued = [r for r in survivors if r["id"] in EQUIVALENT]
    new_test = [r for r in survivors if r["id"] in KILLED_BY_NEW_TEST]
    open_ = [r for r in survivors if r["id"] not in EQUIVALENT and r["id"] not in KILLED_BY_NEW_TEST]
    killed = totals[0] - totals[5]
    lines += [
        "",
        f"{totals[0]} mutants: {killed} killed by the suite or `verify`, {len(new_test)} survivors killed "
        f"by a new test, {len(argued)} argued equivalent, {len(open_)} open.",
        "",
        "## Survivors",
        "",
    ]
    if not survivors:
        lines.append("None.")
    for r in survivors:
        loc = f"`{r['module']}:{r['line']}` ({r['operator']}): `{r['original']}` -> `{r['replacement']}`"
        if r["id"] in KILLED_BY_NEW_TEST:
            lines.append(f"- {loc}: killed by `{KILLED_BY_NEW_TEST[r['id']]}`.")
        elif r["id"] in EQUIVALENT:
            lines.append(f"- {loc}: equivalent: {EQUIVALENT[r['id']]}")
        elif r["id"] in TARGETED:
            lines.append(f"- {loc}: **open**; aimed at by `{TARGETED[r['id']]}` (not re-run against the mutant).")
        else:
            lines.append(f"- {loc}: **open**.")
    report.write_text("\n".join(lines) + "\n")
    print(f"wrote {report}: {totals[0]} mutants, {len(open_)} open survivors")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", default=",".join(MATH_PACKAGES),
                        help="subpackages of residual_expansion to mutate (comma-separated)")
    parser.add_argument("--operators", default=",".join(OPERATORS))
    parser.add_argument("--limit", type=int, default=240, help="number of mutants (spread over modules)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the selection")
    parser.add_argument("--shard", default="1/1", metavar="I/N",
                        help="run every N-th mutant starting at the I-th (run N shards in parallel, one per core)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/rex-mutants.jsonl"), help="results (JSON lines, resumable)")
    parser.add_argument("--only", default=None, help="run only mutants whose id contains this text")
    parser.add_argument("--list", action="store_true", help="list the selected mutants and exit")
    parser.add_argument("--confirm", type=Path, default=None, metavar="RESULTS",
                        help="re-run the survivors of RESULTS (located again in the current source) against every "
                             "claim and the whole suite; results go to --out")
    parser.add_argument("--report", type=Path, default=None, metavar="RESULTS",
                        help="write docs/soundness.md from a results file and exit")
    args = parser.parse_args(argv)
    if args.report is not None:
        sys.path.insert(0, str(ROOT))
        write_report(args.report, ROOT / "docs" / "soundness.md")
        return 0
    if args.confirm is not None:
        run_all(relocate_survivors(args.confirm), args.out, confirm=True)
        return 0
    mutants = select(tuple(args.packages.split(",")), args.limit, args.seed, tuple(args.operators.split(",")))
    if args.only:
        mutants = [m for m in mutants if args.only in m.id]
    if args.list:
        for m in mutants:
            print(f"{m.id}    {m.original[:60]!r}")
        print(f"{len(mutants)} mutants")
        return 0
    i, n = (int(x) for x in args.shard.split("/"))
    run_all(mutants[i - 1::n], args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
