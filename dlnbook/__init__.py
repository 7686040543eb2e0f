"""dlnbook: the regularized squared loss of deep linear networks, computed.

The library behind the book. Weights are plain lists ``[W_1, ..., W_L]`` of float64 arrays. The
modules follow the book, and the data flow one way (data → problem → critical set → descent → figures):

* :mod:`dlnbook.data`: whitened data with planted singular values.
* :mod:`dlnbook.problem`: :class:`Problem` (data, widths and regularization; the loss, gradient,
  Hessian), :func:`imbalance`, :func:`norm`.
* :mod:`dlnbook.scalar`: the scalar equation (2) of a critical point, its thresholds and roots, and
  the two-layer scalar example.
* :mod:`dlnbook.critical_set`: the critical set of a whitened problem in closed form, orbit by orbit.
* :mod:`dlnbook.critical`: the list of critical points and their classification.
* :mod:`dlnbook.distance`: the distance to the critical set, bracketed.
* :mod:`dlnbook.errorbound`: the error bound: its condition, the ratio dist / ‖∇F‖, κ estimates.
* :mod:`dlnbook.steps`, :mod:`dlnbook.descent`, :mod:`dlnbook.trajectory`, :mod:`dlnbook.rates`:
  gradient descent (Chapter 4): the step rules, the loops, the records they return, and the rate of
  convergence, fitted and predicted. :mod:`dlnbook.torch_backend` runs the descent on torch tensors.
* :mod:`dlnbook.plots` and :func:`explore`: the figures, and explorable figures that work live, in the
  static book, and in print. matplotlib and torch are imported only when first used.
"""

from . import critical, data, errorbound
from .critical import (Classification, CriticalPoint, classify, count_critical_points, critical_points,
                       hidden_rotation_dimension, iter_critical_points, orbit_dimension, orbit_tangent_basis,
                       require_critical)
from .critical_set import KINDS, CriticalSet, Spectrum, require_whitened
from .descent import gradient_descent, gradient_descent_batch
from .distance import DistanceBracket, distance_to_critical_set
from .errorbound import (ErrorBoundCheck, ErrorBoundEstimate, NormalHessian, RatioBracket, error_bound_holds,
                         error_bound_ratio, estimate_error_bound, normal_hessian)
from ._checks import memory_limit, set_memory_limit
from .explore import Explorable, explore
from .problem import Problem, imbalance, norm
from .rates import LinearRate, RatePrediction, predicted_rate
from .scalar import ScalarCriticalPoints, global_threshold, scalar_critical_points, stationarity_roots, threshold
from .trajectory import BatchTrajectory, Trajectory

__all__ = ["Problem", "imbalance", "norm", "data", "explore", "Explorable", "set_memory_limit", "memory_limit",
           "threshold", "global_threshold", "stationarity_roots", "scalar_critical_points", "ScalarCriticalPoints",
           "CriticalSet", "Spectrum", "require_whitened",
           "critical", "critical_points", "iter_critical_points", "count_critical_points", "classify", "require_critical", "KINDS", "CriticalPoint", "Classification",
           "orbit_dimension", "orbit_tangent_basis", "hidden_rotation_dimension",
           "errorbound", "error_bound_holds", "distance_to_critical_set", "error_bound_ratio", "estimate_error_bound",
           "normal_hessian", "ErrorBoundCheck", "DistanceBracket", "RatioBracket", "ErrorBoundEstimate",
           "NormalHessian", "gradient_descent", "gradient_descent_batch", "predicted_rate", "Trajectory",
           "BatchTrajectory", "LinearRate", "RatePrediction"]
__version__ = "0.2.0"
