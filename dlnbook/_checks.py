"""Input checks shared by the public functions.

Every public entry point validates its arguments here, so a mistake is reported with the
argument's name and what was expected, never as a broadcasting error from deep inside numpy.
"""

from numbers import Integral, Real

import numpy as np


def _float_array(name, value, what):
    """``value`` as a float64 array; a TypeError naming ``name`` for text, ragged or complex input."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    try:
        raw = np.asarray(value)
        if raw.dtype.kind == "c":
            raise TypeError("complex entries")
        return raw.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be {what} ({error})") from None


def matrix(name, value, *, allow_empty=False):
    """Return ``value`` as a finite 2-D float64 array, or raise naming ``name``."""
    array = _float_array(name, value, "a 2-D array of real numbers")
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got an array with {array.ndim} dimension(s) "
                         f"and shape {array.shape}")
    if not allow_empty and array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); it needs at least one row and one column")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return array


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
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum:g}, got {value}")
    return value


def positive_real(name, value):
    """Return ``value`` as a finite float > 0, or raise naming ``name``."""
    return real(name, value, minimum=0, strict=True)


def vector(name, value):
    """Return ``value`` as a finite 1-D float64 array (possibly empty), or raise naming ``name``."""
    if not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a sequence of real numbers, got {value!r}")
    array = _float_array(name, value, "a sequence of real numbers")
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return array


def regularization(lam, L):
    """Return the per-layer parameters (λ_1, ..., λ_L) from a scalar or a length-L sequence."""
    if not isinstance(lam, (str, bytes, set, frozenset, dict)) and np.ndim(lam) == 0:
        return (positive_real("lam", lam),) * L
    if isinstance(lam, (str, bytes, set, frozenset, dict)) or not hasattr(lam, "__len__") or np.ndim(lam) > 1:
        raise TypeError(f"lam must be a positive number or a sequence of {L} positive numbers "
                        f"(one per layer), got {type(lam).__name__}")
    values = list(lam)
    if len(values) != L:
        raise ValueError(f"lam must have one value per layer: expected {L}, got {len(values)}")
    return tuple(positive_real(f"lam[{i}]", v) for i, v in enumerate(values))


def axes(ax):
    """The matplotlib Axes to draw on: ``ax``, or the current Axes when it is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        return plt.gca()
    if not isinstance(ax, plt.Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax
