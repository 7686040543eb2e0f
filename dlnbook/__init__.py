"""dlnbook: the regularized squared loss of deep linear networks, computed.

The library behind the book. Weights are plain lists ``[W_1, ..., W_L]`` of float64 arrays.

* :class:`Problem`: data, widths and regularization; the loss, gradient, Hessian.
* :func:`imbalance`: the balancedness matrices that vanish at every critical point.
* :mod:`dlnbook.data`: whitened data with planted singular values.
* :mod:`dlnbook.critical`: the critical points of the whitened problem in closed form, and their kinds.
* :func:`explore`: explorable figures that work live, in the static book, and in print.
"""

from . import critical, data
from .critical import (Classification, CriticalPoint, classify, critical_points, global_threshold,
                       orbit_dimension, require_whitened, stationarity_roots, threshold)
from .explore import Explorable, explore
from .problem import Problem, imbalance

__all__ = ["Problem", "imbalance", "data", "explore", "Explorable",
           "critical", "threshold", "global_threshold", "stationarity_roots", "critical_points", "classify",
           "CriticalPoint", "Classification", "orbit_dimension", "require_whitened"]
__version__ = "0.1.0"
