"""Critical points of the whitened regularized loss: the list and the classification (Chapter 2).

The critical set of a whitened problem is known in closed form (:mod:`dlnbook.critical_set`): a finite
union of orbits of the symmetry group, one per configuration of active singular values of Ȳ and roots
of the scalar equation (2) (:mod:`dlnbook.scalar`). This module turns it into what a reader asks for:

* :func:`critical_points`: every critical configuration of a whitened problem, with its loss and kind.
* :func:`require_critical`: the test that a given W is critical (up to rounding).
* :func:`classify`: the kind of a given critical point, from its exact Hessian.
* :func:`orbit_tangent_basis`, :func:`orbit_dimension`: the directions along which the loss is
  constant by symmetry.

The kinds are :data:`dlnbook.critical_set.KINDS`. A Hessian eigenvalue counts as zero when rounding cannot
tell it from zero (:func:`hessian_null_tolerance`).
"""

from dataclasses import dataclass

import numpy as np

from . import _checks
from .critical_set import CriticalSet, require_whitened
from .problem import MAX_HESSIAN_PARAMS, norm, prefix_products

#: :func:`require_critical` accepts ``W`` as critical when ``‖∇F(W)‖`` is at most ``CRITICAL_RTOL`` times
#: the size of the two terms that cancel in it, ``‖∇F(W) − λ W‖ + ‖λ W‖`` (layer by layer), plus the
#: rounding allowance :data:`CRITICAL_ROUNDING`.
CRITICAL_RTOL = 1e-6

#: The rounding allowance of :func:`require_critical`: ``CRITICAL_ROUNDING · ε`` times the size of what
#: the fit term of the gradient is computed from, ``Σ_l ‖W_{L:l+1}‖ ‖W_{l−1:1}‖ (‖P C‖ + ‖B‖)`` (ε the
#: machine epsilon). At small λ the gradient's terms are of size λ‖W‖ while the rounding in
#: ``P C − B`` is of size ε‖Ȳ‖: measured rounding stays below 3 ε times this size.
CRITICAL_ROUNDING = 1e3


# --- the list of critical points -----------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CriticalPoint:
    """One critical configuration of a whitened problem (a record of :func:`critical_points`).

    Attributes
    ----------
    W : tuple of ndarray
        The weights ``(W_1, ..., W_L)``, read-only.
    active : tuple of (int, float)
        ``(j, σ)`` for each active component: index ``j`` (0-based) of the singular value ``y_j`` of Ȳ
        (in non-increasing order) and the common value ``σ`` solving (2); layer l's singular value is
        ``λ_l^{-1/2} σ``. Sorted by ``j``.
    branches : tuple of str
        The root of (2) each active component sits on: ``"+"`` (larger), ``"-"`` (smaller) or
        ``"*"`` (double root, ``y_j = τ_L``); see :data:`dlnbook.scalar.BRANCHES`.
    loss : float
        ``F(W)``.
    kind : str
        One of :data:`dlnbook.critical_set.KINDS`.
    degenerate : bool
        Whether the Hessian's kernel is larger than the tangent space of the symmetry orbit.
    """
    W: tuple
    active: tuple
    branches: tuple
    loss: float
    kind: str
    degenerate: bool

    def __post_init__(self):
        object.__setattr__(self, "W", tuple(_checks.readonly(Wl) for Wl in self.W))

    def __repr__(self):
        active = ", ".join(f"y_{j}: {b} σ={sigma:.6g}" for (j, sigma), b in zip(self.active, self.branches))
        return (f"CriticalPoint(active=[{active}], loss={self.loss:.6g}, kind={self.kind!r}, "
                f"degenerate={self.degenerate})")


