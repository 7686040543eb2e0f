"""dlnbook.explore: frames for every combination, in the right order, and clear errors."""

import base64
import io
import json
import re

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402

from dlnbook import explore  # noqa: E402
from dlnbook.explore import SMALLEST_TEXT_KEY, STYLE, figure_png, smallest_text  # noqa: E402

pytestmark = pytest.mark.unit


def paint(a, b):
    """A figure whose colour encodes the parameters, so each frame can be decoded."""
    plt.gcf().set_facecolor((a / 4, b, 0.5))


def colour(png):
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"))[2, 2] / 255


def test_one_frame_per_combination_in_c_order():
    fig = explore(paint, {"a": [1, 2, 3], "b": [0.0, 1.0]}, alt="colours")
    assert len(fig.frames) == 6
    for k, (a, b) in enumerate([(a, b) for a in (1, 2, 3) for b in (0.0, 1.0)]):
        np.testing.assert_allclose(colour(fig.frames[k]), [a / 4, b, 0.5], atol=1 / 255)
    assert fig.index(a=2, b=1) == 5
    assert plt.get_fignums() == [], "frames must not leave figures open"


def test_start_defaults_to_the_middle_or_the_given_value():
    fig = explore(paint, {"a": [1, 2, 3], "b": [0.0, 0.5, 1.0]}, alt="colours", default={"b": 1.0})
    assert fig.start == {"a": 1, "b": 2}
    assert fig.index() == 1 * 3 + 2


def test_renderings():
    fig = explore(paint, {"a": [1, 2, 3], "b": [0.0, 1.0]}, alt="the colour", labels={"a": "α"}, figsize=(3.0, 2.0))
    bundle, metadata = fig._repr_mimebundle_()
    assert bundle["text/plain"] == "Explorable figure, 6 frames: α ∈ {1, 2, 3}, b ∈ {0, 1}"
    assert set(bundle) == {"text/plain", "text/html", "image/png", "application/vnd.jupyter.widget-view+json"}
    page = bundle["text/html"]
    # no controls until explore.js builds them: a viewer without it shows the figure and how to go live
    assert "<input" not in page and 'alt="the colour"' in page and "Run this cell" in page
    data = json.loads(re.search(r'<script type="application/json">(.*)</script>', page).group(1))
    assert data["sizes"] == [3, 2] and data["values"] == [["1", "2", "3"], ["0", "1"]]
    assert data["labels"] == ["α", "b"] and data["start"] == [1, 0]
    assert len(data["frames"]) == 6
    assert bundle["image/png"] == data["frames"][fig.index()]
    # shown 96 px per inch, drawn at twice that: the same size live, on the site and in print
    assert fig.width == 288 and metadata == {"image/png": {"width": 288}} and 'width="288"' in page
    sizes = {PIL.Image.open(io.BytesIO(frame)).size for frame in fig.frames}
    assert sizes == {(576, 384)}


def test_frames_are_drawn_in_the_book_style_at_their_size():
    seen = []

    def draw(a):
        seen.append((plt.rcParams["legend.fontsize"], tuple(plt.gcf().get_size_inches())))
        plt.gcf().set_size_inches(9, 9)  # a drawing that resizes its figure must not change the frame size

    fig = explore(draw, {"a": [1, 2]}, alt="a figure", figsize=(4.0, 3.0))
    assert seen == [(STYLE["legend.fontsize"], (4.0, 3.0))] * 2
    assert {PIL.Image.open(io.BytesIO(f)).size for f in fig.frames} == {(768, 576)}
    # the book's figure captions are body text, 16 CSS px: a point is 96 / 72 CSS px at the displayed size
    assert min(v for k, v in STYLE.items() if k.endswith("size")) * 96 / 72 >= 16


def test_frames_record_their_dpi_and_smallest_text():
    """As static figures do, for the site's legibility check: a small annotation in one frame shows there."""
    def draw(size):
        plt.plot([0, 1], [0, 1])
        plt.annotate("a note", (0.5, 0.5), fontsize=size)

    fig = explore(draw, {"size": [7.5, 30.0]}, alt="a figure", figsize=(4.0, 3.0), dpi=150)
    frames = [PIL.Image.open(io.BytesIO(f)) for f in fig.frames]
    # in the second frame the tick labels are the smallest text
    assert [frame.info[SMALLEST_TEXT_KEY] for frame in frames] == ["7.5", f"{STYLE['xtick.labelsize']:g}"]
    assert {round(frame.info["dpi"][0]) for frame in frames} == {150}


@pytest.mark.parametrize("width", [5.0, 6.33, 7.0])
def test_a_static_figure_records_its_smallest_text_and_is_drawn_at_twice_its_shown_size(width):
    fig, ax = plt.subplots(figsize=(width, 3.0))
    ax.plot([0, 1], [0, 1])
    ax.set_title("a title", fontsize=14)
    ax.annotate("a note", (0.5, 0.5), fontsize=7.5)
    ax.text(0.2, 0.8, "   ")  # empty text does not count
    ax.text(0.2, 0.2, "hidden", fontsize=5, visible=False)  # nor does hidden text
    assert smallest_text(fig) == 7.5
    data, shown = figure_png(fig)
    plt.close(fig)
    image = PIL.Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.info[SMALLEST_TEXT_KEY] == "7.5"
    assert round(image.info["dpi"][0]) == 192
    assert image.size == (2 * shown["width"], 2 * shown["height"])  # even: shown at exactly half
    assert 0.7 * width * 96 < shown["width"] <= width * 96  # margins trimmed, never wider than drawn
    assert image.convert("RGBA").getextrema()[3][0] == 255  # opaque, the padding included


