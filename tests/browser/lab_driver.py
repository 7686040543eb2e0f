"""A real JupyterLab, from the venv, driven in headless Chromium: what a student does with a chapter.

:class:`Lab` starts ``jupyter lab`` on 127.0.0.1 over a scratch copy of the chapters (running and
saving must not touch the committed notebooks), with the venv's settings (MyST, widget state saved
with the notebook). Pages open a chapter, run it, move the explorables' sliders with the keyboard and
time each move from the key press to the new figure. Used by ``test_lab.py`` and
``benchmarks/live_explorables.py``.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))

# The whole notebook in the DOM (JupyterLab 4 otherwise renders only the cells near the viewport).
USER_SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
                 "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                                     "checkForUpdates": False}}

# The outputs of the current notebook, read from its model: [(cell index, output type, text)].
OUTPUTS_JS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.context.model.cells;
  const found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    for (const output of cell.toJSON().outputs) {
      found.push([i, output.output_type, output.ename ? output.ename + ': ' + output.evalue : (output.text || '')]);
    }
  }
  return found;
}"""

BUSY_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  const prompts = Array.from(panel.node.querySelectorAll('.jp-InputArea-prompt')).map(p => p.textContent);
  return !kernel || kernel.status !== 'idle' || prompts.some(p => p.includes('*'));
}"""

# Time from the next key press to the next change of the figure, measured in the page.
ARM_JS = """(img) => {
  window.__dlnbookMove = {pressed: null, changed: null};
  document.addEventListener('keydown', () => { if (window.__dlnbookMove.pressed === null)
    window.__dlnbookMove.pressed = performance.now(); }, {capture: true, once: true});
  const observer = new MutationObserver(() => { observer.disconnect();
    window.__dlnbookMove.changed = performance.now(); });
  observer.observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """``jupyter lab`` over a scratch copy of the chapters; a context manager."""

    def __init__(self, notebooks=CHAPTERS):
        self.notebooks = list(notebooks)

    def __enter__(self):
        self.scratch = Path(tempfile.mkdtemp(prefix="dlnbook-lab-"))
        self.root = self.scratch / "chapters"
        self.root.mkdir()
        for path in self.notebooks:
            shutil.copy(path, self.root / path.name)
        settings = self.scratch / "settings"
        for name, values in USER_SETTINGS.items():
            target = settings / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "JUPYTER_CONFIG_DIR": str(self.scratch / "config")}
        self.log = open(self.scratch / "server.log", "w")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyter"), "lab", "--allow-root", "--no-browser",
             f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.token=",
             "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={self.root}",
             "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={settings}",
             f"--LabApp.workspaces_dir={self.scratch / 'workspaces'}"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=self.root)
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/api/status", timeout=2)
                return self
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    raise RuntimeError("jupyter lab did not start:\n" + (self.scratch / "server.log").read_text())
                time.sleep(0.5)

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def open(self, context, name):
        """A page showing the notebook ``name`` in a fresh workspace."""
        page = context.new_page()
        page.console_errors = []  # from the first render on: MyST reports undefined macros here
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        page.goto(f"{self.url}/lab/workspaces/w{time.monotonic_ns()}/tree/{name}?reset")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.context"
                               " && window.jupyterapp.shell.currentWidget.context.isReady", timeout=120000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60000)
        page.wait_for_timeout(1500)  # markdown and outputs render after the model is ready
        return page


def command(page, name, args=None):
    return page.evaluate("([name, args]) => window.jupyterapp.commands.execute(name, args || {})", [name, args])


def run_all(page, timeout=1200):
    """Run › Run All Cells, then wait until every cell has run and the kernel is idle."""
    page.wait_for_function("() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
                           " return s.session && s.session.kernel && s.session.kernel.status === 'idle'; }",
                           timeout=120000)
    command(page, "notebook:run-all-cells")
    page.wait_for_timeout(1000)
    page.wait_for_function(f"() => !({BUSY_JS})()", timeout=timeout * 1000, polling=500)


def errors(page):
    """Error outputs of the open notebook, and widgets that failed to display."""
    found = [f"cell {i}: {text}" for i, kind, text in page.evaluate(OUTPUTS_JS) if kind == "error"]
    failed = page.locator("text=Error displaying widget").count()
    return found + ([f"{failed} widgets failed to display"] if failed else [])


def explorables(page):
    """The live explorables of the page (ipywidgets views)."""
    return page.locator(".dlnbook-explore-live")


def sliders(explorable):
    return explorable.locator(".widget-slider")


def readout(slider):
    readout = slider.locator(".widget-readout")
    return readout.input_value() if readout.evaluate("e => 'value' in e") else readout.inner_text()


def move(page, explorable, slider, key, timeout=30):
    """Press ``key`` on a slider; return (milliseconds from the key press to the new figure, new readout).

    Returns None when the slider is already at the end of its range (its readout does not change);
    raises if the readout changes but the figure does not.
    """
    image = explorable.locator("img").first
    before = readout(slider)
    handle = slider.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    image.evaluate(ARM_JS)
    page.keyboard.press(key)
    deadline = time.monotonic() + 1.0  # the readout follows the key at once, in the page
    while readout(slider) == before:
        if time.monotonic() > deadline:
            return None
        page.wait_for_timeout(20)
    page.wait_for_function("() => window.__dlnbookMove.changed !== null", timeout=timeout * 1000)
    timing = page.evaluate("() => window.__dlnbookMove")
    return timing["changed"] - timing["pressed"], readout(slider)


def walk(page, explorable, slider):
    """Move a slider through all its values: right to the end, then left to the start.

    Returns the latency of every move in milliseconds, and the readouts seen.
    """
    latencies, values = [], [readout(slider)]
    for key in ("ArrowRight", "ArrowLeft"):
        while (moved := move(page, explorable, slider, key)) is not None:
            latencies.append(moved[0])
            values.append(moved[1])
    return latencies, values
