"""The distance from a point to the critical set of the whitened loss (Chapter 3).

The critical set ``𝒲* = {W : ∇F(W) = 0}`` of a whitened problem is the finite union of the orbits of
:mod:`dlnbook.critical_set`. :func:`distance_to_critical_set` brackets ``dist(W, 𝒲*)`` in the Frobenius
norm of the flattened weight list, ``‖W‖² = Σ_l ‖W_l‖_F²``:

* ``lower`` comes from Mirsky's inequality: every critical point of a configuration has known layer
  singular values, and ``‖A − B‖_F ≥ ‖s(A) − s(B)‖₂`` for the sorted singular values ``s``; its minimum
  over all configurations (up to ``3^r`` of them) is one assignment problem, solved without listing them;
* ``upper`` is the distance to an explicit critical point: the best-ranked configurations (in
  increasing order of their Mirsky bounds, enumerated lazily) are aligned by the rotations of the
  symmetry group (orthogonal Procrustes over the hidden rotations and the stabilizer of Ȳ), and
  from a few starts the rotations and the configuration for them (again an assignment) are chosen
  in turn.
"""

from typing import NamedTuple

import numpy as np

from . import _checks
from .critical import CriticalPoint
from .critical_set import Configuration, CriticalSet
from .data import orthonormal_columns
from .problem import norm

#: The orbit alignment of :func:`distance_to_critical_set` stops when a sweep improves the fit
#: ``Σ_l ⟨W_l, g·C_l⟩`` by less than this times ``‖W‖ ‖C‖`` (or after ``max_sweeps`` sweeps).
ALIGN_RTOL = 1e-15

#: :func:`distance_to_critical_set` starts its alternation of rotations and configurations from the
#: closest point of the configurations it aligned, from W's own frames, and from this many random frames
#: (none: with the aligned configurations as a start they rarely helped, and each costs a search).
RANDOM_STARTS = 0

#: Problems with at most this many configurations are bracketed by listing them all (the
#: representatives aligned in increasing order of their Mirsky bounds, at most ``max_ranked``), without
#: the alternation of :func:`distance_to_critical_set`.
LISTING_LIMIT = 100

#: The starts of :func:`distance_to_critical_set` are aligned to this tolerance (in the place of
#: :data:`ALIGN_RTOL`), and only the best of them to :data:`ALIGN_RTOL`.
SEARCH_RTOL = 1e-5

#: The configurations aligned in increasing order of their Mirsky bounds (the listing method, see
#: :func:`distance_to_critical_set`) are first aligned to this tolerance; the :data:`FINISHED` closest
#: are then aligned on to :data:`ALIGN_RTOL` (alignment only brings a point closer).
SCREEN_RTOL = 1e-2

#: See :data:`SCREEN_RTOL`. Not 1 or 2: an alignment can rest near a stationary point for a while and
#: then escape to a closer one, so the ranking at :data:`SCREEN_RTOL` is not the final one.
FINISHED = 8

#: This many of the closest points of the listing method are also starts of the alternation.
ALTERNATED = 1


class DistanceBracket(NamedTuple):
    """``lower ≤ dist(W, 𝒲*) ≤ upper``, with the critical point ``witness`` at distance ``upper``.
    """
    lower: float
    upper: float
    witness: CriticalPoint


def _polar(M):
    """The orthogonal O maximizing ⟨O, M⟩ = tr(Oᵀ M) (orthogonal Procrustes): U Vᵀ for M = U S Vᵀ."""
    if M.shape == (1, 1):                                  # a sign (1 when M = 0)
        return np.array([[-1.0 if M[0, 0] < 0 else 1.0]])
    U, _, Vt = np.linalg.svd(M)
    return U @ Vt


def _candidates(closed_form):
    """``[(j, (σ, ...), (branch, ...)), ...]``: each nonzero singular value of Ȳ with roots of (2), and its roots."""
    spectrum = closed_form.spectrum
    found = []
    for start, stop in spectrum.groups:
        roots = closed_form._roots(spectrum.y[start])
        if roots:
            found += [(j, tuple(r.sigma for r in roots), tuple(r.branch for r in roots)) for j in range(start, stop)]
    return found


