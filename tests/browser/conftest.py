"""Fixtures for the rendered-site tests: the built book served on 127.0.0.1, and headless Chromium.

These tests need `_build/html` (``make test`` builds it first) and Debian's ``chromium``
(``make test`` installs it with apt-get when it runs as root). Without a browser they skip, unless
``DLNBOOK_REQUIRE_BROWSER=1`` (set by ``make test`` where it could install one): then they fail.
"""

import contextlib
import functools
import http.server
import json
import os
import shutil
import statistics
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
REPORT = ROOT / "_build" / "site-report.json"
LAB_REPORT = ROOT / "_build" / "lab-report.json"  # written by test_lab.py
SCREENSHOTS = ROOT / "_build" / "screenshots"

# flags that keep Chromium from reaching for the network on its own
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def site_pages():
    """Every page of the built book, relative to the site root."""
    if not SITE.is_dir():
        return []
    return sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
                  if not p.relative_to(SITE).parts[0].startswith("_"))


def pytest_generate_tests(metafunc):
    if "path" in metafunc.fixturenames:
        metafunc.parametrize("path", site_pages())


@pytest.fixture(scope="session")
def pages():
    return site_pages()


@pytest.fixture(scope="session")
def screenshots():
    """Full-page screenshots of the chapters land here (not committed: look at them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site quietly and records every answer: the browser's own requests (the page's
    icon, /favicon.ico) never reach the page's network events, so a 404 for them shows only here."""

    def log_message(self, *args):
        pass

    def log_request(self, code="-", size="-"):
        self.server.responses.append((self.path, int(code)))


@pytest.fixture(scope="session")
def site_server():
    if not (SITE / "index.html").is_file():
        pytest.fail("the book is not built: run `make book` (or `make test`, which builds it) first")
    handler = functools.partial(_RecordingHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.responses = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


@pytest.fixture(scope="session")
def server(site_server):
    """The address of the served site."""
    return f"http://127.0.0.1:{site_server.server_address[1]}"


@pytest.fixture(scope="session")
def responses(site_server):
    """Every (path, HTTP status) the site's server answered, in order."""
    return site_server.responses


@pytest.fixture(scope="session")
def chromium():
    """Playwright's Chromium driver and Debian's browser, or a skip (a failure where required)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    reason = None
    if executable is None:
        reason = "Debian's chromium is not installed (`apt-get install chromium`, which `make test` does as root)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "the Python package playwright is not installed (it is in requirements.txt)"
    if reason:
        if os.environ.get("DLNBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests cannot run: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    with sync_playwright() as playwright:
        yield functools.partial(_launch, playwright, executable)


@contextlib.contextmanager
def _launch(playwright, executable):
    with tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})
        yield context
        context.close()


@pytest.fixture(scope="session")
def browser(chromium):
    """One browser, with a fresh profile, for the whole session."""
    with chromium() as context:
        yield context


@pytest.fixture
def fresh_browser(chromium):
    """A browser with an empty profile and cache: a reader's first visit."""
    with chromium() as context:
        yield context


@pytest.fixture(scope="session")
def report():
    """Per-page measurements, written to _build/site-report.json and summarized at the end."""
    data = {}
    yield data
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(data, indent=2, sort_keys=True))


def pytest_terminal_summary(terminalreporter):
    if LAB_REPORT.is_file():
        terminalreporter.section("live explorables in JupyterLab: key press to new figure, ms")
        for name, moves in json.loads(LAB_REPORT.read_text()).items():
            terminalreporter.write_line(f"{name:42s} moves {len(moves):3d}  median {statistics.median(moves):7.1f}"
                                        f"  worst {max(moves):7.1f}")
    if not REPORT.is_file():
        return
    data = json.loads(REPORT.read_text())
    if not data:
        return
    terminalreporter.section("rendered site")
    terminalreporter.write_line(f"{'page':45s} {'weight':>9s} {'explorables':>12s} {'axe serious':>12s} "
                                f"{'axe critical':>13s} {'load s':>7s}")
    for page, row in sorted(data.items()):
        terminalreporter.write_line(
            f"{page:45s} {row['bytes'] / 1e6:8.2f}M {row['explorables']:12d} {row['axe_serious']:12d} "
            f"{row['axe_critical']:13d} {row['seconds']:7.2f}")
