"""Input checks shared by the public functions.

Every public entry point validates its arguments here, so a mistake is reported with the
argument's name and what was expected, never as a broadcasting error from deep inside numpy.
One rule throughout: an argument of the wrong type raises TypeError; one of the right type with a
wrong value, shape or range raises ValueError.
"""

import math
from numbers import Integral, Real

import numpy as np


def float_array(name, value, what):
    """``value`` as a float64 array; a TypeError naming ``name`` for text, ragged or complex input."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    if callable(getattr(value, "detach", None)) and hasattr(value, "cpu"):   # a torch tensor: its values
        value = value.detach().cpu()
        if value.is_complex():
            raise TypeError(f"{name} must be {what} (complex entries)")
        value = value.double().numpy()
    try:
        raw = np.asarray(value)
        if raw.dtype.kind == "c":
            raise TypeError("complex entries")
        return raw.astype(np.float64)
    except OverflowError:                                   # Python integers beyond the floats
        raise ValueError(f"{name} must be {what}: it has entries beyond the range of float64") from None
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be {what} ({error})") from None


def matrix(name, value, *, allow_empty=False):
    """Return ``value`` as a finite 2-D float64 array, or raise naming ``name``."""
    array = float_array(name, value, "a 2-D array of real numbers")
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got an array with {array.ndim} dimension(s) "
                         f"and shape {array.shape}")
    if not allow_empty and array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); it needs at least one row and one column")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return array


def nonnegative_int(name, value):
    """Return ``value`` as a Python int >= 0, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a nonnegative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a nonnegative integer, got {value}")
    return int(value)


def positive_int(name, value):
    """Return ``value`` as a Python int >= 1, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def real(name, value, *, minimum=None, strict=False):
    """Return ``value`` as a finite float (optionally ``> minimum`` or ``>= minimum``), or raise naming ``name``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:                                   # a Python integer beyond the floats
        raise ValueError(f"{name} must be finite, got an integer beyond the range of float64") from None
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum:g}, got {value}")
    return value


def positive_real(name, value):
    """Return ``value`` as a finite float > 0, or raise naming ``name``."""
    return real(name, value, minimum=0, strict=True)


def is_sequence(value):
    """Whether ``value`` is an ordered collection with a length: not text, a set, a dict or a 0-d array."""
    if isinstance(value, (str, bytes, set, frozenset, dict)) or not hasattr(value, "__len__"):
        return False
    try:
        len(value)
    except TypeError:                                       # a 0-d numpy array or torch tensor
        return False
    return True


def vector(name, value):
    """Return ``value`` as a finite 1-D float64 array (possibly empty), or raise naming ``name``."""
    if not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a sequence of real numbers, got {value!r}")
    array = float_array(name, value, "a sequence of real numbers")
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return array


def regularization(lam, L):
    """Return the per-layer parameters (λ_1, ..., λ_L) from a scalar or a length-L sequence."""
    if not isinstance(lam, (str, bytes, set, frozenset, dict)) and np.ndim(lam) == 0:
        allocation(L, f"one λ for each of the L = {L} layers")
        return (positive_real("lam", lam),) * L
    if isinstance(lam, (str, bytes, set, frozenset, dict)) or not hasattr(lam, "__len__") or np.ndim(lam) > 1:
        raise TypeError(f"lam must be a positive number or a sequence of {L} positive numbers "
                        f"(one per layer), got {type(lam).__name__}")
    values = list(lam)
    if len(values) != L:
        raise ValueError(f"lam must have one value per layer: expected {L}, got {len(values)}")
    return tuple(positive_real(f"lam[{i}]", v) for i, v in enumerate(values))


def data_pair(X, Y):
    """``(X, Y)`` as finite non-empty float64 matrices with the same number of samples (columns)."""
    X = matrix("X", X)
    Y = matrix("Y", Y)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of samples (columns): "
                         f"X is {X.shape[0]}×{X.shape[1]}, Y is {Y.shape[0]}×{Y.shape[1]}")
    return X, Y


def depth(L):
    """Return the depth ``L`` as an int >= 2 (at least two weight matrices), or raise."""
    L = positive_int("L", L)
    if L < 2:
        raise ValueError(f"L must be at least 2 (a network with at least two weight matrices), got {L}")
    if L > 2 ** 53:
        raise ValueError(f"L must be at most 2**53 (beyond, the depth is not exact in float64), got {L}")
    return L


def seed(value, name="seed"):
    """Return ``value`` if it can seed ``numpy.random.default_rng`` (None, an integer or a Generator)."""
    if isinstance(value, bool) or not (value is None or isinstance(value, (Integral, np.random.Generator))):
        raise TypeError(f"{name} must be None, an integer or a numpy Generator, got {value!r}")
    if isinstance(value, Integral) and value < 0:
        raise ValueError(f"{name} must be a nonnegative integer (or None, or a numpy Generator), got {value}")
    return value


def generator(name, value):
    """Return ``value`` if it is a numpy Generator, or raise a TypeError naming ``name``."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name} must be a numpy Generator (numpy.random.default_rng(seed)), got {value!r}")
    return value


def problem(value, name="problem"):
    """Return ``value`` if it is a :class:`~dlnbook.Problem`, or raise a TypeError naming ``name``."""
    from .problem import Problem

    if not isinstance(value, Problem):
        raise TypeError(f"{name} must be a dlnbook.Problem, got {type(value).__name__}")
    return value


def label(name, value):
    """Return ``value`` if it is a non-empty str, or raise naming ``name``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must be a non-empty str")
    return value


def flag(name, value):
    """Return ``value`` if it is True or False (numpy bools included), or raise a TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def readonly(value):
    """A read-only float64 copy of ``value``: the arrays of a result record cannot change afterwards."""
    array = np.array(value, dtype=np.float64)
    array.flags.writeable = False
    return array


#: The default of :func:`memory_limit`: 2 GiB.
DEFAULT_MEMORY_LIMIT = 2 * 1024 ** 3
_memory_limit = DEFAULT_MEMORY_LIMIT


def set_memory_limit(nbytes):
    """Set the most memory (in bytes) one array the library is asked to build may take; returns the old limit.

    Problems, data and weights larger than this are refused before anything is allocated, with the
    estimate in the message. ``None`` restores the default (``DEFAULT_MEMORY_LIMIT``, 2 GiB).
    """
    global _memory_limit
    old = _memory_limit
    _memory_limit = DEFAULT_MEMORY_LIMIT if nbytes is None else positive_int("nbytes", nbytes)
    return old


def memory_limit():
    """The current limit of :func:`set_memory_limit`, in bytes."""
    return _memory_limit


def allocation(n_floats, what):
    """Refuse, before allocating, ``n_floats`` float64 numbers for ``what`` if they exceed the memory limit."""
    nbytes = 8 * int(n_floats)
    if nbytes > _memory_limit:
        raise ValueError(f"{what} would take about {_size(nbytes)} of memory, more than the limit of "
                         f"{_size(_memory_limit)}; choose smaller sizes, or raise the limit with "
                         f"dlnbook.set_memory_limit(nbytes)")


def _size(nbytes):
    if nbytes >= 1024 ** 6 * 10 ** 6:                       # beyond any memory (and maybe beyond the floats)
        return f"1e{math.floor(math.log10(nbytes))} bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.3g} {unit}" if unit != "bytes" else f"{nbytes} bytes"
        nbytes /= 1024