def _assign(values, candidates, zero_cost):
    """The best configuration as an assignment of positions (rows) to singular values or to zero.

    ``values(j, σ)`` is the cost of singular value j at root σ in every position (an array over the
    positions); each singular value takes its best root, each position one value, each value one
    position at most, and any number of positions take zero (cost ``zero_cost[p]``). Returns the total
    cost and the chosen ``[(p, j, σ, branch), ...]``. Polynomial: one ``scipy.optimize.linear_sum_assignment``.
    """
    from scipy.optimize import linear_sum_assignment       # imported on first use: import dlnbook needs numpy only

    n_positions, n = len(zero_cost), len(candidates)
    cost = np.zeros((n_positions, n + n_positions))
    choice = np.zeros((n_positions, n), dtype=int)
    for c, (j, sigmas, _) in enumerate(candidates):
        table = np.stack([values(j, sigma) for sigma in sigmas], axis=1)
        choice[:, c] = np.argmin(table, axis=1)
        cost[:, c] = table[np.arange(n_positions), choice[:, c]]
    cost[:, n:] = np.asarray(zero_cost, dtype=float)[:, None]
    rows, cols = linear_sum_assignment(cost)
    picked = [(int(p), candidates[c][0], candidates[c][1][choice[p, c]], candidates[c][2][choice[p, c]])
              for p, c in zip(rows, cols) if c < n]
    return float(cost[rows, cols].sum()), picked


def _singular_values(problem, W, d_min):
    """``(head, scales, tail)``: the first ``d_min`` singular values of each layer (L × d_min), the
    factors ``1/√λ_l`` (L × 1) and the sum of squares of the other singular values."""
    s = [np.linalg.svd(Wl, compute_uv=False) for Wl in W]          # min(d_l, d_{l−1}) ≥ d_min values
    head = np.array([sl[:d_min] for sl in s])
    scales = 1.0 / np.sqrt(np.array(problem.lambdas))[:, None]
    return head, scales, sum(float(np.sum(sl[d_min:] ** 2)) for sl in s)


def _mirsky(problem, W, candidates, d_min):
    """Mirsky's lower bound on the distance from W to the critical set, minimized over all configurations.

    A critical point of a configuration has layer singular values ``σ_i / √λ_l`` (and zeros), so
    ``‖W − V‖² = Σ_l ‖W_l − V_l‖_F² ≥ Σ_l ‖s(W_l) − s(V_l)‖²`` with sorted singular values ``s``.
    Matching them in sorted order is the best matching (rearrangement inequality: the cross term
    ``Σ_l s_l[p] σ/√λ_l`` pairs a non-increasing sequence in ``p`` with the values), so the minimum over
    configurations is an assignment of positions ``p < d_min`` to singular values (at their best root)
    or to zero.
    """
    head, scales, tail = _singular_values(problem, W, d_min)

    def values(j, sigma):
        return np.sum((head - sigma * scales) ** 2, axis=0)

    total, _ = _assign(values, candidates, np.sum(head ** 2, axis=0))
    return float(np.sqrt(max(total + tail, 0.0)))


def _ranked(problem, closed_form, W):
    """Every configuration with its Mirsky bound, in nondecreasing order of the bound, one at a time.

    The k-best enumeration of Lawler and Murty over the assignment of :func:`_mirsky`. A part of the
    configurations is given by fixing the choices (how many members on each root) of the first ``t``
    groups of tied singular values; its best configuration is one assignment problem (the fixed
    members must take a position, the free ones may). Yielding the best ``x`` of a part leaves the
    disjoint parts "first ``t`` groups as in ``x``, group ``t`` otherwise" for every later ``t``, whose
    bests go on a heap: each configuration comes exactly once, and no later one has a smaller bound.
    Yields ``(bound, configuration)``, ties in no particular order.
    """
    import heapq

    from scipy.optimize import linear_sum_assignment       # imported on first use: import dlnbook needs numpy only

    spectrum, d_min = closed_form.spectrum, closed_form.d_min
    head, scales, tail = _singular_values(problem, W, d_min)
    zero_cost = np.sum(head ** 2, axis=0)
    groups = []                 # (start, members that can be active, roots, cost[root, position])
    for start, stop in spectrum.groups:
        roots = closed_form._roots(spectrum.y[start])
        if roots:
            cost = np.array([np.sum((head - root.sigma * scales) ** 2, axis=0) for root in roots])
            groups.append((start, min(stop - start, d_min), roots, cost))
    n_groups = len(groups)
    best_root = [np.argmin(cost, axis=0).tolist() for *_, cost in groups]
    # the cost rows of the members a split fixes, and of the free members of groups t, t+1, ... (at their best root)
    members = [{split: cost[[i for i, n in enumerate(split) for _ in range(n)]]
                for split in _splits(size, len(roots))} for _, size, roots, cost in groups]
    owners = [np.array([g for g in range(t, n_groups) for _ in range(groups[g][1])], dtype=int)
              for t in range(n_groups + 1)]
    owner_list = [owner.tolist() for owner in owners]
    free_rows = [np.array([np.min(groups[g][3], axis=0) for g in owner]).reshape(len(owner), d_min)
                 for owner in owners]

    def best(fixed, forced):
        """The best configuration whose first groups take the splits ``fixed`` (their members' cost rows
        ``forced``): (squared bound, splits), or None if more than ``d_min`` members are fixed."""
        n_forced, n_free = len(forced), len(owners[len(fixed)])
        if n_forced > d_min:
            return None
        # columns: fixed members, free members, zeros; rows: positions, then spare rows that absorb
        # free members left out and zeros left over (never a fixed member)
        size = d_min + n_forced + n_free
        matrix = np.zeros((size, size))
        matrix[:d_min, :n_forced] = forced.T
        matrix[d_min:, :n_forced] = np.inf
        matrix[:d_min, n_forced:n_forced + n_free] = free_rows[len(fixed)].T
        matrix[:d_min, n_forced + n_free:] = zero_cost[:, None]
        rows, cols = linear_sum_assignment(matrix)
        counts = [[0] * len(groups[g][2]) for g in range(len(fixed), n_groups)]
        for p, c in zip(rows[:d_min].tolist(), cols[:d_min].tolist()):     # the positions' rows come first
            if n_forced <= c < n_forced + n_free:
                g = owner_list[len(fixed)][c - n_forced]
                counts[g - len(fixed)][best_root[g][p]] += 1
        return float(matrix[rows, cols].sum()), fixed + tuple(map(tuple, counts))

    def configuration(chosen):
        active = []
        for (start, _, roots, _), split in zip(groups, chosen):
            j = start
            for root, n in zip(roots, split):
                active += [(j + i, root.sigma, root.branch) for i in range(n)]
                j += n
        return Configuration(tuple((j, sigma) for j, sigma, _ in active), tuple(b for _, _, b in active))

    total, chosen = best((), np.zeros((0, d_min)))
    heap, count = [(total, 0, 0, chosen)], 1
    while heap:
        total, _, n_fixed, chosen = heapq.heappop(heap)
        yield float(np.sqrt(max(total + tail, 0.0))), configuration(chosen)
        forced = np.concatenate([np.zeros((0, d_min))] + [members[g][chosen[g]] for g in range(n_fixed)])
        for t in range(n_fixed, n_groups):
            for split in members[t]:
                if split != chosen[t]:
                    found = best(chosen[:t] + (split,), np.concatenate([forced, members[t][split]]))
                    if found is not None:
                        heapq.heappush(heap, (found[0], count, t + 1, found[1]))
                        count += 1
            forced = np.concatenate([forced, members[t][chosen[t]]])


def _splits(size, n_roots):
    """Every ``(c_1, ..., c_n)`` with ``Σ c ≤ size``: how many members of a group sit on each of its roots."""
    if n_roots == 0:
        return [()]
    return [(c, *rest) for c in range(size + 1) for rest in _splits(size - c, n_roots - 1)]


def _place(problem, spectrum, picked):
    """The critical point with value σ of singular pair ``(u_j, v_j)`` at hidden unit p, for each ``(p, j, σ, _)``."""
    dims, lam, L = problem.dims, problem.lambdas, problem.L
    C = [np.zeros((dims[l], dims[l - 1])) for l in range(1, L + 1)]
    for p, j, sigma, _ in picked:
        C[0][p] += sigma / np.sqrt(lam[0]) * spectrum.Vt[j]
        for l in range(2, L):
            C[l - 1][p, p] = sigma / np.sqrt(lam[l - 1])
        C[L - 1][:, p] += sigma / np.sqrt(lam[L - 1]) * spectrum.U[:, j]
    return C


def _best_placement(problem, spectrum, W, R, candidates, d_min):
    """The configuration and hidden units whose critical point, rotated by ``R``, is closest to W.

    With the rotations fixed, ``‖W − R·C‖² = ‖W‖² + Σ_p (σ_p² Σ_l 1/λ_l − 2 σ_p A[p, j_p])``: one term per
    occupied hidden unit p, ``A[p, j]`` the coordinate of W along the unit's path through the layers.
    So the best choice is again an assignment (see :func:`_assign`).
    """
    L, lam = problem.L, np.array(problem.lambdas)
    frame = [R[l].T @ W[l - 1] @ R[l - 1] for l in range(1, L + 1)]
    first = (frame[0] @ spectrum.Vt.T)[:d_min] / np.sqrt(lam[0])          # [p, j]: (R_1ᵀ W_1 R_0 v_j)_p
    last = (spectrum.U.T @ frame[-1])[:, :d_min].T / np.sqrt(lam[-1])     # [p, j]: u_jᵀ R_Lᵀ W_L R_{L−1} e_p
    hidden = sum((np.diag(frame[l - 1])[:d_min] / np.sqrt(lam[l - 1]) for l in range(2, L)), np.zeros(d_min))
    width = min(first.shape[1], last.shape[1])
    A = first[:, :width] + last[:, :width] + hidden[:, None]
    inverse_sum = float(np.sum(1.0 / lam))

    def values(j, sigma):
        return sigma ** 2 * inverse_sum - 2 * sigma * A[:, j]

    return _assign(values, candidates, np.zeros(d_min))[1]


def _stabilizer(spectrum, blocks, d0, dL):
    """(R_0, R_L) in Stab(Ȳ) from one orthogonal block per group of tied singular values."""
    R0, RL = np.eye(d0), np.eye(dL)
    for (start, stop), O in zip(spectrum.groups, blocks):
        R0[start:stop, start:stop] = O
        RL[start:stop, start:stop] = O
    V, U = spectrum.Vt.T, spectrum.U
    return V @ R0 @ V.T, U @ RL @ U.T


def _stabilizer_starts(problem, spectrum, W):
    """The two starts ``(R_0, R_L)`` of :func:`_starting_rotations`: the stabilizer read off the end-to-end
    product (``P(g·C) = R_L P(C) R_0ᵀ``), and the identity."""
    P_hat = spectrum.U.T @ problem.product(W) @ spectrum.Vt.T
    from_product = []
    for start, stop in spectrum.groups:
        block = P_hat[start:stop, start:stop]
        _, vectors = np.linalg.eigh(0.5 * (block + block.T))
        from_product.append(vectors[:, ::-1])             # the representative's values decrease
    dims = problem.dims
    return [_stabilizer(spectrum, blocks, dims[0], dims[-1])
            for blocks in (from_product, [np.eye(stop - start) for start, stop in spectrum.groups])]


def _starting_rotations(problem, spectrum, W, C):
    """Two starts for the rotations: the stabilizer of :func:`_stabilizer_starts`, the hidden ones by a
    forward sweep from the input side."""
    L = problem.L
    for R0, RL in _stabilizer_starts(problem, spectrum, W):
        R = [R0] + [None] * (L - 1) + [RL]
        for l in range(1, L):
            M = W[l - 1] @ R[l - 1] @ C[l - 1].T
            if l == L - 1:
                M = M + W[l].T @ R[L] @ C[l]
            R[l] = _polar(M)
        yield R


def _rotate(problem, spectrum, W, C, R, max_sweeps, rtol=None):
    """Rotations ``R`` that bring ``g·C = (R_l C_l R_{l−1}ᵀ)_l`` close to W, improved from ``R``.

    Maximizes ``Σ_l ⟨W_l, R_l C_l R_{l−1}ᵀ⟩`` (equivalently minimizes ``‖W − g·C‖``) over hidden
    rotations ``R_1, ..., R_{L−1}`` and ``(R_L, R_0) ∈ Stab(Ȳ)``, one block at a time: each block
    appears linearly, so its best value is an orthogonal Procrustes solution. Stops when a sweep gains
    less than ``rtol · ‖W‖ ‖C‖`` (:data:`ALIGN_RTOL` by default).
    """
    rtol = ALIGN_RTOL if rtol is None else rtol
    L, dims = problem.L, problem.dims
    U, V = spectrum.U, spectrum.Vt.T
    R = list(R)
    scale = norm(W) * norm(C) + np.finfo(float).tiny
    value = -np.inf
    for _ in range(max_sweeps):
        M0 = V.T @ W[0].T @ R[1] @ C[0] @ V                # ⟨W_1, R_1 C_1 R_0ᵀ⟩ = ⟨M0, R̂_0⟩
        ML = U.T @ W[L - 1] @ R[L - 1] @ C[L - 1].T @ U    # ⟨W_L, R_L C_L R_{L−1}ᵀ⟩ = ⟨ML, R̂_L⟩
        blocks = [_polar(M0[a:b, a:b] + ML[a:b, a:b]) for a, b in spectrum.groups]
        R[0], R[L] = _stabilizer(spectrum, blocks, dims[0], dims[-1])
        for l in range(1, L):
            R[l] = _polar(W[l - 1] @ R[l - 1] @ C[l - 1].T + W[l].T @ R[l + 1] @ C[l])
        new = sum(float(np.sum(W[l - 1] * (R[l] @ C[l - 1] @ R[l - 1].T))) for l in range(1, L + 1))
        done = new - value <= rtol * scale
        value = new
        if done:
            break
    return R


def _polar_many(M):
    """:func:`_polar` of each matrix of a stack."""
    if M.shape[1:] == (1, 1):
        return np.where(M < 0, -1.0, 1.0)
    U, _, Vt = np.linalg.svd(M)
    return U @ Vt


def _stabilizer_many(spectrum, M, d):
    """The rotation ``V B Vᵀ`` (``V`` the singular vectors of one side) of each block-diagonal ``B`` whose blocks,
    one per group of tied values, are the :func:`_polar_many` of the blocks of the stack ``M``."""
    B = np.repeat(np.eye(d)[None], len(M), axis=0)
    single = np.array([a for a, b in spectrum.groups if b - a == 1], dtype=int)
    if single.size:                                   # 1 × 1 blocks are signs: all at once
        B[:, single, single] = np.where(M[:, single, single] < 0, -1.0, 1.0)
    for a, b in spectrum.groups:
        if b - a > 1:
            B[:, a:b, a:b] = _polar_many(M[:, a:b, a:b])
    return B


def _starting_rotations_many(problem, spectrum, W, C):
    """:func:`_starting_rotations` for a stack of points (``C`` one stack per layer): the stacks of both starts."""
    L, n = problem.L, len(C[0])
    for R0, RL in _stabilizer_starts(problem, spectrum, W):
        R = [np.repeat(R0[None], n, axis=0)] + [None] * (L - 1) + [np.repeat(RL[None], n, axis=0)]
        for l in range(1, L):
            M = W[l - 1] @ R[l - 1] @ np.swapaxes(C[l - 1], 1, 2)
            if l == L - 1:
                M = M + W[l].T @ R[L] @ C[l]
            R[l] = _polar_many(M)
        yield R


def _rotate_many(problem, spectrum, W, C, R, max_sweeps, rtol):
    """:func:`_rotate` for a stack of points at once, with the same sweeps and the same stopping rule.

    ``C`` is one stack per layer (N × d_l × d_{l−1}) and ``R`` one per rotation (N × d × d); each point
    stops on its own. Returns the rotations as stacks.
    """
    L, dims = problem.L, problem.dims
    U, V = spectrum.U, spectrum.Vt.T
    r = min(dims[0], dims[-1])
    R = [Rl.copy() for Rl in R]
    scale = norm(W) * np.sqrt(sum(np.sum(Cl ** 2, axis=(1, 2)) for Cl in C)) + np.finfo(float).tiny
    value = np.full(len(C[0]), -np.inf)
    first, last = V.T @ W[0].T, U.T @ W[L - 1]                # the fixed factors of M0 and ML below
    moving = np.arange(len(C[0]))
    while True:           # the stacks of the points still moving, cut down whenever some stop
        Rm, Cm = [Rl[moving] for Rl in R], [Cl[moving] for Cl in C]
        CmT = [np.swapaxes(Cl, 1, 2) for Cl in Cm]
        C0V, CLU = Cm[0] @ V, CmT[L - 1] @ U
        done = np.zeros(moving.size, dtype=bool)
        while max_sweeps and not done.any():
            max_sweeps -= 1
            M0 = first @ Rm[1] @ C0V                           # ⟨W_1, R_1 C_1 R_0ᵀ⟩ = ⟨M0, R̂_0⟩
            ML = last @ Rm[L - 1] @ CLU                        # ⟨W_L, R_L C_L R_{L−1}ᵀ⟩ = ⟨ML, R̂_L⟩
            B = _stabilizer_many(spectrum, M0[:, :r, :r] + ML[:, :r, :r], r)
            B0 = np.repeat(np.eye(dims[0])[None], moving.size, axis=0)
            BL = np.repeat(np.eye(dims[-1])[None], moving.size, axis=0)
            B0[:, :r, :r] = BL[:, :r, :r] = B
            Rm[0], Rm[L] = V @ B0 @ V.T, U @ BL @ U.T
            for l in range(1, L):
                Rm[l] = _polar_many(W[l - 1] @ Rm[l - 1] @ CmT[l - 1] + W[l].T @ Rm[l + 1] @ Cm[l])
            new = sum(np.sum(W[l - 1] * (Rm[l] @ Cm[l - 1] @ np.swapaxes(Rm[l - 1], 1, 2)), axis=(1, 2))
                      for l in range(1, L + 1))
            done = new - value[moving] <= rtol * scale[moving]
            value[moving] = new
        for Rl, Rml in zip(R, Rm):
            Rl[moving] = Rml
        moving = moving[~done]
        if not (max_sweeps and moving.size):
            return R


