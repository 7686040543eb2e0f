"""The distance from a point to the critical set of the whitened loss (Chapter 3).

The critical set ``𝒲* = {W : ∇F(W) = 0}`` of a whitened problem is the finite union of the orbits of
:mod:`dlnbook.critical_set`. :func:`distance_to_critical_set` brackets ``dist(W, 𝒲*)`` in the Frobenius
norm of the flattened weight list, ``‖W‖² = Σ_l ‖W_l‖_F²``:

* ``upper`` is the distance to an explicit critical point, found by aligning a representative of each
  candidate orbit with ``W`` (orthogonal Procrustes over the hidden rotations and the stabilizer of Ȳ);
* ``lower`` comes from Mirsky's inequality: every critical point of a configuration has known layer
  singular values, and ``‖A − B‖_F ≥ ‖s(A) − s(B)‖₂`` for the sorted singular values ``s``.
"""

import weakref
from typing import NamedTuple

import numpy as np

from . import _checks
from .critical import CriticalPoint
from .critical_set import CriticalSet
from .problem import norm

#: The orbit alignment of :func:`distance_to_critical_set` stops when a sweep improves the fit
#: ``Σ_l ⟨W_l, g·C_l⟩`` by less than this times ``‖W‖ ‖C‖`` (or after ``max_sweeps`` sweeps).
ALIGN_RTOL = 1e-15


class DistanceBracket(NamedTuple):
    """``lower ≤ dist(W, 𝒲*) ≤ upper``, with the critical point ``witness`` at distance ``upper``."""
    lower: float
    upper: float
    witness: CriticalPoint


def _polar(M):
    """The orthogonal O maximizing ⟨O, M⟩ = tr(Oᵀ M) (orthogonal Procrustes): U Vᵀ for M = U S Vᵀ."""
    if M.shape == (1, 1):                                  # a sign (1 when M = 0)
        return np.array([[-1.0 if M[0, 0] < 0 else 1.0]])
    U, _, Vt = np.linalg.svd(M)
    return U @ Vt


#: The σ tables of recent problems (a Problem's data and parameters never change).
_TABLES = weakref.WeakKeyDictionary()


def _configuration_table(closed_form, max_configurations):
    """Every configuration and a K × d_min array of its σ's, each row sorted decreasing."""
    n = closed_form.count()
    if n > max_configurations:
        raise ValueError(f"this problem has {n} critical configurations, more than max_configurations="
                         f"{max_configurations}; raise max_configurations to bracket the distance")
    if closed_form.problem not in _TABLES:
        configurations = closed_form.configurations()
        sigmas = np.zeros((len(configurations), closed_form.d_min))
        for c, configuration in enumerate(configurations):
            values = sorted((sigma for _, sigma in configuration.active), reverse=True)
            sigmas[c, :len(values)] = values
        _TABLES[closed_form.problem] = (configurations, sigmas)
    return _TABLES[closed_form.problem]


def _mirsky(problem, W, sigmas):
    """Mirsky's lower bound on the distance from W to each configuration's critical points.

    A critical point of the configuration has layer singular values ``σ_i / √λ_l`` (and zeros), so
    ``‖W − V‖² = Σ_l ‖W_l − V_l‖_F² ≥ Σ_l ‖s(W_l) − s(V_l)‖²`` with sorted singular values ``s``.
    """
    d_min = sigmas.shape[1]
    total = np.zeros(sigmas.shape[0])
    for Wl, lam in zip(W, problem.lambdas):
        s = np.linalg.svd(Wl, compute_uv=False)           # min(d_l, d_{l−1}) ≥ d_min values
        total += np.sum((s[:d_min] - sigmas / np.sqrt(lam)) ** 2, axis=1) + np.sum(s[d_min:] ** 2)
    return np.sqrt(total)


