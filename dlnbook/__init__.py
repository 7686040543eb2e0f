"""dlnbook: the regularized squared loss of deep linear networks, computed.

The library behind the book. Weights are plain lists ``[W_1, ..., W_L]`` of float64 arrays.

* :class:`Problem`: data, widths and regularization; the loss, gradient, Hessian.
* :func:`imbalance`: the balancedness matrices that vanish at every critical point.
* :mod:`dlnbook.data`: whitened data with planted singular values.
* :func:`explore`: explorable figures that work live, in the static book, and in print.
"""

from . import data
from .explore import Explorable, explore
from .problem import Problem, imbalance

__all__ = ["Problem", "imbalance", "data", "explore", "Explorable"]
__version__ = "0.1.0"
