"""Gradient descent on the regularized loss (Chapter 4, linear convergence).

``W_{k+1} = W_k − η ∇F(W_k)`` for the loss ``F(W) = ½‖W_L⋯W_1X − Y‖² + Σ λ_l/2 ‖W_l‖²``.

* :func:`gradient_descent` runs one descent and returns a :class:`Trajectory`: the loss and the
  gradient norm along the run, the distance of each iterate to the last one, the final weights and
  why the run stopped; :meth:`Trajectory.linear_rate` fits the contraction factor per step and
  :meth:`Trajectory.plot` draws the convergence figure.
* :func:`gradient_descent_batch` runs many descents at once (stacked matrix products), from many
  starts on one problem or on many problems with the same widths; it returns a
  :class:`BatchTrajectory`, whose items are the runs' :class:`Trajectory` objects.

Every evaluation uses the sufficient statistics ``C = X Xᵀ`` and ``B = Y Xᵀ`` (Chapter 1): one step
costs O(L) products of matrices of the widths' sizes, whatever the number of samples N. The inputs are
checked once, at the boundary; the loop then works on raw arrays with the formulas of
:meth:`Problem.grad <dlnbook.Problem.grad>`.

**The step.** A number is a constant step η. ``step=None`` chooses it by backtracking with the
sufficient-decrease (Armijo) test ``F(W − η∇F) ≤ F(W) − (η/2)‖∇F(W)‖²``: the first trial step is
``1/ℓ₀``, where ``ℓ₀`` is the largest Hessian eigenvalue (in absolute value) at ``W0``, estimated by
power iteration; a step that fails the test is halved, and the step is never increased again. Every
accepted step decreases F (up to the rounding error of F), and since the gradient is Lipschitz on the
sublevel set of ``W0`` (F is coercive), the step is halved only finitely often: the run ends as
gradient descent with a constant step.

**Divergence.** With a constant step, a run stops with status ``"diverged"`` as soon as an iterate's
loss is not finite or exceeds :data:`DIVERGENCE_FACTOR` times the initial loss. The trajectory then
ends at the last iterate before that one (no NaN or infinite values are returned), and its
``suggested_step`` is a smaller step to try.
"""

import math
from numbers import Integral, Real

import numpy as np

from . import _checks
from .problem import Problem, _gradient

#: A constant-step run is declared diverged when ``F(W_k) > DIVERGENCE_FACTOR · F(W_0)`` (or is not finite).
DIVERGENCE_FACTOR = 100.0

#: Power-iteration steps for the curvature estimate ``ℓ₀`` at the start (``step=None``).
POWER_ITERATIONS = 30

#: The sufficient-decrease test allows for rounding in F: ``ROUNDING · (|F| + ½‖Y‖²)``.
ROUNDING = 64 * np.finfo(np.float64).eps

#: A step is halved at most this many times in one iteration before the run is declared diverged.
MAX_HALVINGS = 60

#: :meth:`Trajectory.linear_rate` ignores gradient norms below ``RATE_FLOOR · max_k ‖∇F(W_k)‖`` (≈ 2e−12):
#: there the rounding error of the computed gradient is no longer small against it.
RATE_FLOOR = 1e4 * np.finfo(np.float64).eps

STATUSES = ("converged", "max_iter", "diverged")


# --- the formulas on raw arrays ------------------------------------------------------------------
# ``W`` is a list of arrays, each (d_l, d_{l-1}) or stacked (B, d_l, d_{l-1}); ``lambdas`` is a
# sequence of floats or, for stacked runs with their own parameters, of arrays of shape (B, 1, 1).
# The same code serves numpy arrays and torch tensors (dlnbook.torch_backend).

def _inner(A, B):
    """``⟨A, B⟩ = Σ A_ij B_ij`` over the last two axes (a number for matrices, one per matrix of a stack)."""
    if A.ndim == 2 and isinstance(A, np.ndarray):
        return np.vdot(A, B)                       # one call: the cheapest form for a single run
    return (A * B).sum((-2, -1))


