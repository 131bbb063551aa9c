"""Mutation harness: how many wrong versions of the library does the verifier catch?

Each *mutant* is the package with one small change made by one of the operators below,
applied to one site of one module's syntax tree. A mutant is **killed** when

* ``verify`` at each of :data:`VERIFY_DEPTHS` prints a FAIL row, exits with a status other
  than 0, crashes or times out (``verify``), or
* a test fails, errors or times out (``suite``);

a mutant whose module no longer imports is killed in both columns at once.

Speed: a **coverage map** of the unmutated source (``--build-map``: the whole suite traced with
one coverage context per test, subprocesses included, then ``verify`` at every depth of
:data:`VERIFY_DEPTHS` with one context per claim and depth) says which tests and which claims
execute each statement. A mutant can only change what executes its statement, so the first
pass runs, in a process forked from a parent that has imported the heavy dependencies:

1. ``verify --claims`` the claims that execute the statement, at the depths where they do,
   stopping at the first FAIL;
2. pytest on the tests that execute the statement, fastest first, stopping at the first failure
   (except the end-to-end files of :data:`HEAVY_TEST_FILES`, left to ``--confirm``).

A statement that also runs at import time (module constants, default arguments, decorators)
runs both stages on the module's claims (:data:`RELEVANT_CLAIMS`) and test files
(:func:`tests_for`) as well, and a module constant on the tests and claims that execute a line of
the module reading it (a memory budget acts where it is read). Both stages always run, so the report has both columns (killed by
the suite, killed by ``verify`` alone). A stage with nothing that executes the statement
cannot kill the mutant and is recorded as such without running.

Survivors of the first pass are re-run with ``--confirm``: every claim at every depth, and every
test file holding a test that executes the statement plus :func:`tests_for` (the whole suite
for an import-time statement), without stopping early. This also catches kills the map misses
(a cached result computed under one test and read by another). A survivor is then either killed
by a new test (merge the new test file into the map with ``--map-tests`` and ``--confirm`` again)
or argued equivalent in :data:`tests.mutation.equivalents.EQUIVALENT` (one line each); the
report in ``docs/soundness.md`` lists both.

Operators (:data:`OPERATORS`): ``arith`` (+ <-> -, * <-> /, // -> /, ** -> *),
``compare`` (< <-> <=, > <-> >=, == <-> !=), ``range`` (off by one at the stop or start of
``range(...)``), ``drop_term`` (``a + b`` -> ``a``, ``a * b`` -> ``a``: a dropped term or
factor), ``drop_clause`` (one operand of ``and`` removed; ``ok &= x`` removed),
``swap_args`` (first two positional arguments of a call swapped), ``scale_const`` (a
numeric constant c -> 2c, an integer c -> c + 1), ``force_bool`` (a returned or assigned
comparison or boolean forced to ``True``).

Each mutant is applied in a temporary copy of the repository (source segment replaced,
the rest of the file byte-identical; no byte-code cache), with a time budget per stage.
Results are JSON lines appended to ``--out`` (resumable: ids already there are skipped);
``--reuse`` takes an earlier run's results, locates each mutant again in the current source
(same operator, segment and replacement on a line with the same text) and reuses a kill;
``--rerun-modules`` runs the mutants of changed modules again, ``--rerun-reused-from COMMITS``
those whose result was itself carried over from those commits (so a report can rest on runs
of one source only).

This is a benchmark-style job, not part of the test suite (it needs ``coverage``, in the
``bench`` extra). From the repository root::

    python tests/mutation/mutate.py --build-map                      # /tmp/rex-covmap.json
    python tests/mutation/mutate.py --limit 240 --shard 1/2 --out /tmp/m1.jsonl &
    python tests/mutation/mutate.py --limit 240 --shard 2/2 --out /tmp/m2.jsonl
    python tests/mutation/mutate.py --confirm /tmp/m1.jsonl,/tmp/m2.jsonl --out /tmp/c.jsonl
    python tests/mutation/mutate.py --report /tmp/m1.jsonl,/tmp/m2.jsonl --confirmed /tmp/c.jsonl  # docs/soundness.md

``--list`` prints the mutants that would be run, without running them; ``--only TEXT`` runs
the mutants whose id contains TEXT (e.g. to show that a new test kills one).
"""

from __future__ import annotations

import argparse
import ast
import functools
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
VERIFY_SECONDS = 240      # per depth; generous: the shared machine runs at load 10-25
SUITE_SECONDS = 900       # a timeout kills: at this budget it means a hang or a >5x slowdown
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


