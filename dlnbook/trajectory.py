"""What a gradient-descent run returns: its record (Chapter 4).

* :class:`Trajectory`: one run, as :func:`dlnbook.gradient_descent` records it: the loss and the
  gradient norm along the run, the distance of each iterate to the last one, the final weights and
  why the run stopped. :meth:`Trajectory.linear_rate <dlnbook.Trajectory.linear_rate>` fits its rate
  (:mod:`dlnbook.rates`) and :meth:`Trajectory.plot <dlnbook.Trajectory.plot>` draws it (:func:`dlnbook.plots.plot_convergence`).
* :class:`BatchTrajectory`: B runs made together by :func:`dlnbook.gradient_descent_batch`; its
  items are the runs' :class:`Trajectory` records.

Both are frozen records with read-only arrays.
"""

from dataclasses import dataclass, field
from numbers import Integral
from typing import Callable, Optional

import numpy as np

from . import _checks, rates
from .steps import DIVERGENCE_FACTOR

#: Why a run stopped.
STATUSES = ("converged", "max_iter", "diverged")


def stop_message(status, iterations, tol, step, suggested, at=None, reason=None):
    """One sentence saying why a run stopped, as a :class:`~dlnbook.Trajectory`'s ``message`` reads.

    Parameters
    ----------
    status : str
        One of :data:`STATUSES`.
    iterations : int
        The number of steps taken.
    tol : float
        The tolerance on ‖∇F‖ of the run (``>= 0``).
    step, suggested : float
        For a diverged run: the step it took and a smaller one to try (both positive).
    at : int, optional
        For a diverged run: the iteration at which it diverged.
    reason : str, optional
        For a diverged run: what happened (by default, the loss grew too large or was not finite).

    ``step``, ``suggested``, ``at`` and ``reason`` are read only when ``status`` is ``"diverged"``.

    Raises
    ------
    TypeError, ValueError
        Naming the argument that is not as described (checked once per run, not per iteration).
    """
    if not isinstance(status, str) or status not in STATUSES:
        raise (ValueError if isinstance(status, str) else TypeError)(
            f"status must be one of {STATUSES}, got {status!r}")
    iterations = _checks.nonnegative_int("iterations", iterations)
    tol = _checks.real("tol", tol, minimum=0)
    if status == "converged":
        return f"converged: ‖∇F‖ ≤ {tol:g} after {iterations} steps"
    if status == "max_iter":
        return f"stopped after max_iter = {iterations} steps without reaching ‖∇F‖ ≤ {tol:g}"
    step = _checks.positive_real("step", step)
    suggested = _checks.positive_real("suggested", suggested)
    at = _checks.nonnegative_int("at", at)
    if reason is not None:
        reason = _checks.label("reason", reason)
    reason = reason or f"the loss exceeded {DIVERGENCE_FACTOR:g} × |F(W0)| or was not finite"
    return f"diverged at iteration {at} with step {step:g}: {reason}; try step={suggested:.3g}"