def _stabilizer(spectrum, blocks, d0, dL):
    """(R_0, R_L) in Stab(Ȳ) from one orthogonal block per group of tied singular values."""
    R0, RL = np.eye(d0), np.eye(dL)
    for (start, stop), O in zip(spectrum.groups, blocks):
        R0[start:stop, start:stop] = O
        RL[start:stop, start:stop] = O
    V, U = spectrum.Vt.T, spectrum.U
    return V @ R0 @ V.T, U @ RL @ U.T


def _align(problem, spectrum, W, C, max_sweeps):
    """An element g·C of the orbit of the representative C, close to W, and its distance to W.

    Maximizes ``Σ_l ⟨W_l, R_l C_l R_{l−1}ᵀ⟩`` (equivalently minimizes ``‖W − g·C‖``) over hidden
    rotations ``R_1, ..., R_{L−1}`` and ``(R_L, R_0) ∈ Stab(Ȳ)``, one block at a time: each block
    appears linearly, so its best value is an orthogonal Procrustes solution. Two starts: the
    stabilizer read off the end-to-end product (``P(g·C) = R_L P(C) R_0ᵀ``), and the identity.
    """
    L, dims = problem.L, problem.dims
    U, V = spectrum.U, spectrum.Vt.T
    scale = norm(W) * norm(C) + np.finfo(float).tiny
    P_hat = U.T @ problem.product(W) @ V
    from_product = []
    for start, stop in spectrum.groups:
        block = P_hat[start:stop, start:stop]
        _, vectors = np.linalg.eigh(0.5 * (block + block.T))
        from_product.append(vectors[:, ::-1])             # the representative's values decrease
    starts = [from_product, [np.eye(stop - start) for start, stop in spectrum.groups]]
    best = None
    for blocks in starts:
        R = [None] * (L + 1)
        R[0], R[L] = _stabilizer(spectrum, blocks, dims[0], dims[-1])
        for l in range(1, L):                              # a forward sweep from the input side
            M = W[l - 1] @ R[l - 1] @ C[l - 1].T
            if l == L - 1:
                M = M + W[l].T @ R[L] @ C[l]
            R[l] = _polar(M)
        value = -np.inf
        for _ in range(max_sweeps):
            M0 = V.T @ W[0].T @ R[1] @ C[0] @ V            # ⟨W_1, R_1 C_1 R_0ᵀ⟩ = ⟨M0, R̂_0⟩
            ML = U.T @ W[L - 1] @ R[L - 1] @ C[L - 1].T @ U   # ⟨W_L, R_L C_L R_{L−1}ᵀ⟩ = ⟨ML, R̂_L⟩
            blocks = [_polar(M0[a:b, a:b] + ML[a:b, a:b]) for a, b in spectrum.groups]
            R[0], R[L] = _stabilizer(spectrum, blocks, dims[0], dims[-1])
            for l in range(1, L):
                R[l] = _polar(W[l - 1] @ R[l - 1] @ C[l - 1].T + W[l].T @ R[l + 1] @ C[l])
            new = sum(float(np.sum(W[l - 1] * (R[l] @ C[l - 1] @ R[l - 1].T))) for l in range(1, L + 1))
            done = new - value <= ALIGN_RTOL * scale
            value = new
            if done:
                break
        element = [R[l] @ C[l - 1] @ R[l - 1].T for l in range(1, L + 1)]
        distance = norm([a - b for a, b in zip(W, element)])
        if best is None or distance < best[0]:
            best = (distance, element)
    return best


