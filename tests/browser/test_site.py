"""The rendered book, in a real headless browser with no network.

For every page: no failed request (anything not served by the book itself is blocked and counted,
and the server answers every request the browser makes, its icon included), no JavaScript console
error, math typeset by the site's own MathJax (no display formula wider than the text column), every
image loaded, every explorable control changes the displayed figure (drawn for high-density screens,
at a constant size), pages under 5 MB, and no serious or critical axe-core violation on the whole
page, the theme's header and sidebars included. The theme's buttons keep working. (The figures' text
size is checked in test_figures.py.)
"""

import re
import time
from pathlib import Path


AXE = Path(__file__).with_name("axe.min.js")

# visible text outside code, where raw TeX delimiters would mean MathJax did not typeset
VISIBLE_TEXT_JS = """() => {
  const root = document.querySelector('main') || document.body;
  const clone = root.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .dlnbook-explore').forEach(n => n.remove());
  return clone.innerText;
}"""

BROKEN_IMAGES_JS = """() => Array.from(document.images)
  .filter(img => !img.complete || img.naturalWidth === 0)
  .map(img => (img.currentSrc || img.src).slice(0, 120))"""

WEIGHT_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  return nav.encodedBodySize + resources.reduce((s, r) => s + r.encodedBodySize, 0);
}"""

# axe-core over the whole page
AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.map(n => n.target.join(' '))}));
}"""


# display formulas wider than the block that holds them, at the desktop viewport: (width, room, start of the text)
WIDE_FORMULAS_JS = """() => Array.from(document.querySelectorAll('mjx-container[display="true"]'))
  .filter(m => m.scrollWidth > m.clientWidth + 1 || m.getBoundingClientRect().width > m.parentElement.clientWidth + 1)
  .map(m => [m.scrollWidth, m.parentElement.clientWidth, m.parentElement.innerText.slice(0, 40)])"""


def test_the_book_was_built_with_its_pages(pages):
    assert "intro.html" in pages, f"no intro.html among the built pages: {pages}"
    assert any(p.startswith("chapters/") for p in pages), f"no chapter pages among {pages}"