def test_an_empty_figure_shows_nothing():
    fig = plt.figure()
    assert figure_png(fig) is None and smallest_text(fig) is None
    plt.close(fig)


def test_live_controls_fit_their_values():
    import ipywidgets

    fig = explore(lambda a, b, c, d: None, {"a": [1, 2, 3], "b": [0.01, 0.03, 0.05], "c": [0.0, 0.3, 1.0],
                                             "d": ["x", "y"]}, alt="a figure")
    a, b, c, d = fig.widget().children[0].children
    assert isinstance(a, ipywidgets.IntSlider) and (a.min, a.max, a.step, a.value) == (1, 3, 1, 2)
    assert isinstance(b, ipywidgets.FloatSlider) and b.step == pytest.approx(0.02) and b.readout_format == ".2f"
    assert isinstance(c, ipywidgets.SelectionSlider) and c.options == (("0", 0.0), ("0.3", 0.3), ("1", 1.0))
    assert isinstance(d, ipywidgets.SelectionSlider)


def test_live_controls_switch_frames_without_redrawing():
    calls = []

    def record(a, b):
        calls.append((a, b))
        paint(a, b)

    fig = explore(record, {"a": [1, 2, 3], "b": [0.0, 0.3, 1.0]}, alt="colours")
    assert len(calls) == 9
    box = fig.widget()
    (a, b), image = box.children[0].children, box.children[-1]
    assert image.value == fig.frames[fig.index()]
    a.value, b.value = 3, 1.0
    assert image.value == fig.frames[fig.index(a=2, b=2)]
    assert len(calls) == 9, "a move shows a precomputed frame: nothing is redrawn"
    assert plt.get_fignums() == []


def test_a_control_the_drawing_cannot_take_fails_when_explore_is_called():
    def draw(L):
        plt.plot(range(L))  # needs an integer depth

    with pytest.raises(ValueError, match=r"draw\(L=2.5\) failed .*TypeError"):
        explore(draw, {"L": [2, 2.5, 3]}, alt="a figure")
    with pytest.raises(ValueError, match=r"cannot be called with the controls \(M\)"):
        explore(draw, {"M": [2, 3]}, alt="a figure")
    assert plt.get_fignums() == []


@pytest.mark.parametrize("kwargs, error, match", [
    ({"controls": {}}, TypeError, "controls"),
    ({"controls": {"a": []}}, ValueError, r"controls\['a'\]"),
    ({"controls": {"a": "abc"}}, ValueError, r"controls\['a'\]"),
    ({"controls": {"a": [1], "b": list(range(300))}}, ValueError, "max_frames"),
    ({"controls": {"a": [1, 2]}, "default": {"a": 5}}, ValueError, r"default\['a'\]"),
    ({"controls": {"a": [1, 2]}, "default": {"c": 1}}, ValueError, "default names 'c'"),
    ({"controls": {"a": [1, 2]}, "labels": {"c": "γ"}}, ValueError, "labels names 'c'"),
    ({"controls": {"a": [1, 2]}, "alt": ""}, ValueError, "alt"),
    ({"controls": {"a": [1, 1.0]}}, ValueError, "repeats"),
    ({"controls": {"a": [1, 2]}, "default": [1]}, TypeError, "default must be a dict"),
    ({"controls": {"a": [1, 2]}, "labels": {"a": 3}}, ValueError, r"labels\['a'\]"),
    ({"controls": {"a": [1, 2]}, "figsize": (0, 3)}, ValueError, "figsize"),
    ({"controls": {"a": [1, 2]}, "figsize": 5}, ValueError, "figsize"),
    ({"controls": {"a": [1, 2]}, "dpi": 100.5}, TypeError, "dpi"),
    ({"controls": {"a": [1, 2]}, "dpi": 0}, ValueError, "dpi"),
    ({"controls": {"a": [1, 2]}, "max_frames": True}, TypeError, "max_frames"),
    ({"controls": {"a": [1, 2]}, "dpi": 10 ** 6}, ValueError, "pixels"),
    ({"controls": {"a": [1, float("nan")]}}, ValueError, "finite"),
    ({"controls": {1: [1, 2]}}, TypeError, "controls keys"),
])
def test_bad_input(kwargs, error, match):
    kwargs = {"alt": "a figure", **kwargs}
    with pytest.raises(error, match=match):
        explore(lambda a=None: None, **kwargs)


def test_draw_must_be_callable():
    with pytest.raises(TypeError, match="draw"):
        explore("not a function", {"a": [1]}, alt="a figure")
