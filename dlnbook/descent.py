"""Gradient descent on the regularized loss (Chapter 4, linear convergence).

``W_{k+1} = W_k − η ∇F(W_k)`` for the loss ``F(W) = ½‖W_L⋯W_1X − Y‖² + Σ λ_l/2 ‖W_l‖²``.

* :func:`dlnbook.gradient_descent` runs one descent and returns a :class:`~dlnbook.Trajectory`.
* :func:`dlnbook.gradient_descent_batch` runs many descents at once (stacked matrix products), from many
  starts on one problem or on many problems with the same widths; it returns a
  :class:`~dlnbook.BatchTrajectory`, whose items are the runs' :class:`~dlnbook.Trajectory` records.
* :func:`run_batch` is the batched loop on any array library (:class:`Backend`): numpy here, torch in
  :mod:`dlnbook.torch_backend`.

Every evaluation uses the sufficient statistics ``C = X Xᵀ`` and ``B = Y Xᵀ`` through
:func:`dlnbook.problem.evaluate` and :func:`dlnbook.problem.gradient` (Chapter 1): one step costs O(L)
products of matrices of the widths' sizes, whatever the number of samples N. The inputs are checked
once, at the boundary; the loops then work on raw arrays. Both loops follow the step rules of
:mod:`dlnbook.steps` (constant step or backtracking, divergence, the suggested step). The single-run
loop is written on plain floats, which makes it about twice as fast as a batch of one.

**Divergence.** With a constant step, a run stops with status ``"diverged"`` as soon as an iterate's
loss is not finite or exceeds :data:`dlnbook.steps.DIVERGENCE_FACTOR` times the initial loss. The
trajectory then ends at the last iterate before that one (no NaN or infinite values are returned), and
its ``suggested_step`` is a smaller step to try.
"""

import inspect
import math
from typing import Callable, NamedTuple

import numpy as np

from . import _checks
from .problem import Problem, evaluate, gradient, squared_norm
from .steps import (DIVERGENCE_FACTOR, MAX_HALVINGS, check_step, curvature, divergence_limit, first_step, per_run,
                    suggested_step, sufficient_decrease)
from .trajectory import BatchTrajectory, Trajectory, stop_message


# --- checks at the boundary ------------------------------------------------------------------------

def _check_callback(callback):
    """A TypeError naming ``callback`` unless it can be called as ``callback(k, W)``."""
    if not callable(callback):
        raise TypeError(f"callback must be a function callback(k, W), got {type(callback).__name__}")
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):                      # some builtins have no signature: trust them
        return
    try:
        signature.bind(0, [])
    except TypeError as error:
        raise TypeError(f"callback must accept two arguments, callback(k, W): {error}") from None


def _check_options(max_iter, tol, record_every, progress):
    """The options shared by every descent, checked."""
    max_iter = _checks.nonnegative_int("max_iter", max_iter)
    tol = _checks.real("tol", tol, minimum=0)
    record_every = _checks.positive_int("record_every", record_every)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    return max_iter, tol, record_every


class _Progress:
    """A tqdm progress bar when asked for (tqdm is imported only then), otherwise nothing."""

    def __init__(self, enabled, total):
        self.bar = None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                raise ImportError("progress=True needs the tqdm package (pip install tqdm)") from None
            self.bar = tqdm(total=total, desc="gradient descent", leave=False)

    def update(self, n):
        if self.bar is not None:
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()



# --- one run --------------------------------------------------------------------------------------

