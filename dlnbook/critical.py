"""Critical points of the whitened regularized loss, in closed form (Chapter 2).

With whitened inputs, ``X Xᵀ = I``, the loss is regularized deep matrix factorization of
``Ȳ = Y Xᵀ`` (Chapter 1). Its critical points are known exactly. W is critical if and only if

.. math::

    W_l = \\lambda_l^{-1/2}\\, Q_l\\, \\Sigma_\\sigma\\, Q_{l-1}^\\top, \\qquad l = 1, \\dots, L,

where ``Σ_σ`` carries the same numbers ``σ_i ≥ 0`` on its diagonal in every layer, the hidden
``Q_1, ..., Q_{L-1}`` are any orthogonal matrices, ``Q_0`` and ``Q_L`` align each nonzero ``σ_i``
with a singular pair ``(u, v)`` of Ȳ (``Ȳ v = y u``, every pair used at most once), and each nonzero
``σ_i`` solves the scalar equation

.. math::

    \\sigma^{2L-2} - \\sqrt{\\Lambda}\\, y\\, \\sigma^{L-2} + \\Lambda = 0, \\qquad \\Lambda = \\prod_l \\lambda_l,
    \\qquad\\qquad (2)

for the singular value ``y`` of its pair. Layer l's singular values are ``λ_l^{-1/2} σ_i`` and the
end-to-end matrix is ``P = Σ_i (σ_i^L / √Λ) u_i v_iᵀ``.

* :func:`threshold`, :func:`global_threshold`: the values of ``y`` above which (2) has positive
  roots, and above which an active component lowers the loss.
* :func:`stationarity_roots`: the nonnegative roots of (2).
* :func:`critical_points`: every critical configuration of a whitened problem, with its kind.
* :func:`classify`: the kind of a given critical point, from its exact Hessian.
* :func:`orbit_tangent_basis`, :func:`orbit_dimension`: the directions along which the loss is
  constant by symmetry.
* :func:`require_whitened`: the check that the closed form applies.
* :func:`plot_bifurcation`: the roots of (2) against ``y``, coloured by kind.

Tolerances (module constants, all documented below) decide floating-point ties: a singular value
equal to a threshold, two equal singular values, a zero Hessian eigenvalue.
"""

import math
from dataclasses import dataclass

import numpy as np

from . import _checks
from .problem import Problem, norm

#: A problem counts as whitened when every entry of ``X Xᵀ − I`` is at most this in absolute value.
#: :func:`dlnbook.data.planted` and :meth:`Problem.from_target <dlnbook.Problem.from_target>` give
#: about 1e−15.
WHITENED_ATOL = 1e-10

#: ``y`` counts as equal to a threshold τ when ``|y − τ| ≤ THRESHOLD_RTOL · τ``: then (2) has a
#: double root (L ≥ 3) or no positive root (L = 2).
THRESHOLD_RTOL = 1e-10

#: Two singular values of Ȳ count as tied when they differ by at most ``TIE_RTOL · y_1``, and a
#: singular value counts as zero when it is at most ``TIE_RTOL · y_1`` (``y_1`` the largest). Tied
#: values are replaced by their mean.
TIE_RTOL = 1e-10

#: A Hessian eigenvalue counts as zero when its absolute value is at most
#: ``HESSIAN_NULL_RTOL`` times the largest absolute eigenvalue.
HESSIAN_NULL_RTOL = 1e-8

#: :func:`classify` accepts ``W`` as critical when ``‖∇F(W)‖`` is at most ``CRITICAL_RTOL`` times the
#: size of the two terms that cancel in it, ``‖∇F(W) − λ W‖ + ‖λ W‖`` (layer by layer).
CRITICAL_RTOL = 1e-6

#: The kinds of critical points, from best to worst.
KINDS = ("global minimum", "local minimum", "strict saddle", "non-strict saddle")

#: The labels of the positive roots of equation (2), in this order the larger root ``s₊``, the smaller
#: root ``s₋`` (both for L ≥ 3 and ``y > τ_L``) and the double root ``s*`` (L ≥ 3 and ``y = τ_L``).
#: For L = 2 the one positive root is labelled ``"+"``.
BRANCHES = ("+", "-", "*")


# --- thresholds and roots ------------------------------------------------------------------------

def _depth(L):
    L = _checks.positive_int("L", L)
    if L < 2:
        raise ValueError(f"L must be at least 2 (a network with at least two weight matrices), got {L}")
    return L


def _product(L, lam):
    """Λ = Π λ_l from a positive scalar (every layer) or L positive numbers."""
    return float(np.prod(_checks.regularization(lam, L)))


def _tau(L, Lam):
    e = 1.0 / (2 * L - 2)
    return (2 * L - 2) * Lam ** e / (L ** (L * e) * float(L - 2) ** ((L - 2) * e))   # 0.0 ** 0.0 == 1


