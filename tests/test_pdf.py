"""The PDF edition, checked as a reader would: every chapter there, numbered as on the site, no
unresolved reference, every figure, fonts embedded, the book's version, no solutions.

These tests read ``_build/latex/dlnbook.pdf``, which ``make pdf`` builds (``make test`` builds it first).
Without it they skip, unless ``DLNBOOK_REQUIRE_PDF=1`` (set by ``make test`` where it could install TeX):
then they fail. The expected numbers come from the chapter sources, the way the site numbers them.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "latex" / "dlnbook.pdf"
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
# the sources the PDF is built from: a PDF older than any of them is stale
SOURCES = [*CHAPTERS, *(ROOT / "chapters").glob("*.md"), ROOT / "intro.md", ROOT / "_config.yml",
           ROOT / "_toc.yml", ROOT / "references.bib", ROOT / "dlnbook" / "__init__.py", *(ROOT / "_ext").glob("*.py")]
NUMBERED_BLOCKS = ("definition", "theorem", "proposition", "lemma", "corollary", "remark", "example")


@pytest.fixture(scope="module")
def pdf():
    missing = [tool for tool in ("pdfinfo", "pdftotext", "pdffonts", "pdfimages") if shutil.which(tool) is None]
    problem = None
    if not PDF.is_file():
        problem = "the PDF edition is not built: run `make pdf` (as root it installs TeX; `make test` does it)"
    elif missing:
        problem = f"poppler-utils is missing ({', '.join(missing)}): `make pdf` installs it as root"
    if problem:
        if os.environ.get("DLNBOOK_REQUIRE_PDF") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    stale = [str(p.relative_to(ROOT)) for p in SOURCES if p.stat().st_mtime > PDF.stat().st_mtime]
    assert not stale, f"the PDF is older than {stale}: run `make pdf`"
    return PDF


@pytest.fixture(scope="module")
def text(pdf):
    pages = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    return [page.replace("’", "'") for page in pages]


def _poppler(tool, pdf, *args):
    return subprocess.run([tool, *args, pdf], capture_output=True, text=True, check=True).stdout


def _markdown(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [("".join(cell["source"]), cell) for cell in cells]


def _title(path):
    if path.suffix == ".ipynb":
        source = "\n".join(text for text, cell in _markdown(path) if cell["cell_type"] == "markdown")
    else:
        source = path.read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", source, re.M).group(1).strip().replace("’", "'").replace("`", "")


def _toc_files():
    return [ROOT / "intro.md", *[ROOT / (line.split("file:")[1].strip())
                                 for line in (ROOT / "_toc.yml").read_text().splitlines() if "file:" in line]]


def _source_file(stem):
    return next(p for p in (stem.with_suffix(".ipynb"), stem.with_suffix(".md")) if p.is_file())


def _flat(page):
    return " ".join(page.split())


def _chapter_openings(text):
    """The pages that open a numbered chapter: "CHAPTER" over its number in words."""
    return [i for i, page in enumerate(text) if re.search(r"^\s*CHAPTER\s*\n\s*[A-Z]+\s*$", page, re.M)]


def test_every_title_is_in_the_contents_and_heads_its_pages(text):
    openings = _chapter_openings(text)
    assert len(openings) == len(CHAPTERS), "each numbered chapter opens a page of its own"
    contents = _flat(" ".join(text[:openings[0]]))
    body = [_flat(page) for page in text[openings[0]:]]
    for path in _toc_files():
        title = _title(_source_file(path.with_suffix("")))
        assert title in contents, f"{title!r} is not in the table of contents"
    for page, notebook in zip(openings, CHAPTERS):
        assert _title(notebook).upper() in _flat(text[page])
    for path in _toc_files():
        # unnumbered chapters too: the preface, the teacher's guide, the appendix
        assert any(_title(_source_file(path.with_suffix(""))).upper() in page.upper() for page in body + [contents])


def test_the_pdf_has_pages_for_every_chapter(pdf, text):
    pages = int(re.search(r"^Pages:\s+(\d+)", _poppler("pdfinfo", pdf), re.M).group(1))
    assert pages == len(text) - 1   # pdftotext ends every page with a form feed
    openings = _chapter_openings(text)
    # every chapter runs over several pages, and the appendix follows the last one
    assert all(b - a > 2 for a, b in zip(openings, openings[1:] + [pages]))


def test_no_unresolved_reference(text):
    unresolved = [i + 1 for i, page in enumerate(text) if "??" in page]
    assert unresolved == [], f"'??' (an unresolved reference) on pages {unresolved}"


def test_every_character_has_a_glyph(pdf):
    log = pdf.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log)))
    assert missing == [], f"characters dropped from the PDF for want of a glyph: {missing}"


def test_every_font_is_embedded(pdf):
    rows = _poppler("pdffonts", pdf).splitlines()[2:]
    assert rows, "pdffonts lists no fonts"
    # columns: name type encoding emb sub uni object ID; the name and type may hold spaces
    not_embedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not_embedded == []


def test_every_figure_outside_the_solutions_is_in_the_pdf(pdf):
    expected = 0
    for notebook in CHAPTERS:
        in_solution = False
        for source, cell in _markdown(notebook):
            if cell["cell_type"] == "markdown":
                in_solution = ("{solution-start}" in source or in_solution) and "{solution-end}" not in source
            elif not in_solution and "remove-output" not in cell["metadata"].get("tags", []):
                expected += sum("image/png" in output.get("data", {}) for output in cell.get("outputs", []))
    images = [line for line in _poppler("pdfimages", pdf, "-list").splitlines()[2:] if line.split()[2] == "image"]
    assert len(images) == expected


def test_blocks_equations_and_exercises_are_numbered_as_on_the_site(text):
    whole = "\n".join(text)
    for chapter, notebook in enumerate(CHAPTERS, 1):
        markdown = "\n".join(source for source, cell in _markdown(notebook) if cell["cell_type"] == "markdown")
        for kind in NUMBERED_BLOCKS + ("exercise",):
            directive = "exercise" if kind == "exercise" else f"prf:{kind}"
            count = len(re.findall(rf"^[`:]{{3,}}\{{{directive}\}}", markdown, re.M))
            found = {int(n) for n in re.findall(rf"{kind.capitalize()} {chapter}\.(\d+)", whole)}
            assert found == set(range(1, count + 1)), f"Chapter {chapter}: {kind}s {sorted(found)}, expected {count}"
        labelled = len(re.findall(r"\$\$\s*\([\w-]+\)\s*$", markdown, re.M))
        numbers = {int(n) for n in re.findall(rf"\({chapter}\.(\d+)\)\s*$", whole, re.M)}
        assert numbers == set(range(1, labelled + 1)), f"Chapter {chapter}: equations {sorted(numbers)}"


def test_each_explorable_is_a_captioned_figure(text):
    whole = " ".join(" ".join(page.split()) for page in text)
    for chapter, notebook in enumerate(CHAPTERS, 1):
        explorables = sum(source.count("explore(") for source, cell in _markdown(notebook) if cell["cell_type"] == "code")
        captions = re.findall(rf"Fig\. {chapter}\.\d+: Explorable: the sliders? sets?", whole)
        assert len(captions) == explorables, f"Chapter {chapter}"


def test_solutions_are_omitted_and_the_bibliography_is_complete(text):
    whole = " ".join(" ".join(page.split()) for page in text)
    assert "Solution to" not in whole
    keys = re.findall(r"^@\w+\{", (ROOT / "references.bib").read_text(encoding="utf-8"), re.M)
    first = next(i for i, page in enumerate(text) if re.search(r"^\s*BIBLIOGRAPHY\s*$", page, re.M))
    last = next(i for i, page in enumerate(text) if re.search(r"^\s*INDEX\s*$", page, re.M))
    bibliography = "\n".join(text[first:last])
    entries = re.findall(r"^\s*\[[A-Za-z]+\d{2}[a-z]?\]", bibliography, re.M)
    assert len(entries) == len(keys)


def test_the_title_page_shows_the_version(text):
    import dlnbook
    assert f"Release {dlnbook.__version__}" in " ".join(text[0].split())
