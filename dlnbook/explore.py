"""Explorable figures: one cell that works live, in the static book, and in print.

:func:`explore` draws a figure for every combination of a few parameter values, once, when the cell
runs. Displayed, it is one output that carries four renderings of those same frames:

* ``application/vnd.jupyter.widget-view+json``: ipywidgets controls that switch between the frames
  (JupyterLab / Jupyter with a kernel); a move only sends the chosen frame, so the figure follows the
  keyboard or the mouse without waiting for a redraw;
* ``text/html``: the frames with plain HTML range inputs, built and switched by ``_assets/explore.js``,
  which the book ships (the rendered site has no kernel); without that script (a notebook that has not
  run yet) it shows the starting frame and says how to make the controls live;
* ``image/png``: the starting frame (print, and any viewer without HTML);
* ``text/plain``: a one-line summary of the controls (what the notebook tests compare).

Every frame is drawn at twice its displayed size, for high-density screens, with the same text sizes
wherever it is shown; :func:`use_book_figures` gives the chapters' static figures the same style, width
and resolution. The frames are embedded as base64 PNG; keep grids small (``max_frames``).
"""

import base64
import html
import inspect
import io
import itertools
import json
import math
import time
from numbers import Integral, Real

import numpy as np

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

#: CSS pixels per inch of figure: a figure ``figsize`` inches wide is shown ``96 * figsize[0]`` pixels wide.
DISPLAY_DPI = 96
#: Frames are drawn with this many pixels per displayed pixel (sharp on high-density screens).
PIXEL_RATIO = 2
#: Text sizes of every figure, in points (at DISPLAY_DPI a point is 4/3 of a CSS pixel): the smallest,
#: 12 pt, is 16 CSS pixels, the size of the book's figure captions (its body text) when the figure is
#: shown at its own size.
STYLE = {"font.size": 12.0, "axes.titlesize": 12.0, "axes.labelsize": 12.0, "xtick.labelsize": 12.0,
         "ytick.labelsize": 12.0, "legend.fontsize": 12.0, "legend.title_fontsize": 12.0,
         "figure.titlesize": 12.5, "lines.linewidth": 1.8}
#: Width of a figure in inches: the book's text column is 688 CSS pixels wide in a 1280-pixel desktop
#: window (790 from 1440 up, 624 at 1200, 755 at 1024), so a figure at most 7 inches (672 pixels) wide
#: is shown at its own size and its text keeps the size STYLE gives it; a wider one is scaled down.
COLUMN_WIDTH = 7.0
#: The PNG text key under which a static figure records the size of its smallest text, in points.
SMALLEST_TEXT_KEY = "Smallest text (pt)"

HINT = "Run this cell in Jupyter to make the controls live."
#: The most pixels a frame may have (a 7 × 4.2 inch figure at the default 192 dpi has 1.1 million).
MAX_FRAME_PIXELS = 4e7


def smallest_text(fig):
    """The size in points of the smallest non-empty visible text of a matplotlib figure, or None.

    Titles, labels, tick labels, legends and annotations all count, as laid out for drawing.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    float or None

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib figure.
    """
    fig = _figure(fig)
    fig.draw_without_rendering()  # tick labels exist only once the figure is laid out
    return _smallest_drawn_text(fig)


def _figure(fig):
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    return fig


def _smallest_drawn_text(fig):
    """:func:`smallest_text` of a figure that has just been drawn (saved), without laying it out again."""
    from matplotlib.text import Text

    sizes = [text.get_fontsize() for text in fig.findobj(Text) if text.get_visible() and text.get_text().strip()]
    return min(sizes) if sizes else None


def _png_info(smallest):
    """The PNG text chunk that records a figure's smallest text (``SMALLEST_TEXT_KEY``)."""
    import PIL.PngImagePlugin

    info = PIL.PngImagePlugin.PngInfo()
    info.add_text(SMALLEST_TEXT_KEY, "none" if smallest is None else f"{smallest:g}")
    return info


