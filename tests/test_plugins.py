"""Plugins: the entry-point group residual_expansion.claims, verify --claims / --list.

The example plugin package (docs/examples/plugin) is pip-installed into a temporary
directory (copied first, --no-deps --no-build-isolation --no-index: no network, nothing
written to the repository) and run through the CLI in a subprocess.
"""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from residual_expansion.claims import REGISTRY, Claim, Outcome, registered_claims, select
from residual_expansion.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The example plugin pip-installed into a temporary --target directory."""
    tmp = tmp_path_factory.mktemp("plugin")
    src = tmp / "src"
    shutil.copytree(ROOT / "docs" / "examples" / "plugin", src)
    target = tmp / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(src)],
        check=True, capture_output=True, timeout=300,
    )
    return target


def _cli(target, *argv):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), str(ROOT)]))
    return subprocess.run([sys.executable, "-m", "residual_expansion", *argv], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_installed_plugin_claim_runs_with_verify_claims(installed):
    r = _cli(installed, "verify", "--depth", "6", "--claims", "EX-PAIRS", "--format", "json")
    assert r.returncode == 0, r.stderr
    import json

    out = json.loads(r.stdout)
    assert [x["claim"] for x in out["results"]] == ["EX-PAIRS"]
    assert out["results"][0]["status"] == "PASS" and out["results"][0]["evidence"]["terms"] == 15


def test_verify_list_names_every_claim_with_its_source(installed):
    r = _cli(installed, "verify", "--list")
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line.split()[1] for line in r.stdout.splitlines()[3:]}
    assert rows["EX-PAIRS"] == "rex-example-plugin"
    assert all(rows[c.id] == "residual-expansion" for c in REGISTRY)


def test_plugin_check_fails_on_a_wrong_formula(installed, monkeypatch):
    monkeypatch.syspath_prepend(str(installed))
    from rex_example_plugin import check_pairs

    assert check_pairs(5, 2, 0).status == "PASS"
    assert check_pairs(5, 2, 0, formula=lambda n: n * (n + 1) // 2).status == "FAIL"


@dataclass
class _EP:
    """A stand-in entry point (name, value, dist, load)."""

    name: str
    obj: object
    value: str = "fake_pkg:claims"
    dist: object = None

    def load(self):
        if isinstance(self.obj, Exception):
            raise self.obj
        return self.obj


def _claim(cid, status="PASS"):
    return Claim(cid, "a statement", "none", "README.md", lambda n, k, s: Outcome("m", f"n={n}", status))


def test_entry_points_give_claims_callables_and_sequences():
    eps = [_EP("b", lambda: [_claim("B1"), _claim("B2")]), _EP("a", _claim("A1"))]
    regs = registered_claims(entry_points=eps)
    assert [r.claim.id for r in regs][-3:] == ["A1", "B1", "B2"]
    assert {r.source for r in regs[-3:]} == {"fake_pkg"}
    assert [c.id for c in select("a1,rex", entry_points=eps)] == ["A1", "REX"]
    failing = select("A1", entry_points=[_EP("a", _claim("A1", "FAIL"))])[0]
    assert failing.run(2, 2, 0).status == "FAIL"


@pytest.mark.parametrize("obj, message", [
    (ImportError("no module named x"), "failed to load"),
    (42, "expected a Claim"),
    ([_claim("OK"), "not a claim"], "not a residual_expansion.claims.Claim"),
    (lambda: 1 / 0, "ZeroDivisionError"),
    (_claim("REX"), "registered twice"),
    (_claim("lower"), "upper case"),
])
def test_bad_plugins_are_usage_errors(obj, message):
    with pytest.raises(UsageError, match=message):
        registered_claims(entry_points=[_EP("bad", obj)])
