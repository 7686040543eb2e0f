"""The rate of linear convergence: fitted to a run, and predicted from the Hessian (Chapter 4).

Near a minimum where the error bound holds, gradient descent converges linearly:
``‖∇F(W_k)‖ ≈ c q^k``.

* :func:`linear_rate` fits ``q`` to a run's recorded gradient norms, over the longest final stretch
  on which they lie on a line in log scale (:meth:`Trajectory.linear_rate <dlnbook.Trajectory.linear_rate>`).
* :func:`predicted_rate` predicts it from the Hessian at the limit,
  ``ρ = max(|1 − η h_min|, |1 − η h_max|)``.
"""

from typing import NamedTuple

import numpy as np

from . import _checks
from .problem import Problem

#: :func:`linear_rate` ignores gradient norms below ``RATE_FLOOR · max_k ‖∇F(W_k)‖`` (≈ 2e−12):
#: there the rounding error of the computed gradient is no longer small against it.
RATE_FLOOR = 1e4 * np.finfo(np.float64).eps


class LinearRate(NamedTuple):
    """The fitted linear rate of a run (see :func:`linear_rate`).

    ``q = exp(slope)`` is the contraction factor per step of ``‖∇F(W_k)‖``, from the least-squares
    line ``intercept + slope · k`` through ``log ‖∇F(W_k)‖`` for ``start ≤ k ≤ stop``;
    ``max_residual`` is the largest distance of a fitted point from that line (natural log).
    """
    q: float
    start: int
    stop: int
    slope: float
    intercept: float
    max_residual: float

    def __repr__(self):
        return f"LinearRate(q={self.q:.6f}, start={self.start}, stop={self.stop})"


def fit_line(k, logg):
    """The least-squares line through the points ``(k, log ‖∇F‖)``, as a :class:`LinearRate`.

    Parameters
    ----------
    k, logg : sequence of float
        The iterations (whole numbers from 0 to 2**53) and the logarithms of the gradient norms there:
        finite, the same length, at least two points with distinct ``k``.

    Raises
    ------
    TypeError, ValueError
        Naming ``k`` or ``logg`` when they are not as described.
    """
    k = _iterations(k)
    logg = _checks.vector("logg", logg)
    if np.any((logg < -746) | (logg > 710)):                  # not the log of a positive float64
        raise ValueError(f"logg must hold logarithms of gradient norms (float64 numbers: -746 < logg < 710), "
                         f"got {logg[(logg < -746) | (logg > 710)][0]:g}")
    if logg.shape != k.shape:
        raise ValueError(f"k and logg must have the same length, got {k.size} and {logg.size}")
    if np.unique(k).size < 2:
        raise ValueError(f"k must hold at least two distinct iterations (a line needs two points), got {k.tolist()}")
    return _fit_line(k, logg)


def _iterations(k, increasing=False):
    """``k`` checked: iteration numbers, whole numbers from 0 to 2**53 (exact in float64), increasing if asked."""
    k = _checks.vector("k", k)
    bad = k[(k < 0) | (k > 2.0 ** 53) | (k != np.round(k))]
    if bad.size:
        raise ValueError(f"k must hold iteration numbers (whole numbers from 0 to 2**53), got {bad[0]:g}")
    if increasing and np.any(np.diff(k) <= 0):
        raise ValueError("k must be increasing: the iterations at which the gradient norms were recorded, in order")
    return k


def _fit_line(k, logg):
    """:func:`fit_line` on checked arrays (:func:`linear_rate` calls it up to 64 times)."""
    slope, intercept = np.polyfit(k, logg, 1)
    residual = float(np.max(np.abs(logg - (intercept + slope * k))))
    return LinearRate(float(np.exp(slope)), int(k[0]), int(k[-1]), float(slope), float(intercept), residual)


def fit_options(start=None, stop=None, atol=0.01, min_records=5):
    """The options of :func:`linear_rate`, checked (an unknown option is a TypeError naming it)."""
    start = None if start is None else _checks.real("start", start)
    stop = None if stop is None else _checks.real("stop", stop)
    atol = _checks.positive_real("atol", atol)
    min_records = _checks.positive_int("min_records", min_records)
    if min_records < 2:
        raise ValueError(f"min_records must be at least 2 (a line needs two points), got {min_records}")
    return start, stop, atol, min_records