#: End-to-end test files (documentation regeneration, Sphinx, the notebook, Dask clusters, pip
#: installs, start-up timing): minutes each on the shared machine. The first pass leaves them out;
#: ``--confirm`` runs them for every survivor whose statement they execute.
HEAVY_TEST_FILES = ("tests/test_docs.py", "tests/test_sphinx_site.py", "tests/test_notebook.py",
                    "tests/test_distributed.py", "tests/test_plugins.py", "tests/test_startup.py")


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
    # tests/mutation is copied (tests/test_mutation_harness.py imports it), without its result files
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".git", ".pytest_cache", ".hypothesis", "*.egg-info",
                                    "_build", "*.jsonl")
    for name in (PACKAGE, "tests", "docs", "proofs"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    # a git work tree, so tests that list the repository's files (git ls-files) see the copy's
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)


def tests_for(module: str) -> list[str]:
    """The module's doctests, then its own test files: ``tests/test_*<stem>*.py`` when there are
    any, else the (at most two smallest) test files that import it. Used for statements that run
    at import time (the coverage map cannot tell which tests depend on them) and by ``--confirm``."""
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
    for name in ("numpy", "sympy", "scipy.special", "scipy.stats", "scipy.integrate", "networkx", "gmpy2",
                 "pytest", "hypothesis", "_pytest.doctest", "jsonschema", "matplotlib.pyplot"):
        try:
            __import__(name)
        except ImportError:
            pass


def _forked(tree: Path, stage, seconds: int) -> tuple[bool, str]:
    """Run ``stage()`` (returning (killed, why)) in a forked child inside ``tree``.

    The child imports the (mutated) package afresh from ``tree``, writes no byte code and
    is killed by SIGALRM after ``seconds`` (a timeout kills the mutant).
    """
    log = Path(tempfile.gettempdir()) / f"rex-stage-{os.getpid()}.out"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(seconds)
            os.environ["REX_STAGE_LOG"] = str(log)
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


def _import_stage(module: str):
    def stage() -> tuple[bool, str]:
        import importlib

        importlib.import_module("residual_expansion.cli")
        importlib.import_module("residual_expansion.claims")
        importlib.import_module(module[:-3].replace("/", "."))
        return False, ""
    return stage


def _verify_stage(plan: list[tuple[int, str | None]]):
    """verify at each (depth, claims) of ``plan``; stop at the first depth that FAILs."""
    def stage() -> tuple[bool, str]:
        import contextlib
        import io

        from residual_expansion.cli import main as cli_main

        for depth, claims in plan:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = cli_main(["verify", "--depth", str(depth)] + (["--claims", claims] if claims else []))
            fails = [ln.split()[0] for ln in out.getvalue().splitlines() if "  FAIL  " in ln]
            if status != 0 or fails:
                return True, f"FAIL depth {depth}: exit {status} {' '.join(fails)}"
        return False, ""
    return stage


def _tests_stage(files: list[str], tree: Path, stop_first: bool = True):
    def stage() -> tuple[bool, str]:
        import pytest

        args = ["-q", "-p", "no:cacheprovider", "--no-header", "-W", "ignore"] + (["-x"] if stop_first else [])
        code = pytest.main([*args, *files])
        if code == 4:  # a node id that no longer exists (a renamed parameter): run the whole functions
            code = pytest.main([*args, *dict.fromkeys(f.split("[")[0] for f in files)])
        if code == 0:
            return False, ""
        if code == 5:  # no tests collected: nothing could fail
            return False, "no tests ran"
        if code == 4:  # pytest usage error (e.g. a node id not found): nothing ran
            return False, "pytest usage error: no test ran"
        sys.stdout.flush()
        text = Path(os.environ["REX_STAGE_LOG"]).read_text(errors="replace")
        failed = [ln for ln in text.splitlines() if ln.startswith(("FAILED", "ERROR"))]
        if not stop_first:  # every failing test, by node id
            return True, "; ".join(ln.split()[1] for ln in failed if len(ln.split()) > 1) or f"pytest exit {int(code)}"
        return True, (failed[0] if failed else f"pytest exit {int(code)}")[:200]
    return stage


# --- coverage map: which tests and which claims execute each statement -------------------

IMPORT_CONTEXT = ""          # statements run while importing / collecting (no test context)
_SITECUSTOMIZE = """\
import os
if os.environ.get("REX_COV_DATA"):
    import atexit
    import coverage
    _cov = coverage.Coverage(data_file=os.environ["REX_COV_DATA"], data_suffix=True,
                             source=[os.environ["REX_COV_SOURCE"]], context=os.environ.get("REX_COV_CONTEXT", ""))
    _cov.start()
    atexit.register(lambda: (_cov.stop(), _cov.save()))
"""