def gradient_descent(problem, W0, step=None, max_iter=10_000, tol=1e-10, record_every=1, progress=False,
                     callback=None):
    """Gradient descent ``W_{k+1} = W_k − η ∇F(W_k)`` on the regularized loss (Chapter 4).

    Parameters
    ----------
    problem : dlnbook.Problem
        The loss F.
    W0 : sequence of ndarray
        The start ``[W_1, ..., W_L]``, with the problem's shapes.
    step : float or None
        A constant step η > 0, or None for backtracking from ``1/ℓ₀`` (see :mod:`dlnbook.steps`):
        every step then decreases F.
    max_iter : int
        The most steps to take.
    tol : float
        Stop (status ``"converged"``) at the first iterate with ``‖∇F(W_k)‖ ≤ tol``.
    record_every : int
        Record the loss and gradient norm every this many steps (and at the first and last iterate).
    progress : bool
        Show a progress bar (needs tqdm; meant for long interactive runs).
    callback : callable, optional
        Called as ``callback(k, W_k)`` at every recorded iteration, for quantities the trajectory
        does not record (``W_k`` is a list of arrays that the run no longer changes).

    Returns
    -------
    Trajectory
        The recorded run; ``status`` says why it stopped.

    Raises
    ------
    TypeError, ValueError
        If ``problem`` is not a Problem, ``W0`` does not fit it, or an option is out of range.

    Examples
    --------
    >>> from dlnbook import Problem
    >>> from dlnbook import gradient_descent
    >>> problem = Problem.from_target([[2.0, 0.0], [0.0, 1.0]], widths=[2], lam=0.1)
    >>> run = gradient_descent(problem, problem.random_weights(seed=0), step=0.1)
    >>> run.status, round(run.linear_rate().q, 4)
    ('converged', 0.98)
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a dlnbook.Problem, got {type(problem).__name__}")
    W = problem.check_weights(W0, name="W0")
    step = check_step(step)
    max_iter, tol, record_every = _check_options(max_iter, tol, record_every, progress)
    if callback is not None:
        _check_callback(callback)
    C, B, half_yy, lambdas = problem.C, problem.B, problem.half_yy, problem.lambdas
    backtrack = step is None

    with np.errstate(over="ignore", invalid="ignore"):
        ell = None                                 # the curvature estimate ℓ₀ at W0
        if backtrack:
            ell = float(curvature(W, C, B, half_yy, lambdas))
            eta = first_step(ell)
        else:
            eta = step
        first_eta = eta
        changes = [(0, eta)]                       # (iteration, step from that iteration on), for the replay
        F, prefixes, G = evaluate(W, C, B, half_yy, lambdas)
        grads = gradient(W, prefixes, G, lambdas)
        gnorm = math.sqrt(squared_norm(grads))
        if not (math.isfinite(float(F)) and math.isfinite(gnorm)):
            raise ValueError(f"F(W0) or ∇F(W0) overflows float64 (F = {float(F):.3g}, ‖∇F‖ = {gnorm:.3g}): W0 is "
                             f"too large to start from; rescale it")
        limit = divergence_limit(float(F), half_yy)
        its, losses, gnorms = [0], [float(F)], [gnorm]
        if callback is not None:
            callback(0, [Wl.copy() for Wl in W])
        status, k, at, reason = "max_iter", 0, None, None
        bar = _Progress(progress, max_iter)
        while True:
            if gnorm <= tol:
                status = "converged"
                break
            if k >= max_iter:
                break
            if not math.isfinite(gnorm):
                status, at, reason = "diverged", k, "the gradient overflowed"
                break
            halvings = 0
            while True:
                trial = [Wl - eta * gl for Wl, gl in zip(W, grads)]
                Ft, pt, Gt = evaluate(trial, C, B, half_yy, lambdas)
                if not backtrack:
                    break
                if sufficient_decrease(Ft, F, eta, gnorm * gnorm, half_yy):
                    break
                halvings += 1
                if halvings > MAX_HALVINGS:
                    Ft = np.inf
                    break
                eta *= 0.5
                changes.append((k, eta))
            if not (Ft <= limit) and not backtrack or not math.isfinite(Ft):
                status, at = "diverged", k + 1
                reason = (f"the step was halved {MAX_HALVINGS} times without a sufficient decrease"
                          if backtrack and halvings > MAX_HALVINGS else
                          f"the loss exceeded {DIVERGENCE_FACTOR:g} × |F(W0)| or was not finite")
                break
            W, F, prefixes, G = trial, Ft, pt, Gt
            grads = gradient(W, prefixes, G, lambdas)
            gnorm = math.sqrt(squared_norm(grads))
            k += 1
            if k % record_every == 0:
                its.append(k)
                losses.append(float(F))
                gnorms.append(gnorm)
                bar.update(record_every)
                if callback is not None:
                    callback(k, [Wl.copy() for Wl in W])
        bar.close()
    if its[-1] != k:
        its.append(k)
        losses.append(float(F))
        gnorms.append(gnorm)
        if callback is not None:
            callback(k, [Wl.copy() for Wl in W])
    suggested = None
    if status == "diverged":
        if ell is None:
            ell = float(curvature(problem.check_weights(W0), C, B, half_yy, lambdas))
        suggested = suggested_step(eta, ell)
    message = stop_message(status, k, tol, eta, suggested, at, reason)
    start = [w.copy() for w in problem.check_weights(W0)]
    final = [w.copy() for w in W]
    its_array = np.array(its)

    def distance():
        return _replay_distance(start, final, changes, its_array, C, B, half_yy, lambdas)

    return Trajectory(its, losses, gnorms, final, k, status, float(eta), suggested, message, distance,
                      initial_step=first_eta)


def _replay_distance(W, final, changes, its, C, B, half_yy, lambdas):
    """Repeat a run's steps (same operations, same iterates) and measure ‖W_k − W_K‖ at ``its``."""
    schedule = dict(changes)                       # the last change at an iteration wins
    out = np.empty(len(its))
    wanted = {int(k): i for i, k in enumerate(its)}
    eta = schedule[0]
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(int(its[-1]) + 1):
            if k in wanted:
                out[wanted[k]] = np.sqrt(squared_norm([a - b for a, b in zip(W, final)]))
            if k == its[-1]:
                break
            eta = schedule.get(k, eta)
            _, prefixes, G = evaluate(W, C, B, half_yy, lambdas)
            grads = gradient(W, prefixes, G, lambdas)
            W = [Wl - eta * gl for Wl, gl in zip(W, grads)]
    return out