def linear_rate(k, g, start=None, stop=None, atol=0.01, min_records=5):
    """The contraction factor q per step of the gradient norms ``g`` recorded at iterations ``k``.

    A least-squares line is fitted to ``log g`` against k; ``q = exp(slope)``.

    Parameters
    ----------
    k, g : ndarray
        The recorded iterations (increasing whole numbers from 0 to 2**53) and gradient norms
        ``‖∇F(W_k)‖``, one per iteration; gradient norms that are not finite are not used.
    start, stop : int, optional
        The range of iterations to fit. By default ``stop`` is the last recorded iteration whose
        gradient norm is above the floor ``RATE_FLOOR · max_k ‖∇F(W_k)‖`` (below it, rounding makes
        the computed gradient noisy), and ``start`` is the earliest recorded iteration (on a grid
        of 64 candidates) from which the points up to ``stop`` lie within ``atol`` of their fitted
        line in log scale: the longest final stretch on which the run is linear.
    atol : float
        The largest allowed distance of a point from the line, in natural log (0.01 ≈ 1 %).
    min_records : int
        The fewest recorded points a fit uses.

    Returns
    -------
    LinearRate

    Raises
    ------
    TypeError, ValueError
        If an argument is not as described (naming it), or if fewer than ``min_records`` usable records
        lie in the range.
    """
    start, stop, atol, min_records = fit_options(start, stop, atol, min_records)
    k = _iterations(k, increasing=True)
    g = _checks.float_array("g", g, "a sequence of gradient norms")
    if g.ndim != 1 or g.shape != k.shape:
        raise ValueError(f"g must be a flat sequence with one gradient norm per entry of k ({k.size}), "
                         f"got shape {g.shape}")
    usable = np.isfinite(g) & (g > RATE_FLOOR * np.max(g[np.isfinite(g)], initial=0.0))
    if start is not None or stop is not None:
        lo = -np.inf if start is None else start
        hi = np.inf if stop is None else stop
        usable &= (k >= lo) & (k <= hi)
        chosen = np.flatnonzero(usable)
        if chosen.size < min_records:
            raise ValueError(f"start={start}, stop={stop} leave {chosen.size} usable records; "
                             f"a fit needs at least min_records={min_records}")
        return _fit_line(k[chosen], np.log(g[chosen]))
    last = np.flatnonzero(usable)
    if last.size < min_records:
        raise ValueError(f"g has {last.size} usable records (positive, finite gradient norms above "
                         f"the rounding floor); a fit needs at least min_records={min_records}")
    end = last[-1]
    candidates = np.flatnonzero(usable[:end + 1])
    keep = candidates[:len(candidates) - min_records + 1]
    grid = np.unique(keep[np.linspace(0, len(keep) - 1, min(64, len(keep))).astype(int)])
    fit = None
    for first in grid:
        chosen = candidates[candidates >= first]
        fit = _fit_line(k[chosen], np.log(g[chosen]))
        if fit.max_residual <= atol:
            return fit
    # nothing is linear to atol: fit the final quarter of the run
    chosen = candidates[-max(min_records, len(candidates) // 4):]
    return _fit_line(k[chosen], np.log(g[chosen]))


class RatePrediction(NamedTuple):
    """The predicted contraction factor ``rho`` of :func:`predicted_rate`, from the Hessian eigenvalues
    ``h_min``, ``h_max``; ``n_zero`` and ``n_negative`` count the eigenvalues taken as zero and the negative ones.
    """
    rho: float
    h_min: float
    h_max: float
    n_zero: int
    n_negative: int


def predicted_rate(problem, W, step, zero_tol=1e-7):
    """The asymptotic contraction factor of gradient descent near a minimum W (Chapter 4).

    ``ρ = max(|1 − η h_min|, |1 − η h_max|)``, with ``h_min``, ``h_max`` the smallest and largest
    Hessian eigenvalues at W whose absolute value exceeds ``zero_tol`` (the Hessian on the directions
    normal to the critical set, when W is a Morse–Bott minimum). Uses the dense
    :meth:`Problem.hessian <dlnbook.Problem.hessian>`, so it is meant for small problems.

    Parameters
    ----------
    problem : dlnbook.Problem
    W : sequence of ndarray
        A critical point, typically the last iterate of a converged run.
    step : float
        The step η.
    zero_tol : float
        Eigenvalues with ``|h| ≤ zero_tol`` count as zero (directions along the critical set).

    Returns
    -------
    RatePrediction
        ``rho``, ``h_min``, ``h_max``, ``n_zero`` (eigenvalues counted as zero) and ``n_negative``
        (eigenvalues below ``−zero_tol``; nonzero means W is a saddle, where the formula does not apply).

    Raises
    ------
    TypeError
        If ``problem`` is not a Problem or an argument is not a number.
    ValueError
        If ``W`` does not fit ``problem``, ``step`` is not positive, or every eigenvalue counts as zero.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a dlnbook.Problem, got {type(problem).__name__}")
    step = _checks.positive_real("step", step)
    zero_tol = _checks.real("zero_tol", zero_tol, minimum=0)
    h = np.linalg.eigvalsh(problem.hessian(W))
    nonzero = h[np.abs(h) > zero_tol]
    if nonzero.size == 0:
        raise ValueError(f"every Hessian eigenvalue is within zero_tol={zero_tol:g} of zero")
    h_min, h_max = float(nonzero.min()), float(nonzero.max())
    rho = max(abs(1 - step * h_min), abs(1 - step * h_max))
    if not np.isfinite(rho):
        raise ValueError(f"step = {step:g} is too large: the predicted rate |1 − step·h| overflows float64")
    return RatePrediction(rho, h_min, h_max, int(np.sum(np.abs(h) <= zero_tol)), int(np.sum(h < -zero_tol)))