def open_offline(browser, server, path, block=True):
    """Open a page with every request outside the book's own server blocked and recorded.

    With ``block=False`` off-site requests are recorded but not blocked: Playwright's blocking
    keeps Chromium from asking for the page's icon, which a first visit must show.
    """
    page = browser.new_page()
    failed, errors = [], []

    def off_site(url):
        return not (url.startswith(server) or url.startswith("data:"))

    def route(request_route):
        if off_site(request_route.request.url):
            failed.append(f"blocked off-site request: {request_route.request.url}")
            request_route.abort()
        else:
            request_route.continue_()

    if block:
        page.route("**/*", route)
    else:
        page.on("request", lambda r: off_site(r.url) and failed.append(f"off-site request: {r.url}"))
    page.on("requestfailed", lambda r: failed.append(f"failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"HTTP {r.status}: {r.url}"))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto(f"{server}/{path}", wait_until="networkidle")
    return page, failed, errors


def wait_for_mathjax(page):
    """Wait until the site's MathJax has typeset the page; return whether the page loads MathJax."""
    has_mathjax = page.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')")
    if has_mathjax:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=30000)
        page.evaluate("() => MathJax.startup.promise")
    return has_mathjax


def check_explorables(page):
    """Move every explorable control with the keyboard and check that the figure changes."""
    moved = 0
    roots = page.locator(".dlnbook-explore")
    for i in range(roots.count()):
        root = roots.nth(i)
        image = root.locator("img")
        inputs = root.locator("input[type=range]")
        assert inputs.count() > 0, f"explorable {i} has no controls"
        # drawn for high-density screens, and shown at its nominal width: its text keeps its size
        natural, shown = image.evaluate("img => [img.naturalWidth, img.clientWidth]")
        assert natural >= 2 * shown, f"explorable {i}: {natural} px drawn for {shown} px shown"
        assert shown == int(image.get_attribute("width")), f"explorable {i} is squeezed to {shown} px"
        sizes = {image.evaluate("img => [img.naturalWidth, img.naturalHeight]")[1]}
        for k in range(inputs.count()):
            control = inputs.nth(k)
            assert control.is_enabled(), f"explorable {i}, control {k} is still disabled: explore.js did not run"
            value, maximum = int(control.input_value()), int(control.get_attribute("max"))
            if maximum == 0:
                continue
            control.scroll_into_view_if_needed()
            src_before, pixels_before = image.get_attribute("src"), image.screenshot()
            control.focus()
            page.keyboard.press("ArrowRight" if value < maximum else "ArrowLeft")
            assert int(control.input_value()) != value, f"explorable {i}, control {k} did not move"
            image.evaluate("img => img.complete ? true : new Promise(r => { img.onload = img.onerror = r; })")
            assert image.evaluate("img => img.naturalWidth > 0"), f"explorable {i}: a frame did not load"
            assert image.get_attribute("src") != src_before, f"explorable {i}: control {k} left the frame unchanged"
            assert image.screenshot() != pixels_before, f"explorable {i}: control {k} left the pixels unchanged"
            sizes.add(image.evaluate("img => img.naturalHeight"))
            moved += 1
        assert len(sizes) == 1, f"explorable {i}: frames of different sizes {sizes} (the figure would jump)"
    return roots.count(), moved


def test_page_works_offline(browser, server, responses, report, screenshots, path):
    start, first_response = time.perf_counter(), len(responses)
    page, failed, errors = open_offline(browser, server, path)
    try:
        has_mathjax = wait_for_mathjax(page)
        formulas = page.locator(".math").count()  # Sphinx marks every formula with class "math"
        if formulas:
            assert has_mathjax, "the page has formulas but does not load MathJax"
            assert page.locator(".math mjx-container").count() == formulas, "formulas MathJax did not typeset"
            assert page.locator("mjx-merror").count() == 0, "MathJax reported a TeX error (an undefined macro?)"
            wide = page.evaluate(WIDE_FORMULAS_JS)
            assert wide == [], f"display formulas wider than the text column (cut off or scrolled): {wide}"
        text = page.evaluate(VISIBLE_TEXT_JS)
        for delimiter in ("$$", "\\(", "\\[", "\\begin{"):
            assert delimiter not in text, f"raw TeX {delimiter!r} left in the page text"
        # everything the typeset page asked for (MathJax fonts come after the load event), then images
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.wait_for_function("() => Array.from(document.images).every(img => img.complete)", timeout=30000)
        assert page.evaluate(BROKEN_IMAGES_JS) == [], "images that did not load"
        weight = page.evaluate(WEIGHT_JS)  # what a reader downloads to see the page (frames come on demand)
        explorables, moved = check_explorables(page)

        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(AXE_JS)
        if path == "intro.html" or path.startswith("chapters/"):
            page.screenshot(path=str(screenshots / (path.replace("/", "_")[:-5] + ".png")), full_page=True)
        report[path] = {
            "bytes": weight, "explorables": explorables, "controls_moved": moved,
            "axe_serious": sum(v["impact"] == "serious" for v in violations),
            "axe_critical": sum(v["impact"] == "critical" for v in violations),
            "axe": violations, "seconds": round(time.perf_counter() - start, 2),
        }
        assert weight < 5e6, f"the page weighs {weight / 1e6:.2f} MB, more than 5 MB"
        assert failed == [], "requests that failed or left the site"
        assert [r for r in responses[first_response:] if r[1] >= 400] == [], "requests the server could not answer"
        assert errors == [], "JavaScript console errors"
        severe = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert severe == [], "serious or critical accessibility violations"
    finally:
        page.close()


def test_a_first_visit_is_clean(fresh_browser, server, responses, path):
    """A reader's first visit: the browser asks for the page's icon and gets it, and neither the
    server nor the console reports an error."""
    import urllib.request

    first_response = len(responses)
    page, failed, errors = open_offline(fresh_browser, server, path, block=False)
    try:
        icons = page.eval_on_selector_all("link[rel='icon']", "links => links.map(link => link.href)")
        wanted = icons[0][len(server):] if icons else "/favicon.ico"  # where browsers look without a link
        deadline = time.monotonic() + 15
        while wanted not in [p for p, _ in responses[first_response:]] and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert [r for r in responses[first_response:] if r[1] >= 400] == [], "requests the server could not answer"
        assert failed == [], "requests that failed or left the site"
        assert errors == [], "JavaScript console errors"
        assert len(icons) == 1, f"the page links {icons} as its icon"
        icon = icons[0]
        asked = [p for p, status in responses[first_response:] if p.endswith(".ico")]
        # (index.html only redirects: the browser asks it for /favicon.ico, then the chapter for its icon)
        assert icon[len(server):] in asked, f"the browser asked for {asked}, the page links {icon}"
        for url in (icon, f"{server}/favicon.ico"):  # the root is where other browsers and tools look
            with urllib.request.urlopen(url) as answer:
                assert answer.status == 200 and answer.read(4) == b"\x00\x00\x01\x00", f"{url} is not an icon"
    finally:
        page.close()


def _accessible_name(locator):
    """The name Chromium's accessibility tree gives an element (its aria snapshot's first line)."""
    # '- button "Name"', '- button "Name": its text' where they differ, quoted when the name has a colon
    return re.match(r"""- '?\w+ "(.*?)"(?:'?:|$)""", locator.aria_snapshot().splitlines()[0]).group(1)


def _words(text):
    return re.findall(r"\w+", text)


def test_the_theme_buttons_are_named_by_what_they_show_and_work(browser, server):
    page, failed, errors = open_offline(browser, server, "intro.html")
    try:
        search = page.locator("header .search-button__button:visible")
        assert _words(search.inner_text()) == _words(_accessible_name(search)) == ["Search", "Ctrl", "K"]
        search.click()
        page.locator("#pst-search-dialog[open] input[name=q]").fill("balancedness")
        page.keyboard.press("Enter")
        page.wait_for_selector("#search-results ul.search li", timeout=30000)
        assert "search.html?q=balancedness" in page.url

        switch = page.locator(".theme-switch-button:visible")
        for _ in range(3):  # the theme cycles through three modes
            mode = page.evaluate("() => document.documentElement.dataset.mode")
            icon = switch.locator(f"[data-mode='{mode}']")
            assert icon.is_visible() and switch.locator(":scope > :visible").count() == 1
            assert _accessible_name(switch) == icon.evaluate("i => i.querySelector('title').textContent")
            assert _accessible_name(switch).startswith("Color mode: ")
            switch.click()
            assert page.evaluate("() => document.documentElement.dataset.mode") != mode
        assert failed == [] and errors == []
    finally:
        page.close()


def test_search_works_offline(browser, server):
    page, failed, errors = open_offline(browser, server, "search.html?q=balancedness")
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=30000)
        assert page.locator("#search-results ul.search li").count() > 0
        assert failed == [] and errors == []
    finally:
        page.close()


