"""dlnbook: the regularized squared loss of deep linear networks, computed.

The library behind the book. Weights are plain lists ``[W_1, ..., W_L]`` of float64 arrays.

* :class:`Problem`: data, widths and regularization; the loss, gradient, Hessian.
* :func:`imbalance`: the balancedness matrices that vanish at every critical point.
* :mod:`dlnbook.data`: whitened data with planted singular values.
"""

from . import data
from .problem import Problem, imbalance

__all__ = ["Problem", "imbalance", "data"]
__version__ = "0.1.0"
