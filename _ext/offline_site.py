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
The theme's buttons get the same treatment once the pages are written (they come from its
templates, not the page body): the search button is named by its text ("Search Ctrl+K"), and the
colour-mode button by its visible icon, whose title now says both what it is and the mode it shows
("Color mode: Dark"); the theme's fixed labels ("Search", "Color mode") hid that text.

The book's icon is drawn here (a chain of three nodes: a deep linear network) and written to the
site's root as favicon.ico, where browsers ask for it, and linked from every page.
"""

import io
import re
from pathlib import Path


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


def _draw_favicon(path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch
    from PIL import Image

    figure = Figure(figsize=(1, 1), dpi=256)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1), xlim=(0, 1), ylim=(0, 1))
    axes.set_axis_off()
    axes.add_patch(FancyBboxPatch((0.03, 0.03), 0.94, 0.94, boxstyle="round,pad=0,rounding_size=0.2",
                                  color="#0b5563"))
    nodes_x, nodes_y = (0.23, 0.5, 0.77), (0.23, 0.5, 0.77)
    axes.plot(nodes_x, nodes_y, color="white", linewidth=4.5)
    axes.scatter(nodes_x, nodes_y, s=220, color="white", zorder=3)
    png = io.BytesIO()
    figure.savefig(png, format="png", transparent=True)
    Image.open(png).save(path, sizes=[(16, 16), (32, 32), (48, 48), (64, 64)])


def _favicon(app):
    if app.builder.format != "html" or app.config.html_favicon:
        return
    icon = Path(app.outdir) / "favicon.ico"
    icon.parent.mkdir(parents=True, exist_ok=True)
    _draw_favicon(icon)
    app.config.html_favicon = str(icon)  # Sphinx copies it to _static and links it from every page


_SEARCH_BUTTON = re.compile(r'(<button class="btn search-button-field [^>]*?) aria-label="[^"]*"')
_COLOR_MODE_BUTTON = re.compile(r'<button class="[^"]*theme-switch-button[^"]*"[^>]*?'
                                r' aria-label="(?P<label>[^"]*)".*?</button>', re.S)


def _color_mode_named_by_its_icon(match):
    label = match["label"]
    button = match[0].replace(f' aria-label="{label}"', "", 1)
    return re.sub(r'(<i class="theme-switch [^>]*title=")', rf"\g<1>{label}: ", button)


def _theme_buttons_named_by_their_text(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        fixed = _COLOR_MODE_BUTTON.sub(_color_mode_named_by_its_icon, _SEARCH_BUTTON.sub(r"\1", html))
        if fixed != html:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("config-inited", _launch_buttons_need_a_repository)
    app.connect("html-page-context", _drop_thebe_scripts, priority=900)
    app.connect("html-page-context", _plain_citation_lists, priority=900)
    app.connect("html-page-context", _toggles_named_by_their_text, priority=900)
    app.connect("builder-inited", _favicon)
    app.connect("build-finished", _theme_buttons_named_by_their_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