def _map_stage(workdir: Path, tests: list[str] | None):
    """Run ``tests`` (None: verify at every depth of VERIFY_DEPTHS, all claims) under coverage,
    one dynamic context per test node id (``verify:CLAIM:DEPTH`` per claim); subprocesses are
    traced too (through a ``sitecustomize`` on PYTHONPATH), under their parent test's context."""
    def stage() -> tuple[bool, str]:
        import coverage

        data = workdir / "cov"
        site = workdir / "site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
        os.environ["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)] + [
            p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
        os.environ.update(REX_COV_DATA=str(data), REX_COV_SOURCE=str(ROOT / PACKAGE), REX_COV_CONTEXT="")
        cov = coverage.Coverage(data_file=str(data), data_suffix=True, source=[str(ROOT / PACKAGE)])
        durations: dict[str, float] = {}

        def switch(context: str) -> None:
            cov.switch_context(context)
            os.environ["REX_COV_CONTEXT"] = context

        cov.start()
        try:
            if tests is None:
                import contextlib
                import io

                from residual_expansion.claims.base import Claim
                from residual_expansion.cli import main as cli_main

                run = Claim.run
                depth_now = [0]

                def traced(self, depth, order, seed):
                    switch(f"verify:{self.id}:{depth_now[0]}")
                    try:
                        return run(self, depth, order, seed)
                    finally:
                        switch(IMPORT_CONTEXT)

                Claim.run = traced
                for depth in VERIFY_DEPTHS:
                    depth_now[0] = depth
                    with contextlib.redirect_stdout(io.StringIO()):
                        cli_main(["verify", "--depth", str(depth)])
            else:
                import pytest

                class Contexts:
                    @pytest.hookimpl(hookwrapper=True)
                    def pytest_runtest_protocol(self, item, nextitem):
                        switch(item.nodeid)
                        t = time.perf_counter()
                        yield
                        durations[item.nodeid] = round(time.perf_counter() - t, 3)
                        switch(IMPORT_CONTEXT)

                pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", "-W", "ignore", *tests],
                            plugins=[Contexts()])
        finally:
            cov.stop()
            cov.save()
        if tests is not None:
            (workdir / "durations.json").write_text(json.dumps(durations))
        return False, ""
    return stage


def build_map(out: Path, tests: list[str] | None, merge: bool) -> None:
    """Write the coverage map ``out`` (JSON): for each mathematics module, line -> the test node
    ids and ``verify:CLAIM:DEPTH`` contexts that execute it, and each test's duration.

    ``tests``: the test paths to trace (None: the whole suite, then ``verify``); ``merge``: add
    to an existing map (e.g. after writing new tests) instead of replacing it.
    """
    import coverage

    _preload()
    workdir = Path(tempfile.mkdtemp(prefix="rex-covmap-"))
    try:
        plans = [["tests", PACKAGE], None] if tests is None else [tests]
        for plan in plans:
            start = time.perf_counter()
            _forked(ROOT, _map_stage(workdir, plan), 3600)
            print(f"traced {'verify' if plan is None else ' '.join(plan)} in {time.perf_counter() - start:.0f} s",
                  flush=True)
        cov = coverage.Coverage(data_file=str(workdir / "cov"))
        cov.combine([str(workdir)], keep=False)
        data = cov.get_data()
        durations = json.loads((workdir / "durations.json").read_text()) if (workdir / "durations.json").exists() else {}
    finally:
        pass
    old = json.loads(out.read_text()) if merge and out.exists() else {"contexts": [], "lines": {}, "durations": {}}
    contexts: list[str] = old["contexts"]
    index = {c: i for i, c in enumerate(contexts)}
    lines: dict[str, dict[str, list[int]]] = old["lines"]
    for path in target_modules(MATH_PACKAGES):
        rel = str(path.relative_to(ROOT))
        by_line = data.contexts_by_lineno(str(path))
        mod = lines.setdefault(rel, {})
        for ln, ctxs in by_line.items():
            ids = set(mod.get(str(ln), []))
            for c in ctxs:
                if c not in index:
                    index[c] = len(contexts)
                    contexts.append(c)
                ids.add(index[c])
            mod[str(ln)] = sorted(ids)
    old["durations"].update(durations)
    out.write_text(json.dumps({"contexts": contexts, "lines": lines, "durations": old["durations"],
                               **({"unknown": old["unknown"]} if "unknown" in old else {})}))
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"wrote {out}: {len(contexts)} contexts over {len(lines)} modules", flush=True)


def remap(path: Path, commit: str) -> None:
    """Carry the coverage map ``path`` of the source at ``commit`` over to the current source: each
    module's unchanged lines (difflib's matching blocks) keep their contexts under their new
    numbers; changed or new lines are listed under ``unknown`` (a mutant there runs the wider
    import-time stages, as if the map said nothing)."""
    import difflib

    cmap = json.loads(path.read_text())
    unknown: dict[str, list[int]] = {}
    for module, by_line in list(cmap["lines"].items()):
        old, new = _source(commit, module), _source(None, module)
        if old is None or new is None:
            continue
        a, b = old.splitlines(), new.splitlines()
        moved: dict[str, list[int]] = {}
        mapped: set[int] = set()
        before = set(cmap.get("unknown", {}).get(module, ()))  # changed at an earlier remap: still unknown
        for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
            for k in range(block.size):
                if block.a + k + 1 not in before:
                    mapped.add(block.b + k + 1)
                ids = by_line.get(str(block.a + k + 1))
                if ids is not None:
                    moved[str(block.b + k + 1)] = ids
        cmap["lines"][module] = moved
        unknown[module] = [ln for ln in range(1, len(b) + 1) if ln not in mapped]
    cmap["unknown"] = unknown
    path.write_text(json.dumps(cmap))
    print(f"remapped {path} from {commit}: {sum(map(len, unknown.values()))} changed lines", flush=True)


