"""Keep the rendered book self-contained and accessible.

The book does not use live code cells (thebe): readers run the notebooks in JupyterLab, and the
site has no kernel. Jupyter Book still adds thebe's configuration script to every page, twice (a
JavaScript error: a `const` declared twice), pointing at a CDN. This extension drops those scripts.

Docutils marks the bibliography as ``role="list"`` without list items, which screen readers
announce as an empty list; the citations read better as plain entries.
"""


def _drop_thebe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is None:
        return
    context["script_files"] = [
        script for script in scripts
        if "sphinx-thebe" not in str(script) and "THEBE_JS_URL" not in script.attributes.get("body", "")
    ]


def _plain_citation_lists(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = context["body"].replace('<div role="list" class="citation-list">',
                                                  '<div class="citation-list">')


def setup(app):
    app.connect("html-page-context", _drop_thebe_scripts, priority=900)
    app.connect("html-page-context", _plain_citation_lists, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
