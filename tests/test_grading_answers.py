"""Answers cross from a student's process to the grader's as plain data (assignments/tools/answers.py).

A round trip keeps types, shapes, dtypes and values exactly, scalars stay scalars (a test checks
``isinstance(x, float)``), a ``dlnbook.Problem`` comes back as the same problem, and nothing else
crosses as itself: functions become the grader's stand-in, other objects an ``Unsupported``
placeholder, and data claiming an object dtype is refused rather than unpickled.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "assignments" / "tools"))
import answers  # noqa: E402

sys.path.remove(str(ROOT / "assignments" / "tools"))

pytestmark = pytest.mark.classroom


def round_trip(value, call=None):
    return answers.decode(json.loads(answers.dumps(answers.encode(value))), call)


@pytest.mark.parametrize("value", [None, True, 3, -2**70, 0.1, float("nan"), float("-inf"), 1 + 2j, "τ and σ",
                                   np.float64(0.25), np.int32(7), np.bool_(True), np.arange(6.0).reshape(2, 3),
                                   np.array([[1 + 1j]]), np.array(5.0), np.zeros((0, 3)),
                                   np.arange(12).reshape(3, 4)[:, ::2]])
def test_values_cross_exactly(value):
    back = round_trip(value)
    assert type(back) is type(value)
    if isinstance(value, (np.ndarray, np.generic)):
        assert back.dtype == value.dtype and np.shape(back) == np.shape(value)
        assert np.array_equal(back, value, equal_nan=True)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value


def test_containers_keep_their_kind():
    value = {"global minimum": 1, 2: [np.eye(2), (0.5, "x")], (1, 2): None}
    back = round_trip(value)
    assert list(back) == list(value) and type(back[2]) is list and type(back[2][1]) is tuple
    assert np.array_equal(back[2][0], np.eye(2)) and back[(1, 2)] is None


def test_a_problem_comes_back_as_the_same_problem():
    from dlnbook import Problem
    problem = Problem(np.arange(6.0).reshape(2, 3), np.ones((1, 3)), widths=[4, 2], lam=[0.1, 0.2, 0.3])
    back = round_trip(problem)
    assert type(back) is Problem and back.dims == problem.dims
    assert np.array_equal(back.X, problem.X) and np.array_equal(back.Y, problem.Y)
    assert np.array_equal(back.lambdas, problem.lambdas)
    W = problem.random_weights(seed=0)
    assert back.loss(W) == problem.loss(W)


def test_functions_and_other_objects_do_not_cross():
    stand_in = object()
    assert round_trip(len, call=stand_in) is stand_in
    assert isinstance(round_trip(len), answers.Unsupported)

    class Sneaky(float):
        def __eq__(self, other):
            return True
    for value in [Sneaky(1.0), (x for x in []), np.array([object()]), np.array(["text"])]:
        back = round_trip(value)
        assert isinstance(back, answers.Unsupported), value
        assert not back == 1.0 and "cannot be graded" in repr(back)


def test_an_object_dtype_is_refused_when_decoding():
    forged = {"t": "array", "dtype": "|O", "shape": [1], "data": ""}
    assert isinstance(answers.decode(forged), answers.Unsupported)
    assert isinstance(answers.decode({"t": "eval", "v": "__import__('os')"}), answers.Unsupported)
    assert isinstance(answers.decode(["not", "a", "dict"]), answers.Unsupported)
