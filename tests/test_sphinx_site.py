"""The documentation site builds with Sphinx, warnings as errors (every page's Python
examples run during the build, docs/_ext/run_examples.py)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_site_builds_with_warnings_as_errors(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
                           str(ROOT / "docs"), str(tmp_path / "html")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    html = (tmp_path / "html" / "reference.html").read_text()
    assert "count_labeled_trees" in html and "render_longtable" in html  # the API reference is generated
    assert (tmp_path / "html" / "latex.html").exists() and (tmp_path / "html" / "json.html").exists()
