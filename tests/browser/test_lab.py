"""The chapters as a student runs them: a real JupyterLab from the venv, in headless Chromium.

Each chapter is opened as committed (its stored view must look intentional: figures, no dead or broken
widgets, MyST and the book's macros rendered), run with Run All (no error output), every control of
every explorable moved through all its values with the keyboard (the figure must change at each
move), then saved, its kernel shut down, and reopened (its figures must still show). The latency of
every move is written to ``_build/lab-report.json`` and summarized at the end; no test asserts a time.
"""

import json
import statistics

import pytest

from lab_driver import CHAPTERS, ROOT, Lab, command, errors, explorables, run_all, sliders, walk

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPORT = ROOT / "_build" / "lab-report.json"  # summarized by conftest.py
RAW_MYST = ("{prf:", "{eq}", "{cite", "{numref}", "{ref}", ":label:", "```{", ":::{")


@pytest.fixture(scope="module")
def lab(browser):
    with Lab() as lab:
        yield lab


@pytest.fixture(scope="module")
def latencies():
    data = {}
    yield data
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(data, indent=2))


def explorable_count(path):
    nb = json.loads(path.read_text())
    return sum("explore(" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_works_live(lab, browser, latencies, chapter):
    page = lab.open(browser, chapter.name)
    try:
        # as committed, before anything runs: rendered prose, static figures that say how to go live
        text = page.locator(".jp-MarkdownCell .myst, .jp-MarkdownCell .jp-MarkdownOutput").all_inner_texts()
        title = json.loads(chapter.read_text())["cells"][1]["source"][0].lstrip("# ").strip()
        assert any(title in block for block in text), f"the chapter's title {title!r} is not rendered"
        raw = sorted({token for block in text for token in RAW_MYST if token in block})
        assert raw == [], f"MyST markup shown as raw text: {raw}"
        assert page.locator(".katex-error, mjx-merror").count() == 0, "formulas that failed to render"
        assert page.locator("text=Error displaying widget").count() == 0
        expected = explorable_count(chapter)
        static = page.locator(".dlnbook-explore")
        assert static.count() == expected, "every explorable shows its stored figure before the notebook runs"
        for i in range(expected):
            assert static.nth(i).locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
            assert "Run this cell" in static.nth(i).inner_text()

        run_all(page)
        assert errors(page) == [], "Run All left error outputs"
        live = explorables(page)
        assert live.count() == expected
        for i in range(expected):
            explorable = live.nth(i)
            image = explorable.locator("img").first
            for k in range(sliders(explorable).count()):
                slider = sliders(explorable).nth(k)
                pixels = image.screenshot()
                moves, values = walk(page, explorable, slider)
                assert len(moves) >= 2 and len(set(values)) >= 2, f"explorable {i}, control {k} did not move"
                assert image.screenshot() != pixels or values[-1] == values[0], "the figure did not change"
                latencies[f"{chapter.stem} #{i} control {k}"] = moves
            assert errors(page) == [], f"moving explorable {i} raised an error"
        assert [m for m in page.console_errors if "control sequence" in m or "KaTeX" in m] == [], "TeX errors"

        # save, shut the kernel down, reopen: the figures are still there
        command(page, "docmanager:save")
        page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
        command(page, "kernelmenu:shutdown")
        page.wait_for_timeout(1000)
    finally:
        page.close()
    page = lab.open(browser, chapter.name)
    try:
        page.wait_for_timeout(2000)
        assert errors(page) == [], "the reopened notebook shows broken outputs"
        shown = page.locator(".dlnbook-explore-live img, .dlnbook-explore img")
        assert shown.count() == expected, "a reopened explorable shows no figure"
        for i in range(expected):
            assert shown.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    finally:
        page.close()

