"""The book's figures: every function that draws lives here (Chapters 1, 2 and 4).

* :func:`loss_on_plane` evaluates ``F(W0 + α D1 + β D2)`` on a grid: a two-dimensional slice of the
  landscape of any :class:`~dlnbook.Problem`, ready for ``matplotlib.pyplot.contour``.
* :func:`plot_scalar_landscape` draws the two-layer scalar loss ``F(a, b) = ½(ab − y)² + λ/2 (a² + b²)``
  with its critical points (:func:`dlnbook.scalar.scalar_critical_points`) marked by kind (Chapter 1).
* :func:`plot_bifurcation`: the roots of the scalar equation (2) against ``y``, coloured by kind (Chapter 2).
* :func:`plot_convergence`: the gradient norm of a descent run on a log scale, with its fitted rate
  (Chapter 4; :meth:`Trajectory.plot <dlnbook.Trajectory.plot>` calls it).

matplotlib is imported when a drawing function is first called, so ``import dlnbook`` stays light.
"""

import numpy as np

from . import _checks
from .problem import Problem
from .scalar import THRESHOLD_RTOL, global_threshold, positive_roots, scalar_critical_points, threshold

_MARKERS = {  # (kind, degenerate) -> (marker, face colour, label)
    ("global minimum", False): ("o", "white", "global minimum"),
    ("global minimum", True): ("D", "orange", "degenerate global minimum"),
    ("strict saddle", False): ("X", "crimson", "strict saddle"),
}


def _axes(ax):
    """The matplotlib Axes to draw on: ``ax``, or the current Axes when it is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        return plt.gca()
    if not isinstance(ax, plt.Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _line_style(style):
    """A TypeError naming the option unless every ``**style`` option is a property of a matplotlib line."""
    from matplotlib.lines import Line2D

    try:
        Line2D([], []).set(**style)
    except AttributeError as error:
        raise TypeError(f"**style: {error}") from None


def _grid(name, values):
    """Return ``values`` as a non-empty, finite, 1-D float64 array, or raise naming ``name``."""
    array = _checks.vector(name, values)
    if array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence")
    return array


def loss_on_plane(problem, W0, D1, D2, alphas, betas):
    """The loss on the plane through ``W0`` spanned by ``D1`` and ``D2``.

    Evaluates ``F(W0 + α D1 + β D2)`` for every α in ``alphas`` and β in ``betas``, with
    :meth:`Problem.loss_batch <dlnbook.Problem.loss_batch>` (the loss of Chapter 1, all grid points
    at once), so the picture is exactly the function the book studies.

    Parameters
    ----------
    problem : dlnbook.Problem
        The loss to evaluate.
    W0, D1, D2 : sequence of ndarray
        A base point and two directions, each a list ``[W_1, ..., W_L]`` with the problem's shapes.
    alphas, betas : sequence of float
        Grid coordinates along ``D1`` and ``D2``.

    Returns
    -------
    ndarray, shape (len(betas), len(alphas))
        ``Z[i, j] = F(W0 + alphas[j] D1 + betas[i] D2)``: the layout that
        ``plt.contour(alphas, betas, Z)`` expects.

    Raises
    ------
    TypeError
        If ``problem`` is not a :class:`~dlnbook.Problem`, or a grid is not a sequence of numbers.
    ValueError
        If a weight list has the wrong number of layers or shapes, or a grid is empty, not 1-D or
        not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnbook import Problem
    >>> from dlnbook.plots import loss_on_plane
    >>> problem = Problem.from_target([[2.0]], widths=[1], lam=0.5)
    >>> e1, e2 = [np.ones((1, 1)), np.zeros((1, 1))], [np.zeros((1, 1)), np.ones((1, 1))]
    >>> loss_on_plane(problem, problem.zeros(), e1, e2, [0.0, 1.0], [0.0, 1.0])
    array([[2.  , 2.25],
           [2.25, 1.  ]])
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a dlnbook.Problem, got {type(problem).__name__}")
    W0 = problem.check_weights(W0, name="W0")
    D1 = problem.check_weights(D1, name="D1")
    D2 = problem.check_weights(D2, name="D2")
    alphas = _grid("alphas", alphas)
    betas = _grid("betas", betas)
    a, b = np.meshgrid(alphas, betas)  # shape (len(betas), len(alphas)), the layout contour expects
    a, b = a.reshape(-1, 1, 1), b.reshape(-1, 1, 1)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            points = [w + a * d1 + b * d2 for w, d1, d2 in zip(W0, D1, D2)]
        losses = problem.loss_batch(points)
    except ValueError as error:                              # the loss overflows somewhere on the plane
        raise ValueError(f"the loss on the plane W0 + α·D1 + β·D2 overflows: W0, D1, D2, alphas or betas are "
                         f"too large ({error})") from None
    return losses.reshape(betas.size, alphas.size)