def critical_points(problem, seed=None, max_configurations=100_000):
    """Every critical configuration of a whitened problem, with its loss and kind (Chapter 2).

    One record per orbit of the symmetry group ``G = Stab(Ȳ) × O(d_1) × ⋯ × O(d_{L−1})``: a choice
    of active singular values of Ȳ (at most ``d_min = min_l d_l`` of them, each ``y > 0``) and, for
    each, a positive root of equation (2). Tied singular values (within
    :data:`dlnbook.critical_set.TIE_RTOL`) are
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
        A whitened problem (``X Xᵀ = I``; see :func:`dlnbook.critical_set.require_whitened`).
    seed : int or numpy.random.Generator, optional
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
        If ``problem`` is not a :class:`~dlnbook.Problem` or ``seed`` is not a seed.
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
    seed = _checks.seed(seed)
    max_configurations = _checks.positive_int("max_configurations", max_configurations)
    rng = None if seed is None else np.random.default_rng(seed)
    closed_form = CriticalSet(problem)
    n = closed_form.count()
    if n > max_configurations:
        raise ValueError(f"this problem has {n} critical configurations, more than max_configurations="
                         f"{max_configurations}; raise max_configurations to list them all, or take them one "
                         f"at a time from iter_critical_points")
    return list(_records(problem, rng))


def iter_critical_points(problem, seed=None):
    """The records of :func:`critical_points`, in the same order, one at a time, with no limit on their number.

    Nothing is listed ahead (a problem with r singular values above τ_L can have ``3^r``
    configurations): take the first few with ``itertools.islice``, and
    :func:`count_critical_points` says how many there are.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem.
    seed : int or numpy.random.Generator, optional
        As in :func:`critical_points`.

    Yields
    ------
    CriticalPoint

    Raises
    ------
    TypeError, ValueError
        As :func:`critical_points`, when the iteration starts.

    Examples
    --------
    >>> import itertools
    >>> import numpy as np
    >>> from dlnbook import Problem, count_critical_points, iter_critical_points
    >>> problem = Problem.from_target(np.diag(np.linspace(3.0, 1.0, 20)), widths=[20, 20], lam=0.05)
    >>> count_critical_points(problem) == 3 ** 20
    True
    >>> [p.kind for p in itertools.islice(iter_critical_points(problem), 2)]
    ['local minimum', 'local minimum']
    """
    require_whitened(problem)
    seed = _checks.seed(seed)
    return _records(problem, None if seed is None else np.random.default_rng(seed))


def _records(problem, rng):
    closed_form = CriticalSet(problem)
    for configuration in closed_form.iter_configurations():
        W = closed_form.representative(configuration, rng)
        kind, degenerate, _ = closed_form.kind(configuration)
        yield CriticalPoint(W, configuration.active, configuration.branches, problem.loss(W), kind, degenerate)


def count_critical_points(problem):
    """How many records :func:`critical_points` has (one per orbit), counted without listing them.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem.

    Returns
    -------
    int

    Raises
    ------
    TypeError, ValueError
        If ``problem`` is not a whitened :class:`~dlnbook.Problem`.
    """
    return CriticalSet(problem).count()


def require_critical(problem, W, name="W"):
    """Check that ``W`` is a critical point of ``problem``, up to rounding; return it checked.

    ``W`` counts as critical when ``‖∇F(W)‖`` is at most :data:`CRITICAL_RTOL` times the size of the
    two terms that cancel in it, ``Σ_l ‖∇_l F(W) − λ_l W_l‖ + ‖λ_l W_l‖``, plus a rounding allowance
    (:data:`CRITICAL_ROUNDING`) that keeps the test meaningful at any λ.

    Parameters
    ----------
    problem : dlnbook.Problem
    W : sequence of ndarray
        Weights ``[W_1, ..., W_L]``.
    name : str
        The argument's name in error messages.

    Returns
    -------
    list of ndarray
        ``W`` as checked by :meth:`Problem.check_weights <dlnbook.Problem.check_weights>`.

    Raises
    ------
    TypeError, ValueError
        If ``W`` does not fit ``problem``, or is not a critical point.
    """
    W = _checks.problem(problem).check_weights(W, name=name)
    try:
        G = problem.grad(W)
    except ValueError as error:                          # the gradient overflows: say which argument
        raise ValueError(f"{name}: {error}") from None
    penalty = [lam * Wl for lam, Wl in zip(problem.lambdas, W)]
    size = sum(norm([g - p]) + norm([p]) for g, p in zip(G, penalty))      # norm: no underflow in the squares
    gnorm = norm(G)
    # below the normal floats (λ‖W‖ near 1e−308) rounding is absolute: one smallest subnormal per entry
    allowance = (CRITICAL_ROUNDING * np.finfo(float).eps * _fit_size(problem, W)
                 + problem.n_params * np.finfo(float).smallest_subnormal)
    if gnorm > 0 and not gnorm <= CRITICAL_RTOL * size + allowance:
        raise ValueError(f"{name} is not a critical point: ‖∇F({name})‖ = {gnorm:.3g}, more than CRITICAL_RTOL = "
                         f"{CRITICAL_RTOL:g} times the size of its terms ({size:.3g}) plus the rounding "
                         f"allowance ({allowance:.3g})")
    return W


def _fit_size(problem, W):
    """``Σ_l ‖W_{L:l+1}‖ ‖W_{l−1:1}‖ (‖P C‖ + ‖B‖)``: the size of what the fit term of ∇_l F is computed from."""
    prefixes = prefix_products(W)
    residual = norm([prefixes[-1] @ problem.C]) + norm([problem.B])
    suffix, total = None, 0.0                           # suffix = W_{L:l+2}, None for the identity
    for l in range(problem.L - 1, -1, -1):              # layer l + 1, from the output side
        prefix = 1.0 if l == 0 else norm([prefixes[l]])
        total += (1.0 if suffix is None else norm([suffix])) * prefix * residual
        suffix = W[l] if suffix is None else suffix @ W[l]
    return float(total)


# --- classification of a given point -------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Classification:
    """The result of :func:`classify`.

    Attributes
    ----------
    kind : str
        One of :data:`dlnbook.critical_set.KINDS`.
    eigenvalues : ndarray
        The Hessian eigenvalues, increasing.
    n_negative : int
        How many are negative (below ``−tol``, ``tol`` from :func:`hessian_null_tolerance`).
    nullity : int
        How many are zero (``|h| ≤ tol``: rounding cannot tell them from zero).
    orbit_dim : int
        The dimension of the tangent space of the symmetry orbit through W.
    degenerate : bool
        ``nullity > orbit_dim``: more eigenvalues that rounding cannot tell from zero than the orbit
        accounts for. At tiny λ this includes curvatures of order λ below the Hessian's resolution (a
        free slot's, for example) at points the closed form calls nondegenerate; the kind is then
        decided by the closed form, and ``rule`` says so.
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

    def __post_init__(self):
        object.__setattr__(self, "eigenvalues", _checks.readonly(self.eigenvalues))

    def __repr__(self):
        return (f"Classification(kind={self.kind!r}, n_negative={self.n_negative}, nullity={self.nullity}, "
                f"orbit_dim={self.orbit_dim}, degenerate={self.degenerate}, rule={self.rule!r})")


