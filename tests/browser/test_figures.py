"""Every figure of every chapter, as the rendered book shows it in a desktop window: legible.

A figure is an image in a code cell's output: a static figure, or the frame an explorable shows (its
controls are checked in test_site.py). It must be
drawn for high-density screens (at least twice as many pixels as it is shown wide), and its smallest
text, as shown, must be no smaller than its caption: the figure's figcaption if it has one, else the
paragraph that follows its cell and begins with "Figure" (the book's convention for static figures),
else the page's body text. The smallest text is what the figure itself recorded when it was drawn
(``dlnbook.explore.use_book_figures`` and ``dlnbook.explore.explore`` write it in the PNG): its size
in points times the PNG's dpi over 72 gives its height in image pixels, scaled by the shown width over
the image width.
"""

import io
import json
from pathlib import Path

import PIL.Image

from dlnbook.explore import SMALLEST_TEXT_KEY

REPORT = Path(__file__).resolve().parents[2] / "_build" / "figures-report.json"

FIGURES_JS = """() => Array.from(document.querySelectorAll('.cell_output img'))
  .map(img => {
    const cell = img.closest('.cell');
    let next = cell.nextElementSibling;
    while (next && next.tagName !== 'P' && !next.classList.contains('cell')) next = next.nextElementSibling;
    const figure = img.closest('figure');
    const caption = (figure && figure.querySelector('figcaption'))
      || (next && next.tagName === 'P' && next.innerText.trim().startsWith('Figure') ? next : null);
    const body = document.querySelector('#main-content p');
    const text = caption ? (caption.querySelector('em') || caption) : body;
    return {src: img.currentSrc, alt: img.alt.slice(0, 50), natural: img.naturalWidth, shown: img.clientWidth,
            column: cell.clientWidth, caption: !!caption, caption_px: parseFloat(getComputedStyle(text).fontSize)};
  })"""


def measure(browser, server, path):
    page = browser.new_page()
    try:
        page.goto(f"{server}/{path}", wait_until="networkidle")
        page.wait_for_function("() => Array.from(document.images).every(img => img.complete)", timeout=30000)
        figures = page.evaluate(FIGURES_JS)
        for figure in figures:
            png = PIL.Image.open(io.BytesIO(page.request.get(figure["src"]).body()))
            figure["dpi"] = round(png.info["dpi"][0]) if "dpi" in png.info else None
            recorded = png.info.get(SMALLEST_TEXT_KEY)
            figure["smallest_pt"] = float(recorded) if recorded not in (None, "none") else recorded
        return figures
    finally:
        page.close()


def problems(figure):
    """What makes a figure illegible, in words (empty when it is fine); fills in the text it implies."""
    if figure["smallest_pt"] is None or figure["dpi"] is None:
        return ["it does not record its smallest text and dpi: draw it after dlnbook.explore.use_book_figures()"]
    found = []
    if figure["natural"] < 2 * figure["shown"]:
        found.append(f"{figure['natural']} px drawn for {figure['shown']} px shown (high-density screens need 2×)")
    if figure["smallest_pt"] != "none":
        figure["text_px"] = round(figure["smallest_pt"] * figure["dpi"] / 72 * figure["shown"] / figure["natural"], 2)
        if figure["text_px"] < figure["caption_px"]:
            found.append(f"its smallest text ({figure['smallest_pt']:g} pt) is shown {figure['text_px']} px high, "
                         f"smaller than its caption ({figure['caption_px']} px)")
    return found


def test_every_figure_is_legible(browser, server, pages):
    chapters = [p for p in pages if p.startswith("chapters/") and p[9:11].isdigit()]
    assert chapters, f"no chapter pages among {pages}"
    measured, failures = {}, []
    for path in chapters:
        measured[path] = measure(browser, server, path)
        for figure in measured[path]:
            failures += [f"{path}, figure '{figure['alt']}…': {p}" for p in problems(figure)]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(measured, indent=2))
    shown = [figure for figures in measured.values() for figure in figures]
    assert shown, "no figures found in the chapters"
    assert sum("/explore/" in figure["src"] for figure in shown) >= 4, "the explorables' frames were not measured"
    assert failures == [], "\n".join(failures)
