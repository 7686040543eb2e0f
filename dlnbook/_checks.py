"""Input checks shared by the public functions.

Every public entry point validates its arguments here, so a mistake is reported with the
argument's name and what was expected, never as a broadcasting error from deep inside numpy.
"""

from numbers import Integral, Real

import numpy as np


def matrix(name, value, *, allow_empty=False):
    """Return ``value`` as a finite 2-D float64 array, or raise naming ``name``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a 2-D array of real numbers, got {type(value).__name__}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a 2-D array of real numbers ({error})") from None
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


def positive_real(name, value):
    """Return ``value`` as a finite float > 0, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a positive real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def regularization(lam, L):
    """Return the per-layer parameters (λ_1, ..., λ_L) from a scalar or a length-L sequence."""
    if isinstance(lam, Real) and not isinstance(lam, bool):
        return (positive_real("lam", lam),) * L
    if isinstance(lam, (str, bytes)) or not hasattr(lam, "__len__"):
        raise TypeError(f"lam must be a positive number or a sequence of {L} positive numbers "
                        f"(one per layer), got {type(lam).__name__}")
    values = list(lam)
    if len(values) != L:
        raise ValueError(f"lam must have one value per layer: expected {L}, got {len(values)}")
    return tuple(positive_real(f"lam[{i}]", v) for i, v in enumerate(values))