def figure_png(fig):
    """A static figure as the book stores it: PNG drawn at PIXEL_RATIO times its displayed size.

    What IPython's "retina" format does (margins trimmed, shown at half its pixel width), plus the size
    of the figure's smallest text in the PNG's text chunk (``SMALLEST_TEXT_KEY``), so the rendered
    site can be checked for legible figures without guessing what each figure holds.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    tuple or None
        ``(base64 PNG, {"width": ..., "height": ...})`` in CSS pixels, or None for an empty figure.

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib figure.
    """
    import PIL.Image

    fig = _figure(fig)

    if not fig.axes and not fig.lines:
        return None
    smallest = smallest_text(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DISPLAY_DPI * PIXEL_RATIO, bbox_inches="tight",
                facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor())
    image = PIL.Image.open(buffer)
    # whole CSS pixels (a trimmed figure can come out an odd number of pixels wide): shown at exactly
    # 1/PIXEL_RATIO of its size, its text keeps the size it was drawn at
    size = [-(-side // PIXEL_RATIO) * PIXEL_RATIO for side in image.size]
    padded = PIL.Image.new(image.mode, size, tuple(round(255 * c) for c in fig.get_facecolor()))
    padded.paste(image, (0, 0))
    out = io.BytesIO()
    padded.save(out, format="png", pnginfo=_png_info(smallest), dpi=(DISPLAY_DPI * PIXEL_RATIO,) * 2)
    return (base64.b64encode(out.getvalue()).decode("ascii"),
            {"width": size[0] // PIXEL_RATIO, "height": size[1] // PIXEL_RATIO})


def use_book_figures():
    """Make a notebook's static figures the book's: its style, its column width, sharp on every screen.

    Sets matplotlib to ``STYLE``, ``DISPLAY_DPI`` and a default width of ``COLUMN_WIDTH``,
    and has IPython show figures with :func:`figure_png`. Call it once, after ``%matplotlib inline``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    plt.rcParams.update({"figure.dpi": DISPLAY_DPI, "figure.figsize": (COLUMN_WIDTH, 4.2), **STYLE})
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


def _format(value):
    return f"{value:g}" if isinstance(value, Real) and not isinstance(value, bool) else str(value)


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool)


def _kind(values):
    """How a control shows its values: 'int' slider, 'float' slider, or 'select' (exactly the listed ones)."""
    if len(values) >= 2 and all(_is_number(v) for v in values):
        gaps = np.diff(np.asarray(values, dtype=float))
        if np.all(gaps > 0) and np.allclose(gaps, gaps[0], rtol=1e-9, atol=0):
            return "int" if all(isinstance(v, Integral) for v in values) else "float"
    return "select"


def _decimals(values):
    """The fewest decimals that print every value of an evenly spaced float grid exactly as ``:g`` does."""
    for digits in range(0, 7):
        if all(math.isclose(round(v, digits), v, rel_tol=0, abs_tol=1e-12) for v in values):
            return digits
    return 6


def _check_positive(name, value, kind):
    if (not isinstance(value, kind) or isinstance(value, bool) or not value > 0
            or not (kind is Integral or math.isfinite(value))):          # (a huge int has no float)
        expected = "a positive integer" if kind is Integral else "a positive finite number"
        raise (TypeError if not isinstance(value, kind) or isinstance(value, bool) else ValueError)(
            f"{name} must be {expected}, got {value!r}")


def _check_options(draw, controls, alt, default, labels, figsize, dpi, max_frames):
    if not callable(draw):
        raise TypeError(f"draw must be a function draw(**params), got {type(draw).__name__}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty description of the figure (what to see as the controls move)")
    if (not isinstance(figsize, (tuple, list)) or len(figsize) != 2
            or not all(_is_number(v) and math.isfinite(v) and v > 0 for v in figsize)):
        raise ValueError(f"figsize must be (width, height) in inches, two positive numbers, got {figsize!r}")
    _check_positive("dpi", dpi, Integral)
    _check_positive("max_frames", max_frames, Integral)
    pixels = figsize[0] * figsize[1] * float(dpi) ** 2 if dpi < 10 ** 100 else math.inf
    if pixels > MAX_FRAME_PIXELS:
        raise ValueError(f"figsize {tuple(figsize)} at dpi={dpi} gives frames of {pixels:.3g} pixels, more than "
                         f"{MAX_FRAME_PIXELS:.0e}; use a smaller figure or dpi")
    for name, option in (("default", default), ("labels", labels)):
        if option is not None and not isinstance(option, dict):
            raise TypeError(f"{name} must be a dict keyed by control name, got {type(option).__name__}")
    if not isinstance(controls, dict) or not controls:
        raise TypeError("controls must be a non-empty dict mapping each parameter name to a sequence of values")


def _check_controls(controls, default, labels, max_frames):
    grids = {}
    for name, values in controls.items():
        if not isinstance(name, str):
            raise TypeError(f"controls keys must be parameter names (str), got {name!r}")
        if not name.isidentifier():
            raise ValueError(f"controls keys must be parameter names, got {name!r}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
            raise ValueError(f"controls[{name!r}] must be a non-empty sequence of values, got {values!r}")
        grids[name] = list(values.tolist() if isinstance(values, np.ndarray) else values)
        if any(_is_number(v) and not math.isfinite(v) for v in grids[name]):
            raise ValueError(f"controls[{name!r}] must hold finite numbers, got {grids[name]!r}")
        if len({_format(v) for v in grids[name]}) != len(grids[name]):
            raise ValueError(f"controls[{name!r}] repeats a value: {grids[name]!r}")
    n_frames = math.prod(len(v) for v in grids.values())
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
    for name, label in labels.items():
        if name not in grids:
            raise ValueError(f"labels names {name!r}, which is not a control ({', '.join(grids)})")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"labels[{name!r}] must be a non-empty string, got {label!r}")
    return grids, start, {name: labels.get(name, name) for name in grids}


def _check_signature(draw, names):
    """The controls must be exactly what ``draw`` can be called with: caught now, not at the first move."""
    try:
        signature = inspect.signature(draw)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(**{name: None for name in names})
    except TypeError as error:
        raise ValueError(f"draw{signature} cannot be called with the controls ({', '.join(names)}): {error}") from None


def _render_png(draw, params, figsize, dpi):
    """PNG bytes of the figure that ``draw(**params)`` makes on a fresh figure of ``figsize`` inches.

    The frame is drawn in the book's figure style (``STYLE``) and reduced to a 256-colour palette:
    plots have few colours, and the page embeds every frame, so this makes them about four times
    lighter with no visible change. Like :func:`figure_png`, it records its dpi and its smallest text.
    """
    import matplotlib.pyplot as plt
    import PIL.Image
    from matplotlib.figure import Figure

    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=figsize)
        try:
            result = draw(**params)
            fig = result if isinstance(result, Figure) else plt.gcf()
            if tuple(fig.get_size_inches()) != tuple(figsize):
                fig.set_size_inches(figsize)  # same size in every frame: the figure must not jump
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=dpi)
            smallest = _smallest_drawn_text(fig)
        finally:
            plt.close("all")
    buffer.seek(0)
    palette = PIL.Image.open(buffer).convert("RGB").quantize(colors=256, method=PIL.Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True, pnginfo=_png_info(smallest), dpi=(dpi, dpi))
    return out.getvalue()


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
    frame_seconds : list of float
        How long drawing and encoding each frame took.
    draw, figsize, dpi
        The drawing function and the size and resolution of its frames.
    width : int
        Displayed width of the figure in CSS pixels (the frames have ``PIXEL_RATIO`` times as many).
    alt : str
        The alternative text of the figure.
    """

    def __init__(self, draw, controls, *, alt, default=None, labels=None, figsize=(COLUMN_WIDTH, 4.2),
                 dpi=DISPLAY_DPI * PIXEL_RATIO, max_frames=200):
        _check_options(draw, controls, alt, default, labels, figsize, dpi, max_frames)
        self.grids, self.start, self.labels = _check_controls(controls, default, labels, max_frames)
        self.names = list(self.grids)
        _check_signature(draw, self.names)
        self.alt, self.draw, self.figsize, self.dpi = alt, draw, tuple(figsize), dpi
        self.width = round(figsize[0] * DISPLAY_DPI)
        self.frames, self.frame_seconds = [], []
        for combo in itertools.product(*self.grids.values()):
            params = dict(zip(self.names, combo))
            began = time.perf_counter()
            try:
                self.frames.append(_render_png(draw, params, self.figsize, dpi))
            except Exception as error:
                call = ", ".join(f"{k}={v!r}" for k, v in params.items())
                raise ValueError(f"draw({call}) failed while drawing the frames: {type(error).__name__}: {error}; "
                                 f"check the values in controls") from error
            self.frame_seconds.append(time.perf_counter() - began)

    def index(self, **positions):
        """The frame number for the given value indices (missing ones at their start)."""
        unknown = set(positions) - set(self.names)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; the controls are {self.names}")
        for name, position in positions.items():
            size = len(self.grids[name])
            if isinstance(position, bool) or not isinstance(position, Integral):
                raise TypeError(f"{name} must be the index of one of its values (an int), got {position!r}")
            if not 0 <= position < size:
                raise ValueError(f"{name} must be the index of one of its {size} values (0 to {size - 1}), "
                                 f"got {position}")
        indices = [positions.get(n, self.start[n]) for n in self.names]
        return int(np.ravel_multi_index(indices, [len(self.grids[n]) for n in self.names]))

    def _summary(self):
        return ", ".join(f"{self.labels[n]} ∈ {{{', '.join(_format(v) for v in self.grids[n])}}}" for n in self.names)

    def __repr__(self):
        return f"Explorable figure, {len(self.frames)} frames: {self._summary()}"

    def html(self):
        """The static rendering: the starting frame, and the data ``explore.js`` builds the controls from."""
        data = {"labels": [self.labels[n] for n in self.names],
                "sizes": [len(self.grids[n]) for n in self.names],
                "values": [[_format(v) for v in self.grids[n]] for n in self.names],
                "start": [self.start[n] for n in self.names],
                "frames": [base64.b64encode(f).decode("ascii") for f in self.frames]}
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        return ('<div class="dlnbook-explore">'
                f'<img src="data:image/png;base64,{data["frames"][self.index()]}" width="{self.width}" '
                f'alt="{html.escape(self.alt)}">'
                f'<p class="dlnbook-explore-note">Explorable figure: {html.escape(self._summary())}. {HINT}</p>'
                f'<script type="application/json">{payload}</script>'
                '</div>')

    def widget(self):
        """The live rendering: ipywidgets controls that switch between the frames.

        Integers get an integer slider, evenly spaced numbers a float slider, anything else a selection
        slider over exactly the listed values; every control stops only at the values that were drawn.
        """
        import ipywidgets as widgets

        controls = {}
        for name, values in self.grids.items():
            common = {"description": self.labels[name], "style": {"description_width": "initial"},
                      "continuous_update": True, "layout": widgets.Layout(width="max-content", min_width="22em")}
            kind, value = _kind(values), values[self.start[name]]
            if kind == "int":
                controls[name] = widgets.IntSlider(value=value, min=values[0], max=values[-1],
                                                   step=values[1] - values[0], **common)
            elif kind == "float":
                controls[name] = widgets.FloatSlider(value=value, min=values[0], max=values[-1],
                                                     step=(values[-1] - values[0]) / (len(values) - 1),
                                                     readout_format=f".{_decimals(values)}f", **common)
            else:
                controls[name] = widgets.SelectionSlider(options=[(_format(v), v) for v in values], value=value,
                                                         **common)
        note = widgets.HTML(f"<small>Each control stops at the values drawn when the cell ran: "
                            f"{html.escape(self._summary())}.</small>")
        image = widgets.Image(value=self.frames[self.index()], format="png",
                              layout=widgets.Layout(width=f"{self.width}px", max_width="100%", height="auto"))

        def position(name):
            value = controls[name].value
            return int(np.argmin([abs(v - value) if _is_number(v) else v != value for v in self.grids[name]]))

        def show(change):
            image.value = self.frames[self.index(**{name: position(name) for name in self.names})]

        for control in controls.values():
            control.observe(show, names="value")
        box = widgets.VBox([widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                            note, image])
        box.add_class("dlnbook-explore-live")
        return box

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {
            "text/plain": repr(self),
            "text/html": self.html(),
            "image/png": base64.b64encode(self.frames[self.index()]).decode("ascii"),
            _WIDGET_MIME: self.widget()._repr_mimebundle_()[_WIDGET_MIME],
        }
        return data, {"image/png": {"width": self.width}}


def explore(draw, controls, *, alt, default=None, labels=None, figsize=(COLUMN_WIDTH, 4.2),
            dpi=DISPLAY_DPI * PIXEL_RATIO, max_frames=200):
    """An explorable figure: controls that switch the figure ``draw(**params)``.

    Make it the last expression of a cell. Every frame is drawn when the cell runs: a mistake in the
    controls (a value ``draw`` cannot take) fails here, with the values that failed. In Jupyter with a
    kernel the controls switch between the frames at once; in the rendered book (no kernel) the page
    does the same with its own copy of the frames; in print the starting frame is shown.

    Parameters
    ----------
    draw : callable
        ``draw(**params)`` draws on the current matplotlib figure (or returns a Figure). It must
        not call ``plt.show()``.
    controls : dict
        Parameter name → sequence of values, one control each. A frame is drawn for every
        combination, and each control stops exactly at its values: integers get an integer slider,
        evenly spaced numbers a float slider, anything else a selection slider.
    alt : str
        Alternative text: what the figure shows and what to look for as the controls move.
    default : dict, optional
        Starting value of some controls (must be one of their values); others start in the middle.
    labels : dict, optional
        Display label of some controls (for example ``{"lam": "λ"}``).
    figsize : tuple of float
        Figure size in inches; it is shown ``96 * figsize[0]`` CSS pixels wide. The default,
        ``COLUMN_WIDTH`` (7 inches), keeps the text at its size in the book's text column.
    dpi : int
        Resolution of the frames; the default draws them at twice their displayed size.
    max_frames : int
        Refuse larger grids, to keep pages light.

    Returns
    -------
    Explorable
        Displayed by IPython as the explorable figure.

    Raises
    ------
    TypeError
        If ``draw`` is not callable, or ``controls``, ``default`` or ``labels`` is not a dict.
    ValueError
        On a malformed control, default, label, ``figsize``, ``dpi`` or ``max_frames``, an empty
        ``alt``, controls that ``draw`` does not take, or a frame that ``draw`` fails to draw.

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