def _screened(problem, closed_form, W, configurations, max_sweeps, finished):
    """The listing method, all at once: the representatives of ``configurations`` aligned from the two
    starts of :func:`_starting_rotations` to :data:`SCREEN_RTOL` (:func:`_rotate_many`), and the
    ``finished`` closest of these aligned on to :data:`ALIGN_RTOL`.
    Returns ``[(distance, R, picked, C), ...]``, closest first: the finished points, or (``finished = 0``)
    the closest point at :data:`SCREEN_RTOL`; empty without configurations.
    """
    if not configurations:
        return []
    L, spectrum = problem.L, closed_form.spectrum
    points = [closed_form.representative(configuration) for configuration in configurations]
    picks = [[(i, j, sigma, b) for i, ((j, sigma), b) in enumerate(zip(configuration.active, configuration.branches))]
             for configuration in configurations]
    C = [np.stack([point[l] for point in points] * 2) for l in range(L)]       # each point from both starts
    R = [np.concatenate(stacks) for stacks in zip(*_starting_rotations_many(
        problem, spectrum, W, [Cl[:len(points)] for Cl in C]))]

    def align(chosen, rtol, R):
        Cc = [Cl[chosen] for Cl in C]
        R = _rotate_many(problem, spectrum, W, Cc, R, max_sweeps, rtol)
        gaps = [W[l][None] - R[l + 1] @ Cc[l] @ np.swapaxes(R[l], 1, 2) for l in range(L)]
        return np.sqrt(sum(np.sum(gap ** 2, axis=(1, 2)) for gap in gaps)), R

    chosen = np.arange(len(C[0]))
    distances, R = align(chosen, SCREEN_RTOL, R)
    if finished:
        kept = np.argsort(distances, kind="stable")[:finished]
        chosen = chosen[kept]
        distances, R = align(chosen, ALIGN_RTOL, [Rl[kept] for Rl in R])
    order = np.argsort(distances, kind="stable")[:max(finished, 1)]
    found = [(float(distances[i]), [Rl[i] for Rl in R], picks[n], points[n])
             for i, n in zip(order, chosen[order] % len(points))]
    return sorted(found, key=lambda point: point[0])


def _apply(R, C):
    return [R[l] @ C[l - 1] @ R[l - 1].T for l in range(1, len(C) + 1)]


def _starts(problem, spectrum, W, candidates, d_min):
    """More starts ``[(R, picked, C), ...]`` of :func:`_descend`: W's own frames and :data:`RANDOM_STARTS`
    random hidden frames, each with the configuration that fits it best."""
    # W's own frames: hidden units along the left singular vectors of W_l ⋯ W_1 (and the stabilizer at the identity)
    L, dims = problem.L, problem.dims
    R = [np.eye(dims[0])] + [None] * (L - 1) + [np.eye(dims[-1])]
    for l in range(1, L):
        R[l] = np.linalg.svd(W[l - 1] @ R[l - 1])[0]
    starts = []
    rng = np.random.default_rng(0)                 # a few random hidden frames: the alternation has local optima
    for k in range(1 + RANDOM_STARTS):
        if k:
            R = [R[0]] + [orthonormal_columns(rng, dims[l]) for l in range(1, L)] + [R[L]]
        guess = _best_placement(problem, spectrum, W, R, candidates, d_min)
        starts.append((R, guess, _place(problem, spectrum, guess)))
    return starts


def _descend(problem, spectrum, W, starts, candidates, d_min, max_alignments, max_sweeps):
    """The closest critical point found from ``starts`` ``[(R, picked, C), ...]``: rotations and configuration
    in turn.

    From each start: align the rotations (:func:`_rotate`), then choose the best configuration and
    hidden units for them (:func:`_best_placement`, an assignment), and repeat while the distance
    decreases, at most ``max_alignments`` times; each start to :data:`SEARCH_RTOL`, the best one on to
    :data:`ALIGN_RTOL`. Every step can only bring the point closer (the current configuration is one
    of those the assignment chooses from). Returns ``(distance, R, picked, C)``: the point is ``_apply(R, C)``.
    """
    best = None
    for R, current, C in starts:
        found = _alternate(problem, spectrum, W, R, current, C, candidates, d_min, max_alignments, max_sweeps,
                           SEARCH_RTOL)
        if best is None or found[0] < best[0]:
            best = found
    return _alternate(problem, spectrum, W, *best[1:], candidates, d_min, max_alignments, max_sweeps, ALIGN_RTOL)


def _listed(problem, closed_form, W, max_sweeps, max_alignments=64):
    """The closest representative found by listing every configuration: aligned in increasing order of
    their Mirsky bounds until the next bound exceeds the best distance (at most ``max_alignments``).
    Returns ``(distance, R, picked, C)`` and the least bound (the lower bound of :func:`_mirsky`)."""
    spectrum, d_min = closed_form.spectrum, closed_form.d_min
    configurations = closed_form.configurations()
    sigmas = np.zeros((len(configurations), d_min))
    for c, configuration in enumerate(configurations):
        values = sorted((sigma for _, sigma in configuration.active), reverse=True)
        sigmas[c, :len(values)] = values
    total = np.zeros(len(configurations))
    for Wl, lam in zip(W, problem.lambdas):
        s = np.linalg.svd(Wl, compute_uv=False)
        total += np.sum((s[:d_min] - sigmas / np.sqrt(lam)) ** 2, axis=1) + np.sum(s[d_min:] ** 2)
    bounds = np.sqrt(total)
    best = None
    for count, c in enumerate(np.argsort(bounds, kind="stable")):
        if count >= max_alignments or (best is not None and bounds[c] >= best[0]):
            break
        configuration = configurations[c]
        C = closed_form.representative(configuration)
        picked = [(i, j, sigma, b) for i, ((j, sigma), b) in enumerate(zip(configuration.active,
                                                                             configuration.branches))]
        for R in _starting_rotations(problem, spectrum, W, C):
            R = _rotate(problem, spectrum, W, C, R, max_sweeps)
            distance = norm([a - b for a, b in zip(W, _apply(R, C))])
            if best is None or distance < best[0]:
                best = (distance, R, picked, C)
    return best, float(np.min(bounds))


def _alternate(problem, spectrum, W, R, current, C, candidates, d_min, max_alignments, max_sweeps, rtol):
    """Rotations and configuration in turn from ``(R, current, C)``; returns ``(distance, R, picked, C)``."""
    best, distance = None, np.inf
    for _ in range(max_alignments):
        R = _rotate(problem, spectrum, W, C, R, max_sweeps, rtol)
        new = norm([a - b for a, b in zip(W, _apply(R, C))])
        if best is None or new < best[0]:
            best = (new, R, current, C)
        if not new < distance * (1 - rtol ** 0.5):
            break
        distance = new
        current = _best_placement(problem, spectrum, W, R, candidates, d_min)
        C = _place(problem, spectrum, current)
    return best


def _visited(problem, closed_form, W, candidates, max_ranked, max_alignments, max_sweeps):
    """The closest point of the listing method without the list, improved by the alternation.

    The configurations come in increasing order of their Mirsky bounds (:func:`_ranked`), at most
    ``max_ranked`` of them. The first is aligned (:func:`_screened`); if the next bound is not below its
    distance, no other orbit can be closer and that point is the answer. Otherwise every configuration
    whose bound is below that distance is aligned, and the alternation (:func:`_descend`) runs from the
    :data:`ALTERNATED` closest of them and from the starts of :func:`_starts`; the closer of its point
    and the closest aligned one is returned as ``(distance, R, picked, C)``.
    """
    import itertools

    spectrum, d_min = closed_form.spectrum, closed_form.d_min
    ranked = itertools.islice(_ranked(problem, closed_form, W), max_ranked)
    first, following = next(ranked)[1], next(ranked, None)
    best = _screened(problem, closed_form, W, [first], max_sweeps, 0)[0]
    if following is None or not following[0] < best[0]:
        return _screened(problem, closed_form, W, [first], max_sweeps, FINISHED)[0]
    below = [first] + [configuration for _, configuration in
                       itertools.takewhile(lambda item: item[0] < best[0], itertools.chain([following], ranked))]
    screened = _screened(problem, closed_form, W, below, max_sweeps, FINISHED)
    starts = [point[1:] for point in screened[:ALTERNATED]] + _starts(problem, spectrum, W, candidates, d_min)
    found = _descend(problem, spectrum, W, starts, candidates, d_min, max_alignments, max_sweeps)
    return min(screened[0], found, key=lambda point: point[0])


def _configuration(spectrum, picked):
    """The configuration of :mod:`dlnbook.critical_set` of a placement: within a group of tied values, the
    group's first indices, larger root first (the stabilizer of Ȳ rotates them into each other)."""
    branch_order = {"+": 0, "-": 1, "*": 2}
    active = []
    for start, stop in spectrum.groups:
        members = sorted(((branch_order[b], -sigma, sigma, b) for _, j, sigma, b in picked if start <= j < stop))
        active += [(start + i, sigma, b) for i, (_, _, sigma, b) in enumerate(members)]
    return Configuration(tuple((j, sigma) for j, sigma, _ in active), tuple(b for _, _, b in active))


def distance_to_critical_set(problem, W, max_alignments=16, max_sweeps=500, max_ranked=64):
    """A certified bracket ``lower ≤ dist(W, 𝒲*) ≤ upper`` of the distance to the critical set.

    The distance is in the Frobenius norm of the flattened weight list, ``‖W‖² = Σ_l ‖W_l‖_F²``.
    The critical set of a whitened problem is the union of finitely many orbits of the symmetry
    group ``G = Stab(Ȳ) × O(d_1) × ⋯ × O(d_{L−1})``, one per configuration listed by
    :func:`~dlnbook.critical.critical_points` (Chapter 2); there can be ``3^r`` of them, and none is listed here.

    * ``lower``: every critical point of a configuration has layer singular values ``σ_i / √λ_l``
      (Chapter 2), so by Mirsky's inequality its distance to ``W`` is at least
      ``(Σ_l ‖s(W_l) − s_l‖²)^{1/2}``, ``s`` the sorted singular values. ``lower`` is the minimum
      over all configurations (capped at ``upper``), found as an assignment problem (positions ×
      singular values, each at its best root, or zero) in polynomial time: a lower bound on the
      distance to every critical point.
    * ``upper``: the configurations are visited in increasing order of their Mirsky bounds (a lazy
      k-best enumeration, the assignment problem split by the choices of its groups as in Murty's
      method), at most ``max_ranked`` of them and only while the bound is below the best distance found
      (no later orbit can be closer); each representative is aligned with ``W`` by block-wise orthogonal
      Procrustes over the hidden rotations and the stabilizer of Ȳ, from two starts. Unless the first
      one already settles it, the rotations and, for them, the best configuration and hidden units
      (again an assignment) are then chosen in turn while the distance decreases (at most
      ``max_alignments`` rounds per start), from the closest aligned point and from W's own frames.
      Problems with at most :data:`LISTING_LIMIT` configurations are only visited. ``upper`` is the
      distance to the best point found, ``witness``. Near a critical point the two ends meet.

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (``X Xᵀ = I``).
    W : sequence of ndarray
        Weights ``[W_1, ..., W_L]``.
    max_alignments : int
        At most this many rounds of alignment and choice of configuration per start (the bracket stays
        valid, ``upper`` may be less tight).
    max_sweeps : int
        Sweeps of the block-wise alignment per round.
    max_ranked : int
        At most this many configurations are aligned in increasing order of their Mirsky bounds.

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
    size = norm(W)
    if not np.isfinite(size * size):                 # the bounds are sums of squares of W's singular values
        raise ValueError(f"W is too large for the distance: ‖W‖ = {size:.3g}, whose square overflows float64; "
                         f"rescale it")
    max_alignments = _checks.positive_int("max_alignments", max_alignments)
    max_sweeps = _checks.positive_int("max_sweeps", max_sweeps)
    max_ranked = _checks.positive_int("max_ranked", max_ranked)
    if closed_form.count() <= LISTING_LIMIT:
        (distance, R, picked, C), lower = _listed(problem, closed_form, W, max_sweeps, max_ranked)
    else:
        candidates = _candidates(closed_form)
        lower = _mirsky(problem, W, candidates, closed_form.d_min)
        distance, R, picked, C = _visited(problem, closed_form, W, candidates, max_ranked, max_alignments,
                                          max_sweeps)
    element = _apply(R, C)
    configuration = _configuration(spectrum, picked)
    kind, degenerate, _ = closed_form.kind(configuration)
    witness = CriticalPoint(element, configuration.active, configuration.branches, problem.loss(element), kind,
                            degenerate)
    # Mirsky's bound is at most the distance to every critical point, the witness included; where the
    # two coincide (singular-value moves) rounding can put it a hair above: report the smaller.
    return DistanceBracket(min(lower, distance), distance, witness)