def _test_exists(nodeid: str) -> bool:
    """Whether a test node id still names a test (its file exists and defines the function)."""
    file, _, rest = nodeid.partition("::")
    path = ROOT / file
    if not path.exists():
        return False
    if file.startswith(PACKAGE):  # a doctest: module::dotted.name
        return rest.rsplit(".", 1)[-1] in _source(None, file)
    name = rest.split("::")[-1].split("[")[0]
    return f"def {name}(" in _source(None, file)


def load_map(path: Path) -> dict:
    """The coverage map, with ``weight``: statements each context executes (a proxy for the cost of
    a test whose duration was not recorded; tests are run fastest first); test contexts whose test
    no longer exists are dropped."""
    cmap = json.loads(path.read_text())
    gone = {i for i, c in enumerate(cmap["contexts"]) if "::" in c and not _test_exists(c)}
    if gone:
        for mod in cmap["lines"].values():
            for ln, ids in mod.items():
                mod[ln] = [i for i in ids if i not in gone]
    counts = [0] * len(cmap["contexts"])
    for mod in cmap["lines"].values():
        for ids in mod.values():
            for i in ids:
                counts[i] += 1
    cmap["weight"] = {c: n for c, n in zip(cmap["contexts"], counts)}
    return cmap


@dataclass(frozen=True)
class Coverage:
    """Who executes a mutant's statement, from the coverage map of the unmutated source."""

    tests: tuple[str, ...]                 # test node ids, fastest first
    claims: tuple[tuple[int, str], ...]    # (depth, "CLAIM,CLAIM") per depth that executes it
    at_import: bool                        # also run while importing or collecting


def _statement_span(module: str, line: int, end_line: int) -> tuple[int, int]:
    """First and last line of the innermost statement of ``module`` containing lines ``line..end_line``
    (a compound statement counts whole: its header runs whenever any line of it does)."""
    tree = ast.parse((ROOT / module).read_text())
    best = (line, end_line)
    size = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line and end_line <= (node.end_lineno or node.lineno):
            span = (node.end_lineno or node.lineno) - node.lineno
            if size is None or span < size:
                best, size = (node.lineno, node.end_lineno or node.lineno), span
    return best


@functools.lru_cache(maxsize=None)
def _readers(module: str, lo: int, hi: int) -> tuple[int, ...]:
    """Lines of ``module`` outside ``lo..hi`` that read a name assigned by a module-level statement at
    ``lo..hi`` (a constant such as a memory budget: the tests that execute those lines see its value)."""
    tree = ast.parse((ROOT / module).read_text())
    assigned: set[str] = set()
    for node in tree.body:
        if node.lineno == lo and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            assigned |= {t.id for t in targets if isinstance(t, ast.Name)}
    return tuple(sorted({n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in assigned
                         and isinstance(n.ctx, ast.Load) and not lo <= n.lineno <= hi}))


def coverage_of(cmap: dict, m: Mutant) -> Coverage:
    """The tests and claims that execute ``m``'s statement (any line of it)."""
    lo, hi = _statement_span(m.module, m.line, m.end_line)
    mod = cmap["lines"].get(m.module, {})
    ids: set[int] = set()
    for ln in range(lo, hi + 1):
        ids.update(mod.get(str(ln), ()))
    names = [cmap["contexts"][i] for i in ids]
    changed = set(cmap.get("unknown", {}).get(m.module, ()))
    at_import = IMPORT_CONTEXT in names or any(ln in changed for ln in range(lo, hi + 1))
    if at_import:  # a module constant: whoever executes a line that reads it (its value acts there)
        for ln in _readers(m.module, lo, hi):
            ids.update(mod.get(str(ln), ()))
        names = [cmap["contexts"][i] for i in ids]
    durations = cmap["durations"]
    weight = cmap.get("weight", {})
    tests = tuple(sorted((c for c in names if c and not c.startswith("verify:")),
                         key=lambda c: (durations.get(c, 1e9), weight.get(c, 0), c)))
    per_depth: dict[int, list[str]] = {}
    for c in names:
        if c.startswith("verify:"):
            _, claim, depth = c.split(":")
            per_depth.setdefault(int(depth), []).append(claim)
    claims = tuple((d, ",".join(sorted(per_depth[d]))) for d in sorted(per_depth))
    return Coverage(tests, claims, at_import)


def _files_of(nodeids) -> list[str]:
    return sorted({n.split("::")[0] for n in nodeids})


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
    full_suite: bool      # True when the suite stage was a --confirm run (see run_mutant)
    seconds: float
    reused_from: str = ""  # the commit of an earlier run whose result is reused (same source line)