def plot_scalar_landscape(lam, y, ax=None, radius=2.5, n=101):
    """Contours of the two-layer scalar loss, with its critical points marked.

    Draws ``F(a, b) − min F`` for ``F(a, b) = ½(ab − y)² + λ/2 (a² + b²)`` on the square
    ``[−radius, radius]²``, with log-spaced filled contours (so the flat valleys near the minima stay
    visible), the level set through the saddle (when there is one) dashed, and the critical points of
    :func:`dlnbook.scalar.scalar_critical_points` marked by kind. The values come from
    :meth:`Problem.from_target([[y]], widths=[1], lam=lam).loss <dlnbook.Problem.loss>`.

    Parameters
    ----------
    lam : float
        The regularization parameter λ > 0.
    y : float
        The target.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes (``plt.gca()``) if omitted, so the function can also draw
        on a figure prepared by the caller. A colorbar is added next to ``ax``.
    radius : float
        Half-width of the square window.
    n : int
        Grid points per axis (the loss is evaluated n² times).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``lam``, ``y`` or ``radius`` is not a real number, ``n`` is not an integer, or ``ax`` is
        not a matplotlib Axes.
    ValueError
        If ``lam`` or ``radius`` is not positive and finite, ``y`` is not finite, or ``n < 2``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from dlnbook.plots import plot_scalar_landscape
    >>> fig, ax = plt.subplots()
    >>> ax = plot_scalar_landscape(0.5, 2.0, ax=ax, n=41)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['level set of the saddle', 'strict saddle', 'global minimum']
    >>> plt.close(fig)
    """
    lam = _checks.positive_real("lam", lam)
    y = _checks.real("y", y)
    radius = _checks.positive_real("radius", radius)
    n = _checks.positive_int("n", n)
    if n < 2:
        raise ValueError(f"n must be at least 2 grid points per axis, got {n}")
    _checks.allocation(2 * n * n, f"the n×n grid of the landscape (n = {n})")
    with np.errstate(over="ignore"):                  # the loss on the window is at most this
        largest = 0.5 * (np.float64(radius) ** 2 + abs(y)) ** 2 + lam * np.float64(radius) ** 2
    if not np.isfinite(largest):
        raise ValueError(f"the loss on this window overflows float64: lam = {lam:g}, y = {y:g} and radius = "
                         f"{radius:g} are too large together")
    ax = _axes(ax)
    from matplotlib.colors import LogNorm
    from matplotlib.lines import Line2D

    problem = Problem.from_target([[y]], widths=[1], lam=lam)
    one, zero = np.ones((1, 1)), np.zeros((1, 1))
    grid = np.linspace(-radius, radius, n)
    Z = loss_on_plane(problem, problem.zeros(), [one, zero], [zero, one], grid, grid)
    points, kinds, degenerate = scalar_critical_points(lam, y)
    values = [problem.loss([np.array([[a]]), np.array([[b]])]) for a, b in points]
    gap = np.maximum(Z - min(values), 0.0)

    top = float(gap.max())
    levels = np.geomspace(top * 1e-5, top, 16)
    filled = ax.contourf(grid, grid, np.maximum(gap, levels[0]), levels=levels, norm=LogNorm(),
                         cmap="viridis", extend="min")
    ax.contour(grid, grid, gap, levels=levels, colors="black", linewidths=0.3, alpha=0.5)
    ax.figure.colorbar(filled, ax=ax, label=r"$F(a,b) - \min F$ (log scale)", format="%.0e")

    handles = []
    if "strict saddle" in kinds:
        saddle_gap = values[kinds.index("strict saddle")] - min(values)
        ax.contour(grid, grid, gap, levels=[saddle_gap], colors="white", linewidths=1.2, linestyles="--")
        handles.append(Line2D([], [], color="white", linestyle="--", label="level set of the saddle"))
    marks = list(zip(kinds, degenerate))
    for mark in dict.fromkeys(marks):  # each kind once, in order of appearance
        marker, colour, label = _MARKERS[mark]
        chosen = points[[m == mark for m in marks]]
        handles.append(ax.scatter(chosen[:, 0], chosen[:, 1], s=90, marker=marker, c=colour,
                                  edgecolors="black", linewidths=1.2, zorder=3, label=label))
    legend = ax.legend(handles=handles, loc="upper left", framealpha=0.85)
    legend.get_frame().set_facecolor("lightgrey")

    if kinds[0] == "strict saddle":
        regime = r"$|y| > \lambda$: origin is a saddle"
    elif not degenerate[0]:
        regime = r"$|y| < \lambda$: origin is the minimum"
    else:
        regime = r"$|y| = \lambda$: degenerate origin"
    ax.set_title(f"$\\lambda$ = {lam:.2f}, y = {y:.2f}  ({regime})", fontsize="medium")
    ax.set_xlabel(r"$a$ (first layer $W_1$)")
    ax.set_ylabel(r"$b$ (second layer $W_2$)")
    ax.set_aspect("equal")
    return ax


