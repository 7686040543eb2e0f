"""Explorable figures: one cell that works live, in the static book, and in print.

:func:`explore` draws a figure for every combination of a few parameter values and displays one
output that carries three renderings:

* ``application/vnd.jupyter.widget-view+json``: ipywidgets controls that re-run the drawing function
  (JupyterLab / Jupyter with a kernel);
* ``text/html``: the precomputed frames with plain HTML range inputs, switched client-side by
  ``_vendor/explore/explore.js``, which the book ships (the rendered site has no kernel);
* ``image/png``: the default frame (print, and any viewer without HTML).

The frames are embedded as base64 PNG; keep grids small (the total is limited by ``max_frames``).
"""

import base64
import html
import io
import itertools
import json
from numbers import Real

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _format(value):
    return f"{value:g}" if isinstance(value, Real) and not isinstance(value, bool) else str(value)


def _is_uniform_numeric(values):
    if len(values) < 2 or not all(isinstance(v, Real) and not isinstance(v, bool) for v in values):
        return False
    gaps = np.diff(np.asarray(values, dtype=float))
    return bool(np.all(gaps > 0) and np.allclose(gaps, gaps[0], rtol=1e-9, atol=0))


def render_png(draw, params, figsize, dpi):
    """PNG bytes of the figure that ``draw(**params)`` makes on a fresh figure."""
    fig = plt.figure(figsize=figsize)
    try:
        result = draw(**params)
        fig = result if isinstance(result, Figure) else plt.gcf()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        plt.close("all")
    return buffer.getvalue()


def _check_controls(controls, default, labels, max_frames):
    if not isinstance(controls, dict) or not controls:
        raise TypeError("controls must be a non-empty dict mapping each parameter name to a sequence of values")
    grids = {}
    for name, values in controls.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"controls keys must be parameter names, got {name!r}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
            raise ValueError(f"controls[{name!r}] must be a non-empty sequence of values, got {values!r}")
        grids[name] = list(values.tolist() if isinstance(values, np.ndarray) else values)
    n_frames = int(np.prod([len(v) for v in grids.values()]))
    if n_frames > max_frames:
        raise ValueError(f"controls give {n_frames} frames, more than max_frames={max_frames}; "
                         f"use fewer values per control (each frame is an image in the page)")
    default = dict(default or {})
    for name in default:
        if name not in grids:
            raise ValueError(f"default names {name!r}, which is not a control ({', '.join(grids)})")
    start = {}
    for name, values in grids.items():
        if name in default:
            matches = [i for i, v in enumerate(values) if v == default[name]]
            if not matches:
                raise ValueError(f"default[{name!r}] = {default[name]!r} is not one of controls[{name!r}]")
            start[name] = matches[0]
        else:
            start[name] = (len(values) - 1) // 2
    labels = dict(labels or {})
    for name in labels:
        if name not in grids:
            raise ValueError(f"labels names {name!r}, which is not a control ({', '.join(grids)})")
    return grids, start, {name: labels.get(name, name) for name in grids}


def _static_html(grids, start, labels, frames, alt):
    names = list(grids)
    data = {"sizes": [len(grids[n]) for n in names],
            "values": [[_format(v) for v in grids[n]] for n in names],
            "frames": [base64.b64encode(f).decode("ascii") for f in frames]}
    index = int(np.ravel_multi_index([start[n] for n in names], data["sizes"]))
    rows = []
    for k, name in enumerate(names):
        size = data["sizes"][k]
        value = data["values"][k][start[name]]
        rows.append(
            f'<label class="dlnbook-explore-control">{html.escape(labels[name])} '
            f'<input type="range" min="0" max="{size - 1}" step="1" value="{start[name]}" '
            f'aria-label="{html.escape(labels[name])}" aria-valuetext="{html.escape(value)}" disabled>'
            f'<output>{html.escape(value)}</output></label>')
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (
        '<div class="dlnbook-explore">'
        f'<div class="dlnbook-explore-controls">{"".join(rows)}</div>'
        f'<img src="data:image/png;base64,{data["frames"][index]}" alt="{html.escape(alt)}">'
        f'<script type="application/json">{payload}</script>'
        '</div>')


def _live_widget(draw, grids, start, labels, figsize):
    """ipywidgets controls that re-run ``draw`` (evenly spaced numbers get a finer slider)."""
    import ipywidgets as widgets

    sliders = {}
    for name, values in grids.items():
        style = {"description_width": "initial"}
        if _is_uniform_numeric(values):
            step = (values[1] - values[0]) / 4
            sliders[name] = widgets.FloatSlider(value=values[start[name]], min=values[0], max=values[-1],
                                                step=step, description=labels[name], style=style,
                                                continuous_update=False)
        else:
            sliders[name] = widgets.SelectionSlider(options=[(_format(v), v) for v in values],
                                                    value=values[start[name]], description=labels[name],
                                                    style=style, continuous_update=False)
    def redraw(**params):
        plt.figure(figsize=figsize)
        draw(**params)
        plt.show()

    return widgets.VBox([*sliders.values(), widgets.interactive_output(redraw, sliders)])


def explore(draw, controls, *, alt, default=None, labels=None, figsize=(6.0, 4.5), dpi=72, max_frames=200):
    """Display an explorable figure: controls that switch the figure ``draw(**params)``.

    Parameters
    ----------
    draw : callable
        ``draw(**params)`` draws on the current matplotlib figure (or returns a Figure). It must
        not call ``plt.show()``.
    controls : dict
        Parameter name → sequence of values, one control each. The static book precomputes a frame
        for every combination (C order over the controls).
    alt : str
        Alternative text: what the figure shows and what to look for as the controls move.
    default : dict, optional
        Starting value of some controls (must be one of their values); others start in the middle.
    labels : dict, optional
        Display label of some controls (for example ``{"lam": "λ"}``).
    figsize : tuple of float
        Figure size in inches.
    dpi : int
        Resolution of the frames; the page embeds every frame, so keep it modest.
    max_frames : int
        Refuse larger grids, to keep pages light.

    Returns
    -------
    None
        The explorable output is displayed (IPython); outside IPython nothing is shown.

    Raises
    ------
    TypeError, ValueError
        On a malformed ``controls``, ``default`` or ``labels``, or an empty ``alt``.
    """
    if not callable(draw):
        raise TypeError(f"draw must be a function draw(**params), got {type(draw).__name__}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty description of the figure (what to see as the controls move)")
    grids, start, labels = _check_controls(controls, default, labels, max_frames)
    names = list(grids)
    frames = [render_png(draw, dict(zip(names, combo)), figsize, dpi)
              for combo in itertools.product(*grids.values())]
    index = int(np.ravel_multi_index([start[n] for n in names], [len(grids[n]) for n in names]))
    summary = ", ".join(f"{labels[n]} ∈ {{{', '.join(_format(v) for v in grids[n])}}}" for n in names)
    bundle = {
        "text/plain": f"Explorable figure, {len(frames)} frames: {summary}",
        "text/html": _static_html(grids, start, labels, frames, alt),
        "image/png": base64.b64encode(frames[index]).decode("ascii"),
    }
    widget = _live_widget(draw, grids, start, labels, figsize)
    bundle[_WIDGET_MIME] = widget._repr_mimebundle_()[_WIDGET_MIME]
    from IPython.display import display
    display(bundle, raw=True)
