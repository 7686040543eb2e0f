"""How fast do the chapters' explorables follow the keyboard in a real JupyterLab?

For every explorable of every chapter, in JupyterLab from the venv driven by headless Chromium (see
``tests/browser/lab_driver.py``): Run All, then every control moved through all its values with the
arrow keys, timing each move from the key press to the new figure in the page. The baseline, in the
same run and the same page, is what a notebook would do without the precomputed frames: the same
controls (``dlnbook-explore-baseline``) redrawing the figure with ``draw`` on every move, at the same
size and resolution. The time to compute one frame is printed too (measured in the kernel when the
cell ran), so the round trip and the computation can be told apart.

    .venv/bin/python benchmarks/live_explorables.py            # all chapters
    .venv/bin/python benchmarks/live_explorables.py 04         # chapters whose name contains "04"
"""

import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from lab_driver import CHAPTERS, OUTPUTS_JS, Lab, errors, run_all, sliders, walk  # noqa: E402

# Appended to a scratch copy of each chapter: the redraw-on-every-move baseline of each explorable,
# and the per-frame computation times the explorables measured.
BASELINE_CELL = '''\
import ipywidgets as _widgets, json as _json
from dlnbook.explore import Explorable as _Explorable, _render_png, _format


def _redrawing(e):
    controls = [_widgets.SelectionSlider(options=[(_format(v), v) for v in e.grids[n]], value=e.grids[n][e.start[n]],
                                         description=e.labels[n]) for n in e.names]
    image = _widgets.Image(value=e.frames[e.index()], format="png",
                           layout=_widgets.Layout(width=f"{e.width}px", max_width="100%", height="auto"))

    def redraw(change):
        image.value = _render_png(e.draw, {n: c.value for n, c in zip(e.names, controls)}, e.figsize, e.dpi)

    for c in controls:
        c.observe(redraw, names="value")
    box = _widgets.VBox([*controls, image])
    box.add_class("dlnbook-explore-baseline")
    return box


_explorables = [o for _, o in sorted(Out.items()) if isinstance(o, _Explorable)]
print(_json.dumps([sorted(e.frame_seconds) for e in _explorables]))
display(*[_redrawing(e) for e in _explorables])
'''


def with_baseline(path, folder):
    nb = json.loads(path.read_text())
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "benchmark-baseline", "metadata": {},
                        "outputs": [], "source": BASELINE_CELL.splitlines(keepends=True)})
    target = folder / path.name
    target.write_text(json.dumps(nb))
    return target


def measure(page, selector):
    """Latencies (ms) of every move of every control, per explorable matching ``selector``."""
    boxes, results = page.locator(selector), []
    for i in range(boxes.count()):
        box, moves = boxes.nth(i), []
        for k in range(sliders(box).count()):
            moves += walk(page, box, sliders(box).nth(k))[0]
        results.append(moves)
    return results


def main(filters):
    from playwright.sync_api import sync_playwright

    chapters = [p for p in CHAPTERS if not filters or any(f in p.name for f in filters)]
    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        copies = [with_baseline(p, Path(folder)) for p in chapters]
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        with Lab(copies) as lab:
            for copy in copies:
                page = lab.open(context, copy.name)
                run_all(page)
                assert errors(page) == [], errors(page)
                printed = [text for _, kind, text in page.evaluate(OUTPUTS_JS) if kind == "stream"]
                frame_seconds = json.loads(printed[-1])
                live = measure(page, ".dlnbook-explore-live")
                baseline = measure(page, ".dlnbook-explore-baseline")
                for i, (fast, slow, seconds) in enumerate(zip(live, baseline, frame_seconds)):
                    rows.append((f"{copy.stem} #{i}", fast, slow, 1000 * statistics.median(seconds)))
                page.close()
        browser.close()

    print(f"{'explorable':28s} {'moves':>5s} {'median ms':>10s} {'worst ms':>9s} {'redraw median':>14s} "
          f"{'redraw worst':>13s} {'speedup':>8s} {'frame compute ms':>17s}")
    for name, fast, slow, compute in rows:
        print(f"{name:28s} {len(fast):5d} {statistics.median(fast):10.1f} {max(fast):9.1f} "
              f"{statistics.median(slow):14.1f} {max(slow):13.1f} "
              f"{statistics.median(slow) / statistics.median(fast):7.1f}x {compute:17.1f}")
    every = [m for _, fast, _, _ in rows for m in fast]
    every_slow = [m for _, _, slow, _ in rows for m in slow]
    print(f"all explorables: median {statistics.median(every):.1f} ms (redraw on every move: "
          f"{statistics.median(every_slow):.1f} ms), worst per explorable "
          f"{max(max(fast) for _, fast, _, _ in rows):.1f} ms; "
          f"speedup_median={statistics.median(every_slow) / statistics.median(every):.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
