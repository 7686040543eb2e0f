"""The step of gradient descent: how long a step to take, and when a run has diverged (Chapter 4).

A number is a constant step η. ``step=None`` chooses it by backtracking with the sufficient-decrease
(Armijo) test ``F(W − η∇F) ≤ F(W) − (η/2)‖∇F(W)‖²`` (:func:`sufficient_decrease`): the first trial
step is ``1/ℓ₀`` (:func:`first_step`), where ``ℓ₀`` is the largest Hessian eigenvalue (in absolute
value) at ``W0``, estimated by power iteration (:func:`curvature`); a step that fails the test is
halved, and the step is never increased again. Every accepted step decreases F (up to the rounding
error of F), and since the gradient is Lipschitz on the sublevel set of ``W0`` (F is coercive), the
step is halved only finitely often: the run ends as gradient descent with a constant step.

With a constant step, a run has diverged as soon as an iterate's loss is not finite or exceeds
:data:`DIVERGENCE_FACTOR` times the initial loss; :func:`suggested_step` is then a smaller step to try.

The single and the batched loops of :mod:`dlnbook.descent` (and the torch backend) share these rules.
Functions take plain numbers for one run, or arrays with one value per run (numpy or torch).
They are building blocks of the loops, called at every iteration or once per run on values the
loops have already checked, so they check nothing; :func:`check_step` is the exception, the check of
the ``step`` argument at the public entry points.
"""

from numbers import Real

import numpy as np

from . import _checks
from .problem import evaluate, gradient, squared_norm

#: A constant-step run is declared diverged when ``F(W_k)`` exceeds :func:`divergence_limit` (about
#: ``DIVERGENCE_FACTOR · |F(W_0)|``) or is not finite.
DIVERGENCE_FACTOR = 100.0

#: Power-iteration steps for the curvature estimate ``ℓ₀`` at the start (``step=None``).
POWER_ITERATIONS = 30

#: The sufficient-decrease test allows ``ROUNDING · (|F| + ½‖Y‖²)`` for the rounding error of F.
ROUNDING = 64 * np.finfo(np.float64).eps

#: A step is halved at most this many times in one iteration before the run is declared diverged.
MAX_HALVINGS = 60


def divergence_limit(F0, half_yy):
    """``DIVERGENCE_FACTOR · |F(W0)| + ROUNDING · (|F(W0)| + ½‖Y‖²)``: the loss above which a constant-step
    run has diverged. The rounding term keeps a run that starts at an exact fit (where rounding can make
    ``F(W0)`` a tiny negative number) from being called diverged at once."""
    return DIVERGENCE_FACTOR * abs(F0) + ROUNDING * (abs(F0) + half_yy)


def per_run(values):
    """A number per run, shaped to broadcast against a stacked layer (a plain number stays as it is)."""
    return values[..., None, None] if getattr(values, "ndim", 0) else values


def curvature(W, C, B, half_yy, lambdas, xp=np):
    """The largest absolute Hessian eigenvalue at W (stacked: one per run), by power iteration.

    Hessian–vector products are central differences of the gradient (exact for a quadratic; the
    error here is O(h²), far below what a step-size estimate needs). The start vector is the same
    fixed pseudo-random direction for every run, so a batched run and a single run agree.
    """
    def grad(V):
        _, prefixes, G = evaluate(V, C, B, half_yy, lambdas)
        return gradient(V, prefixes, G, lambdas)

    rng = np.random.default_rng(0)
    V = [rng.normal(size=Wl.shape[-2:]) for Wl in W]
    if xp is not np:
        V = [xp.asarray(v, dtype=W[0].dtype, device=W[0].device) for v in V]
    V = [v + 0 * Wl for v, Wl in zip(V, W)]                  # broadcast to the batch shape
    scale = 1.0 + xp.sqrt(squared_norm(W))
    estimate = 0 * scale
    for _ in range(POWER_ITERATIONS):
        norm = xp.sqrt(squared_norm(V))
        norm = xp.where(norm > 0, norm, 1.0 + 0 * norm)
        V = [v / per_run(norm) for v in V]
        h = 1e-4 * scale
        plus = grad([Wl + per_run(h) * v for Wl, v in zip(W, V)])
        minus = grad([Wl - per_run(h) * v for Wl, v in zip(W, V)])
        V = [(p - m) / (2 * per_run(h)) for p, m in zip(plus, minus)]
        estimate = xp.sqrt(squared_norm(V))
    return estimate


def first_step(ell, xp=np):
    """The first trial step of backtracking, ``1/ℓ₀`` (1 where the curvature estimate ``ℓ₀`` is 0)."""
    if getattr(ell, "ndim", 0):
        return xp.where(ell > 0, 1.0 / ell, 1.0 + 0 * ell)
    return 1.0 / ell if ell > 0 else 1.0


def sufficient_decrease(F_trial, F, step, gsq, half_yy):
    """The Armijo test ``F(W − η∇F) ≤ F(W) − (η/2)‖∇F(W)‖² + ROUNDING · (|F| + ½‖Y‖²)``.

    ``gsq`` is ``‖∇F(W)‖²``. A trial loss that is not finite fails (NaN compares false).
    """
    return F_trial <= F - 0.5 * step * gsq + ROUNDING * (abs(F) + half_yy)


def suggested_step(step, ell):
    """A smaller step to try after a divergence: ``min(η/2, 1/ℓ₀)``, ``ℓ₀`` the curvature at ``W0``."""
    if getattr(ell, "ndim", 0):
        return np.minimum(step / 2, np.where(ell > 0, 1 / np.where(ell > 0, ell, 1.0), np.inf))
    return min(step / 2, 1.0 / ell) if ell > 0 else step / 2


def check_step(step, batch=None):
    """``step`` checked: None (backtracking), or a positive number (or one per run when ``batch`` is B).

    ``batch`` is None (one run) or the number of runs B, a positive integer.
    """
    if batch is not None:
        batch = _checks.positive_int("batch", batch)
    if step is None:
        return None
    if batch is not None and np.ndim(step) == 1:
        values = _checks.vector("step", step)
        if values.shape != (batch,):
            raise ValueError(f"step must be a number or one step per run (batch = {batch} runs), "
                             f"got length {len(values)}")
        if np.any(values <= 0):
            raise ValueError(f"step must be positive, got {values[values <= 0][:3].tolist()}")
        return values
    if isinstance(step, Real) or (isinstance(step, np.ndarray) and step.ndim == 0):
        return _checks.positive_real("step", step)
    raise TypeError(f"step must be None (backtracking) or a positive number"
                    f"{' or one per run' if batch is not None else ''}, got {step!r}")
