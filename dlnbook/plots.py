"""Figures for the book: the loss on a plane, and the two-layer scalar example (Chapter 1).

* :func:`loss_on_plane` evaluates ``F(W0 + α D1 + β D2)`` on a grid: a two-dimensional slice of the
  landscape of any :class:`~dlnbook.Problem`, ready for ``matplotlib.pyplot.contour``.
* :func:`scalar_critical_points` lists the critical points of the two-layer scalar loss
  ``F(a, b) = ½(ab − y)² + λ/2 (a² + b²)`` with their kinds, from the closed form derived in Chapter 1.
* :func:`plot_scalar_landscape` draws that landscape with its critical points marked.

This module needs matplotlib; the rest of ``dlnbook`` needs only numpy.
"""

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D

from . import _checks
from .problem import Problem

#: Relative tolerance under which ``|y|`` and ``λ`` count as equal in :func:`scalar_critical_points`.
SCALAR_TIE_RTOL = 1e-9

_MARKERS = {  # kind -> (marker, face colour, label)
    "minimum": ("o", "white", "local minimum"),
    "degenerate minimum": ("D", "orange", "degenerate minimum"),
    "saddle": ("X", "crimson", "saddle"),
}


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
    return problem.loss_batch([w + a * d1 + b * d2 for w, d1, d2 in zip(W0, D1, D2)]).reshape(betas.size, alphas.size)


def scalar_critical_points(lam, y):
    """Critical points of ``F(a, b) = ½(ab − y)² + λ/2 (a² + b²)`` and their kinds.

    This is the two-layer scalar network with input ``x = 1`` (Chapter 1, the scalar landscape).
    The closed form derived there: the origin is always critical; if ``|y| > λ`` there are two more,
    ``±(a0, sign(y) a0)`` with ``a0 = sqrt(|y| − λ)``. The Hessian eigenvalues are ``λ ∓ |y|`` at the
    origin and ``2(|y| − λ)``, ``2λ`` at the other two, which gives the kinds.

    Parameters
    ----------
    lam : float
        The regularization parameter λ > 0 (the same in both layers).
    y : float
        The target.

    Returns
    -------
    points : ndarray, shape (k, 2)
        The critical points ``(a, b)``, origin first; k is 1 or 3.
    kinds : list of str
        ``"minimum"`` (positive definite Hessian), ``"saddle"`` (one negative eigenvalue) or
        ``"degenerate minimum"`` (the origin when ``|y| = λ``, up to a relative tolerance
        :data:`SCALAR_TIE_RTOL`; its Hessian is singular and F grows only like ``t⁴`` along the
        diagonal ``b = sign(y) a``).

    Raises
    ------
    TypeError
        If ``lam`` or ``y`` is not a real number.
    ValueError
        If ``lam`` is not positive and finite, or ``y`` is not finite.

    Examples
    --------
    >>> from dlnbook.plots import scalar_critical_points
    >>> points, kinds = scalar_critical_points(0.5, -2.5)
    >>> points.tolist(), kinds
    ([[0.0, 0.0], [1.4142135623730951, -1.4142135623730951], [-1.4142135623730951, 1.4142135623730951]], ['saddle', 'minimum', 'minimum'])
    """
    lam = _checks.positive_real("lam", lam)
    y = _checks.real("y", y)
    if abs(abs(y) - lam) <= SCALAR_TIE_RTOL * lam:
        return np.zeros((1, 2)), ["degenerate minimum"]
    if abs(y) < lam:
        return np.zeros((1, 2)), ["minimum"]
    a0 = np.sqrt(abs(y) - lam)
    sign = np.sign(y)
    points = np.array([[0.0, 0.0], [a0, sign * a0], [-a0, -sign * a0]])
    return points, ["saddle", "minimum", "minimum"]


def plot_scalar_landscape(lam, y, ax=None, radius=2.5, n=101):
    """Contours of the two-layer scalar loss, with its critical points marked.

    Draws ``F(a, b) − min F`` for ``F(a, b) = ½(ab − y)² + λ/2 (a² + b²)`` on the square
    ``[−radius, radius]²``, with log-spaced filled contours (so the flat valleys near the minima stay
    visible), the level set through the saddle (when there is one) dashed, and the critical points of
    :func:`scalar_critical_points` marked by kind. The values come from
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
    ['level set of the saddle', 'saddle', 'local minimum']
    >>> plt.close(fig)
    """
    lam = _checks.positive_real("lam", lam)
    y = _checks.real("y", y)
    radius = _checks.positive_real("radius", radius)
    n = _checks.positive_int("n", n)
    if n < 2:
        raise ValueError(f"n must be at least 2 grid points per axis, got {n}")
    ax = _checks.axes(ax)

    problem = Problem.from_target([[y]], widths=[1], lam=lam)
    one, zero = np.ones((1, 1)), np.zeros((1, 1))
    grid = np.linspace(-radius, radius, n)
    Z = loss_on_plane(problem, problem.zeros(), [one, zero], [zero, one], grid, grid)
    points, kinds = scalar_critical_points(lam, y)
    values = [problem.loss([np.array([[a]]), np.array([[b]])]) for a, b in points]
    gap = np.maximum(Z - min(values), 0.0)

    top = float(gap.max())
    levels = np.geomspace(top * 1e-5, top, 16)
    filled = ax.contourf(grid, grid, np.maximum(gap, levels[0]), levels=levels, norm=LogNorm(),
                         cmap="viridis", extend="min")
    ax.contour(grid, grid, gap, levels=levels, colors="black", linewidths=0.3, alpha=0.5)
    ax.figure.colorbar(filled, ax=ax, label=r"$F(a,b) - \min F$ (log scale)", format="%.0e")

    handles = []
    if "saddle" in kinds:
        saddle_gap = values[kinds.index("saddle")] - min(values)
        ax.contour(grid, grid, gap, levels=[saddle_gap], colors="white", linewidths=1.2, linestyles="--")
        handles.append(Line2D([], [], color="white", linestyle="--", label="level set of the saddle"))
    for kind in dict.fromkeys(kinds):  # each kind once, in order of appearance
        marker, colour, label = _MARKERS[kind]
        chosen = points[[k == kind for k in kinds]]
        handles.append(ax.scatter(chosen[:, 0], chosen[:, 1], s=90, marker=marker, c=colour,
                                  edgecolors="black", linewidths=1.2, zorder=3, label=label))
    legend = ax.legend(handles=handles, loc="upper left", fontsize="small", framealpha=0.85)
    legend.get_frame().set_facecolor("lightgrey")

    if kinds[0] == "saddle":
        regime = r"$|y| > \lambda$: origin is a saddle"
    elif kinds[0] == "minimum":
        regime = r"$|y| < \lambda$: origin is the minimum"
    else:
        regime = r"$|y| = \lambda$: degenerate origin"
    ax.set_title(f"$\\lambda$ = {lam:.2f}, y = {y:.2f}  ({regime})", fontsize="medium")
    ax.set_xlabel(r"$a$ (first layer $W_1$)")
    ax.set_ylabel(r"$b$ (second layer $W_2$)")
    ax.set_aspect("equal")
    return ax
