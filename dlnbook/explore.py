"""Explorable figures: one cell that works live, in the static book, and in print.

:func:`explore` draws a figure for every combination of a few parameter values; displayed, it is one
output that carries four renderings:

* ``application/vnd.jupyter.widget-view+json``: ipywidgets controls that re-run the drawing function
  (JupyterLab / Jupyter with a kernel);
* ``text/html``: the precomputed frames with plain HTML range inputs, switched client-side by
  ``_assets/explore.js``, which the book ships (the rendered site has no kernel);
* ``image/png``: the default frame (print, and any viewer without HTML);
* ``text/plain``: a one-line summary of the controls (what the notebook tests compare).

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
import PIL.Image
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
    """PNG bytes of the figure that ``draw(**params)`` makes on a fresh figure.

    The image is reduced to a 256-colour palette: plots have few colours, and the page embeds every
    frame, so this makes them about four times lighter with no visible change.
    """
    fig = plt.figure(figsize=figsize)
    try:
        result = draw(**params)
        fig = result if isinstance(result, Figure) else plt.gcf()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close("all")
    buffer.seek(0)
    palette = PIL.Image.open(buffer).convert("RGB").quantize(colors=256, method=PIL.Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


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


class Explorable:
    """A figure precomputed on a grid of parameter values; see :func:`explore`.

    Attributes
    ----------
    names : list of str
        The parameters, in the order of the controls.
    grids : dict
        Parameter name → list of its values.
    start : dict
        Parameter name → index of its starting value.
    frames : list of bytes
        One PNG per combination of values, in C order over ``names``.
    alt : str
        The alternative text of the figure.
    """

    def __init__(self, draw, controls, *, alt, default=None, labels=None, figsize=(6.0, 4.5), dpi=72,
                 max_frames=200):
        if not callable(draw):
            raise TypeError(f"draw must be a function draw(**params), got {type(draw).__name__}")
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError("alt must be a non-empty description of the figure (what to see as the controls move)")
        self.grids, self.start, self.labels = _check_controls(controls, default, labels, max_frames)
        self.names = list(self.grids)
        self.alt, self._draw, self._figsize = alt, draw, figsize
        self.frames = [render_png(draw, dict(zip(self.names, combo)), figsize, dpi)
                       for combo in itertools.product(*self.grids.values())]

    def index(self, **positions):
        """The frame number for the given value indices (missing ones at their start)."""
        unknown = set(positions) - set(self.names)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; the controls are {self.names}")
        indices = [positions.get(n, self.start[n]) for n in self.names]
        return int(np.ravel_multi_index(indices, [len(self.grids[n]) for n in self.names]))

    def __repr__(self):
        summary = ", ".join(f"{self.labels[n]} ∈ {{{', '.join(_format(v) for v in self.grids[n])}}}"
                            for n in self.names)
        return f"Explorable figure, {len(self.frames)} frames: {summary}"

    def html(self):
        """The static rendering: every frame, and range inputs that ``explore.js`` wires up."""
        data = {"sizes": [len(self.grids[n]) for n in self.names],
                "values": [[_format(v) for v in self.grids[n]] for n in self.names],
                "frames": [base64.b64encode(f).decode("ascii") for f in self.frames]}
        rows = []
        for name, size, values in zip(self.names, data["sizes"], data["values"]):
            label, value = html.escape(self.labels[name]), html.escape(values[self.start[name]])
            rows.append(  # disabled until explore.js runs, so a page without it shows no dead controls
                f'<label class="dlnbook-explore-control">{label} '
                f'<input type="range" min="0" max="{size - 1}" step="1" value="{self.start[name]}" '
                f'aria-label="{label}" aria-valuetext="{value}" disabled><output>{value}</output></label>')
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        return ('<div class="dlnbook-explore">'
                f'<div class="dlnbook-explore-controls">{"".join(rows)}</div>'
                f'<img src="data:image/png;base64,{data["frames"][self.index()]}" alt="{html.escape(self.alt)}">'
                f'<script type="application/json">{payload}</script>'
                '</div>')

    def widget(self):
        """The live rendering: ipywidgets controls that re-run the drawing function.

        Evenly spaced numeric values get a slider four times finer than the precomputed grid.
        """
        import ipywidgets as widgets
        from IPython.display import Image

        sliders = {}
        for name, values in self.grids.items():
            common = {"description": self.labels[name], "style": {"description_width": "initial"},
                      "continuous_update": False}
            if _is_uniform_numeric(values):
                sliders[name] = widgets.FloatSlider(value=values[self.start[name]], min=values[0],
                                                    max=values[-1], step=(values[1] - values[0]) / 4, **common)
            else:
                sliders[name] = widgets.SelectionSlider(options=[(_format(v), v) for v in values],
                                                        value=values[self.start[name]], **common)

        # The start frame is already drawn: show it, so building the widget draws nothing.
        output = widgets.Output()
        output.append_display_data(Image(self.frames[self.index()]))

        def redraw(change):
            with output:
                output.clear_output(wait=True)
                plt.figure(figsize=self._figsize)
                self._draw(**{name: slider.value for name, slider in sliders.items()})
                plt.show()

        for slider in sliders.values():
            slider.observe(redraw, names="value")
        return widgets.VBox([*sliders.values(), output])

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/plain": repr(self),
            "text/html": self.html(),
            "image/png": base64.b64encode(self.frames[self.index()]).decode("ascii"),
            _WIDGET_MIME: self.widget()._repr_mimebundle_()[_WIDGET_MIME],
        }


def explore(draw, controls, *, alt, default=None, labels=None, figsize=(6.0, 4.5), dpi=72, max_frames=200):
    """An explorable figure: controls that switch the figure ``draw(**params)``.

    Make it the last expression of a cell. In Jupyter with a kernel the controls re-run ``draw``;
    in the rendered book (no kernel) they switch between frames precomputed for every combination of
    the control values; in print the starting frame is shown.

    Parameters
    ----------
    draw : callable
        ``draw(**params)`` draws on the current matplotlib figure (or returns a Figure). It must
        not call ``plt.show()``.
    controls : dict
        Parameter name → sequence of values, one control each. A frame is drawn for every
        combination; evenly spaced numbers get a finer slider in the live view.
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
    Explorable
        Displayed by IPython as the explorable figure.

    Raises
    ------
    TypeError, ValueError
        On a malformed ``controls``, ``default`` or ``labels``, or an empty ``alt``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt, numpy as np
    >>> from dlnbook import explore
    >>> def draw(slope):
    ...     x = np.linspace(0, 1, 20)
    ...     plt.plot(x, slope * x)
    >>> explore(draw, {"slope": [0.5, 1.0, 2.0]}, alt="a line whose slope follows the control")
    Explorable figure, 3 frames: slope ∈ {0.5, 1, 2}
    """
    return Explorable(draw, controls, alt=alt, default=default, labels=labels, figsize=figsize, dpi=dpi,
                      max_frames=max_frames)