def _state(W, C, B, half_yy, lambdas):
    """``F(W)``, the prefix products ``W_{l:1}`` and ``G = P C − B`` (the loss of Chapter 1).

    The fit is ``½ tr(P C Pᵀ) − tr(P Bᵀ) + ½‖Y‖²`` (the sufficient statistics), written with the
    product ``P C`` that the gradient needs as well.
    """
    prefixes = Problem._prefixes(W)
    P = prefixes[-1]
    PC = P @ C
    loss = 0.5 * _inner(PC, P) - _inner(P, B) + half_yy
    for lam, Wl in zip(lambdas, W):
        loss = loss + 0.5 * (lam if isinstance(lam, float) else lam[..., 0, 0]) * _inner(Wl, Wl)
    return loss, prefixes, PC - B


def _sq_norm(Gs):
    total = _inner(Gs[0], Gs[0])
    for G in Gs[1:]:
        total = total + _inner(G, G)
    return total


def _curvature(W, C, B, half_yy, lambdas, xp=np):
    """Largest |Hessian eigenvalue| at W (stacked: one per run) by power iteration.

    Hessian–vector products are central differences of the gradient (exact for a quadratic; the
    error here is O(h²), far below what a step-size estimate needs). The start vector is the same
    fixed pseudo-random direction for every run, so a batched run and a single run agree.
    """
    def grad(V):
        _, prefixes, G = _state(V, C, B, half_yy, lambdas)
        return _gradient(V, prefixes, G, lambdas)

    rng = np.random.default_rng(0)
    V = [rng.normal(size=Wl.shape[-2:]) for Wl in W]
    if xp is not np:
        V = [xp.asarray(v, dtype=W[0].dtype, device=W[0].device) for v in V]
    V = [v + 0 * Wl for v, Wl in zip(V, W)]                  # broadcast to the batch shape
    scale = 1.0 + xp.sqrt(_sq_norm(W))
    estimate = 0 * scale
    for _ in range(POWER_ITERATIONS):
        norm = xp.sqrt(_sq_norm(V))
        norm = xp.where(norm > 0, norm, 1.0 + 0 * norm)
        V = [v / _expand(norm, v) for v in V]
        h = 1e-4 * scale
        plus = grad([Wl + _expand(h, v) * v for Wl, v in zip(W, V)])
        minus = grad([Wl - _expand(h, v) * v for Wl, v in zip(W, V)])
        V = [(p - m) / (2 * _expand(h, p)) for p, m in zip(plus, minus)]
        estimate = xp.sqrt(_sq_norm(V))
    return estimate


def _expand(values, like):
    """A number per run, shaped to broadcast against a stacked layer (a plain number otherwise)."""
    return values[..., None, None] if getattr(values, "ndim", 0) else values


# --- results -------------------------------------------------------------------------------------

class LinearRate(tuple):
    """The fitted linear rate of a run: ``(q, start, stop)`` plus ``slope`` and ``max_residual``.

    ``q = exp(slope)`` is the contraction factor per step of ``‖∇F(W_k)‖``, from the least-squares
    line through ``log ‖∇F(W_k)‖`` for ``start ≤ k ≤ stop``; ``max_residual`` is the largest distance
    of a fitted point from that line (natural log).
    """

    def __new__(cls, q, start, stop, slope, max_residual):
        self = super().__new__(cls, (q, start, stop))
        self.slope, self.max_residual = slope, max_residual
        return self

    @property
    def q(self):
        return self[0]

    @property
    def start(self):
        return self[1]

    @property
    def stop(self):
        return self[2]

    def __repr__(self):
        return f"LinearRate(q={self.q:.6f}, start={self.start}, stop={self.stop})"


