"""dlnbook.explore: frames for every combination, in the right order, and clear errors."""

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
    fig = explore(paint, {"a": [1, 2, 3], "b": [0.0, 1.0]}, alt="the colour", labels={"a": "α"})
    bundle = fig._repr_mimebundle_()
    assert bundle["text/plain"] == "Explorable figure, 6 frames: α ∈ {1, 2, 3}, b ∈ {0, 1}"
    assert set(bundle) == {"text/plain", "text/html", "image/png", "application/vnd.jupyter.widget-view+json"}
    page = bundle["text/html"]
    assert page.count('type="range"') == 2 and 'alt="the colour"' in page
    data = json.loads(re.search(r'<script type="application/json">(.*)</script>', page).group(1))
    assert data["sizes"] == [3, 2] and data["values"] == [["1", "2", "3"], ["0", "1"]]
    assert len(data["frames"]) == 6
    assert bundle["image/png"] == data["frames"][fig.index()]


def test_live_widget_has_one_control_per_parameter():
    import ipywidgets

    fig = explore(paint, {"a": [1, 2, 3], "b": [0.0, 0.3, 1.0]}, alt="colours")
    box = fig.widget()
    sliders = box.children[:-1]
    assert isinstance(sliders[0], ipywidgets.FloatSlider) and sliders[0].step == pytest.approx(0.25)
    assert isinstance(sliders[1], ipywidgets.SelectionSlider)  # uneven values: exactly those


def test_live_widget_redraws_when_a_control_moves():
    calls = []

    def record(a, b):
        calls.append((a, b))
        paint(a, b)

    fig = explore(record, {"a": [1, 2, 3], "b": [0.0, 0.3, 1.0]}, alt="colours")
    calls.clear()
    box = fig.widget()
    assert calls == [], "building the widget must not redraw: it shows the precomputed start frame"
    box.children[0].value = 2.75
    box.children[1].value = 1.0
    assert calls == [(2.75, 0.3), (2.75, 1.0)]
    plt.close("all")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"controls": {}}, TypeError, "controls"),
    ({"controls": {"a": []}}, ValueError, r"controls\['a'\]"),
    ({"controls": {"a": "abc"}}, ValueError, r"controls\['a'\]"),
    ({"controls": {"a": [1], "b": list(range(300))}}, ValueError, "max_frames"),
    ({"controls": {"a": [1, 2]}, "default": {"a": 5}}, ValueError, r"default\['a'\]"),
    ({"controls": {"a": [1, 2]}, "default": {"c": 1}}, ValueError, "default names 'c'"),
    ({"controls": {"a": [1, 2]}, "labels": {"c": "γ"}}, ValueError, "labels names 'c'"),
    ({"controls": {"a": [1, 2]}, "alt": ""}, ValueError, "alt"),
])
def test_bad_input(kwargs, error, match):
    kwargs = {"alt": "a figure", **kwargs}
    with pytest.raises(error, match=match):
        explore(lambda **p: None, **kwargs)


def test_draw_must_be_callable():
    with pytest.raises(TypeError, match="draw"):
        explore("not a function", {"a": [1]}, alt="a figure")