def run_mutant(m: Mutant, tree: Path, cmap: dict, confirm: bool = False) -> Result:
    """Apply ``m`` in ``tree`` and run the kill stages.

    1. import: the mutated package must import (a crash kills it in both columns);
    2. verify: the claims that execute the statement, at the depths where they do (import-time
       statements: :func:`relevant_claims` at every depth), stopping at the first FAIL;
       ``confirm``: every claim at every depth;
    3. suite: the tests that execute the statement, fastest first, stopping at the first failure
       (import-time statements: plus :func:`tests_for`); ``confirm``: every test file holding such a
       test, plus :func:`tests_for`, plus the whole suite for import-time statements.
    A stage with nothing that executes the statement cannot kill it and is not run.
    """
    start = time.perf_counter()
    target = tree / m.module
    original = target.read_text()
    cov = coverage_of(cmap, m)
    try:
        target.write_text(apply(original, m))
        crashed, why = _forked(tree, _import_stage(m.module), 60)
        if crashed:
            v_killed, v_why, s_killed, s_why = True, f"import {why}", True, f"import {why}"
        else:
            if confirm:
                plan = [(d, None) for d in VERIFY_DEPTHS]
            elif cov.at_import:
                plan = [(d, relevant_claims(m.module)) for d in VERIFY_DEPTHS]
            else:
                plan = list(cov.claims)
            if plan:
                v_killed, v_why = _forked(tree, _verify_stage(plan), VERIFY_SECONDS * len(plan))
            else:
                v_killed, v_why = False, "not executed by any claim"
            if confirm:
                files = ["tests", PACKAGE] if cov.at_import else sorted(
                    set(_files_of(cov.tests)) | set(tests_for(m.module)))
            else:
                files = [t for t in cov.tests if not t.startswith(HEAVY_TEST_FILES)] + (
                    tests_for(m.module) if cov.at_import else [])
            if files:
                s_killed, s_why = _forked(tree, _tests_stage(files, tree), SUITE_SECONDS * (3 if confirm else 1))
            elif cov.tests:
                s_killed, s_why = False, "executed by end-to-end tests only (run by --confirm)"
            else:
                s_killed, s_why = False, "not executed by any test"
    finally:
        target.write_text(original)
    return Result(m.id, m.module, m.operator, m.line, m.original[:120], m.replacement[:120], v_killed, v_why,
                  s_killed, s_why, confirm, round(time.perf_counter() - start, 1))


