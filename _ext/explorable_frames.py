"""Explorable figures on the site: their frames as image files, fetched when a reader moves a control.

A notebook stores every frame of an explorable inline (base64 in its ``text/html`` output), which is
what JupyterLab and other viewers need. On the site that would make each page download every frame of
every explorable before showing anything. This extension writes each frame once to
``_images/explore/<hash>.png`` and leaves the page a list of their addresses: the page loads the
starting frame, and ``explore.js`` fetches the others on demand (all of one figure at the first touch
of its controls, so moves stay instant).

The site never renders ipywidgets views (they need a kernel), so the widget state myst-nb embeds in
every page is dropped too.
"""

import base64
import hashlib
import json
import re
from pathlib import Path

PAYLOAD = re.compile(r'(<div class="dlnbook-explore">.*?)<script type="application/json">(.*?)</script>', re.S)
START_IMAGE = re.compile(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"')
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _frames_as_files(app, pagename, templatename, context, doctree):
    if "body" not in context or "dlnbook-explore" not in context["body"]:
        return
    folder = Path(app.outdir) / "_images" / "explore"
    folder.mkdir(parents=True, exist_ok=True)

    def to_file(frame):
        png = base64.b64decode(frame)
        name = hashlib.sha256(png).hexdigest()[:20] + ".png"
        if not (folder / name).exists():
            (folder / name).write_bytes(png)
        return context["pathto"](f"_images/explore/{name}", 1)

    def replace(match):
        data = json.loads(match.group(2).replace("<\\/", "</"))
        data["frames"] = [to_file(frame) for frame in data["frames"]]
        start = data["frames"][_start_index(data)]
        figure = START_IMAGE.sub(f'<img src="{start}"', match.group(1), count=1)
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        return f'{figure}<script type="application/json">{payload}</script>'

    context["body"] = PAYLOAD.sub(replace, context["body"])


def _start_index(data):
    index = 0
    for size, start in zip(data["sizes"], data["start"]):
        index = index * size + start
    return index


def _drop_widget_state(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is not None:
        context["script_files"] = [s for s in scripts if getattr(s, "attributes", {}).get("type") != WIDGET_STATE]


def setup(app):
    app.connect("html-page-context", _frames_as_files, priority=900)
    app.connect("html-page-context", _drop_widget_state, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