def distance_to_critical_set(problem, W, max_configurations=100_000, max_alignments=64, max_sweeps=500):
    """A certified bracket ``lower ≤ dist(W, 𝒲*) ≤ upper`` of the distance to the critical set.

    The distance is in the Frobenius norm of the flattened weight list, ``‖W‖² = Σ_l ‖W_l‖_F²``.
    The critical set of a whitened problem is the union of finitely many orbits of the symmetry
    group ``G = Stab(Ȳ) × O(d_1) × ⋯ × O(d_{L−1})``, one per configuration listed by
    :func:`~dlnbook.critical.critical_points` (Chapter 2).

    * ``lower``: every critical point of a configuration has layer singular values ``σ_i / √λ_l``
      (Chapter 2), so by Mirsky's inequality its distance to ``W`` is at least
      ``(Σ_l ‖s(W_l) − s_l‖²)^{1/2}``, ``s`` the sorted singular values. ``lower`` is the minimum
      over all configurations (capped at ``upper``): a lower bound on the distance to every
      critical point.
    * ``upper``: configurations are visited in increasing order of their Mirsky bound; for each, a
      representative is aligned with ``W`` by block-wise orthogonal Procrustes over the hidden
      rotations and the stabilizer of Ȳ (see ``_align``). The visit stops when the next Mirsky
      bound is at least the best distance found (no later orbit can be closer), or after
      ``max_alignments`` orbits. ``upper`` is the distance to the best aligned point, ``witness``.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (``X Xᵀ = I``).
    W : sequence of ndarray
        Weights ``[W_1, ..., W_L]``.
    max_configurations : int
        Refuse problems with more critical configurations than this.
    max_alignments : int
        Align at most this many orbits (the bracket stays valid, ``upper`` may be less tight).
    max_sweeps : int
        Sweeps of the block-wise alignment per start.

    Returns
    -------
    DistanceBracket
        ``(lower, upper, witness)``; ``witness`` is a :class:`~dlnbook.critical.CriticalPoint` whose ``W`` is
        the critical point at distance ``upper`` from ``W`` (with its configuration, loss and kind).

    Raises
    ------
    TypeError, ValueError
        If ``problem`` is not a whitened :class:`~dlnbook.Problem`, ``W`` does not have the layer
        shapes of ``problem`` or has non-finite entries, or an integer option is not positive.

    Examples
    --------
    >>> from dlnbook import Problem, critical_points
    >>> from dlnbook.distance import distance_to_critical_set
    >>> problem = Problem.from_target([[2.0, 0.0], [0.0, 1.5]], widths=[2, 2], lam=0.5)
    >>> best = [p for p in critical_points(problem, seed=0) if p.kind == "global minimum"][0]
    >>> W = [w + 1e-3 for w in best.W]                       # ‖W − best.W‖ = 1e-3 √12
    >>> lower, upper, witness = distance_to_critical_set(problem, W)
    >>> bool(lower <= upper <= 1e-3 * 12 ** 0.5), witness.kind
    (True, 'global minimum')
    """
    closed_form = CriticalSet(problem)
    spectrum = closed_form.spectrum
    W = problem.check_weights(W)
    max_configurations = _checks.positive_int("max_configurations", max_configurations)
    max_alignments = _checks.positive_int("max_alignments", max_alignments)
    max_sweeps = _checks.positive_int("max_sweeps", max_sweeps)
    configurations, sigmas = _configuration_table(closed_form, max_configurations)
    bounds = _mirsky(problem, W, sigmas)
    order = np.argsort(bounds, kind="stable")
    best = None
    for count, c in enumerate(order):
        if count >= max_alignments or (best is not None and bounds[c] >= best[0]):
            break
        representative = closed_form.representative(configurations[c])
        distance, element = _align(problem, spectrum, W, representative, max_sweeps)
        if best is None or distance < best[0]:
            best = (distance, element, c)
    distance, element, c = best
    configuration = configurations[c]
    kind, degenerate, _ = closed_form.kind(configuration)
    witness = CriticalPoint(element, configuration.active, configuration.branches, problem.loss(element), kind,
                            degenerate)
    # Mirsky's bound is at most the distance to every critical point, the witness included; where the
    # two coincide (singular-value moves) rounding can put it a hair above: report the smaller.
    return DistanceBracket(min(float(bounds[order[0]]), distance), distance, witness)
