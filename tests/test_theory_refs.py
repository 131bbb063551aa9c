"""docs/theory.md exists, every claim has its section, and every reference to it resolves.

A reference is ``docs/theory.md#<anchor>``; the anchor must be the slug of a heading of
docs/theory.md (lower case, spaces -> hyphens, punctuation dropped: GitHub's rule).
"""

import re
import subprocess
from pathlib import Path

from residual_expansion.claims import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "docs" / "theory.md"
REFERENCE = re.compile(r"docs/theory\.md#([A-Za-z0-9_-]+)")


def slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, drop punctuation except - and _, spaces -> -."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors() -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", THEORY.read_text(encoding="utf-8"), re.M)}


def repository_files():
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / f for f in out if f.endswith((".py", ".md", ".ipynb", ".toml", ".txt", ".rst", ".cfg"))
            and (ROOT / f).exists()]


def test_slug_rule():
    assert slug("The Residual Expansion Theorem") == "the-residual-expansion-theorem"
    assert slug("NUM-COEF") == "num-coef" and slug("iid linear modules") == "iid-linear-modules"


def test_every_registered_claim_has_a_section():
    have = anchors()
    missing = [c.id for c in REGISTRY if slug(c.id) not in have]
    assert not missing, missing


def test_every_theory_reference_resolves():
    have = anchors()
    refs = [(f.relative_to(ROOT), m.group(1)) for f in repository_files()
            for m in REFERENCE.finditer(f.read_text(encoding="utf-8", errors="replace"))]
    assert len(refs) > 50  # the scan sees the references (else the check below is vacuous)
    bad = [f"{f}: #{a}" for f, a in refs if a not in have]
    assert not bad, bad


def test_a_broken_reference_would_be_caught():
    assert "no-such-section" not in anchors() and "marion-models" in anchors()


def test_no_reference_by_section_number_or_outside_the_repository():
    outside = re.escape("shared" + "/")  # spelled in two parts so this file does not match itself
    pattern = re.compile(r"theory(?:\.md)?,? (?:sections? |§)?\d|theory" + " section|" + outside)
    bad = [f"{f.relative_to(ROOT)}: {m.group(0)}" for f in repository_files()
           for m in pattern.finditer(f.read_text(encoding="utf-8", errors="replace"))]
    assert not bad, bad


def test_architecture_page_names_every_subpackage():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = ROOT / "residual_expansion"
    subpackages = sorted(p.name for p in package.iterdir() if (p / "__init__.py").exists())
    assert len(subpackages) >= 8
    missing = [name for name in subpackages if f"`{name}/`" not in page]
    assert not missing, missing