# --- many runs at once ----------------------------------------------------------------------------

def _stack_problems(problem):
    """``(C, B, ½‖Y‖², lambdas, shapes, batch)`` for one Problem or a sequence of Problems."""
    if isinstance(problem, Problem):
        return problem.C, problem.B, problem.half_yy, problem.lambdas, problem.shapes, None
    if not _checks.is_sequence(problem):
        raise TypeError(f"problem must be a dlnbook.Problem or a sequence of Problems with the same dims, "
                        f"got {type(problem).__name__}")
    problems = list(problem)
    if not problems:
        raise ValueError("problem is an empty sequence; give one Problem, or one per run")
    for i, p in enumerate(problems):
        if not isinstance(p, Problem):
            raise TypeError(f"problem[{i}] must be a dlnbook.Problem, got {type(p).__name__}")
        if p.dims != problems[0].dims:
            raise ValueError(f"problem[{i}] has dims {p.dims}, but problem[0] has {problems[0].dims}; "
                             f"batched runs need the same widths")
    C = np.stack([p.C for p in problems])
    B = np.stack([p.B for p in problems])
    half_yy = np.array([p.half_yy for p in problems])
    lambdas = [np.array([p.lambdas[l] for p in problems])[:, None, None] for l in range(problems[0].L)]
    return C, B, half_yy, lambdas, problems[0].shapes, len(problems)


def _check_stacked(W0s, shapes, batch):
    if isinstance(W0s, np.ndarray) or not _checks.is_sequence(W0s):
        raise TypeError(f"W0s must be a sequence of {len(shapes)} stacked layers, each of shape (B, d_l, d_l-1)")
    if len(W0s) != len(shapes):
        raise ValueError(f"W0s must have {len(shapes)} stacked layers (one per weight matrix), got {len(W0s)}")
    out = []
    for l, (Wl, shape) in enumerate(zip(W0s, shapes), start=1):
        Wl = _checks.float_array(f"W0s[{l - 1}] (layer {l})", Wl, "an array of shape (B, d_l, d_l-1)")
        if Wl.ndim != 3 or Wl.shape[1:] != shape:
            raise ValueError(f"W0s[{l - 1}] (layer {l}) must have shape (B, {shape[0]}, {shape[1]}), got {Wl.shape}")
        if not np.all(np.isfinite(Wl)):
            raise ValueError(f"W0s[{l - 1}] (layer {l}) contains NaN or infinite entries")
        out.append(Wl.copy())
    sizes = {Wl.shape[0] for Wl in out}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError(f"every layer of W0s must have the same batch size B >= 1, got {sorted(sizes)}")
    if batch is not None and out[0].shape[0] != batch:
        raise ValueError(f"W0s has B = {out[0].shape[0]} starts but {batch} problems were given")
    return out


def gradient_descent_batch(problem, W0s, step=None, max_iter=10_000, tol=1e-10, record_every=1, progress=False):
    """B independent gradient descents at once, with stacked matrix products.

    Run b is exactly :func:`gradient_descent` from ``[W[b] for W in W0s]`` (the same results up to
    rounding, ~1e−15), but the B runs share every array operation, which makes many small runs
    much faster than a Python loop over them. A run that stops (converged or diverged) is frozen
    while the others go on.

    Parameters
    ----------
    problem : dlnbook.Problem or sequence of Problem
        One problem for every run, or one problem per run (all with the same ``dims``; their data,
        N and λ may differ).
    W0s : sequence of ndarray
        The starts, stacked: layer l has shape ``(B, d_l, d_{l-1})``.
    step : float, sequence of float, or None
        A constant step for every run, one constant step per run, or None (backtracking per run,
        as in :func:`gradient_descent`).
    max_iter, tol, record_every, progress
        As in :func:`gradient_descent`.

    Returns
    -------
    BatchTrajectory
        ``result[b]`` is run b as a :class:`~dlnbook.Trajectory`.

    Raises
    ------
    TypeError, ValueError
        On a malformed problem list, mismatched stacks, or options out of range.
    """
    return run_batch(NUMPY, problem, W0s, step, max_iter, tol, record_every, progress)


