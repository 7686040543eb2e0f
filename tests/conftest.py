"""Markers that follow from where a test comes from; the test files mark the rest themselves.

* a chapter notebook run by nbval: ``notebooks``;
* a docstring example of dlnbook: ``unit``;
* a test under ``tests/browser``: ``browser``;
* a hypothesis test: ``property``.

The markers are registered in pytest.ini (``--strict-markers``); ``make test-fast`` deselects
``notebooks``, ``classroom``, ``browser`` and ``slow``.
"""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
        elif isinstance(item, pytest.DoctestItem):
            item.add_marker(pytest.mark.unit)
        elif "browser" in item.path.parent.parts[-1:]:
            item.add_marker(pytest.mark.browser)
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)