class Trajectory:
    """The record of one gradient-descent run (see :func:`gradient_descent`).

    Attributes
    ----------
    iteration : ndarray of int
        The iterations k at which the run was recorded: 0, every ``record_every`` steps, and the last.
    loss : ndarray
        ``F(W_k)`` at those iterations.
    grad_norm : ndarray
        ``‖∇F(W_k)‖`` (the norm over all layers) at those iterations.
    W : list of ndarray
        The last iterate ``W_K``.
    iterations : int
        K, the number of steps taken.
    status : str
        ``"converged"`` (``‖∇F(W_K)‖ ≤ tol``), ``"max_iter"`` or ``"diverged"``.
    step : float
        The step of the last iteration (the constant step, or where backtracking settled).
    initial_step : float
        The first step tried: the constant step, or ``1/ℓ₀`` for backtracking.
    suggested_step : float or None
        For a diverged run, a smaller step to try: ``min(η/2, 1/ℓ₀)`` with ℓ₀ the curvature estimate at
        ``W0``. None otherwise.
    message : str
        One sentence saying why the run stopped.
    """

    def __init__(self, iteration, loss, grad_norm, W, iterations, status, step, suggested_step, message,
                 distance_fn, initial_step=None):
        self.iteration = np.asarray(iteration, dtype=np.int64)
        self.loss = np.asarray(loss, dtype=np.float64)
        self.grad_norm = np.asarray(grad_norm, dtype=np.float64)
        self.W, self.iterations, self.status = W, int(iterations), status
        self.step, self.suggested_step, self.message = step, suggested_step, message
        self._distance_fn, self._distance = distance_fn, None
        self.initial_step = step if initial_step is None else float(initial_step)

    def __repr__(self):
        return (f"Trajectory(status={self.status!r}, iterations={self.iterations}, "
                f"loss={self.loss[-1]:.6g}, grad_norm={self.grad_norm[-1]:.3g})")

    @property
    def distance(self):
        """``‖W_k − W_K‖`` at the recorded iterations: the distance to the last iterate.

        Computed on first access by replaying the run (the iterates are not stored, so a long run
        needs no memory for them); the replay repeats the same operations and gives the same iterates.
        """
        if self._distance is None:
            self._distance = np.asarray(self._distance_fn(), dtype=np.float64)
        return self._distance

    def linear_rate(self, start=None, stop=None, atol=0.01, min_records=5):
        """The contraction factor q per step of ``‖∇F(W_k)‖`` over the linear phase.

        A least-squares line is fitted to ``log ‖∇F(W_k)‖`` against k; ``q = exp(slope)``.

        Parameters
        ----------
        start, stop : int, optional
            The range of iterations to fit. By default ``stop`` is the last recorded iteration whose
            gradient norm is above the floor ``RATE_FLOOR · max_k ‖∇F(W_k)‖`` (below it, rounding makes
            the computed gradient noisy), and ``start`` is the
            earliest recorded iteration (on a grid of 64 candidates) from which the points up to
            ``stop`` lie within ``atol`` of their fitted line in log scale: the longest final
            stretch on which the run is linear.
        atol : float
            The largest allowed distance of a point from the line, in natural log (0.01 ≈ 1 %).
        min_records : int
            The fewest recorded points a fit uses.

        Returns
        -------
        LinearRate
            ``(q, start, stop)``, with ``slope`` and ``max_residual`` as attributes.

        Raises
        ------
        ValueError
            If fewer than ``min_records`` usable records lie in the range.
        """
        k, g = self.iteration, self.grad_norm
        usable = np.isfinite(g) & (g > RATE_FLOOR * np.max(g[np.isfinite(g)], initial=0.0))
        if start is not None or stop is not None:
            lo = -np.inf if start is None else _checks.real("start", start)
            hi = np.inf if stop is None else _checks.real("stop", stop)
            usable &= (k >= lo) & (k <= hi)
            chosen = np.flatnonzero(usable)
            if chosen.size < min_records:
                raise ValueError(f"start={start}, stop={stop} leave {chosen.size} usable records; "
                                 f"a fit needs at least {min_records}")
            return _fit_line(k[chosen], np.log(g[chosen]))
        last = np.flatnonzero(usable)
        if last.size < min_records:
            raise ValueError(f"the run has {last.size} usable records (positive, finite gradient norms above "
                             f"the rounding floor); a fit needs at least {min_records}")
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

    def plot(self, ax=None, fit=True, label=None, distance=False, **style):
        """The convergence figure: ``‖∇F(W_k)‖`` against k on a log scale.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (default: the current axes).
        fit : bool
            Also draw the fitted line of :meth:`linear_rate` over its range, labelled with q.
        label : str, optional
            Legend label of the curve.
        distance : bool
            Also draw the distance to the last iterate, ``‖W_k − W_K‖`` (dotted).
        **style
            Passed to ``Axes.semilogy`` for the gradient-norm curve.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        ax = plt.gca() if ax is None else ax
        (line,) = ax.semilogy(self.iteration, self.grad_norm, label=label or r"$\|\nabla F(W_k)\|$", **style)
        if distance:
            shown = self.distance > 0
            ax.semilogy(self.iteration[shown], self.distance[shown], linestyle=":", color=line.get_color(),
                        label=r"$\|W_k - W_K\|$")
        if fit:
            try:
                rate = self.linear_rate()
            except ValueError:
                rate = None
            if rate is not None:
                ks = np.array([rate.start, rate.stop], dtype=float)
                intercept = rate.intercept
                ax.semilogy(ks, np.exp(intercept + rate.slope * ks), color="black", linestyle="--",
                            linewidth=1, label=f"fit: q = {rate.q:.5f}")
        ax.set_xlabel("iteration $k$")
        ax.set_ylabel(r"gradient norm $\|\nabla F(W_k)\|$")
        if not ax.get_title():
            ax.set_title(f"Gradient descent: {self.status} after {self.iterations} steps")
        ax.legend(loc="best")
        return ax


def _fit_line(k, logg):
    k = np.asarray(k, dtype=float)
    slope, intercept = np.polyfit(k, logg, 1)
    residual = float(np.max(np.abs(logg - (intercept + slope * k))))
    rate = LinearRate(float(np.exp(slope)), int(k[0]), int(k[-1]), float(slope), residual)
    rate.intercept = float(intercept)
    return rate


class BatchTrajectory:
    """The record of B runs made together (see :func:`gradient_descent_batch`).

    ``batch[b]`` is run b as a :class:`Trajectory`; ``len(batch)`` is B.

    Attributes
    ----------
    W : list of ndarray
        The last iterates, stacked: layer l has shape ``(B, d_l, d_{l-1})``.
    iterations : ndarray of int
        Steps taken by each run.
    status : ndarray of str
        ``"converged"``, ``"max_iter"`` or ``"diverged"`` for each run.
    loss, grad_norm : ndarray
        ``F`` and ``‖∇F‖`` at each run's last iterate (shape ``(B,)``).
    step : ndarray
        The step of each run's last iteration (shape ``(B,)``).
    initial_step : ndarray
        The first step each run tried (shape ``(B,)``).
    """

    def __init__(self, record_iteration, record_loss, record_grad, W, iterations, status, step,
                 final_loss, final_grad, suggested, messages, distance_fn, initial_step):
        self._it, self._loss, self._grad = record_iteration, record_loss, record_grad
        self.W, self.iterations, self.status, self.step = W, iterations, status, step
        self.loss, self.grad_norm = final_loss, final_grad
        self._suggested, self._messages = suggested, messages
        self._distance_fn, self._distance = distance_fn, None
        self.initial_step = initial_step

    def __len__(self):
        return len(self.iterations)

    def __repr__(self):
        counts = ", ".join(f"{s}: {int(np.sum(self.status == s))}" for s in STATUSES if np.any(self.status == s))
        return f"BatchTrajectory(B={len(self)}, {counts})"

    def _distances(self):
        if self._distance is None:
            self._distance = self._distance_fn()
        return self._distance

    def __getitem__(self, b):
        if isinstance(b, bool) or not isinstance(b, Integral):
            raise TypeError(f"a BatchTrajectory is indexed by a run number, got {b!r}")
        if not -len(self) <= b < len(self):
            raise IndexError(f"run {b} out of range for a batch of {len(self)}")
        b = int(b) % len(self)
        end = int(self.iterations[b])
        rows = np.flatnonzero(self._it <= end)
        it, loss, grad = self._it[rows], self._loss[rows, b], self._grad[rows, b]
        if it[-1] != end:
            it = np.append(it, end)
            loss, grad = np.append(loss, self.loss[b]), np.append(grad, self.grad_norm[b])

        def distance():
            d_rows, d_final = self._distances()
            d = d_rows[rows, b]
            return np.append(d, 0.0) if len(d) < len(it) else d

        suggested = None if np.isnan(self._suggested[b]) else float(self._suggested[b])
        return Trajectory(it, loss, grad, [Wl[b].copy() for Wl in self.W], end, str(self.status[b]),
                          float(self.step[b]), suggested, self._messages[b], distance,
                          initial_step=float(self.initial_step[b]))

    def linear_rates(self, **kwargs):
        """``q`` of :meth:`Trajectory.linear_rate` for every run (NaN where a run has too few records)."""
        out = np.full(len(self), np.nan)
        for b in range(len(self)):
            try:
                out[b] = self[b].linear_rate(**kwargs).q
            except ValueError:
                pass
        return out


# --- checks at the boundary ------------------------------------------------------------------------

def _check_common(max_iter, tol, record_every, progress):
    if isinstance(max_iter, bool) or not isinstance(max_iter, Integral) or max_iter < 0:
        raise ValueError(f"max_iter must be a nonnegative integer, got {max_iter!r}")
    tol = _checks.real("tol", tol, minimum=0)
    record_every = _checks.positive_int("record_every", record_every)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    return int(max_iter), tol, record_every


def _check_step(step, batch=None):
    """None, or a positive step (a number, or one per run when ``batch`` is B)."""
    if step is None:
        return None
    if batch is not None and np.ndim(step) == 1:
        values = _checks.vector("step", step)
        if values.shape != (batch,):
            raise ValueError(f"step must be a number or one step per run (length {batch}), got length {len(values)}")
        if np.any(values <= 0):
            raise ValueError(f"step must be positive, got {values[values <= 0][:3].tolist()}")
        return values
    if isinstance(step, Real) or (isinstance(step, np.ndarray) and step.ndim == 0):
        return _checks.positive_real("step", step)
    raise TypeError(f"step must be None (backtracking) or a positive number"
                    f"{' or one per run' if batch is not None else ''}, got {step!r}")


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


def _stop_message(status, iterations, tol, step, suggested, at=None):
    if status == "converged":
        return f"converged: ‖∇F‖ ≤ {tol:g} after {iterations} steps"
    if status == "max_iter":
        return f"stopped after max_iter = {iterations} steps without reaching ‖∇F‖ ≤ {tol:g}"
    return (f"diverged at iteration {at} with step {step:g}: the loss exceeded {DIVERGENCE_FACTOR:g} × F(W0) "
            f"or was not finite; try step={suggested:.3g}")


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
        A constant step η > 0, or None for backtracking from ``1/ℓ₀`` (see the module docstring):
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
    >>> from dlnbook.descent import gradient_descent
    >>> problem = Problem.from_target([[2.0, 0.0], [0.0, 1.0]], widths=[2], lam=0.1)
    >>> run = gradient_descent(problem, problem.random_weights(seed=0), step=0.1)
    >>> run.status, round(run.linear_rate().q, 4)
    ('converged', 0.98)
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a dlnbook.Problem, got {type(problem).__name__}")
    W = problem.check_weights(W0, name="W0")
    step = _check_step(step)
    max_iter, tol, record_every = _check_common(max_iter, tol, record_every, progress)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function callback(k, W), got {type(callback).__name__}")
    C, B, half_yy, lambdas = problem.C, problem.B, problem._half_yy, problem.lambdas
    backtrack = step is None

    with np.errstate(over="ignore", invalid="ignore"):
        curvature = None
        if backtrack:
            curvature = float(_curvature(W, C, B, half_yy, lambdas))
            eta = 1.0 / curvature if curvature > 0 else 1.0
        else:
            eta = step
        first_eta = eta
        changes = [(0, eta)]                       # (iteration, step from that iteration on), for the replay
        F, prefixes, G = _state(W, C, B, half_yy, lambdas)
        grads = _gradient(W, prefixes, G, lambdas)
        gnorm = math.sqrt(_sq_norm(grads))
        limit = DIVERGENCE_FACTOR * float(F)
        its, losses, gnorms = [0], [float(F)], [gnorm]
        if callback is not None:
            callback(0, W)
        status, k, at = "max_iter", 0, None
        bar = _Progress(progress, max_iter)
        while True:
            if gnorm <= tol:
                status = "converged"
                break
            if k >= max_iter:
                break
            if not math.isfinite(gnorm):
                status, at = "diverged", k
                break
            halvings = 0
            while True:
                trial = [Wl - eta * gl for Wl, gl in zip(W, grads)]
                Ft, pt, Gt = _state(trial, C, B, half_yy, lambdas)
                if not backtrack:
                    break
                if Ft <= F - 0.5 * eta * gnorm * gnorm + ROUNDING * (abs(F) + half_yy):
                    break
                halvings += 1
                if halvings > MAX_HALVINGS:
                    Ft = np.inf
                    break
                eta *= 0.5
                changes.append((k, eta))
            if not (Ft <= limit) and not backtrack or not math.isfinite(Ft):
                status, at = "diverged", k + 1
                break
            W, F, prefixes, G = trial, Ft, pt, Gt
            grads = _gradient(W, prefixes, G, lambdas)
            gnorm = math.sqrt(_sq_norm(grads))
            k += 1
            if k % record_every == 0:
                its.append(k)
                losses.append(float(F))
                gnorms.append(gnorm)
                bar.update(record_every)
                if callback is not None:
                    callback(k, W)
        bar.close()
    if its[-1] != k:
        its.append(k)
        losses.append(float(F))
        gnorms.append(gnorm)
        if callback is not None:
            callback(k, W)
    suggested = None
    if status == "diverged":
        if curvature is None:
            curvature = float(_curvature(problem.check_weights(W0), C, B, half_yy, lambdas))
        suggested = min(eta / 2, 1.0 / curvature) if curvature > 0 else eta / 2
    message = _stop_message(status, k, tol, eta, suggested, at)
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
                out[wanted[k]] = np.sqrt(_sq_norm([a - b for a, b in zip(W, final)]))
            if k == its[-1]:
                break
            eta = schedule.get(k, eta)
            _, prefixes, G = _state(W, C, B, half_yy, lambdas)
            grads = _gradient(W, prefixes, G, lambdas)
            W = [Wl - eta * gl for Wl, gl in zip(W, grads)]
    return out


# --- many runs at once ----------------------------------------------------------------------------

def _stack_problems(problem):
    """``(C, B, ½‖Y‖², lambdas, shapes, batch)`` for one Problem or a sequence of Problems."""
    if isinstance(problem, Problem):
        return problem.C, problem.B, problem._half_yy, problem.lambdas, problem.shapes, None
    if isinstance(problem, (str, bytes)) or not hasattr(problem, "__len__") or len(problem) == 0:
        raise TypeError("problem must be a dlnbook.Problem or a non-empty sequence of Problems with the same dims")
    problems = list(problem)
    for i, p in enumerate(problems):
        if not isinstance(p, Problem):
            raise TypeError(f"problem[{i}] must be a dlnbook.Problem, got {type(p).__name__}")
        if p.dims != problems[0].dims:
            raise ValueError(f"problem[{i}] has dims {p.dims}, but problem[0] has {problems[0].dims}; "
                             f"batched runs need the same widths")
    C = np.stack([p.C for p in problems])
    B = np.stack([p.B for p in problems])
    half_yy = np.array([p._half_yy for p in problems])
    lambdas = [np.array([p.lambdas[l] for p in problems])[:, None, None] for l in range(problems[0].L)]
    return C, B, half_yy, lambdas, problems[0].shapes, len(problems)


def _check_stacked(W0s, shapes, batch):
    if isinstance(W0s, np.ndarray) or isinstance(W0s, (str, bytes)) or not hasattr(W0s, "__len__"):
        raise TypeError(f"W0s must be a sequence of {len(shapes)} stacked layers, each of shape (B, d_l, d_l-1)")
    if len(W0s) != len(shapes):
        raise ValueError(f"W0s must have {len(shapes)} stacked layers (one per weight matrix), got {len(W0s)}")
    out = []
    for l, (Wl, shape) in enumerate(zip(W0s, shapes), start=1):
        Wl = _checks._float_array(f"W0s[{l - 1}] (layer {l})", Wl, "an array of shape (B, d_l, d_l-1)")
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
        ``result[b]`` is run b as a :class:`Trajectory`.

    Raises
    ------
    TypeError, ValueError
        On a malformed problem list, mismatched stacks, or options out of range.
    """
    C, Bm, half_yy, lambdas, shapes, batch = _stack_problems(problem)
    W = _check_stacked(W0s, shapes, batch)
    batch = W[0].shape[0]
    step = _check_step(step, batch)
    max_iter, tol, record_every = _check_common(max_iter, tol, record_every, progress)
    return _run_batch(_NUMPY, W, C, Bm, half_yy, lambdas, step, max_iter, tol, record_every, progress)