_BRANCH_STYLE = {  # kind -> (colour, line width, label)
    "global minimum": ("C0", 3.0, "global minimum"),
    "local minimum": ("C2", 2.0, "local minimum (not global)"),
    "strict saddle": ("crimson", 1.5, "saddle"),
}


def plot_bifurcation(L, lam, y_max=3.0, ax=None, n=600):
    """The roots σ of equation (2) against the singular value y: the bifurcation diagram.

    For one component (a network of width 1 fitting a 1×1 target y), draws every nonnegative root of
    (2) as y runs over ``[0, y_max]``, coloured by the kind of the critical point it gives: global
    minimum, local minimum that is not global, saddle. Dashed vertical lines mark τ_L and, for
    L ≥ 3, τ^glob. For L = 2 the branch is born from σ = 0 (a pitchfork); for L ≥ 3 two branches are
    born together at ``(τ_L, σ*)`` (a saddle–node), away from 0.

    Parameters
    ----------
    L : int
        Depth, at least 2.
    lam : float or sequence of float
        One positive λ for every layer, or L of them.
    y_max : float
        Right end of the y axis.
    ax : matplotlib.axes.Axes, optional
        Where to draw (the current Axes if omitted).
    n : int
        Number of values of y.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError, ValueError
        On invalid ``L``, ``lam``, ``y_max``, ``n`` or ``ax``.
    """
    L = _checks.depth(L)
    lambdas = _checks.regularization(lam, L)
    with np.errstate(over="ignore", under="ignore"):
        Lam = float(np.prod(lambdas))
    # Λ itself may be beyond the floats: then the title gives its power of ten
    Lam_text = f"{Lam:.3g}" if 0 < Lam < np.inf else f"10^{float(np.sum(np.log10(lambdas))):.1f}"
    y_max = _checks.positive_real("y_max", y_max)
    n = _checks.positive_int("n", n)
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    _checks.allocation(4 * n, f"the n = {n} points of the figure")
    ax = _axes(ax)
    tau, glob = threshold(L, lambdas), global_threshold(L, lambdas)
    ys = np.union1d(np.linspace(0.0, y_max, n), [tau] if tau < y_max else [])
    branches = {"0": np.zeros_like(ys), "+": np.full_like(ys, np.nan), "-": np.full_like(ys, np.nan)}
    kinds = {"0": [], "+": [], "-": []}
    for i, y in enumerate(ys):
        try:
            roots = positive_roots(y, L, lambdas)
        except ValueError as error:                              # the smaller root below the floats
            raise ValueError(f"y_max = {y_max:g} is too large for this depth and lam: {error}") from None
        for sigma, b in roots:
            for name in ("+", "-") if b == "*" else (b,):     # the double root closes both branches
                branches[name][i] = sigma
        if L == 2 and y == tau:
            branches["+"][i] = 0.0                             # the pitchfork: born from σ = 0
        kinds["0"].append("strict saddle" if L == 2 and y > tau * (1 + THRESHOLD_RTOL) else
                          "global minimum" if y <= glob else "local minimum")
        kinds["+"].append("global minimum" if y >= glob else "local minimum")
        kinds["-"].append("strict saddle")
    for name in ("0", "+", "-"):
        for kind, (colour, width, label) in _BRANCH_STYLE.items():
            mask = np.array([k == kind for k in kinds[name]])
            if np.any(mask & ~np.isnan(branches[name])):
                ax.plot(ys, np.where(mask, branches[name], np.nan), color=colour, linewidth=width, label=label)
    top = ax.get_xaxis_transform()           # x in data units, y as a fraction of the axes
    ax.axvline(tau, color="grey", linestyle="--", linewidth=1)
    ax.text(tau, 0.98, r" $\tau_L$", va="top", ha="left", color="dimgrey", transform=top)
    if L > 2:
        ax.axvline(glob, color="black", linestyle=":", linewidth=1)
        ax.text(glob, 0.90, r" $\tau^{\mathrm{glob}}$", va="top", ha="left", transform=top)
        sigma_star = positive_roots(tau, L, lambdas)[0].sigma
        ax.plot([tau], [sigma_star], marker="o", color="black", markersize=5, label="saddle–node (double root)")
    ax.set_xlim(0, y_max)
    ax.set_xlabel("singular value $y$ of $\\bar Y$")
    ax.set_ylabel(r"root $\sigma$ of the stationarity equation")
    ax.set_title(f"L = {L}, Λ = {Lam_text}")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="center right")
    return ax


