"""Run the command line in-process once per argument list, shared by the LaTeX and JSON tests."""

from __future__ import annotations

import contextlib
import functools
import io
import time

from residual_expansion.cli import main


def timed_main(argv: list[str], clock=time.perf_counter) -> tuple[int, float]:
    """Exit status of ``main(argv)`` (argparse's SystemExit included) and the seconds it took on ``clock``."""
    start = clock()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    return code, clock() - start

#: Realistic sizes of every command that prints results (issue 15): the LaTeX tests compile
#: each with pdflatex, the JSON tests validate each against its shipped schema.
SIZES: dict[str, tuple[str, ...]] = {
    "expand-5-4": ("expand", "--depth", "5", "--order", "4"),
    "expand-8-3": ("expand", "--depth", "8", "--order", "3"),
    "expand-tied-8-6": ("expand", "--depth", "8", "--order", "6", "--tied"),
    "verify-8": ("verify", "--depth", "8"),
    "verify-list": ("verify", "--list"),
    "paths-54": ("paths", "--depth", "54"),
    "paths-two-branch-3000": ("paths", "--depth", "3000", "--arch", "two-branch"),
    "counts-8-6": ("counts", "--depths", "2,3,4,5,6,7,8", "--order", "6"),
    "series-3-3": ("series", "--depth", "3", "--order", "3", "--show"),
    "crosscheck-8": ("crosscheck", "--depth", "8"),
    "crosscheck-exact": ("crosscheck", "--module", "docs/examples/jax_stack.py:make_sympy", "--exact", "--depth", "4",
                         "--order", "3", "--dim", "3"),
    "crosscheck-relu-6": ("crosscheck", "--depth", "6", "--order", "6", "--activation", "relu"),
    "scaling-res3": ("scaling", "--depths", "10,120,230", "--samples", "20"),
    "scaling-linear-orders": ("scaling", "--model", "linear", "--depths", "16", "--samples", "40",
                              "--orders", "3", "--schedule", "sqrt"),
    "scaling-norm": ("scaling", "--norm", "pre-rms", "--depths", "10,40", "--samples", "30", "--beta", "0.5,1"),
    "scaling-res3-orders": ("scaling", "--model", "res3", "--orders", "3", "--depths", "10,40", "--samples", "30",
                            "--beta", "0.5"),
    "scaling-capacity": ("scaling", "--capacity", "--model", "res3", "--depths", "8,16", "--samples", "40",
                         "--beta", "0.5"),
    "scaling-ode": ("scaling", "--ode", "--activation", "tanh", "--depths", "8,16,32", "--samples", "2", "--dim", "4"),
    "scaling-fixup": ("scaling", "--scheme", "fixup", "--depths", "10,20", "--samples", "30"),
    "lesion-linear": ("lesion", "--model", "linear", "--depth", "16", "--delete", "1,2,4,8", "--samples", "300"),
    "lesion-res3-plain": ("lesion", "--depth", "16", "--delete", "1,2,4", "--samples", "100", "--plain"),
}


@functools.lru_cache(maxsize=None)
def run_cli(*argv: str) -> tuple[int, str]:
    """(exit status, stdout) of ``residual-expansion ARGV``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(list(argv))
    return status, out.getvalue()