def skew_basis(n):
    """The basis ``E_ab − E_ba`` (a < b) of the n×n skew-symmetric matrices: the Lie algebra of O(n)."""
    n = _checks.nonnegative_int("n", n)
    _checks.allocation(n * n * (n * (n - 1) // 2), f"the n(n-1)/2 skew-symmetric n×n basis matrices (n = {n})")
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
    vectors (:data:`dlnbook.critical_set.TIE_RTOL`) plus independent skew blocks on the two null spaces of Ȳ. The
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
    spectrum = CriticalSet(problem).spectrum
    W = problem.check_weights(W)
    dims, L = problem.dims, problem.L

    vectors = _hidden_rotation_tangents(W, dims)
    U, V = spectrum.U, spectrum.Vt.T
    for start, stop in spectrum.groups:         # rotations within a group of tied values, both sides
        for E in skew_basis(stop - start):
            vectors.append(_tangent(W, L, U[:, start:stop] @ E @ U[:, start:stop].T,
                                   1, V[:, start:stop] @ E @ V[:, start:stop].T))
    for E in skew_basis(dims[-1] - spectrum.rank):     # the null spaces of Ȳ, each side on its own
        null = U[:, spectrum.rank:]
        vectors.append(_tangent(W, L, null @ E @ null.T, None, None))
    for E in skew_basis(dims[0] - spectrum.rank):
        null = V[:, spectrum.rank:]
        vectors.append(_tangent(W, None, None, 1, null @ E @ null.T))
    return _span(vectors, W, problem.n_params)


def _tangent(W, left, A_left, right, A_right):
    """The tangent vector at W of a generator acting on the left of layer ``left`` and the right of ``right``."""
    T = [np.zeros_like(Wl) for Wl in W]
    if left is not None:
        T[left - 1] += A_left @ W[left - 1]
    if right is not None:
        T[right - 1] -= W[right - 1] @ A_right
    return np.concatenate([t.ravel() for t in T])


def _hidden_rotation_tangents(W, dims):
    """The tangent vectors of the hidden rotations: R_l acting on unit layer l, between W_l and W_{l+1}."""
    return [_tangent(W, l, A, l + 1, A) for l in range(1, len(W)) for A in skew_basis(dims[l])]


def _span(vectors, W, n_params):
    """An orthonormal basis of the span of ``vectors``; directions below ``1e−9 ‖W‖`` count as zero."""
    if not vectors:
        return np.zeros((n_params, 0))
    Q, s, _ = np.linalg.svd(np.array(vectors).T, full_matrices=False)
    return Q[:, s > 1e-9 * max(norm(W), np.finfo(float).tiny)]


def hidden_rotation_dimension(problem, W):
    """The dimension at ``W`` of the orbit of the hidden rotations alone, ``W_l → R_l W_l R_{l−1}ᵀ``.

    The part of the symmetry of :func:`orbit_tangent_basis` that every problem has, whitened or not
    (``R_0`` and ``R_L`` are the identity): at a critical point of any data, these directions are in
    the Hessian's kernel (Chapters 3 and 4).

    Parameters
    ----------
    problem : dlnbook.Problem
        Any problem.
    W : sequence of ndarray
        Weights ``[W_1, ..., W_L]``.

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> from dlnbook import Problem, hidden_rotation_dimension
    >>> problem = Problem(np.eye(2), np.eye(2), widths=[3], lam=0.1)
    >>> hidden_rotation_dimension(problem, problem.random_weights(seed=0))   # all of O(3)
    3
    >>> hidden_rotation_dimension(problem, problem.zeros())
    0
    """
    W = _checks.problem(problem).check_weights(W)
    return _span(_hidden_rotation_tangents(W, problem.dims), W, problem.n_params).shape[1]


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


def hessian_null_tolerance(H, eigenvalues, tangent, L):
    """The largest ``|h|`` of a computed eigenvalue ``h`` of the Hessian ``H`` that rounding cannot tell from zero.

    Three errors add up (ε the machine epsilon, n the order of H, L the depth):

    * the symmetric eigensolver returns the exact eigenvalues of ``H + E`` with ``‖E‖₂ ≲ n ε ‖H‖₂``;
    * each entry of H is a sum of products of up to L factors (the residual ``P − Ȳ`` among them),
      computed, like W itself, in floating point: ``16 L ε ‖H‖₂`` (measured at minima, whose true
      eigenvalues are ≥ 0: at most ``6.3 L ε ‖H‖₂``, at L = 3);
    * W is critical only up to rounding, so the directions ``T`` of its orbit, exactly null at the
      true critical point, are null here only up to ``‖H T‖₂``: ``H − (H P + P H (I − P))``,
      ``P = T Tᵀ``, has T in its kernel and differs from H by at most ``2 ‖H T‖₂`` (Weyl's inequality).

    So the tolerance follows the problem's own scale at every λ and depth, and a true zero of the
    orbit's tangent space always counts as zero.

    Parameters
    ----------
    H : ndarray, shape (n, n)
        The Hessian at a critical point.
    eigenvalues : ndarray
        Its computed eigenvalues.
    tangent : ndarray, shape (n, k)
        Orthonormal columns, null in exact arithmetic (the orbit's tangent space,
        :func:`orbit_tangent_basis`); ``k`` may be 0.
    L : int
        The depth of the network.

    Returns
    -------
    float
    """
    H = _checks.matrix("H", H)
    eigenvalues = _checks.vector("eigenvalues", eigenvalues)
    tangent = _checks.matrix("tangent", tangent, allow_empty=True)
    L = _checks.depth(L)
    if H.shape[0] != H.shape[1] or eigenvalues.shape != (H.shape[0],) or tangent.shape[0] != H.shape[0]:
        raise ValueError(f"H must be square with one eigenvalue per row and tangent one row per row of H: got "
                         f"H {H.shape}, eigenvalues {eigenvalues.shape}, tangent {tangent.shape}")
    n = H.shape[0]
    tol = (n + 16 * L) * np.finfo(float).eps * float(np.max(np.abs(eigenvalues), initial=0.0))
    if tangent.shape[1]:
        tol += 2 * float(np.linalg.norm(H @ tangent, 2))
    return tol


def _negative_scaling(problem, W):
    """The singular value (in ``W_1``) of a component of W along whose balanced scaling ``F`` certifiably
    curves down, or None.

    A component is a singular triple ``(a_1, h_1, h_0)`` of ``W_1`` carried through the layers,
    ``a_l h_l = W_l h_{l−1}``; its balanced scaling is ``d_l ∝ a_l h_l h_{l−1}ᵀ`` (unit norm). The
    curvature ``q = Σ_l λ_l ‖d_l‖² + ⟨DP[d] C, DP[d]⟩ + ⟨P C − B, D²P[d, d]⟩`` (P = W_{L:1};
    C = X Xᵀ = I and B = Ȳ up to rounding for a whitened problem) is negative at the
    smaller root s₋ of (2), of order λ. It is computed from products of the matrices themselves,
    with the usual bound on their rounding (``γ`` times the same products of absolute values), so a
    component that rounding does not resolve decides nothing; the triples come from one-sided Jacobi
    rotations, which keep tiny singular values of row-scaled matrices to full relative accuracy.
    """
    L, lambdas, eps = problem.L, problem.lambdas, np.finfo(float).eps
    gamma = 4 * (L + max(problem.dims) + 2) * eps
    absW = [np.abs(Wl) for Wl in W]
    C, B = problem.C, problem.B
    P = prefix_products(W)[-1]
    residual = P @ C - B
    residual_size = np.abs(residual) + np.abs(P) @ np.abs(C) + np.abs(B)
    hidden, rows = _jacobi_rows(W[0])
    for k, a1 in enumerate((norm([row]) for row in rows)):
        if not a1 > 0:
            continue
        h = [rows[k] / a1, hidden[:, k]]                  # h_0 (input side), h_1
        a = [a1]
        for l in range(1, L):
            w = W[l] @ h[-1]
            a.append(norm([w]))
            if not a[-1] > 0:
                break
            h.append(w / a[-1])
        if len(a) < L:
            continue
        a = np.array(a) / norm([np.array(a)])
        d = [a[l] * np.outer(h[l + 1], h[l]) for l in range(L)]
        q = float(sum(lam * np.sum(dl * dl) for lam, dl in zip(lambdas, d)))
        bound = q
        first, first_abs, second, second_abs = _directional_products(W, absW, d)
        q += float(np.sum((first @ C) * first)) + float(np.sum(residual * second))
        bound += 2 * float(np.sum((first_abs @ np.abs(C)) * first_abs)) + float(np.sum(residual_size * second_abs))
        if q < -gamma * bound:
            return float(a1)
    return None


def _directional_products(W, absW, d):
    """``DP[d]``, ``D²P[d, d]`` of ``P = W_{L:1}``, and the same sums over absolute values (their rounding scale)."""
    L = len(W)
    first = first_abs = second = second_abs = 0.0
    suffix = [None] * (L + 1)                           # suffix[l] = W_{L:l+1}, None for the identity
    suffix_abs = [None] * (L + 1)
    for l in range(L - 1, -1, -1):
        suffix[l] = W[l] if suffix[l + 1] is None else suffix[l + 1] @ W[l]
        suffix_abs[l] = absW[l] if suffix_abs[l + 1] is None else suffix_abs[l + 1] @ absW[l]
    prefix, prefix_abs = np.eye(W[0].shape[1]), np.eye(W[0].shape[1])    # W_{l−1:1}
    for l in range(L):
        left, left_abs = _times(suffix[l + 1], d[l] @ prefix), _times(suffix_abs[l + 1], np.abs(d[l]) @ prefix_abs)
        first, first_abs = first + left, first_abs + left_abs
        middle, middle_abs = d[l] @ prefix, np.abs(d[l]) @ prefix_abs     # d_l W_{l−1:1}, then W_{m−1:l+1} d_l …
        for m in range(l + 1, L):
            second = second + 2 * _times(suffix[m + 1], d[m] @ middle)
            second_abs = second_abs + 2 * _times(suffix_abs[m + 1], np.abs(d[m]) @ middle_abs)
            middle, middle_abs = W[m] @ middle, absW[m] @ middle_abs
        prefix, prefix_abs = W[l] @ prefix, absW[l] @ prefix_abs
    return first, first_abs, second, second_abs


def _times(left, right):
    return right if left is None else left @ right


def _jacobi_rows(A):
    """Orthogonal ``Z`` and ``G = Zᵀ A`` with mutually orthogonal rows (one-sided Jacobi rotations), so that
    ``A = Σ_k ‖g_k‖ z_k (g_k / ‖g_k‖)ᵀ`` is an SVD; rows already orthogonal are left as they are."""
    G, n = np.array(A, dtype=float), A.shape[0]
    Z = np.eye(n)
    for _ in range(60):
        rotated = False
        for i in range(n):
            for j in range(i + 1, n):
                ni, nj = norm([G[i]]), norm([G[j]])
                if ni == 0 or nj == 0:
                    continue
                rho = float((G[i] / ni) @ (G[j] / nj))
                if abs(rho) <= 4 * np.finfo(float).eps:
                    continue
                rotated = True
                with np.errstate(over="ignore"):
                    zeta = (nj / ni - ni / nj) / (2 * rho)
                    t = np.sign(zeta) / (abs(zeta) + np.sqrt(1 + zeta * zeta)) if np.isfinite(zeta) else 0.0
                c = 1 / np.sqrt(1 + t * t)
                s = c * t
                G[[i, j]] = np.array([c * G[i] - s * G[j], s * G[i] + c * G[j]])
                Z[:, [i, j]] = np.column_stack([c * Z[:, i] - s * Z[:, j], s * Z[:, i] + c * Z[:, j]])
        if not rotated:
            break
    return Z, G


def classify(problem, W, max_params=MAX_HESSIAN_PARAMS):
    """The kind of a critical point W, from its exact Hessian (Chapter 2, the classification).

    * Nondegenerate points (Hessian kernel = tangent space of the symmetry orbit, see
      :func:`orbit_dimension`): the kind follows from the Hessian's inertia. A negative eigenvalue
      makes a strict saddle; a positive semidefinite Hessian makes a local minimum, which is global
      when its loss equals the closed-form global minimum value (up to the rounding of the two losses,
      ``n ε`` relative to ``½‖Ȳ‖²``).
    * Degenerate points: a negative eigenvalue still makes a strict saddle. Otherwise the Hessian
      cannot decide, and the closed-form analysis does: W's configuration is read off from the
      singular values σ of ``λ_1^{1/2} W_1`` (each determines its ``y`` through (2)) and
      classified by the rules of Chapter 2.

    * A component of W whose balanced scaling has negative curvature makes a strict saddle too (the
      smaller root s₋ of (2)): at very small λ that curvature, of order λ, is below the rounding
      resolution of the dense Hessian's eigenvalues, so it is computed on its own, from the
      component's singular values, where rounding keeps its relative accuracy.

    ``rule`` in the result says which of these decided. Zero and negative eigenvalues are decided
    with :func:`hessian_null_tolerance`.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (the dense Hessian is built, so keep it small).
    W : sequence of ndarray
        A critical point (see :func:`require_critical`).
    max_params : int
        Refuse problems with more parameters than this (the dense Hessian and its eigenvalues: about a
        second at the default, :data:`dlnbook.problem.MAX_HESSIAN_PARAMS`; the time grows as its cube).

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
    closed_form = CriticalSet(problem)
    W = require_critical(problem, W)
    H = problem.hessian(W, max_params)
    eigenvalues = np.linalg.eigvalsh(H)
    tangent = orbit_tangent_basis(problem, W)
    tol = hessian_null_tolerance(H, eigenvalues, tangent, problem.L)
    n_negative = int(np.sum(eigenvalues < -tol))
    nullity = int(np.sum(np.abs(eigenvalues) <= tol))
    orbit_dim = tangent.shape[1]
    degenerate = nullity > orbit_dim
    escape = None if n_negative else _negative_scaling(problem, W)

    if n_negative > 0:
        kind = "strict saddle"
        rule = "Hessian inertia: a negative eigenvalue" + (" (at a degenerate point)" if degenerate else "")
    elif escape is not None:
        kind = "strict saddle"
        rule = (f"scaling of a component: the curvature of F along the balanced scaling of the component of "
                f"singular value {escape:.3g} (in W_1) is negative, below the dense Hessian's rounding resolution")
    elif not degenerate:
        best = closed_form.global_minimum_loss()
        loss = problem.loss(W)
        scale = max(abs(best), 0.5 * float(np.sum(problem.target ** 2)), np.finfo(float).tiny)
        # the two losses are computed from terms of size `scale`, each with rounding error ≲ n ε scale
        kind = "global minimum" if loss <= best + H.shape[0] * np.finfo(float).eps * scale else "local minimum"
        rule = ("Hessian inertia: positive semidefinite with kernel = orbit tangent space (a local minimum); "
                "global by comparison with the closed-form global minimum value")
    else:
        kind, _, rule = closed_form.kind(closed_form.identify(W))
        rule = "degenerate, no negative eigenvalue: " + rule
    return Classification(kind, eigenvalues, n_negative, nullity, orbit_dim, degenerate, rule)
