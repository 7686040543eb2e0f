"""Static checks of the chapter notebooks: what nbval's output comparison cannot see.

Figures must be readable without the picture (alt text) and on a dark page (opaque), every widget
cell must use the explorable-figure mechanism (a raw ipywidgets cell is dead on the static site),
and every cell must have been executed without error.
"""

import base64
import io
import json
import pathlib
import re

import nbformat
import PIL.Image
import pytest

CHAPTERS = sorted((pathlib.Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))


def code_cells(path):
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def pngs(cell):
    """Every PNG a cell shows: static figures and the frames of explorable figures."""
    for output in cell.outputs:
        data = output.get("data", {})
        if "image/png" in data:
            yield base64.b64decode(data["image/png"])
        match = re.search(r'<script type="application/json">(.*)</script>', data.get("text/html", ""))
        if match:
            yield from (base64.b64decode(frame) for frame in json.loads(match.group(1))["frames"])


def test_there_are_chapters():
    assert len(CHAPTERS) >= 2, CHAPTERS


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_cell_ran_without_error(path):
    for cell in code_cells(path):
        assert cell.execution_count is not None, f"a code cell was never executed:\n{cell.source[:200]}"
        assert not any(o.output_type == "error" for o in cell.outputs), f"a cell failed:\n{cell.source[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_figures_have_alt_text(path):
    for cell in code_cells(path):
        for output in cell.outputs:
            data = output.get("data", {})
            if "text/html" in data and "dlnbook-explore" in data["text/html"]:
                assert re.search(r'<img [^>]*alt="[^"]{20,}"', data["text/html"]), "an explorable without alt text"
            elif "image/png" in data:
                alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
                assert len(alt) >= 20, f"a figure without alt text (cell metadata mystnb.image.alt):\n{cell.source[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_figures_are_opaque_so_dark_mode_keeps_them_readable(path):
    for cell in code_cells(path):
        for png in pngs(cell):
            image = PIL.Image.open(io.BytesIO(png)).convert("RGBA")
            assert image.getextrema()[3][0] == 255, f"a figure with transparent pixels:\n{cell.source[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_widgets_use_the_explorable_mechanism(path):
    for cell in code_cells(path):
        assert not re.search(r"\binteract(ive)?\s*\(|ipywidgets", cell.source), (
            f"a raw ipywidgets cell (dead on the static site); use dlnbook.explore:\n{cell.source[:200]}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_figures_are_drawn_inline(path):
    # `make` exports MPLBACKEND=agg for reproducibility; without this line a chapter stores no figures
    cells = code_cells(path)
    if any("matplotlib" in cell.source for cell in cells):
        assert cells[0].source.startswith("%matplotlib inline"), "the first code cell must start with %matplotlib inline"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_at_least_three_exercises(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    assert len(re.findall(r"```\{exercise\}", text)) >= 3
