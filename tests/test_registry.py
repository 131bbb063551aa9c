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
    if result.status == "SKIP":
        assert result.evidence.get("reason")