def plot_convergence(trajectory, ax=None, fit=True, label=None, distance=False, **style):
    """The convergence figure of a descent run: ``‖∇F(W_k)‖`` against k on a log scale (Chapter 4).

    Parameters
    ----------
    trajectory : dlnbook.Trajectory
        A run of :func:`dlnbook.gradient_descent` (or one run of a batch).
    ax : matplotlib Axes, optional
        Where to draw (default: the current axes).
    fit : bool
        Also draw the fitted line of :meth:`Trajectory.linear_rate <dlnbook.Trajectory.linear_rate>`
        over its range, labelled with q.
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
    from .trajectory import Trajectory

    if not isinstance(trajectory, Trajectory):
        raise TypeError(f"trajectory must be a dlnbook.Trajectory (one run; index a batch: batch[b]), "
                        f"got {type(trajectory).__name__}")
    fit, distance = _checks.flag("fit", fit), _checks.flag("distance", distance)
    if label is not None:
        label = _checks.label("label", label)
    _line_style(style)
    ax = _axes(ax)
    (line,) = ax.semilogy(trajectory.iteration, trajectory.grad_norm, label=label or r"$\|\nabla F(W_k)\|$",
                          **style)
    if distance:
        shown = trajectory.distance > 0
        ax.semilogy(trajectory.iteration[shown], trajectory.distance[shown], linestyle=":", color=line.get_color(),
                    label=r"$\|W_k - W_K\|$")
    if fit:
        try:
            rate = trajectory.linear_rate()
        except ValueError:
            rate = None
        if rate is not None:
            ks = np.array([rate.start, rate.stop], dtype=float)
            ax.semilogy(ks, np.exp(rate.intercept + rate.slope * ks), color="black", linestyle="--",
                        linewidth=1, label=f"fit: q = {rate.q:.5f}")
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel(r"gradient norm $\|\nabla F(W_k)\|$")
    if not ax.get_title():
        ax.set_title(f"Gradient descent: {trajectory.status} after {trajectory.iterations} steps")
    ax.legend(loc="best")
    return ax