def _readonly_int(values):
    array = np.array(values, dtype=np.int64)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The record of one gradient-descent run (see :func:`dlnbook.gradient_descent`).

    Attributes
    ----------
    iteration : ndarray of int
        The iterations k at which the run was recorded: 0, every ``record_every`` steps, and the last.
    loss : ndarray
        ``F(W_k)`` at those iterations.
    grad_norm : ndarray
        ``‖∇F(W_k)‖`` (the norm over all layers) at those iterations.
    W : tuple of ndarray
        The last iterate ``W_K`` (read-only).
    iterations : int
        K, the number of steps taken.
    status : str
        ``"converged"`` (``‖∇F(W_K)‖ ≤ tol``), ``"max_iter"`` or ``"diverged"``.
    step : float
        The step of the last iteration (the constant step, or where backtracking settled).
    suggested_step : float or None
        For a diverged run, a smaller step to try: ``min(η/2, 1/ℓ₀)`` with ℓ₀ the curvature estimate at
        ``W0``. None otherwise.
    message : str
        One sentence saying why the run stopped.
    initial_step : float
        The first step tried: the constant step, or ``1/ℓ₀`` for backtracking (``step`` if not given).

    The field ``replay`` is the function that computes :attr:`distance` (by replaying the run) when it is
    first asked for.
    """
    iteration: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    W: Optional[tuple]
    iterations: int
    status: str
    step: float
    suggested_step: Optional[float]
    message: str
    replay: Callable = field(repr=False)
    initial_step: Optional[float] = None

    def __post_init__(self):
        object.__setattr__(self, "iteration", _readonly_int(self.iteration))
        object.__setattr__(self, "loss", _checks.readonly(self.loss))
        object.__setattr__(self, "grad_norm", _checks.readonly(self.grad_norm))
        if self.W is not None:
            object.__setattr__(self, "W", tuple(_checks.readonly(Wl) for Wl in self.W))
        object.__setattr__(self, "iterations", int(self.iterations))
        object.__setattr__(self, "initial_step", self.step if self.initial_step is None else float(self.initial_step))

    def __repr__(self):
        return (f"Trajectory(status={self.status!r}, iterations={self.iterations}, "
                f"loss={self.loss[-1]:.6g}, grad_norm={self.grad_norm[-1]:.3g})")

    @property
    def distance(self):
        """``‖W_k − W_K‖`` at the recorded iterations: the distance to the last iterate.

        Computed on first access by replaying the run (the iterates are not stored, so a long run
        needs no memory for them); the replay repeats the same operations and gives the same iterates.
        """
        if "_distance" not in self.__dict__:
            object.__setattr__(self, "_distance", _checks.readonly(self.replay()))
        return self.__dict__["_distance"]

    def linear_rate(self, start=None, stop=None, atol=0.01, min_records=5):
        """The contraction factor q per step of ``‖∇F(W_k)‖`` over the linear phase.

        :func:`dlnbook.rates.linear_rate` applied to this run's records; see there for the parameters.

        Returns
        -------
        LinearRate

        Raises
        ------
        ValueError
            If fewer than ``min_records`` usable records lie in the range.
        """
        return rates.linear_rate(self.iteration, self.grad_norm, start, stop, atol, min_records)

    def plot(self, ax=None, fit=True, label=None, distance=False, **style):
        """The convergence figure: :func:`dlnbook.plots.plot_convergence` of this run."""
        from .plots import plot_convergence

        return plot_convergence(self, ax=ax, fit=fit, label=label, distance=distance, **style)


@dataclass(frozen=True, eq=False)
class BatchTrajectory:
    """The record of B runs made together (see :func:`dlnbook.gradient_descent_batch`).

    ``batch[b]`` is run b as a :class:`Trajectory`; ``len(batch)`` is B.

    Attributes
    ----------
    record_iteration : ndarray of int
        The iterations recorded (shared by the runs; a run's own record stops at its last iteration).
    record_loss, record_grad_norm : ndarray
        Shape ``(len(record_iteration), B)``: F and ‖∇F‖ of each run at those iterations.
    W : tuple of ndarray
        The last iterates, stacked: layer l has shape ``(B, d_l, d_{l-1})``.
    iterations : ndarray of int
        Steps taken by each run.
    status : ndarray of str
        ``"converged"``, ``"max_iter"`` or ``"diverged"`` for each run.
    step : ndarray
        The step of each run's last iteration (shape ``(B,)``).
    loss, grad_norm : ndarray
        ``F`` and ``‖∇F‖`` at each run's last iterate (shape ``(B,)``).
    suggested_step : ndarray
        For each diverged run a smaller step to try, NaN for the others.
    messages : tuple of str
        Why each run stopped.
    initial_step : ndarray
        The first step each run tried (shape ``(B,)``).

    The field ``replay`` is the function that computes the distances to the last iterates (by replaying
    the runs) when they are first asked for.
    """
    record_iteration: np.ndarray
    record_loss: np.ndarray
    record_grad_norm: np.ndarray
    W: tuple
    iterations: np.ndarray
    status: np.ndarray
    step: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    suggested_step: np.ndarray
    messages: tuple
    replay: Callable = field(repr=False)
    initial_step: np.ndarray = None

    def __post_init__(self):
        for name in ("record_iteration", "iterations"):
            object.__setattr__(self, name, _readonly_int(getattr(self, name)))
        for name in ("record_loss", "record_grad_norm", "step", "loss", "grad_norm", "suggested_step",
                     "initial_step"):
            object.__setattr__(self, name, _checks.readonly(getattr(self, name)))
        status = np.array(self.status)
        status.flags.writeable = False
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "W", tuple(_checks.readonly(Wl) for Wl in self.W))
        object.__setattr__(self, "messages", tuple(self.messages))

    def __len__(self):
        return len(self.iterations)

    def __repr__(self):
        counts = ", ".join(f"{s}: {int(np.sum(self.status == s))}" for s in STATUSES if np.any(self.status == s))
        return f"BatchTrajectory(B={len(self)}, {counts})"

    def _distances(self):
        if "_distance" not in self.__dict__:
            object.__setattr__(self, "_distance", self.replay())
        return self.__dict__["_distance"]

    def __getitem__(self, b):
        if isinstance(b, bool) or not isinstance(b, Integral):
            raise TypeError(f"a BatchTrajectory is indexed by a run number, got {b!r}")
        if not -len(self) <= b < len(self):
            raise IndexError(f"run {b} out of range for a batch of {len(self)}")
        b = int(b) % len(self)
        end = int(self.iterations[b])
        rows = np.flatnonzero(self.record_iteration <= end)
        it, loss, grad = self.record_iteration[rows], self.record_loss[rows, b], self.record_grad_norm[rows, b]
        if it[-1] != end:
            it = np.append(it, end)
            loss, grad = np.append(loss, self.loss[b]), np.append(grad, self.grad_norm[b])

        def distance():
            d = self._distances()[rows, b]
            return np.append(d, 0.0) if len(d) < len(it) else d

        suggested = None if np.isnan(self.suggested_step[b]) else float(self.suggested_step[b])
        return Trajectory(it, loss, grad, [Wl[b] for Wl in self.W], end, str(self.status[b]),
                          float(self.step[b]), suggested, self.messages[b], distance,
                          initial_step=float(self.initial_step[b]))

    def linear_rates(self, **kwargs):
        """``q`` of :meth:`Trajectory.linear_rate` for every run (NaN where a run has too few records)."""
        rates.fit_options(**kwargs)                     # bad options are an error, not a row of NaN
        out = np.full(len(self), np.nan)
        for b in range(len(self)):
            try:
                out[b] = self[b].linear_rate(**kwargs).q
            except ValueError:
                pass
        return out