def _tau_glob(L, Lam):
    e = 1.0 / (2 * L - 2)
    return (L - 1) * float(L - 2) ** (-(L - 2) * e) * Lam ** e if L > 2 else Lam ** 0.5


def threshold(L, lam):
    """The threshold τ_L(Λ): equation (2) has a positive root exactly when ``y ≥ τ_L`` (``y > τ_L`` for L = 2).

    .. math::

        \\tau_L(\\Lambda) = \\frac{(2L-2)\\, \\Lambda^{1/(2L-2)}}{L^{L/(2L-2)}\\, (L-2)^{(L-2)/(2L-2)}},
        \\qquad \\Lambda = \\prod_l \\lambda_l ,

    with ``0⁰ = 1``, so ``τ_2 = √Λ = (λ_1 λ_2)^{1/2}`` (the soft-threshold of two-layer networks).
    For L ≥ 3, at ``y = τ_L`` the two positive roots of (2) merge (a saddle–node); for L = 2 the
    positive root is born from 0 (a pitchfork). Chapter 2, "The scalar equation".

    Parameters
    ----------
    L : int
        Depth, at least 2.
    lam : float or sequence of float
        One positive λ for every layer, or L of them; only their product Λ matters.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        If ``L`` is not an integer ≥ 2 or ``lam`` is not positive with one value per layer.

    Examples
    --------
    >>> from dlnbook.critical import threshold
    >>> round(threshold(2, [0.5, 2.0]), 12), round(threshold(3, 1.0), 6)
    (1.0, 1.754765)
    """
    L = _depth(L)
    return float(_tau(L, _product(L, lam)))


def global_threshold(L, lam):
    """The threshold τ^glob(Λ) above which an active component lowers the loss.

    .. math::

        \\tau^{\\mathrm{glob}}(\\Lambda) = (L-1)\\,(L-2)^{-(L-2)/(2L-2)}\\, \\Lambda^{1/(2L-2)}

    (``= τ_2 = √Λ`` for L = 2). A component with singular value ``y`` active at the larger root of (2)
    changes the loss by ``φ = −½ s^{2L} + ½ (L−2) μ s²`` (``s = σ/√μ``, ``μ = Λ^{1/L}``), which is
    negative exactly when ``y > τ^glob``. For L ≥ 3, ``τ^glob > τ_L``: between the two thresholds a
    component can be active at a local minimum that is not global. Chapter 2, "The classification".

    Parameters
    ----------
    L : int
        Depth, at least 2.
    lam : float or sequence of float
        One positive λ for every layer, or L of them.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        As :func:`threshold`.

    Examples
    --------
    >>> from dlnbook.critical import global_threshold
    >>> round(global_threshold(3, 1.0), 12), round(global_threshold(2, 0.25), 12)
    (2.0, 0.25)
    """
    L = _depth(L)
    return float(_tau_glob(L, _product(L, lam)))


def _bisect(f, a, b):
    """A root of f in [a, b] (f(a), f(b) of opposite signs), to the last bit."""
    fa = f(a)
    while True:
        m = 0.5 * (a + b)
        if m <= a or m >= b:
            return m
        fm = f(m)
        if fm == 0:
            return m
        if (fm > 0) == (fa > 0):
            a, fa = m, fm
        else:
            b = m


def _positive_roots(y, L, Lam):
    """The positive roots σ of (2) with their branch labels, largest first: [(σ, branch), ...]."""
    mu = Lam ** (1.0 / L)
    tau = _tau(L, Lam)
    scale = np.sqrt(mu)                       # σ = s √μ, s the root in the equal-λ variables
    if L == 2:
        if y <= tau * (1 + THRESHOLD_RTOL):
            return []
        return [(float(np.sqrt(mu * (y - mu))), "+")]
    if abs(y - tau) <= THRESHOLD_RTOL * tau:
        return [(float(scale * (mu * (L - 2) / L) ** (1.0 / (2 * L - 2))), "*")]
    if y < tau:
        return []

    # s > 0 solves g(s) = s^{2L-2} − y s^{L-2} + μ = 0  ⇔  h(s) = s^L + μ s^{2-L} = y; h has its
    # minimum at s_c (h'(s_c) = 0) and h(y^{1/L}) > y, h(0+) = ∞.
    def h_minus_y(s):
        return s ** L + mu * s ** (2 - L) - y

    s_c = (mu * (L - 2) / L) ** (1.0 / (2 * L - 2))
    top = y ** (1.0 / L)
    lower = _bisect(h_minus_y, _small_bracket(h_minus_y, s_c), s_c)
    upper = _bisect(h_minus_y, s_c, top)
    return [(float(scale * upper), "+"), (float(scale * lower), "-")]