def test_chapters_offer_their_notebook_and_no_dead_launch_buttons(browser, server, pages):
    import urllib.request

    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "_config.yml").read_text())
    repository = (config.get("repository") or {}).get("url")
    for path in [p for p in pages if p.startswith("chapters/") and p[9:11].isdigit()]:
        page, failed, errors = open_offline(browser, server, path)
        try:
            notebooks = page.eval_on_selector_all("a[href$='.ipynb']", "links => links.map(a => a.href)")
            assert any(link.endswith(path.replace(".html", ".ipynb")) for link in notebooks), notebooks
            for link in notebooks:
                if link.startswith(server):
                    assert urllib.request.urlopen(link).status == 200, link
            launch = page.locator("a[href*='mybinder.org'], a[href*='colab.research.google.com']").count()
            assert (launch > 0) == bool(repository), (
                f"{launch} launch buttons with repository.url = {repository!r}: they need the repository")
        finally:
            page.close()


# Works with neither a DOI nor an arXiv identifier (a 1963 conference volume, a 1998 journal issue
# and a 2004 conference paper); each still gives its volume or pages.
UNIDENTIFIED = {"lojasiewicz1963", "kurdyka1998", "srebro2005"}


def test_the_bibliography_links_every_work(browser, server):
    """Every entry of references.bib is on the bibliography page with a link to its DOI or arXiv
    record, except the few works that have neither; no TeX markup is left in the entries."""
    from pybtex.database import parse_file

    entries = parse_file(Path(__file__).resolve().parents[2] / "references.bib").entries
    page, failed, errors = open_offline(browser, server, "chapters/bibliography.html")
    try:
        links = set(page.eval_on_selector_all(".citation a", "links => links.map(a => a.href)"))
        text = page.locator(".citation-list").inner_text()
        assert page.locator(".citation").count() == len(entries)
        unidentified = set()
        for key, entry in entries.items():
            fields = {name.lower(): value for name, value in entry.fields.items()}
            wanted = ([f"https://doi.org/{fields['doi']}"] if "doi" in fields else []) + \
                     ([f"https://arxiv.org/abs/{fields['eprint']}"] if "eprint" in fields else [])
            if not wanted:
                unidentified.add(key)
            assert set(wanted) <= links, f"{key}: {set(wanted) - links} not linked"
        assert unidentified == UNIDENTIFIED
        assert not re.search(r"[$\\^{}]", text), "TeX markup printed in the bibliography"
        assert failed == [] and errors == []
    finally:
        page.close()
