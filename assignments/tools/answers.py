"""Answers as plain data: how a student's values cross from the notebook's process to the grader's.

The grader never runs student code in its own process, and never unpickles anything a student
wrote. A value crosses as JSON built from numbers, strings, lists, dicts, numpy arrays of numbers
(raw bytes of a numeric dtype) and ``dlnbook.Problem`` (its data, widths and λ); a function crosses
as a name that the grader calls back through the notebook's process. Anything else arrives as an
:class:`Unsupported` placeholder, which no test accepts.

Both sides import this module: ``run_notebook.py`` (the student's process) and ``grade.py``.
"""

import base64
import json

import numpy as np

NUMERIC_KINDS = "biufc"     # bool, int, unsigned, float, complex: never object arrays
MAX_DEPTH = 20


class Unsupported:
    """Stands for an answer of a type that cannot cross (a generator, a class instance, ...)."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<an answer of type {self.type_name}, which cannot be graded>"


def encode(value, depth=0):
    """A JSON-ready form of ``value``."""
    if depth > MAX_DEPTH:
        return {"t": "unsupported", "type": "a structure nested too deeply"}
    if value is None or type(value) in (bool, int, str):
        return {"t": "py", "v": value}
    if type(value) is float:
        return {"t": "float", "v": repr(value)}
    if type(value) is complex:
        return {"t": "complex", "v": [repr(value.real), repr(value.imag)]}
    if isinstance(value, (np.generic, np.ndarray)):
        array = np.asarray(value)
        if array.dtype.kind not in NUMERIC_KINDS:
            return {"t": "unsupported", "type": f"numpy array of {array.dtype}"}
        return {"t": "scalar" if isinstance(value, np.generic) else "array", "dtype": array.dtype.str,
                "shape": list(array.shape), "data": base64.b64encode(array.tobytes(order="C")).decode("ascii")}
    if type(value) in (list, tuple):
        return {"t": type(value).__name__, "v": [encode(item, depth + 1) for item in value]}
    if type(value) is dict:
        return {"t": "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if type(value).__name__ == "Problem" and type(value).__module__.startswith("dlnbook"):
        return {"t": "Problem", "X": encode(np.asarray(value.X)), "Y": encode(np.asarray(value.Y)),
                "widths": [int(w) for w in value.dims[1:-1]], "lam": encode(np.asarray(value.lambdas))}
    if callable(value):
        return {"t": "function"}
    return {"t": "unsupported", "type": type(value).__name__}


def decode(data, call=None):
    """The value ``encode`` described; a function becomes ``call`` (or an :class:`Unsupported`)."""
    kind = data.get("t") if isinstance(data, dict) else None
    if kind == "py" and (data["v"] is None or type(data["v"]) in (bool, int, str)):
        return data["v"]
    if kind == "float":
        return float(data["v"])
    if kind == "complex":
        return complex(float(data["v"][0]), float(data["v"][1]))
    if kind in ("array", "scalar"):
        dtype = np.dtype(data["dtype"])
        if dtype.kind not in NUMERIC_KINDS:
            return Unsupported(f"numpy array of {dtype}")
        shape = tuple(int(n) for n in data["shape"])
        array = np.frombuffer(base64.b64decode(data["data"]), dtype=dtype).reshape(shape).copy()
        return array[()] if kind == "scalar" else array
    if kind in ("list", "tuple"):
        items = [decode(item, call) for item in data["v"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        result = {}
        for key, value in data["v"]:
            key = decode(key, call)
            try:
                result[key] = decode(value, call)
            except TypeError:                       # an unhashable key
                return Unsupported("dict with unhashable keys")
        return result
    if kind == "Problem":
        from dlnbook import Problem
        return Problem(decode(data["X"]), decode(data["Y"]), widths=list(data["widths"]),
                       lam=list(decode(data["lam"])))
    if kind == "function" and call is not None:
        return call
    return Unsupported(data.get("type", "unknown") if isinstance(data, dict) else "unknown")


def dumps(message):
    return json.dumps(message, allow_nan=False) + "\n"


def loads(line):
    return json.loads(line)
