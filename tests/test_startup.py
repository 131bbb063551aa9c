"""Start-up (issue 14): sympy and matplotlib are imported only on the routes that need them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import contextlib, io, json, sys
from residual_expansion.cli import main

def run(argv):
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    return {"argv": " ".join(argv), "status": status,
            "sympy": "sympy" in sys.modules, "matplotlib": "matplotlib" in sys.modules}

out = [run(["counts", "--depths", "3,4", "--order", "3"]),
       run(["paths", "--depth", "20"]),
       run(["paths", "--depth", "20", "--format", "json"]),
       run(["expand", "--depth", "3", "--order", "3", "--format", "json"]),
       run(["verify", "--depth", "3", "--claims", "COUNT,TIED"])]
print(json.dumps(out))
"""


def test_routes_import_only_what_they_need():
    p = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    runs = json.loads(p.stdout)
    assert all(r["status"] == 0 for r in runs), runs
    counts, paths_text, paths_json, expand, verify = runs
    for r in (counts, paths_text, paths_json):
        assert not r["sympy"] and not r["matplotlib"], r  # counting paths and trees needs neither
    assert expand["sympy"] and not expand["matplotlib"]  # the scales are sympy symbols
    assert not verify["matplotlib"]  # figures only with --plot
