"""The claims registry: every claim has a proof that names it, and runs at small depths."""

import re
from pathlib import Path

import pytest

from residual_expansion.claims import REGISTRY

ROOT = Path(__file__).resolve().parent.parent


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("claim", REGISTRY, ids=lambda c: c.id)
def test_proof_exists_and_names_the_claim(claim):
    path, _, anchor = claim.proof.partition("#")
    text = (ROOT / path).read_text()
    assert re.search(rf"\b{re.escape(claim.id)}\b", text), f"{path} does not name {claim.id}"
    if anchor:
        headings = [_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)]
        assert anchor in headings, f"{path} has no heading #{anchor}"


def test_ids_unique_and_statements_one_line():
    ids = [c.id for c in REGISTRY]
    assert len(ids) == len(set(ids))
    assert all("\n" not in c.statement and c.statement for c in REGISTRY)


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("claim", REGISTRY, ids=lambda c: c.id)
def test_every_claim_runs_at_small_depths(claim, depth):
    result = claim.run(depth, 2, 0)
    assert result.status in ("PASS", "SKIP"), (claim.id, depth, result)
    # plain Python values: verify's parent process unpickles them without importing numpy
    assert not [k for k, v in result.evidence.items() if type(v).__module__.startswith("numpy")], result.evidence
    if result.status == "SKIP":
        assert result.evidence.get("reason")


def test_the_module_index_names_every_claim_of_every_module_in_order():
    # MODULES lets verify fork before any claim module is imported; it must list exactly what the modules define
    from importlib import import_module

    from residual_expansion.claims import MODULES

    actual = tuple((name, tuple(c.id for c in import_module(f"residual_expansion.claims.{name}").CLAIMS))
                   for name, _ in MODULES)
    assert actual == MODULES
    assert [i for _, ids in MODULES for i in ids] == [c.id for c in REGISTRY]


def test_lazy_handles_run_the_claims_they_name_and_import_nothing_until_then():
    import subprocess
    import sys

    script = ("import sys, json\nfrom residual_expansion.claims import select\n"
              "refs = select(None, lazy=True)\nheavy = [m for m in ('numpy', 'sympy', 'scipy', 'networkx') if m in sys.modules]\n"
              "r = select('COUNT', lazy=True)[0].run(3, 2, 0)\n"
              "print(json.dumps([type(refs[0]).__name__, len(refs), heavy, r.status, 'scipy' in sys.modules]))")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    kind, count, heavy, status, scipy_loaded = __import__("json").loads(p.stdout)
    assert (kind, count, heavy, status) == ("ClaimRef", len(REGISTRY), [], "PASS")
    assert not scipy_loaded  # COUNT's module needs sympy, not scipy


def test_a_handle_whose_module_lacks_the_claim_is_a_fail_row():
    from residual_expansion.claims import ClaimRef

    r = ClaimRef("NO-SUCH", "expansion_claims").run(3, 2, 0)
    assert (r.claim, r.status) == ("NO-SUCH", "FAIL") and "defines no claim NO-SUCH" in r.evidence["reason"]
    ref, real = ClaimRef("COUNT", "expansion_claims").run(3, 2, 0).to_dict(), REGISTRY[2].run(3, 2, 0).to_dict()
    assert REGISTRY[2].id == "COUNT" and {**ref, "seconds": 0} == {**real, "seconds": 0}