def _small_bracket(f, s_c):
    """A point in (0, s_c) where f > 0 (f → +∞ as s → 0+)."""
    s = s_c / 2
    while f(s) <= 0:
        s /= 2
    return s


def stationarity_roots(y, L, lam):
    """The nonnegative solutions σ of equation (2) for one singular value ``y``.

    .. math::

        \\sigma\\,\\big(\\sigma^{2L-2} - \\sqrt{\\Lambda}\\, y\\, \\sigma^{L-2} + \\Lambda\\big) = 0 .

    ``σ = 0`` is always a solution. For L = 2 there is one positive root,
    ``σ = (√Λ (y − √Λ))^{1/2}``, when ``y > τ_2 = √Λ``. For L ≥ 3 there are two positive roots when
    ``y > τ_L``, one double root ``σ* = √μ ((L−2)μ/L)^{1/(2L−2)}`` (``μ = Λ^{1/L}``) when
    ``y = τ_L``, listed once, and none below. Equality with the threshold is decided with the
    relative tolerance :data:`THRESHOLD_RTOL`; the roots themselves are found by bisection to the last bit.

    Parameters
    ----------
    y : float
        A singular value of Ȳ (``y ≥ 0``).
    L : int
        Depth, at least 2.
    lam : float or sequence of float
        One positive λ for every layer, or L of them.

    Returns
    -------
    ndarray
        The roots in increasing order, starting with 0.

    Raises
    ------
    TypeError, ValueError
        If ``y`` is negative or not a real number, or ``L``, ``lam`` are invalid (see :func:`threshold`).

    Examples
    --------
    >>> from dlnbook.critical import stationarity_roots, threshold
    >>> stationarity_roots(2.0, 2, 1.0).tolist()
    [0.0, 1.0]
    >>> len(stationarity_roots(threshold(3, 0.1), 3, 0.1)), len(stationarity_roots(1.0, 3, 0.1))
    (2, 3)
    """
    y = _checks.real("y", y, minimum=0)
    L = _depth(L)
    Lam = _product(L, lam)
    return np.array([0.0] + sorted(sigma for sigma, _ in _positive_roots(y, L, Lam)))


# --- whitened problems and the spectrum of Ȳ -------------------------------------------------------

