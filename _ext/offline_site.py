"""Keep the rendered book self-contained and accessible.

The book does not use live code cells (thebe): readers run the notebooks in JupyterLab, and the
site has no kernel. Jupyter Book still adds thebe's configuration script to every page, twice (a
JavaScript error: a `const` declared twice), pointing at a CDN. This extension drops those scripts.

Launch buttons (Binder, Colab) need the book's public repository: `repository.url` in _config.yml.
While it is unset they are removed, so the site never shows buttons that lead nowhere (Jupyter Book
would otherwise point them at its own repository).

Docutils marks the bibliography as ``role="list"`` without list items, which screen readers
announce as an empty list; the citations read better as plain entries. The folded code cells
(``hide-input``) label their toggle "Toggle hidden content" while it shows "Show code cell source":
a screen reader should announce what a sighted reader sees, so the visible text is the name.
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


def _toggles_named_by_their_text(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = context["body"].replace('<summary aria-label="Toggle hidden content">', "<summary>")


def _launch_buttons_need_a_repository(app, config):
    options = config.html_theme_options
    if not options.get("repository_url"):
        for service in ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url"):
            options.get("launch_buttons", {})[service] = ""


def setup(app):
    app.connect("config-inited", _launch_buttons_need_a_repository)
    app.connect("html-page-context", _drop_thebe_scripts, priority=900)
    app.connect("html-page-context", _plain_citation_lists, priority=900)
    app.connect("html-page-context", _toggles_named_by_their_text, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