class Backend(NamedTuple):
    """What the batched loop needs from an array library: the module ``xp`` (numpy or torch) and
    conversions of arrays to it (``asarray``, float64) and back to numpy (``asnumpy``)."""
    xp: object
    asarray: Callable
    asnumpy: Callable


#: The numpy backend of :func:`dlnbook.gradient_descent_batch`.
NUMPY = Backend(np, lambda a: np.asarray(a, dtype=np.float64), np.asarray)


def run_batch(backend, problem, W0s, step=None, max_iter=10_000, tol=1e-10, record_every=1, progress=False):
    """:func:`dlnbook.gradient_descent_batch` on the arrays of ``backend`` (a :class:`Backend`).

    The arguments are checked here, then the loop runs on the backend's arrays; the result holds
    numpy arrays.

    Raises
    ------
    TypeError, ValueError
        As :func:`dlnbook.gradient_descent_batch`, and a TypeError naming ``backend`` if it is not a
        :class:`Backend`.
    """
    if not (isinstance(backend, Backend) and callable(backend.asarray) and callable(backend.asnumpy)):
        raise TypeError(f"backend must be a dlnbook.descent.Backend(xp, asarray, asnumpy) with callable "
                        f"asarray and asnumpy, got {type(backend).__name__}")
    C, Bm, half_yy, lambdas, shapes, batch = _stack_problems(problem)
    W = _check_stacked(W0s, shapes, batch)
    step = check_step(step, W[0].shape[0])
    max_iter, tol, record_every = _check_options(max_iter, tol, record_every, progress)
    return _run_batch(backend, W, C, Bm, half_yy, lambdas, step, max_iter, tol, record_every, progress)


