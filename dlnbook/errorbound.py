"""The error bound around the critical points of the whitened loss (Chapter 3).

An error bound holds at a critical point ``W̄`` when, for some ``ε, κ > 0``,

.. math::

    \\operatorname{dist}(W, \\mathcal W^*) \\le \\kappa\\, \\lVert \\nabla F(W) \\rVert
    \\qquad \\text{whenever } \\lVert W - \\bar W \\rVert \\le \\varepsilon ,

with ``𝒲* = {W : ∇F(W) = 0}`` the critical set. Every distance and norm here is the Frobenius norm of
the flattened weight list, ``‖W‖² = Σ_l ‖W_l‖_F²``.

* :func:`error_bound_holds`: the condition under which the bound holds at every critical point of a
  whitened problem: no singular value of Ȳ equals the threshold τ_L (Chapter 3, the theorem).
* :func:`error_bound_ratio`: ``dist / ‖∇F(W)‖``, bracketed with the certified bracket of
  :func:`dlnbook.distance.distance_to_critical_set`.
* :func:`estimate_error_bound`: those ratios around a critical point at several radii, along random
  directions and along the worst directions the Hessian allows (:func:`normal_hessian`).
* :func:`normal_hessian`: the Hessian on the normal space of the orbit at a critical point (the
  orbit's tangent space is :func:`dlnbook.critical.orbit_tangent_basis`); nondegenerate = Morse–Bott:
  no kernel there.

This module needs the closed form of :mod:`dlnbook.critical_set`, so it applies to whitened problems only.
Equality with τ_L is decided with :data:`dlnbook.scalar.THRESHOLD_RTOL`, zero Hessian eigenvalues with
:func:`dlnbook.critical.hessian_null_tolerance`, and criticality by :func:`dlnbook.critical.require_critical`.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import _checks
from .critical import hessian_null_tolerance, orbit_tangent_basis, require_critical
from .critical_set import CriticalSet, require_whitened
from .distance import distance_to_critical_set
from .scalar import THRESHOLD_RTOL


# --- the condition -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ErrorBoundCheck:
    """The result of :func:`error_bound_holds`; ``bool(result)`` is ``result.holds``.

    Attributes
    ----------
    holds : bool
        True when no singular value of Ȳ equals τ_L: the error bound holds at every critical point.
    offending : tuple of float
        The singular values of Ȳ equal to τ_L (within :data:`dlnbook.scalar.THRESHOLD_RTOL`); empty when ``holds``.
    tau : float
        The threshold τ_L(Λ) of equation (2).
    singular_values : tuple of float
        The singular values of Ȳ, non-increasing (ties snapped as in :class:`dlnbook.critical_set.Spectrum`).
    """
    holds: bool
    offending: tuple
    tau: float
    singular_values: tuple

    def __bool__(self):
        return self.holds

    def __repr__(self):
        offending = ", ".join(f"{v:.6g}" for v in self.offending)
        return f"ErrorBoundCheck(holds={self.holds}, tau={self.tau:.6g}, offending=[{offending}])"


def error_bound_holds(problem):
    """Whether the error bound holds at every critical point of a whitened problem (Chapter 3).

    It holds exactly when no singular value ``y`` of Ȳ equals the threshold τ_L(Λ) of equation (2),
    that is, when no scalar equation (2) has a repeated positive root (for L = 2: no root is being
    born from 0). Equality is decided with the relative tolerance :data:`dlnbook.scalar.THRESHOLD_RTOL`.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (``X Xᵀ = I``).

    Returns
    -------
    ErrorBoundCheck
        ``holds``, the ``offending`` singular values and ``tau``; ``bool(result) == result.holds``.

    Raises
    ------
    TypeError, ValueError
        If ``problem`` is not a whitened :class:`~dlnbook.Problem`.

    Examples
    --------
    >>> from dlnbook import Problem, threshold
    >>> from dlnbook.errorbound import error_bound_holds
    >>> bool(error_bound_holds(Problem.from_target([[2.0, 0.0], [0.0, 1.0]], widths=[2, 2], lam=0.3)))
    True
    >>> tau = threshold(3, 0.3)
    >>> error_bound_holds(Problem.from_target([[2.0, 0.0], [0.0, tau]], widths=[2, 2], lam=0.3)).holds
    False
    """
    closed_form = CriticalSet(problem)
    spectrum, tau = closed_form.spectrum, closed_form.tau
    offending = tuple(float(v) for v in spectrum.y if abs(v - tau) <= THRESHOLD_RTOL * tau)
    return ErrorBoundCheck(not offending, offending, tau, tuple(float(v) for v in spectrum.y))


class RatioBracket(NamedTuple):
    """``lower ≤ dist(W, 𝒲*) / ‖∇F(W)‖ ≤ upper``, and the gradient norm ``grad_norm = ‖∇F(W)‖``.
    """
    lower: float
    upper: float
    grad_norm: float


def error_bound_ratio(problem, W, **options):
    """The ratio ``dist(W, 𝒲*) / ‖∇F(W)‖``, bracketed (Chapter 3).

    The error bound at a critical point ``W̄`` says that this ratio stays bounded (by κ) for ``W``
    near ``W̄``. Both ends of the bracket of :func:`~dlnbook.distance.distance_to_critical_set` are divided by the
    gradient norm; norms are Frobenius norms of the flattened weight list.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem.
    W : sequence of ndarray
        Weights, not critical (``∇F(W) ≠ 0``).
    **options
        Passed to :func:`~dlnbook.distance.distance_to_critical_set`.

    Returns
    -------
    RatioBracket
        ``(lower, upper, grad_norm)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`~dlnbook.distance.distance_to_critical_set`; also if ``∇F(W) = 0`` exactly (the ratio is undefined).

    Examples
    --------
    >>> from dlnbook import Problem
    >>> from dlnbook.errorbound import error_bound_ratio
    >>> problem = Problem.from_target([[2.0]], widths=[1], lam=0.5)
    >>> ratio = error_bound_ratio(problem, [[[1e-3]], [[1e-3]]])      # near W = 0, a saddle
    >>> bool(ratio.lower <= ratio.upper), round(ratio.upper, 3)
    (True, 0.667)
    """
    require_whitened(problem)
    W = problem.check_weights(W)
    grad_norm = problem.grad_norm(W)
    if grad_norm == 0.0:
        raise ValueError("W is a critical point (∇F(W) = 0): the ratio dist / ‖∇F‖ is undefined there; "
                         "evaluate it at points near W instead (see estimate_error_bound)")
    lower, upper, _ = distance_to_critical_set(problem, W, **options)
    return RatioBracket(lower / grad_norm, upper / grad_norm, grad_norm)


# --- estimating κ around a critical point --------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ErrorBoundEstimate:
    """The result of :func:`estimate_error_bound`: ratios ``dist / ‖∇F‖`` around a critical point.

    Attributes
    ----------
    radii : ndarray
        Shape (R,). The distances ``ρ`` from ``W̄`` at which the ratios were evaluated
        (``W = W̄ + ρ D``, ``‖D‖ = 1``).
    random : ndarray
        Shape (R, n). ``upper / ‖∇F‖`` (the upper end of :func:`error_bound_ratio`) along ``n``
        random directions.
    random_lower : ndarray
        Shape (R, n). ``lower / ‖∇F‖`` along the same directions.
    worst : ndarray
        Shape (R, m). ``upper / ‖∇F‖`` along the worst-case directions (see ``worst_directions``).
    worst_lower : ndarray
        Shape (R, m). ``lower / ‖∇F‖`` along them.
    worst_directions : ndarray
        Shape (m, n_params). Unit directions, flattened. At a degenerate point: the Hessian kernel's
        directions normal to the orbit. At a nondegenerate point (no such direction): the eigenvector of the smallest
        nonzero Hessian eigenvalue ``h_min`` on the orbit's normal space, along which the ratio tends
        to ``1 / h_min``.
    kernel_normal_dim : int
        ``dim ker ∇²F(W̄) − dim(orbit)``: zero exactly when ``W̄`` is nondegenerate (Morse–Bott).
    h_min : float
        The smallest absolute nonzero Hessian eigenvalue on the normal space.
    """
    radii: np.ndarray
    random: np.ndarray
    random_lower: np.ndarray
    worst: np.ndarray
    worst_lower: np.ndarray
    worst_directions: np.ndarray
    kernel_normal_dim: int
    h_min: float

    def __post_init__(self):
        for name in ("radii", "random", "random_lower", "worst", "worst_lower", "worst_directions"):
            object.__setattr__(self, name, _checks.readonly(getattr(self, name)))

    @property
    def kappa(self):
        """The largest ``upper / ‖∇F‖`` at each radius, over all directions: an estimate of κ."""
        return np.max(np.concatenate([self.random, self.worst], axis=1), axis=1)

    @property
    def kappa_lower(self):
        """The largest ``lower / ‖∇F‖`` at each radius: a certified lower bound on the best κ
        for a ball of that radius."""
        return np.max(np.concatenate([self.random_lower, self.worst_lower], axis=1), axis=1)

    def slope(self, which="kappa"):
        """The least-squares slope of ``log(ratio)`` against ``log(radius)``.

        ``which`` is ``"kappa"`` (the default), ``"worst"`` (largest over the worst-case directions)
        or ``"random"`` (largest over the random directions). Bounded ratios give slope ≈ 0.
        """
        values = {"kappa": self.kappa, "worst": np.max(self.worst, axis=1) if self.worst.size else None,
                  "random": np.max(self.random, axis=1) if self.random.size else None}
        if not isinstance(which, str) or which not in values:
            raise ValueError(f"which must be 'kappa', 'worst' or 'random', got {which!r}")
        if values[which] is None or self.radii.size < 2:
            raise ValueError(f"no {which!r} ratios at two or more radii to fit a slope to")
        return float(np.polyfit(np.log(self.radii), np.log(values[which]), 1)[0])

    def __repr__(self):
        return (f"ErrorBoundEstimate({self.radii.size} radii, {self.random.shape[1]} random and "
                f"{self.worst.shape[1]} worst-case directions, kernel_normal_dim={self.kernel_normal_dim})")


class NormalHessian(NamedTuple):
    """The Hessian at a critical point, restricted to the normal space of its orbit (see :func:`normal_hessian`).
    """
    eigenvalues: np.ndarray
    kernel_normal_dim: int
    h_min: float
    directions: np.ndarray


def normal_hessian(problem, W_bar, max_directions=4):
    """The Hessian ``∇²F(W̄)`` on the normal space of the orbit of ``W̄``, and its worst directions.

    The symmetry group moves ``W̄`` along its orbit without changing ``F``, so the orbit's tangent
    space ``T`` lies in the Hessian's kernel. ``W̄`` is *nondegenerate* (Morse–Bott) when the kernel
    is exactly ``T``: then the Hessian is invertible on the normal space ``T^⊥``, and its smallest
    absolute eigenvalue there, ``h_min``, sets the error-bound constant (κ ≈ 1 / h_min, Chapter 3).
    Zero eigenvalues are decided with :func:`dlnbook.critical.hessian_null_tolerance`.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (small: the dense Hessian is built).
    W_bar : sequence of ndarray
        A critical point.
    max_directions : int
        At most this many kernel directions are returned.

    Returns
    -------
    NormalHessian
        ``eigenvalues``: the Hessian's eigenvalues on ``T^⊥``, increasing; ``kernel_normal_dim``: how
        many of them are zero (``dim ker − dim T``, zero exactly at nondegenerate points); ``h_min``:
        the smallest nonzero absolute value among them (``inf`` if none); ``directions``: unit
        vectors (rows, flattened) spanning part of the kernel in ``T^⊥`` or, at a nondegenerate point,
        the eigenvector of the eigenvalue of absolute value ``h_min``.

    Raises
    ------
    TypeError, ValueError
        If ``problem`` is not whitened, ``W_bar`` is not a critical point of it (see
        :func:`dlnbook.critical.require_critical`), or ``max_directions`` is not a positive integer.

    Examples
    --------
    >>> from dlnbook import Problem, threshold
    >>> from dlnbook.errorbound import normal_hessian
    >>> problem = Problem.from_target([[threshold(2, 0.5)]], widths=[1], lam=0.5)
    >>> result = normal_hessian(problem, problem.zeros())
    >>> result.kernel_normal_dim, round(result.h_min, 12)         # eigenvalues λ ∓ y = 0, 1
    (1, 1.0)
    """
    require_whitened(problem)
    W_bar = require_critical(problem, W_bar, name="W_bar")   # elsewhere the tangent space is not a kernel
    max_directions = _checks.positive_int("max_directions", max_directions)
    try:
        H = problem.hessian(W_bar)
    except ValueError as error:                              # the Hessian overflows: say which argument
        raise ValueError(f"W_bar: {error}") from None
    T = orbit_tangent_basis(problem, W_bar)
    n = H.shape[0]
    Q, _ = np.linalg.qr(np.concatenate([T, np.eye(n)], axis=1))
    N = Q[:, T.shape[1]:n]                                 # an orthonormal basis of T^⊥
    eigenvalues = np.linalg.eigvalsh(H)
    tol = hessian_null_tolerance(H, eigenvalues, T, problem.L)
    values, vectors = np.linalg.eigh(N.T @ H @ N)
    kernel = np.abs(values) <= tol
    kernel_normal_dim = int(np.sum(kernel))
    nonzero = np.abs(values)[~kernel]
    h_min = float(np.min(nonzero)) if nonzero.size else np.inf
    if kernel_normal_dim:
        chosen = np.flatnonzero(kernel)[:max_directions]
    else:
        chosen = [int(np.argmin(np.abs(values)))] if values.size else []
    directions = (N @ vectors[:, chosen]).T if len(chosen) else np.zeros((0, n))
    return NormalHessian(_checks.readonly(values), kernel_normal_dim, h_min, _checks.readonly(directions))


def estimate_error_bound(problem, W_bar, radii, n_random=8, seed=None, max_worst=4, **options):
    """Estimate the error-bound constant κ around a critical point ``W̄`` (Chapter 3).

    For each radius ``ρ`` and unit direction ``D`` (Frobenius norm of the flattened list), evaluates
    :func:`error_bound_ratio` at ``W̄ + ρ D``. Directions: ``n_random`` random ones (Gaussian,
    normalized) and the worst-case ones: the Hessian kernel's directions normal to the orbit of
    ``W̄`` (at most ``max_worst``), or, when there are none (``W̄`` nondegenerate), the eigenvector of
    the smallest nonzero Hessian eigenvalue on the normal space. If the error bound holds at ``W̄``,
    the ratios stay bounded as ``ρ → 0`` (and along that eigenvector tend to ``1 / h_min``); where it
    fails they grow like a negative power of ``ρ``.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (small: the dense Hessian is built).
    W_bar : sequence of ndarray
        A critical point (see :func:`dlnbook.critical.require_critical`).
    radii : sequence of float
        Positive radii.
    n_random : int
        Number of random directions (0 for the worst-case ones only).
    seed : int or numpy.random.Generator, optional
        Seed of the random directions.
    max_worst : int
        At most this many worst-case directions.
    **options
        Passed to :func:`~dlnbook.distance.distance_to_critical_set`.

    Returns
    -------
    ErrorBoundEstimate

    Raises
    ------
    TypeError, ValueError
        If ``problem`` is not whitened, ``W_bar`` has the wrong shapes, is not finite or not critical,
        ``radii`` are not positive and finite, or ``n_random`` is not a nonnegative integer.

    Examples
    --------
    >>> from dlnbook import Problem
    >>> from dlnbook.errorbound import estimate_error_bound
    >>> problem = Problem.from_target([[2.0]], widths=[1], lam=0.5)
    >>> estimate = estimate_error_bound(problem, problem.zeros(), [1e-2, 1e-3, 1e-4], n_random=2, seed=0)
    >>> estimate.kernel_normal_dim, round(estimate.h_min, 6), round(float(estimate.worst[-1, 0]) * estimate.h_min, 4)
    (0, 1.5, 1.0)
    """
    require_whitened(problem)
    W_bar = problem.check_weights(W_bar, name="W_bar")
    radii = _checks.vector("radii", radii)
    if radii.size == 0 or np.any(radii <= 0):
        raise ValueError(f"radii must be a non-empty sequence of positive numbers, got {radii.tolist()}")
    n_random = _checks.nonnegative_int("n_random", n_random)
    max_worst = _checks.positive_int("max_worst", max_worst)
    seed = _checks.seed(seed)
    W_bar = require_critical(problem, W_bar, name="W_bar")
    _checks.allocation(n_random * problem.n_params, f"n_random = {n_random} random directions")
    rng = np.random.default_rng(seed)
    random = rng.normal(size=(n_random, problem.n_params))
    random /= np.linalg.norm(random, axis=1, keepdims=True) if n_random else 1.0
    _, kernel_normal_dim, h_min, worst = normal_hessian(problem, W_bar, max_worst)
    w_bar = problem.flatten(W_bar)

    def ratios(D):
        upper, lower = np.empty((radii.size, len(D))), np.empty((radii.size, len(D)))
        for i, rho in enumerate(radii):
            for k, d in enumerate(D):
                r = error_bound_ratio(problem, problem.unflatten(w_bar + rho * d), **options)
                upper[i, k], lower[i, k] = r.upper, r.lower
        return upper, lower

    random_upper, random_lower = ratios(random)
    worst_upper, worst_lower = ratios(worst)
    return ErrorBoundEstimate(radii, random_upper, random_lower, worst_upper, worst_lower, worst,
                              kernel_normal_dim, h_min)