class _Backend:
    """What the batched loop needs from an array library: numpy here, torch in dlnbook.torch_backend."""

    def __init__(self, xp, asarray, asnumpy):
        self.xp, self.asarray, self.asnumpy = xp, asarray, asnumpy


_NUMPY = _Backend(np, lambda a: np.asarray(a, dtype=np.float64), np.asarray)


def _run_batch(be, W, C, Bm, half_yy, lambdas, step, max_iter, tol, record_every, progress):
    """The batched loop, on arrays of the backend ``be`` (validated inputs; W stacked)."""
    xp, asarray, asnumpy = be.xp, be.asarray, be.asnumpy
    W = [asarray(Wl) for Wl in W]
    C, Bm = asarray(C), asarray(Bm)
    half_yy = asarray(half_yy) if np.ndim(half_yy) else float(half_yy)
    lambdas = [asarray(lam) if np.ndim(lam) else float(lam) for lam in lambdas]
    W0 = [Wl.clone() if hasattr(Wl, "clone") else Wl.copy() for Wl in W]
    nb = W[0].shape[0]
    backtrack = step is None
    with np.errstate(over="ignore", invalid="ignore"):
        curvature = None
        if backtrack:
            curvature = _curvature(W, C, Bm, half_yy, lambdas, xp)
            eta = xp.where(curvature > 0, 1.0 / curvature, 1.0 + 0 * curvature)
        else:
            eta = asarray(np.broadcast_to(np.asarray(step, dtype=np.float64), (nb,)).copy())
        changes = [(0, asnumpy(eta).copy())]
        first_eta = changes[0][1].astype(np.float64)
        F, prefixes, G = _state(W, C, Bm, half_yy, lambdas)
        F = F + 0 * eta
        grads = _gradient(W, prefixes, G, lambdas)
        gsq = _sq_norm(grads)
        limit = DIVERGENCE_FACTOR * F
        rounding = ROUNDING * (abs(F) + half_yy)
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
                step_ = _expand(eta, W[0])
                trial = [Wl - step_ * gl for Wl, gl in zip(W, grads)]
                Ft, pt, Gt = _state(trial, C, Bm, half_yy, lambdas)
                if not backtrack:
                    bad = running & ~(Ft <= limit)
                    break
                ok = xp.isfinite(Ft) & (Ft <= F - 0.5 * eta * gsq + rounding)
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
            move = _expand(running, W[0])
            W = [xp.where(move, a, b) for a, b in zip(trial, W)]
            prefixes = [None] + [xp.where(move, a, b) for a, b in zip(pt[1:], prefixes[1:])]
            G = xp.where(move, Gt, G)
            F = xp.where(running, Ft, F)
            grads = _gradient(W, prefixes, G, lambdas)
            gsq = xp.where(running, _sq_norm(grads), gsq)
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
        if curvature is None:
            curvature = _curvature(W0, C, Bm, half_yy, lambdas, xp)
        curv = asnumpy(curvature)
        suggested = np.where(status == "diverged", np.minimum(eta_np / 2, np.where(curv > 0, 1 / curv, np.inf)), np.nan)
    for b in range(nb):
        messages.append(_stop_message(status[b], int(iterations[b]), tol, eta_np[b], suggested[b],
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
                out[wanted[k]] = asnumpy(xp.sqrt(_sq_norm(diff)))
            if k == last:
                break
            eta = schedule.get(k, eta)
            _, prefixes, G = _state(W, C, Bm, half_yy, lambdas)
            grads = _gradient(W, prefixes, G, lambdas)
            move = _expand(ends > k, W[0])
            step_ = _expand(be.asarray(eta), W[0])
            W = [xp.where(move, Wl - step_ * gl, Wl) for Wl, gl in zip(W, grads)]
        for k in its:
            if k > last:
                out[wanted[int(k)]] = 0.0
    return out, None


# --- the predicted rate ---------------------------------------------------------------------------

class RatePrediction(tuple):
    """``(rho, h_min, h_max)`` from :func:`predicted_rate`, with ``n_zero`` and ``n_negative`` as attributes."""

    def __new__(cls, rho, h_min, h_max, n_zero, n_negative):
        self = super().__new__(cls, (rho, h_min, h_max))
        self.n_zero, self.n_negative = n_zero, n_negative
        return self

    rho = property(lambda self: self[0])
    h_min = property(lambda self: self[1])
    h_max = property(lambda self: self[2])

    def __repr__(self):
        return (f"RatePrediction(rho={self.rho:.6f}, h_min={self.h_min:.6g}, h_max={self.h_max:.6g}, "
                f"n_zero={self.n_zero}, n_negative={self.n_negative})")


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
        ``(rho, h_min, h_max)``, and ``n_zero`` (eigenvalues counted as zero) and ``n_negative``
        (eigenvalues below ``−zero_tol``; nonzero means W is a saddle, where the formula does not apply).

    Raises
    ------
    ValueError
        If every eigenvalue counts as zero.
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
    return RatePrediction(rho, h_min, h_max, int(np.sum(np.abs(h) <= zero_tol)), int(np.sum(h < -zero_tol)))
