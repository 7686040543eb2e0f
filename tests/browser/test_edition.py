"""Every page of the built site names the book's version and links its PDF edition.

The version is the library's ``dlnbook.__version__``; the PDF is the one ``make pdf`` built. The link is
required where the PDF could be built (``DLNBOOK_REQUIRE_PDF=1``, set by ``make test`` as root).
"""

import os
import re
import urllib.parse
import urllib.request

import pytest

import dlnbook


def _book_pages(server, pages):
    """The pages with content: not index.html, which only redirects to the preface."""
    for path in pages:
        page = urllib.request.urlopen(f"{server}/{path}").read().decode("utf-8")
        if not page.lstrip().startswith('<meta http-equiv="Refresh"'):
            yield path, page


def _footer(path, page):
    match = re.search(r'<p class="book-edition">(.*?)</p>', page, re.S)
    assert match, f"{path} has no edition line in its footer"
    return match.group(1)


def test_every_page_shows_the_version(server, pages):
    book = dict(_book_pages(server, pages))
    assert len(book) >= len(pages) - 1
    for path, page in book.items():
        assert f"Version {dlnbook.__version__}" in _footer(path, page), path


def test_every_page_links_the_pdf_edition(server, pages):
    links = {path: re.search(r'<a class="book-pdf" href="([^"]+)">PDF edition</a>', _footer(path, page))
             for path, page in _book_pages(server, pages)}
    if os.environ.get("DLNBOOK_REQUIRE_PDF") != "1" and not any(links.values()):
        pytest.skip("no PDF edition was built here (no XeLaTeX), so the site has no link to one")
    for path, link in links.items():
        assert link, f"{path} does not link the PDF edition"
        response = urllib.request.urlopen(urllib.parse.urljoin(f"{server}/{path}", link.group(1)))
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.read(5) == b"%PDF-", path