def run_all(mutants: list[Mutant], out: Path, cmap_path: Path, confirm: bool = False) -> None:
    """Run ``mutants`` (skipping ids already in ``out``), append results to ``out``.

    ``confirm``: run every claim and the wider test set (for the survivors of a first pass).
    """
    done = set()
    if out.exists():
        done = {json.loads(ln)["id"] for ln in out.read_text().splitlines() if ln.strip()}
    todo = [m for m in mutants if m.id not in done]
    print(f"{len(mutants)} mutants, {len(done)} already done, {len(todo)} to run", flush=True)
    cmap = load_map(cmap_path)
    _preload()
    tree = Path(tempfile.mkdtemp(prefix="rex-mutant-"))
    _copy_tree(tree)
    try:
        with out.open("a") as fh:
            for i, m in enumerate(todo, 1):
                r = run_mutant(m, tree, cmap, confirm=confirm)
                fh.write(json.dumps(asdict(r)) + "\n")
                fh.flush()
                status = ("verify+suite" if r.verify_killed and r.suite_killed else
                          "verify" if r.verify_killed else "suite" if r.suite_killed else "SURVIVED")
                print(f"[{i}/{len(todo)}] {status:12s} {r.seconds:6.1f}s {r.id}", flush=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


# --- the named, hand-made mutants -------------------------------------------------

def run_named(out: Path) -> None:
    """Apply each of :data:`tests.mutation.named.NAMED` (a text replacement) and run ``verify`` on its
    claims at every depth and all of its tests; append one JSON line per mutant to ``out``."""
    sys.path.insert(0, str(ROOT))
    from tests.mutation.named import NAMED

    _preload()
    tree = Path(tempfile.mkdtemp(prefix="rex-named-"))
    _copy_tree(tree)
    try:
        with out.open("a") as fh:
            for spec in NAMED:
                start = time.perf_counter()
                target = tree / spec["module"]
                original = target.read_text()
                if original.count(spec["find"]) != 1:
                    raise SystemExit(f"{spec['name']}: the text to replace occurs {original.count(spec['find'])} "
                                     f"times in {spec['module']}")
                try:
                    target.write_text(original.replace(spec["find"], spec["replace"]))
                    crashed, why = _forked(tree, _import_stage(spec["module"]), 60)
                    if crashed:
                        v = s_ = (True, f"import {why}")
                    else:
                        v = _forked(tree, _verify_stage([(d, spec["claims"]) for d in VERIFY_DEPTHS]),
                                    VERIFY_SECONDS * len(VERIFY_DEPTHS))
                        s_ = _forked(tree, _tests_stage(list(spec["tests"]), tree, stop_first=False), SUITE_SECONDS * 3)
                finally:
                    target.write_text(original)
                row = {"name": spec["name"], "module": spec["module"], "find": spec["find"], "replace": spec["replace"],
                       "tests": list(spec["tests"]), "claims": spec["claims"], "verify_killed": v[0],
                       "verify_why": v[1], "suite_killed": s_[0], "suite_why": s_[1],
                       "seconds": round(time.perf_counter() - start, 1)}
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                print(f"{'KILLED' if v[0] or s_[0] else 'SURVIVED':8s} {row['seconds']:6.1f}s {spec['name']}: "
                      f"verify {'FAIL' if v[0] else 'pass'}, tests {s_[1] or 'pass'}", flush=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def _named_section(path: str | None) -> list[str]:
    """The report's section on the issue's nine named mutants, from ``--named`` results."""
    lines = ["", "## The issue's nine named mutants", ""]
    if not path:
        return lines + ["Not run (`--named`)."]
    rows = list({r["name"]: r for r in _read_rows(path)}.values())
    killed = sum(r["verify_killed"] or r["suite_killed"] for r in rows)
    lines += [f"Each applied by hand (`python tests/mutation/mutate.py --named`, text replacements in "
              f"[tests/mutation/named.py](../tests/mutation/named.py)): {killed} of {len(rows)} killed.", "",
              "| mutant | `verify` (depths " + ", ".join(map(str, VERIFY_DEPTHS)) + ") | tests that fail on it |",
              "|:--|:--|:--|"]
    for r in rows:
        verify = f"FAIL ({r['verify_why'].removeprefix('FAIL ')})" if r["verify_killed"] else f"passes on {r['claims']}"
        tests = ", ".join(f"`{t.split('::', 1)[1]}`" for t in r["suite_why"].split("; ")) if r["suite_killed"] else \
            "**none**"
        lines.append(f"| {r['name']} | {verify} | {tests} |")
    return lines


# --- locating mutants of an earlier run in the current source ----------------------------

@functools.lru_cache(maxsize=None)
def _source(commit: str | None, module: str) -> str | None:
    import subprocess

    if commit is None:
        path = ROOT / module
        return path.read_text() if path.exists() else None
    proc = subprocess.run(["git", "show", f"{commit}:{module}"], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def _line_text(commit: str | None, module: str, line: int) -> str | None:
    text = _source(commit, module)
    lines = text.splitlines() if text is not None else []
    return lines[line - 1].strip() if 0 < line <= len(lines) else None


def relocate(rows: list[dict], commit: str | None) -> list[tuple[dict, Mutant | None]]:
    """Each earlier result with the current mutant of the same operator, segment and replacement
    on a line with the same text (``commit``: the source of the earlier run; None: the current
    source), nearest the old line; None when the line changed or the module is gone."""
    cache: dict[str, list[Mutant]] = {}
    out = []
    for r in rows:
        path = ROOT / r["module"]
        if r["module"] not in cache:
            cache[r["module"]] = mutants_of(path) if path.exists() else []
        old_text = _line_text(commit, r["module"], r["line"])
        best = None
        for m in cache[r["module"]]:
            if (m.operator == r["operator"] and m.original[:120] == r["original"]
                    and m.replacement[:120] == r["replacement"]
                    and _line_text(None, m.module, m.line) == old_text):
                if best is None or abs(m.line - r["line"]) < abs(best.line - r["line"]):
                    best = m
        out.append((r, best))
    return out


def honest(r: dict) -> dict:
    """``r`` with a harness error not counted as a kill: pytest's "ERROR: not found" (a stale test
    node id) means no test ran, not that a test failed."""
    if r["suite_killed"] and "not found" in r["suite_why"]:
        return dict(r, suite_killed=False, suite_why="harness error: " + r["suite_why"][:80])
    return r


def _read_rows(paths: str) -> list[dict]:
    """The results of the JSON-lines files ``paths`` (comma-separated), harness errors not counted as kills."""
    return [honest(json.loads(ln)) for part in paths.split(",") for ln in Path(part).read_text().splitlines()
            if ln.strip()]


# --- report -------------------------------------------------------------------------

def write_report(results: str, confirmed: str | None, report: Path, named: str | None = None) -> None:
    """docs/soundness.md from first-pass ``results`` and the ``confirmed`` re-runs of survivors."""
    from tests.mutation.equivalents import EQUIVALENT, NEW_TEST_FILES, RUN_NOTE, TARGETED

    rows = list({r["id"]: r for r in _read_rows(results)}.values())
    confirm = {r["id"]: r for r in _read_rows(confirmed)} if confirmed else {}
    by_module: dict[str, list[dict]] = {}
    for r in rows:
        by_module.setdefault(r["module"], []).append(r)
    lines = [
        "# Soundness: what the verifier catches",
        "",
        "Generated by `python tests/mutation/mutate.py --report RESULTS --confirmed CONFIRMED` from a run of",
        "the mutation harness ([tests/mutation/mutate.py](../tests/mutation/mutate.py)); see its docstring",
        "for the operators, the coverage map and the kill criteria. A mutant is *killed by the suite* when",
        "a test that executes the mutated statement fails; *killed by verify* when `verify` at depths",
        f"{', '.join(map(str, VERIFY_DEPTHS))} (on the claims that execute the statement) prints a FAIL row,",
        "exits non-zero or crashes. Every first-pass survivor is re-run with `--confirm`: every claim at",
        "every depth, and every test file holding a test that executes the statement (the whole suite for",
        "a statement that runs at import time).",
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
    # Kills by the tests written to kill earlier survivors (the first failing test is one of them)
    fresh = [r for r in rows if r["suite_killed"] and not r["verify_killed"]
             and any(f in r["suite_why"] for f in NEW_TEST_FILES)]
    verdicts = []
    for r in survivors:
        c = confirm.get(r["id"])
        killed_now = c is not None and (c["verify_killed"] or c["suite_killed"])
        why = c and ((c["verify_why"] if c["verify_killed"] else "") or c["suite_why"])
        if killed_now and any(f in (c["suite_why"] or "") for f in NEW_TEST_FILES) and not c["verify_killed"]:
            test = c["suite_why"].removeprefix("FAILED ").split(" - ")[0]
            verdicts.append(("test", f"killed by the new test `{test}` (re-run after it was written)"))
        elif killed_now:
            verdicts.append(("wider", f"killed by the confirm run ({why})"))
        elif r["id"] in EQUIVALENT:
            note = ("survived --confirm" if c is not None and c.get("full_suite") else
                    "re-run, survived" if c is not None else "the --confirm run did not finish in time")
            verdicts.append(("equivalent", f"equivalent ({note}): {EQUIVALENT[r['id']]}"))
        elif r["id"] in TARGETED:
            verdicts.append(("open", f"**open**; the test `{TARGETED[r['id']]}` was written for it but not re-run "
                                     "against the mutant before the run was stopped"))
        elif c is None:
            verdicts.append(("open", "**open** (no test yet)"))
        else:
            verdicts.append(("open", "**open**"))
    count = {k: sum(v[0] == k for v in verdicts) for k in ("test", "wider", "equivalent", "open")}
    killed = totals[0] - totals[5]
    done = killed + count["test"] + count["wider"]
    lines += [
        "",
        f"{totals[0]} mutants: {killed} killed by the suite or `verify`; of the {totals[5]} survivors, "
        f"{count['wider']} killed by the confirm run (every claim, wider tests), {count['test']} killed by a "
        f"new test, {count['equivalent']} argued equivalent, {count['open']} open. Killed or argued "
        f"equivalent: {done + count['equivalent']} of {totals[0]} "
        f"({100 * (done + count['equivalent']) / max(1, totals[0]):.1f}%).",
        "",
        f"Of the {totals[4]} mutants killed by the suite alone, {len(fresh)} were first caught by a test "
        f"written to kill an earlier run's survivors ({', '.join(f'`{f}`' for f in NEW_TEST_FILES)}):",
        "",
        *[f"- `{r['module']}:{r['line']}` ({r['operator']}): `{r['original']}` -> `{r['replacement']}`: "
          f"`{r['suite_why'].removeprefix('FAILED ').split(' - ')[0]}`" for r in fresh],
        "",
        "## Survivors of the first pass",
        "",
    ]
    if not survivors:
        lines.append("None.")
    for r, (_, text) in zip(survivors, verdicts):
        loc = f"`{r['module']}:{r['line']}` ({r['operator']}): `{r['original']}` -> `{r['replacement']}`"
        lines.append(f"- {loc}: {text}")
    lines += _named_section(named)
    report.write_text("\n".join(lines) + "\n")
    print(f"wrote {report}: {totals[0]} mutants, {count['open']} open survivors")


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
    parser.add_argument("--map", type=Path, default=Path("/tmp/rex-covmap.json"),
                        help="the coverage map (which tests and claims execute each line)")
    parser.add_argument("--build-map", action="store_true",
                        help="trace the whole suite and verify at every depth into --map, and exit")
    parser.add_argument("--map-tests", default=None, metavar="PATHS",
                        help="trace these test paths (comma-separated) and merge them into --map, and exit")
    parser.add_argument("--remap", default=None, metavar="COMMIT",
                        help="carry --map (built on COMMIT) over to the current source, and exit")
    parser.add_argument("--reuse", default=None, metavar="RESULTS",
                        help="earlier results (comma-separated files): their mutants come first in the selection, "
                             "located again in the current source; a killed one whose line is unchanged is reused")
    parser.add_argument("--reuse-commit", default=None, help="the source commit of --reuse")
    parser.add_argument("--reuse-survivors", action="store_true",
                        help="with --reuse: reuse survivors too (they are re-run by --confirm on the current source)")
    parser.add_argument("--rerun-modules", default=None, metavar="FILES",
                        help="with --reuse: modules (path suffixes, comma-separated) whose mutants are all re-run")
    parser.add_argument("--rerun-reused-from", default=None, metavar="COMMITS",
                        help="with --reuse: run again the mutants whose result was itself reused from one of these "
                             "commits (comma-separated): results older than the source they are reported on")
    parser.add_argument("--reverse", default=None, metavar="RESULTS",
                        help="run the shard's mutants last to first, skipping ids already in RESULTS (the forward "
                             "worker's results)")
    parser.add_argument("--only", default=None, help="run only mutants whose id contains this text")
    parser.add_argument("--list", action="store_true", help="list the selected mutants and exit")
    parser.add_argument("--confirm", default=None, metavar="RESULTS",
                        help="re-run the survivors of RESULTS (located again in the current source) against every "
                             "claim and the wider test set; results go to --out")
    parser.add_argument("--first-pass", action="store_true",
                        help="with --confirm: re-run the survivors as in the first pass (e.g. after a new test was "
                             "merged into the map with --map-tests)")
    parser.add_argument("--report", default=None, metavar="RESULTS",
                        help="write docs/soundness.md from results files (comma-separated) and exit")
    parser.add_argument("--confirmed", default=None, metavar="RESULTS", help="with --report: the --confirm results")
    parser.add_argument("--named", action="store_true",
                        help="run the issue's hand-made mutants (tests/mutation/named.py) into --out, and exit")
    parser.add_argument("--named-results", default=None, metavar="RESULTS", help="with --report: the --named results")
    args = parser.parse_args(argv)
    if args.report is not None:
        sys.path.insert(0, str(ROOT))
        write_report(args.report, args.confirmed, ROOT / "docs" / "soundness.md", args.named_results)
        return 0
    if args.named:
        run_named(args.out)
        return 0
    if args.remap:
        remap(args.map, args.remap)
        return 0
    if args.build_map or args.map_tests:
        build_map(args.map, None if args.build_map else args.map_tests.split(","), merge=not args.build_map)
        return 0
    i, n = (int(x) for x in args.shard.split("/"))
    if args.confirm is not None:
        rows = [r for r in _read_rows(args.confirm) if not (r["verify_killed"] or r["suite_killed"])]
        found = relocate(rows, args.reuse_commit)
        for r, m in found:
            if m is None:
                print(f"not found in the current source: {r['id']}", flush=True)
        mutants = [m for _, m in found if m is not None]
        if args.only:
            mutants = [m for m in mutants if args.only in m.id]
        run_all(mutants[i - 1::n], args.out, args.map, confirm=not args.first_pass)
        return 0
    packages = tuple(args.packages.split(","))
    mutants = select(packages, args.limit, args.seed, tuple(args.operators.split(",")))
    reused: dict[str, dict] = {}
    if args.reuse:
        found = [(r, m) for r, m in relocate(_read_rows(args.reuse), args.reuse_commit) if m is not None]
        first = list(dict.fromkeys(m for _, m in found))
        fresh = tuple(args.rerun_modules.split(",")) if args.rerun_modules else ()
        stale = set(args.rerun_reused_from.split(",")) if args.rerun_reused_from else set()
        for r, m in found:
            if r.get("reused_from") in stale:
                continue
            if (r["verify_killed"] or r["suite_killed"] or args.reuse_survivors) and not m.module.endswith(fresh or ("\0",)):
                reused[m.id] = dict(r, id=m.id, line=m.line, reused_from=r.get("reused_from") or args.reuse_commit or "")
        known = {m.id for m in first}
        mutants = (first + [m for m in mutants if m.id not in known])[:max(args.limit, len(first))]
    if args.only:
        mutants = [m for m in mutants if args.only in m.id]
    if args.list:
        for m in mutants:
            print(f"{m.id}    {m.original[:60]!r}{'  (reused)' if m.id in reused else ''}")
        print(f"{len(mutants)} mutants, {len(reused)} reused")
        return 0
    mine = mutants[i - 1::n]
    if reused:
        have = set()
        if args.out.exists():
            have = {json.loads(ln)["id"] for ln in args.out.read_text().splitlines() if ln.strip()}
        with args.out.open("a") as fh:
            for m in mine:
                if m.id in reused and m.id not in have:
                    fh.write(json.dumps(reused[m.id]) + "\n")
    if args.reverse:  # a second worker on the same shard, from the other end (the report keeps one row per id)
        mine = mine[::-1]
        done = set()
        for part in str(args.reverse).split(","):
            if Path(part).exists():
                done |= {json.loads(ln)["id"] for ln in Path(part).read_text().splitlines() if ln.strip()}
        mine = [m for m in mine if m.id not in done]
    run_all(mine, args.out, args.map)
    return 0


if __name__ == "__main__":
    sys.exit(main())