def require_whitened(problem):
    """Check that the closed form applies: ``problem`` is a :class:`~dlnbook.Problem` with ``X Xᵀ = I``.

    The closed-form critical points (and τ_L, τ^glob, the classification) are about the whitened
    problem only; for anisotropic inputs the critical points are different (Chapter 1).
    ``X Xᵀ = I`` is accepted up to :data:`WHITENED_ATOL` in every entry.

    Parameters
    ----------
    problem : dlnbook.Problem

    Returns
    -------
    dlnbook.Problem
        ``problem`` itself.

    Raises
    ------
    TypeError
        If ``problem`` is not a :class:`~dlnbook.Problem`.
    ValueError
        If ``X Xᵀ`` is not the identity; the message says how to whiten.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a dlnbook.Problem, got {type(problem).__name__}")
    deviation = float(np.max(np.abs(problem.C - np.eye(problem.dims[0]))))
    if not deviation <= WHITENED_ATOL:
        raise ValueError(
            f"the closed form needs whitened inputs, X Xᵀ = I, but this problem has "
            f"max|X Xᵀ − I| = {deviation:.3g} (tolerance {WHITENED_ATOL:g}). Whiten the inputs with "
            f"dlnbook.data.whiten(X, Y) (this changes the problem unless X Xᵀ = I: it moves the first-layer "
            f"penalty), or build the matrix-factorization problem with Problem.from_target(Ybar, widths, lam)")
    return problem


@dataclass(frozen=True)
class _Spectrum:
    """The SVD of Ȳ with ties snapped: Ȳ ≈ Σ_j y[j] U[:, j] Vt[j]; groups of tied nonzero values."""
    U: np.ndarray          # dL × dL, orthogonal
    y: np.ndarray          # r = min(d0, dL) values, non-increasing, ties replaced by their mean, tiny → 0
    Vt: np.ndarray         # d0 × d0, orthogonal
    groups: tuple          # ((start, stop), ...) index ranges of equal nonzero values
    rank: int              # number of nonzero values


def _spectrum(problem):
    U, y, Vt = np.linalg.svd(problem.target, full_matrices=True)
    y = y.copy()
    scale = y[0] if y.size else 0.0
    y[y <= TIE_RTOL * scale] = 0.0
    groups, start = [], 0
    for j in range(1, y.size + 1):
        if j == y.size or y[j - 1] - y[j] > TIE_RTOL * scale:
            if y[start] > 0:
                y[start:j] = np.mean(y[start:j])
                groups.append((start, j))
            start = j
    rank = groups[-1][1] if groups else 0
    return _Spectrum(U, y, Vt, tuple(groups), rank)


# --- critical configurations -------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CriticalPoint:
    """One critical configuration of a whitened problem (a record of :func:`critical_points`).

    Attributes
    ----------
    W : list of ndarray
        The weights ``[W_1, ..., W_L]``.
    active : tuple of (int, float)
        ``(j, σ)`` for each active component: index ``j`` (0-based) of the singular value ``y_j`` of Ȳ
        (in non-increasing order) and the common value ``σ`` solving (2); layer l's singular value is
        ``λ_l^{-1/2} σ``. Sorted by ``j``.
    branches : tuple of str
        The root of (2) each active component sits on: ``"+"`` (larger), ``"-"`` (smaller) or
        ``"*"`` (double root, ``y_j = τ_L``); see :data:`BRANCHES`.
    loss : float
        ``F(W)``.
    kind : str
        One of :data:`KINDS`.
    degenerate : bool
        Whether the Hessian's kernel is larger than the tangent space of the symmetry orbit.
    """
    W: list
    active: tuple
    branches: tuple
    loss: float
    kind: str
    degenerate: bool

    def __repr__(self):
        active = ", ".join(f"y_{j}: {b} σ={sigma:.6g}" for (j, sigma), b in zip(self.active, self.branches))
        return (f"CriticalPoint(active=[{active}], loss={self.loss:.6g}, kind={self.kind!r}, "
                f"degenerate={self.degenerate})")


def _layers(problem, spectrum, active, rng=None):
    """The weights of a configuration: representative (hidden Q_l = I) or a random orbit element."""
    dims, lam, L = problem.dims, problem.lambdas, problem.L
    d0, dL = dims[0], dims[-1]
    U, Vt = spectrum.U, spectrum.Vt
    if rng is not None:
        # a random element of Stab(Ȳ): one rotation per group of tied values, shared by the left and
        # right singular vectors, and independent rotations of the null spaces
        left, right = np.eye(dL), np.eye(d0)
        for start, stop in spectrum.groups:
            O = _haar(rng, stop - start)
            left[start:stop, start:stop] = O
            right[start:stop, start:stop] = O
        left[spectrum.rank:, spectrum.rank:] = _haar(rng, dL - spectrum.rank)
        right[spectrum.rank:, spectrum.rank:] = _haar(rng, d0 - spectrum.rank)
        U, Vt = U @ left, (Vt.T @ right).T
    k = len(active)
    js = [j for j, _ in active]
    sigmas = np.array([sigma for _, sigma in active])
    W = []
    for l in range(1, L + 1):
        Wl = np.zeros((dims[l], dims[l - 1]))
        values = sigmas / np.sqrt(lam[l - 1])
        if l == 1:
            Wl[:k, :] = values[:, None] * Vt[js]    # component i in hidden unit i, input direction v_j
        elif l == L:
            Wl[:, :k] = U[:, js] * values           # output direction u_j
        else:
            Wl[np.arange(k), np.arange(k)] = values
        W.append(Wl)
    if rng is not None:
        Q = [None] + [_haar(rng, dims[l]) for l in range(1, L)] + [None]
        W = [(W[l - 1] if Q[l] is None else Q[l] @ W[l - 1]) @ (np.eye(dims[l - 1]) if Q[l - 1] is None else Q[l - 1].T)
             for l in range(1, L + 1)]
    return W


def _haar(rng, n):
    """A Haar-random n×n orthogonal matrix (QR with sign fix)."""
    if n == 0:
        return np.zeros((0, 0))
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def _closed_form(L, Lam, y, d_min, active_j, branches):
    """(kind, degenerate, rule) of a configuration from the classification of Chapter 2."""
    tau = _tau(L, Lam)
    k = len(active_j)
    active_set = set(active_j)
    inactive = [y[j] for j in range(y.size) if j not in active_set]
    smallest_active = min((y[j] for j in active_j), default=np.inf)
    skips = any(v > smallest_active for v in inactive)           # a larger value left out
    at_tau = [abs(v - tau) <= THRESHOLD_RTOL * tau for v in y]
    if L == 2:
        n_positive = sum(1 for v in y if v > tau * (1 + THRESHOLD_RTOL))
        degenerate = any(at_tau) and k < d_min
        if not skips and k == min(d_min, n_positive):
            return "global minimum", degenerate, "closed form, L = 2: the top min(d_min, #{y > √Λ}) values active"
        return "strict saddle", degenerate, "closed form, L = 2: not the top pattern"
    degenerate = "*" in branches
    if "-" in branches:
        return "strict saddle", degenerate, "closed form, L ≥ 3: a component on the smaller root s₋"
    if skips:
        return "strict saddle", degenerate, "closed form, L ≥ 3: a larger singular value skipped"
    if degenerate:
        return "non-strict saddle", True, "closed form, L ≥ 3: top pattern with a component at the double root s*"
    glob = _tau_glob(L, Lam)
    above = all(y[j] >= glob * (1 - THRESHOLD_RTOL) for j in active_j)
    next_free = k == d_min or not inactive or max(inactive) <= glob * (1 + THRESHOLD_RTOL)
    if above and next_free:
        return "global minimum", False, "closed form, L ≥ 3: top pattern at s₊ activating every y > τ^glob"
    return "local minimum", False, "closed form, L ≥ 3: top pattern at s₊, not every y > τ^glob active (or one ≤ τ^glob active)"


def _configurations(L, Lam, spectrum, d_min):
    """Every configuration, one per orbit: lists of (j, σ, branch), sorted by size then index."""
    options = []                # per group: (start, size, [(σ, branch), ...])
    for start, stop in spectrum.groups:
        roots = _positive_roots(float(spectrum.y[start]), L, Lam)
        if roots:
            options.append((start, stop - start, roots))

    def counts(size, n_roots, budget):
        """All tuples (c_1, ..., c_n) with Σ c ≤ min(size, budget)."""
        if n_roots == 0:
            yield ()
            return
        for c in range(min(size, budget) + 1):
            for rest in counts(size - c, n_roots - 1, budget - c):
                yield (c, *rest)

    configs = []

    def extend(g, budget, chosen):
        if g == len(options):
            configs.append(chosen)
            return
        start, size, roots = options[g]
        for c in counts(size, len(roots), budget):
            picked, j = [], start
            for (sigma, branch), n in zip(roots, c):
                picked += [(j + i, sigma, branch) for i in range(n)]
                j += n
            extend(g + 1, budget - sum(c), chosen + picked)

    extend(0, d_min, [])
    configs.sort(key=lambda conf: (len(conf), [(j, BRANCHES.index(b)) for j, _, b in conf]))
    return configs


def _count_configurations(L, Lam, spectrum, d_min):
    """How many configurations :func:`_configurations` will list (a polynomial product, no listing)."""
    total = np.zeros(d_min + 1, dtype=object)
    total[0] = 1
    for start, stop in spectrum.groups:
        n_roots = len(_positive_roots(float(spectrum.y[start]), L, Lam))
        if not n_roots:
            continue
        m = stop - start
        # number of ways to split c ≤ m active members among n_roots branches: C(c + n − 1, n − 1)
        ways = [math.comb(c + n_roots - 1, n_roots - 1) for c in range(m + 1)]
        new = np.zeros_like(total)
        for a in range(d_min + 1):
            for c, w in enumerate(ways):
                if a + c <= d_min:
                    new[a + c] += total[a] * w
        total = new
    return int(sum(total))


def critical_points(problem, rotate=None, max_configurations=100_000):
    """Every critical configuration of a whitened problem, with its loss and kind (Chapter 2).

    One record per orbit of the symmetry group ``G = Stab(Ȳ) × O(d_1) × ⋯ × O(d_{L−1})``: a choice
    of active singular values of Ȳ (at most ``d_min = min_l d_l`` of them, each ``y > 0``) and, for
    each, a positive root of equation (2). Tied singular values (within :data:`TIE_RTOL`) are
    deduplicated: the stabilizer of Ȳ rotates them into each other, so within a group of ``m``
    tied values only *how many* sit on each root matters, and the representative activates the
    group's first indices (larger root first). Zero singular values are never active.

    The representative has hidden ``Q_l = I``: component ``i`` (the i-th active one) occupies hidden
    unit ``i`` in every layer, ``W_1 = λ_1^{-1/2} Σ_i σ_i e_i v_{j_i}ᵀ``,
    ``W_L = λ_L^{-1/2} Σ_i σ_i u_{j_i} e_iᵀ``, with ``(u_j, v_j)`` the singular pairs of Ȳ.

    Kinds come from the closed-form classification of Chapter 2 (checked against exact Hessians by
    :func:`classify` in the tests). With ``r`` active candidates of two roots each, there are up to
    ``3^r`` configurations.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (``X Xᵀ = I``; see :func:`require_whitened`).
    rotate : int or numpy.random.Generator, optional
        If given, each record's ``W`` is a random element of its orbit instead of the
        representative: random Haar hidden rotations ``W_l → Q_l W_l Q_{l−1}ᵀ`` and a random
        element of the stabilizer of Ȳ (rotations within tied singular values and of the null
        spaces). It is still critical, with the same loss and kind.
    max_configurations : int
        Refuse (before building anything) if there would be more records than this.

    Returns
    -------
    list of CriticalPoint
        Ordered by the number of active components, then by singular-value index and branch;
        the first record is ``W = 0``.

    Raises
    ------
    TypeError
        If ``problem`` is not a :class:`~dlnbook.Problem` or ``rotate`` is not a seed.
    ValueError
        If the problem is not whitened, or there are more than ``max_configurations`` configurations.

    Examples
    --------
    >>> from dlnbook import Problem
    >>> from dlnbook.critical import critical_points
    >>> problem = Problem.from_target([[2.0, 0.0], [0.0, 1.5]], widths=[2, 2], lam=0.5)
    >>> records = critical_points(problem)
    >>> len(records)
    9
    >>> [([j for j, _ in p.active], p.branches, p.kind) for p in records if "minimum" in p.kind]
    [([], (), 'local minimum'), ([0], ('+',), 'local minimum'), ([0, 1], ('+', '+'), 'global minimum')]
    """
    require_whitened(problem)
    if isinstance(rotate, bool) or not (rotate is None or isinstance(rotate, (int, np.integer, np.random.Generator))):
        raise TypeError(f"rotate must be None, an integer seed or a numpy Generator, got {rotate!r}")
    max_configurations = _checks.positive_int("max_configurations", max_configurations)
    rng = None if rotate is None else np.random.default_rng(rotate)
    L, Lam, d_min = problem.L, float(np.prod(problem.lambdas)), min(problem.dims)
    spectrum = _spectrum(problem)
    n = _count_configurations(L, Lam, spectrum, d_min)
    if n > max_configurations:
        raise ValueError(f"this problem has {n} critical configurations, more than max_configurations="
                         f"{max_configurations}; raise max_configurations to list them all")
    records = []
    for conf in _configurations(L, Lam, spectrum, d_min):
        active = tuple((j, sigma) for j, sigma, _ in conf)
        branches = tuple(b for _, _, b in conf)
        W = _layers(problem, spectrum, active, rng)
        kind, degenerate, _ = _closed_form(L, Lam, spectrum.y, d_min, [j for j, _ in active], branches)
        records.append(CriticalPoint(W, active, branches, problem.loss(W), kind, degenerate))
    return records


# --- classification of a given point -------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Classification:
    """The result of :func:`classify`.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    eigenvalues : ndarray
        The Hessian eigenvalues, increasing.
    n_negative : int
        How many are negative (below ``−HESSIAN_NULL_RTOL · max|eigenvalue|``).
    nullity : int
        How many are zero (within that tolerance).
    orbit_dim : int
        The dimension of the tangent space of the symmetry orbit through W.
    degenerate : bool
        ``nullity > orbit_dim``.
    rule : str
        Which rule decided the kind.
    """
    kind: str
    eigenvalues: np.ndarray
    n_negative: int
    nullity: int
    orbit_dim: int
    degenerate: bool
    rule: str

    def __repr__(self):
        return (f"Classification(kind={self.kind!r}, n_negative={self.n_negative}, nullity={self.nullity}, "
                f"orbit_dim={self.orbit_dim}, degenerate={self.degenerate}, rule={self.rule!r})")


def _skew_basis(n):
    basis = []
    for a in range(n):
        for b in range(a + 1, n):
            E = np.zeros((n, n))
            E[a, b], E[b, a] = 1.0, -1.0
            basis.append(E)
    return basis


def orbit_tangent_basis(problem, W):
    """An orthonormal basis of the tangent space at ``W`` of its orbit under the symmetry group.

    The group is ``G = Stab(Ȳ) × O(d_1) × ⋯ × O(d_{L−1})``: hidden rotations
    ``W_l → R_l W_l R_{l−1}ᵀ`` and the pairs ``(R_L, R_0)`` with ``R_L Ȳ R_0ᵀ = Ȳ`` acting on ``W_L``
    (left) and ``W_1`` (right). Its Lie algebra is spanned by skew matrices ``A_l`` of each hidden
    width and, for the stabilizer, by a common skew block on each group of tied nonzero singular
    vectors (:data:`TIE_RTOL`) plus independent skew blocks on the two null spaces of Ȳ. The
    tangent space is the span of ``(A_l W_l − W_l A_{l−1})_l``, flattened as in
    :meth:`Problem.flatten <dlnbook.Problem.flatten>`; directions whose singular value is at most
    ``1e−9 ‖W‖`` count as zero.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem.
    W : sequence of ndarray
        Weights ``[W_1, ..., W_L]``.

    Returns
    -------
    ndarray, shape (n_params, k)
        Orthonormal columns, ``k`` the orbit's dimension.
    """
    require_whitened(problem)
    W = problem.check_weights(W)
    spectrum = _spectrum(problem)
    dims, L = problem.dims, problem.L

    def tangent(left, A_left, right, A_right):
        """The tangent vector of a generator acting on the left of layer ``left`` and the right of ``right``."""
        T = [np.zeros_like(Wl) for Wl in W]
        if left is not None:
            T[left - 1] += A_left @ W[left - 1]
        if right is not None:
            T[right - 1] -= W[right - 1] @ A_right
        return np.concatenate([t.ravel() for t in T])

    # hidden rotations of unit layer l (between W_l and W_{l+1})
    vectors = [tangent(l, A, l + 1, A) for l in range(1, L) for A in _skew_basis(dims[l])]
    U, V = spectrum.U, spectrum.Vt.T
    for start, stop in spectrum.groups:         # rotations within a group of tied values, both sides
        for E in _skew_basis(stop - start):
            vectors.append(tangent(L, U[:, start:stop] @ E @ U[:, start:stop].T,
                                   1, V[:, start:stop] @ E @ V[:, start:stop].T))
    for E in _skew_basis(dims[-1] - spectrum.rank):     # the null spaces of Ȳ, each side on its own
        null = U[:, spectrum.rank:]
        vectors.append(tangent(L, null @ E @ null.T, None, None))
    for E in _skew_basis(dims[0] - spectrum.rank):
        null = V[:, spectrum.rank:]
        vectors.append(tangent(None, None, 1, null @ E @ null.T))
    if not vectors:
        return np.zeros((problem.n_params, 0))
    Q, s, _ = np.linalg.svd(np.array(vectors).T, full_matrices=False)
    size = norm(W)
    return Q[:, s > 1e-9 * max(size, np.finfo(float).tiny)]


def orbit_dimension(problem, W):
    """The dimension of the tangent space at ``W`` of its orbit under the symmetry group.

    The number of columns of :func:`orbit_tangent_basis`.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem.
    W : sequence of ndarray
        Weights ``[W_1, ..., W_L]``.

    Returns
    -------
    int
    """
    return orbit_tangent_basis(problem, W).shape[1]


def _identify(problem, W, spectrum):
    """The configuration of a critical W: [(j, σ, branch), ...], from the singular values of λ_1^{1/2} W_1."""
    L, Lam = problem.L, float(np.prod(problem.lambdas))
    mu, tau = Lam ** (1.0 / L), _tau(L, Lam)
    sigmas = np.linalg.svd(np.sqrt(problem.lambdas[0]) * W[0], compute_uv=False)
    sigmas = sigmas[sigmas > 1e-6 * sigmas[0]] if sigmas.size and sigmas[0] > 0 else []
    y_scale = max(spectrum.y[0] if spectrum.y.size else 0.0, tau)
    sigma_star = np.sqrt(mu) * (mu * (L - 2) / L) ** (1.0 / (2 * L - 2))
    used, conf = set(), []
    for sigma in sigmas:
        y_hat = (sigma ** (2 * L - 2) + Lam) / (np.sqrt(Lam) * sigma ** (L - 2))
        candidates = [j for j in range(spectrum.y.size) if j not in used and spectrum.y[j] > 0
                      and abs(spectrum.y[j] - y_hat) <= 1e-5 * y_scale]
        if not candidates:
            raise ValueError(f"W is not a critical point of this problem: the layer singular value σ = {sigma:.6g} "
                             f"solves equation (2) for y = {y_hat:.6g}, which is not a singular value of Ȳ")
        j = min(candidates, key=lambda i: (abs(spectrum.y[i] - y_hat), i))
        used.add(j)
        if L == 2:
            branch = "+"
        elif abs(spectrum.y[j] - tau) <= THRESHOLD_RTOL * tau:
            branch = "*"
        else:
            branch = "+" if sigma > sigma_star else "-"
        conf.append((j, float(sigma), branch))
    return sorted(conf)


def _global_minimum_loss(problem, spectrum):
    """F at the global minimum: the top min(d_min, #{y > τ^glob}) values active at the larger root."""
    L, Lam, d_min = problem.L, float(np.prod(problem.lambdas)), min(problem.dims)
    glob = _tau_glob(L, Lam)
    active = []
    for j, v in enumerate(spectrum.y):
        if len(active) < d_min and v > glob * (1 + THRESHOLD_RTOL):
            active.append((j, _positive_roots(float(v), L, Lam)[0][0]))
    return problem.loss(_layers(problem, spectrum, active))


def classify(problem, W):
    """The kind of a critical point W, from its exact Hessian (Chapter 2, the classification).

    * Nondegenerate points (Hessian kernel = tangent space of the symmetry orbit, see
      :func:`orbit_dimension`): the kind follows from the Hessian's inertia. A negative eigenvalue
      makes a strict saddle; a positive semidefinite Hessian makes a local minimum, which is global
      when its loss equals the closed-form global minimum value (relative tolerance 1e−9).
    * Degenerate points: a negative eigenvalue still makes a strict saddle. Otherwise the Hessian
      cannot decide, and the closed-form analysis does: W's configuration is read off from the
      singular values σ of ``λ_1^{1/2} W_1`` (each determines its ``y`` through (2)) and
      classified by the rules of Chapter 2.

    ``rule`` in the result says which of these decided. Zero and negative eigenvalues are decided
    with :data:`HESSIAN_NULL_RTOL`.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (the dense Hessian is built, so keep it small).
    W : sequence of ndarray
        A critical point: ``‖∇F(W)‖`` at most :data:`CRITICAL_RTOL` relative to its terms.

    Returns
    -------
    Classification

    Raises
    ------
    TypeError, ValueError
        If ``problem`` is not a whitened :class:`~dlnbook.Problem`, ``W`` has the wrong shapes, or
        ``W`` is not a critical point.

    Examples
    --------
    >>> from dlnbook import Problem
    >>> from dlnbook.critical import classify
    >>> problem = Problem.from_target([[2.0, 0.0], [0.0, 1.5]], widths=[2, 2], lam=0.5)
    >>> result = classify(problem, problem.zeros())
    >>> result.kind, result.n_negative, result.nullity, result.orbit_dim
    ('local minimum', 0, 0, 0)
    """
    require_whitened(problem)
    W = problem.check_weights(W)
    G = problem.grad(W)
    penalty = [lam * Wl for lam, Wl in zip(problem.lambdas, W)]
    size = sum(np.linalg.norm(g - p) + np.linalg.norm(p) for g, p in zip(G, penalty))
    gnorm = norm(G)
    if gnorm > CRITICAL_RTOL * size:
        raise ValueError(f"W is not a critical point: ‖∇F(W)‖ = {gnorm:.3g}, more than CRITICAL_RTOL = "
                         f"{CRITICAL_RTOL:g} times the size of its terms ({size:.3g})")
    eigenvalues = np.linalg.eigvalsh(problem.hessian(W))
    tol = HESSIAN_NULL_RTOL * float(np.max(np.abs(eigenvalues)))
    n_negative = int(np.sum(eigenvalues < -tol))
    nullity = int(np.sum(np.abs(eigenvalues) <= tol))
    orbit_dim = orbit_dimension(problem, W)
    degenerate = nullity > orbit_dim
    spectrum = _spectrum(problem)

    if n_negative > 0:
        kind = "strict saddle"
        rule = "Hessian inertia: a negative eigenvalue" + (" (at a degenerate point)" if degenerate else "")
    elif not degenerate:
        best = _global_minimum_loss(problem, spectrum)
        loss = problem.loss(W)
        scale = max(abs(best), 0.5 * float(np.sum(problem.target ** 2)), np.finfo(float).tiny)
        kind = "global minimum" if loss <= best + 1e-9 * scale else "local minimum"
        rule = ("Hessian inertia: positive semidefinite with kernel = orbit tangent space (a local minimum); "
                "global by comparison with the closed-form global minimum value")
    else:
        conf = _identify(problem, W, spectrum)
        kind, _, rule = _closed_form(problem.L, float(np.prod(problem.lambdas)), spectrum.y, min(problem.dims),
                                     [j for j, _, _ in conf], tuple(b for _, _, b in conf))
        rule = "degenerate, no negative eigenvalue: " + rule
    return Classification(kind, eigenvalues, n_negative, nullity, orbit_dim, degenerate, rule)


# --- the bifurcation diagram ----------------------------------------------------------------------

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
    L = _depth(L)
    Lam = _product(L, lam)
    y_max = _checks.positive_real("y_max", y_max)
    n = _checks.positive_int("n", n)
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    ax = _checks.axes(ax)
    tau, glob = _tau(L, Lam), _tau_glob(L, Lam)
    ys = np.union1d(np.linspace(0.0, y_max, n), [tau] if tau < y_max else [])
    branches = {"0": np.zeros_like(ys), "+": np.full_like(ys, np.nan), "-": np.full_like(ys, np.nan)}
    kinds = {"0": [], "+": [], "-": []}
    for i, y in enumerate(ys):
        for sigma, b in _positive_roots(y, L, Lam):
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
        sigma_star = _positive_roots(tau, L, Lam)[0][0]
        ax.plot([tau], [sigma_star], marker="o", color="black", markersize=5, label="saddle–node (double root)")
    ax.set_xlim(0, y_max)
    ax.set_xlabel("singular value $y$ of $\\bar Y$")
    ax.set_ylabel(r"root $\sigma$ of equation (2)")
    ax.set_title(f"L = {L}, Λ = {Lam:.3g}")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="center right", fontsize="small")
    return ax
