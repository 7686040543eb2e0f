"""dlnbook: the regularized squared loss of deep linear networks, computed.

The library behind the book. Weights are plain lists ``[W_1, ..., W_L]`` of float64 arrays.

* :class:`Problem`: data, widths and regularization; the loss, gradient, Hessian.
* :func:`imbalance`: the balancedness matrices that vanish at every critical point; :func:`norm`: the
  norm of a list of layers.
* :mod:`dlnbook.data`: whitened data with planted singular values.
* :mod:`dlnbook.critical`: the critical points of the whitened problem in closed form, and their kinds.
* :mod:`dlnbook.errorbound`: the error bound: its condition, the distance to the critical set, κ estimates.
* :func:`gradient_descent`: gradient descent with its rate (Chapter 4); :mod:`dlnbook.torch_backend` runs it
  on torch tensors, batched, on the CPU or a GPU.
* :func:`explore`: explorable figures that work live, in the static book, and in print.
"""

from . import critical, data, errorbound
from .critical import (Classification, CriticalPoint, classify, critical_points, global_threshold,
                       orbit_dimension, orbit_tangent_basis, require_whitened, stationarity_roots, threshold)
from .descent import BatchTrajectory, Trajectory, gradient_descent, gradient_descent_batch, predicted_rate
from .errorbound import (DistanceBracket, ErrorBoundCheck, ErrorBoundEstimate, NormalHessian, RatioBracket,
                         distance_to_critical_set, error_bound_holds, error_bound_ratio, estimate_error_bound,
                         normal_hessian)
from .explore import Explorable, explore
from .problem import Problem, imbalance, norm

__all__ = ["Problem", "imbalance", "norm", "data", "explore", "Explorable",
           "critical", "threshold", "global_threshold", "stationarity_roots", "critical_points", "classify",
           "CriticalPoint", "Classification", "orbit_dimension", "orbit_tangent_basis", "require_whitened",
           "errorbound", "error_bound_holds", "distance_to_critical_set", "error_bound_ratio", "estimate_error_bound",
           "normal_hessian", "ErrorBoundCheck", "DistanceBracket", "RatioBracket", "ErrorBoundEstimate",
           "NormalHessian", "gradient_descent", "gradient_descent_batch", "predicted_rate", "Trajectory",
           "BatchTrajectory"]
__version__ = "0.2.0"
