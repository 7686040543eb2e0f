"""One version for the release: the library, pyproject, CITATION.cff and the CHANGELOG agree.

(The site's pages and the PDF take theirs from the library at build time; tests/test_pdf.py and
tests/browser/test_edition.py check them.)
"""

import re
import tomllib
from pathlib import Path

import yaml

import dlnbook

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_is_a_release_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+", dlnbook.__version__)


def test_pyproject_takes_the_version_from_the_library():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dlnbook.__version__"}


def test_the_citation_names_this_version_and_the_seed_paper():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "date-released"} <= set(citation)
    assert citation["version"] == dlnbook.__version__
    seed, = [ref for ref in citation["references"] if "arXiv:2502.11152" in str(ref.get("identifiers"))]
    assert [a["family-names"] for a in seed["authors"]] == ["Chen", "Jiang", "Wang"]
    assert "2502.11152" in (ROOT / "references.bib").read_text()   # the paper the book cites as the seed


def test_the_changelog_starts_with_this_release():
    first = re.search(r"^## (\S+) \((\d{4}-\d{2}-\d{2})\)", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert first and first.group(1) == dlnbook.__version__
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert str(citation["date-released"]) == first.group(2)