def _run_batch(be, W, C, Bm, half_yy, lambdas, step, max_iter, tol, record_every, progress):
    """The batched loop, on arrays of the backend ``be`` (validated inputs; W stacked)."""
    xp, asarray, asnumpy = be
    W = [asarray(Wl) for Wl in W]
    C, Bm = asarray(C), asarray(Bm)
    half_yy = asarray(half_yy) if np.ndim(half_yy) else float(half_yy)
    lambdas = [asarray(lam) if np.ndim(lam) else float(lam) for lam in lambdas]
    W0 = [Wl.clone() if hasattr(Wl, "clone") else Wl.copy() for Wl in W]
    nb = W[0].shape[0]
    backtrack = step is None
    with np.errstate(over="ignore", invalid="ignore"):
        ell = None                                 # the curvature estimates ℓ₀ at W0
        if backtrack:
            ell = curvature(W, C, Bm, half_yy, lambdas, xp)
            eta = first_step(ell, xp)
        else:
            eta = asarray(np.broadcast_to(np.asarray(step, dtype=np.float64), (nb,)).copy())
        changes = [(0, asnumpy(eta).copy())]
        first_eta = changes[0][1].astype(np.float64)
        F, prefixes, G = evaluate(W, C, Bm, half_yy, lambdas)
        F = F + 0 * eta
        grads = gradient(W, prefixes, G, lambdas)
        gsq = squared_norm(grads)
        start_ok = asnumpy(xp.isfinite(gsq) & xp.isfinite(F))
        if not np.all(start_ok):
            raise ValueError(f"F or ∇F overflows float64 at the start of run(s) {np.flatnonzero(~start_ok).tolist()}: "
                             f"those starting weights (W0s; W0 for one run) are too large to start from; "
                             f"rescale them")
        limit = divergence_limit(F, half_yy)
        running = xp.isfinite(gsq) & (gsq > tol * tol)       # still taking steps
        converged = xp.isfinite(gsq) & ~running
        diverged = ~xp.isfinite(gsq)
        iterations = xp.zeros_like(eta, dtype=xp.int64) if xp is np else xp.zeros(nb, dtype=xp.int64, device=eta.device)
        diverged_at = np.full(nb, -1)
        its, rec_F, rec_g = [0], [asnumpy(F).copy()], [asnumpy(xp.sqrt(gsq)).copy()]
        bar = _Progress(progress, max_iter)
        k = 0
        while k < max_iter and bool(running.any()):
            halvings = 0
            while True:
                step_ = per_run(eta)
                trial = [Wl - step_ * gl for Wl, gl in zip(W, grads)]
                Ft, pt, Gt = evaluate(trial, C, Bm, half_yy, lambdas)
                if not backtrack:
                    bad = running & ~(Ft <= limit)
                    break
                ok = xp.isfinite(Ft) & sufficient_decrease(Ft, F, eta, gsq, half_yy)
                bad = running & ~ok
                if not bool(bad.any()):
                    break
                halvings += 1
                if halvings > MAX_HALVINGS:
                    break
                eta = xp.where(bad, 0.5 * eta, eta)
                changes.append((k, asnumpy(eta).copy()))
            if bool(bad.any()):
                diverged_at[asnumpy(bad)] = k + 1
                diverged = diverged | bad
                running = running & ~bad
            move = per_run(running)
            W = [xp.where(move, a, b) for a, b in zip(trial, W)]
            prefixes = [None] + [xp.where(move, a, b) for a, b in zip(pt[1:], prefixes[1:])]
            G = xp.where(move, Gt, G)
            F = xp.where(running, Ft, F)
            grads = gradient(W, prefixes, G, lambdas)
            gsq = xp.where(running, squared_norm(grads), gsq)
            iterations = iterations + running.to(iterations.dtype) if xp is not np else iterations + running
            k += 1
            newly = running & (gsq <= tol * tol)
            converged = converged | newly
            running = running & ~newly
            if k % record_every == 0:
                its.append(k)
                rec_F.append(asnumpy(F).copy())
                rec_g.append(asnumpy(xp.sqrt(gsq)).copy())
                bar.update(record_every)
        bar.close()
    iterations = asnumpy(iterations).astype(np.int64)
    status = np.where(asnumpy(converged), "converged", np.where(asnumpy(diverged), "diverged", "max_iter"))
    eta_np = asnumpy(eta).astype(np.float64)
    suggested = np.full(nb, np.nan)
    messages = []
    if np.any(status == "diverged"):
        if ell is None:
            ell = curvature(W0, C, Bm, half_yy, lambdas, xp)
        suggested = np.where(status == "diverged", suggested_step(eta_np, asnumpy(ell)), np.nan)
    for b in range(nb):
        messages.append(stop_message(status[b], int(iterations[b]), tol, eta_np[b], suggested[b],
                                      diverged_at[b]))
    record_it = np.array(its)
    final_F, final_g = asnumpy(F).astype(np.float64), asnumpy(xp.sqrt(gsq)).astype(np.float64)
    W_final = [np.array(asnumpy(Wl), dtype=np.float64) for Wl in W]

    def distance():
        return _replay_batch_distance(be, W0, W, changes, record_it, iterations, C, Bm, half_yy, lambdas)

    return BatchTrajectory(record_it, np.array(rec_F, dtype=np.float64), np.array(rec_g, dtype=np.float64),
                           W_final, iterations, status, eta_np, final_F, final_g, suggested, messages, distance,
                           first_eta)


def _replay_batch_distance(be, W, final, changes, its, iterations, C, Bm, half_yy, lambdas):
    """Repeat the batched steps and measure each run's ‖W_k − W_K‖ at the recorded iterations."""
    xp, asnumpy = be.xp, be.asnumpy
    schedule = {}
    for k, eta in changes:
        schedule[k] = eta
    eta = schedule[0]
    ends = be.asarray(iterations.astype(np.float64))
    out = np.empty((len(its), len(iterations)))
    wanted = {int(k): i for i, k in enumerate(its)}
    last = int(iterations.max()) if len(iterations) else 0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(last + 1):
            if k in wanted:
                diff = [a - b for a, b in zip(W, final)]
                out[wanted[k]] = asnumpy(xp.sqrt(squared_norm(diff)))
            if k == last:
                break
            eta = schedule.get(k, eta)
            _, prefixes, G = evaluate(W, C, Bm, half_yy, lambdas)
            grads = gradient(W, prefixes, G, lambdas)
            move = per_run(ends > k)
            step_ = per_run(be.asarray(eta))
            W = [xp.where(move, Wl - step_ * gl, Wl) for Wl, gl in zip(W, grads)]
        for k in its:
            if k > last:
                out[wanted[int(k)]] = 0.0
    return out
