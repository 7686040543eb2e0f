"""The critical set of the whitened loss in closed form (Chapter 2).

With whitened inputs, ``X Xᵀ = I``, the loss is regularized deep matrix factorization of
``Ȳ = Y Xᵀ`` (Chapter 1), and W is critical if and only if

.. math::

    W_l = \\lambda_l^{-1/2}\\, Q_l\\, \\Sigma_\\sigma\\, Q_{l-1}^\\top, \\qquad l = 1, \\dots, L,

where ``Σ_σ`` carries the same numbers ``σ_i ≥ 0`` on its diagonal in every layer, the hidden
``Q_1, ..., Q_{L-1}`` are any orthogonal matrices, ``Q_0`` and ``Q_L`` align each nonzero ``σ_i``
with a singular pair ``(u, v)`` of Ȳ (``Ȳ v = y u``, every pair used at most once), and each nonzero
``σ_i`` is a positive root of the scalar equation (2) for its ``y`` (:mod:`dlnbook.scalar`). Layer l's
singular values are ``λ_l^{-1/2} σ_i`` and the end-to-end matrix is ``P = Σ_i (σ_i^L / √Λ) u_i v_iᵀ``.

So the critical set is a finite union of orbits of the symmetry group
``G = Stab(Ȳ) × O(d_1) × ⋯ × O(d_{L−1})``, one per *configuration*: which singular values are
active and on which root of (2). This module holds that object:

* :func:`require_whitened`: the check that the closed form applies.
* :class:`Spectrum`: the singular values of Ȳ, ties snapped, and their singular vectors.
* :class:`CriticalSet`: the configurations, their count, a representative
  (or a random element) of each orbit, the closed-form kind of each, and the configuration of a
  given critical point. :mod:`dlnbook.critical` and :mod:`dlnbook.errorbound` both work from it.

Tolerances (module constants) decide floating-point ties: two equal singular values, a singular value
equal to a threshold (:data:`dlnbook.scalar.THRESHOLD_RTOL`).
"""

import math
import weakref
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import _checks
from .data import orthonormal_columns
from .problem import Problem
from .scalar import BRANCHES, THRESHOLD_RTOL, global_threshold, positive_roots, threshold

#: A problem counts as whitened when every entry of ``X Xᵀ − I`` is at most this in absolute value.
#: :func:`dlnbook.data.planted` and :meth:`Problem.from_target <dlnbook.Problem.from_target>` give
#: about 1e−15.
WHITENED_ATOL = 1e-10

#: Two singular values of Ȳ count as tied when they differ by at most ``TIE_RTOL · y_1``, and a
#: singular value counts as zero when it is at most ``TIE_RTOL · y_1`` (``y_1`` the largest). Tied
#: values are replaced by their mean.
TIE_RTOL = 1e-10

#: The kinds of critical points, from best to worst.
KINDS = ("global minimum", "local minimum", "strict saddle", "non-strict saddle")

#: The configurations of recent problems, listed once per problem (a Problem's data and parameters never
#: change; the entries go with their problems).
_CONFIGURATIONS = weakref.WeakKeyDictionary()


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


@dataclass(frozen=True, eq=False)
class Spectrum:
    """The full SVD of Ȳ with ties snapped: ``Ȳ ≈ Σ_j y[j] U[:, j] Vt[j]`` (arrays read-only).

    Attributes
    ----------
    U : ndarray
        Shape (dL, dL), orthogonal; its first columns are the left singular vectors ``u_j``.
    y : ndarray
        Shape (min(d0, dL),). The singular values, non-increasing; tied values (within :data:`TIE_RTOL`) are replaced by
        their mean and tiny ones by 0.
    Vt : ndarray
        Shape (d0, d0), orthogonal; its first rows are the right singular vectors ``v_j``.
    groups : tuple of (int, int)
        Index ranges ``(start, stop)`` of the groups of equal nonzero values.
    rank : int
        The number of nonzero values.
    """
    U: np.ndarray
    y: np.ndarray
    Vt: np.ndarray
    groups: tuple
    rank: int

    @classmethod
    def of(cls, problem):
        """The spectrum of the target ``Ȳ = problem.target``."""
        problem = _checks.problem(problem)
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
        for array in (U, y, Vt):
            array.flags.writeable = False
        return cls(U, y, Vt, tuple(groups), groups[-1][1] if groups else 0)


class Configuration(NamedTuple):
    """One orbit of the critical set: ``active`` pairs ``(j, σ)`` (sorted by ``j``) and their ``branches``.

    ``j`` indexes the singular values of Ȳ (0-based, non-increasing), ``σ`` is the common root of (2)
    of that component and ``branches[i]`` which root it is (:data:`dlnbook.scalar.BRANCHES`).
    """
    active: tuple
    branches: tuple

    @property
    def indices(self):
        """The indices ``j`` of the active singular values."""
        return [j for j, _ in self.active]


class ClosedFormKind(NamedTuple):
    """The kind of a configuration by the closed-form classification of Chapter 2, and the rule used.
    """
    kind: str
    degenerate: bool
    rule: str


class CriticalSet:
    """The critical set of a whitened problem, orbit by orbit (Chapter 2).

    Parameters
    ----------
    problem : dlnbook.Problem
        A whitened problem (see :func:`require_whitened`).

    Attributes
    ----------
    problem : dlnbook.Problem
    spectrum : Spectrum
        The singular values and vectors of Ȳ.
    d_min : int
        ``min_l d_l``: at most this many components can be active.
    tau, tau_glob : float
        The thresholds τ_L and τ^glob of :mod:`dlnbook.scalar`.
    """

    def __init__(self, problem):
        self.problem = require_whitened(problem)
        self.spectrum = Spectrum.of(problem)
        self.d_min = min(problem.dims)
        self.tau = threshold(problem.L, problem.lambdas)
        self.tau_glob = global_threshold(problem.L, problem.lambdas)
        # s = σ/√μ, μ = Λ^{1/L} (never Λ itself): the root of (2) is "+" above s_* and "-" below (L ≥ 3)
        self._log_mu = float(np.mean(np.log(problem.lambdas)))
        L = problem.L
        self._log_s_star = (self._log_mu + math.log(L - 2) - math.log(L)) / (2 * L - 2) if L > 2 else -math.inf

    def __repr__(self):
        return f"CriticalSet({self.problem!r}, {self.count()} configurations)"

    def _branch(self, j, sigma):
        """The root of (2) that σ is for the singular value ``y[j]``: ``"+"``, ``"-"`` or ``"*"`` (at τ)."""
        if self.problem.L == 2:
            return "+"
        if abs(self.spectrum.y[j] - self.tau) <= THRESHOLD_RTOL * self.tau:
            return "*"
        t = math.log(sigma) - 0.5 * self._log_mu if sigma > 0 else -math.inf
        return "+" if t > self._log_s_star else "-"

    def _roots(self, y):
        return positive_roots(float(y), self.problem.L, self.problem.lambdas)

    def count(self):
        """How many configurations :meth:`configurations` lists (a polynomial product, no listing)."""
        d_min = self.d_min
        total = np.zeros(d_min + 1, dtype=object)
        total[0] = 1
        for start, stop in self.spectrum.groups:
            n_roots = len(self._roots(self.spectrum.y[start]))
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

    def configurations(self):
        """Every configuration, one per orbit, sorted by the number of active components, then by
        singular-value index and branch (so the first is ``W = 0``).

        Within a group of ``m`` tied singular values only *how many* sit on each root matters (the
        stabilizer of Ȳ rotates them into each other): the group's first indices are activated,
        larger root first. Zero singular values are never active.
        """
        if self.problem not in _CONFIGURATIONS:
            _CONFIGURATIONS[self.problem] = self._list()
        return list(_CONFIGURATIONS[self.problem])

    def iter_configurations(self):
        """The configurations of :meth:`configurations`, in the same order, one at a time.

        Nothing is listed ahead: the first few of ``3^r`` configurations come at once. Within each number
        ``k`` of active components a depth-first walk over the groups of tied values visits them in
        increasing order of ``[(j, branch), ...]``.
        """
        options = []                # per group: (start, size, [(σ, branch), ...])
        for start, stop in self.spectrum.groups:
            roots = self._roots(self.spectrum.y[start])
            if roots:
                options.append((start, stop - start, roots))
        capacity = [sum(size for _, size, _ in options[g:]) for g in range(len(options) + 1)]

        def choices(size, roots, budget):
            """The splits (c_1, ..., c_n), Σ c ≤ min(size, budget), in the order of their picks' branches
            (a group that ends earlier comes later: the next index belongs to a later group)."""
            found = []

            def split(i, left, c):
                if i == len(roots):
                    found.append(c)
                    return
                for n in range(left + 1):
                    split(i + 1, left - n, c + (n,))

            split(0, min(size, budget), ())
            return sorted(found, key=lambda c: [BRANCHES.index(b) for (_, b), n in zip(roots, c) for _ in range(n)]
                          + [len(BRANCHES)])

        def walk(g, need, chosen):
            if need == 0:
                yield Configuration(tuple((j, sigma) for j, sigma, _ in chosen), tuple(b for _, _, b in chosen))
                return
            if capacity[g] < need:
                return
            start, size, roots = options[g]
            for c in choices(size, roots, need):
                picked, j = [], start
                for (sigma, branch), n in zip(roots, c):
                    picked += [(j + i, sigma, branch) for i in range(n)]
                    j += n
                yield from walk(g + 1, need - sum(c), chosen + picked)

        for k in range(self.d_min + 1):
            yield from walk(0, k, [])

    def _list(self):
        options = []                # per group: (start, size, [(σ, branch), ...])
        for start, stop in self.spectrum.groups:
            roots = self._roots(self.spectrum.y[start])
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

        found = []

        def extend(g, budget, chosen):
            if g == len(options):
                found.append(chosen)
                return
            start, size, roots = options[g]
            for c in counts(size, len(roots), budget):
                picked, j = [], start
                for (sigma, branch), n in zip(roots, c):
                    picked += [(j + i, sigma, branch) for i in range(n)]
                    j += n
                extend(g + 1, budget - sum(c), chosen + picked)

        extend(0, self.d_min, [])
        found.sort(key=lambda conf: (len(conf), [(j, BRANCHES.index(b)) for j, _, b in conf]))
        return tuple(Configuration(tuple((j, sigma) for j, sigma, _ in conf), tuple(b for _, _, b in conf))
                     for conf in found)

    def representative(self, configuration, rng=None):
        """The weights of a configuration: its representative, or a random element of its orbit.

        The representative has hidden ``Q_l = I``: component ``i`` (the i-th active one) occupies
        hidden unit ``i`` in every layer, ``W_1 = λ_1^{-1/2} Σ_i σ_i e_i v_{j_i}ᵀ``,
        ``W_L = λ_L^{-1/2} Σ_i σ_i u_{j_i} e_iᵀ``. With a numpy Generator ``rng``: a random element of
        the orbit instead, from Haar hidden rotations and a random element of the stabilizer of Ȳ.

        Parameters
        ----------
        configuration : Configuration or tuple of (int, float)
            A configuration, or just its ``active`` pairs ``(j, σ)``.
        rng : numpy.random.Generator, optional

        Returns
        -------
        list of ndarray
        """
        active = self._active(configuration.active if isinstance(configuration, Configuration) else configuration)
        if rng is not None:
            rng = _checks.generator("rng", rng)
        problem, spectrum = self.problem, self.spectrum
        dims, lam, L = problem.dims, problem.lambdas, problem.L
        d0, dL = dims[0], dims[-1]
        U, Vt = spectrum.U, spectrum.Vt
        if rng is not None:
            # a random element of Stab(Ȳ): one rotation per group of tied values, shared by the left and
            # right singular vectors, and independent rotations of the null spaces
            left, right = np.eye(dL), np.eye(d0)
            for start, stop in spectrum.groups:
                O = orthonormal_columns(rng, stop - start)
                left[start:stop, start:stop] = O
                right[start:stop, start:stop] = O
            left[spectrum.rank:, spectrum.rank:] = orthonormal_columns(rng, dL - spectrum.rank)
            right[spectrum.rank:, spectrum.rank:] = orthonormal_columns(rng, d0 - spectrum.rank)
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
            Q = [None] + [orthonormal_columns(rng, dims[l]) for l in range(1, L)] + [None]
            W = [(W[l - 1] if Q[l] is None else Q[l] @ W[l - 1])
                 @ (np.eye(dims[l - 1]) if Q[l - 1] is None else Q[l - 1].T) for l in range(1, L + 1)]
        return W

    def _active(self, active):
        """``active`` checked: pairs ``(j, σ)`` with distinct indices of nonzero singular values and σ ≥ 0."""
        if not _checks.is_sequence(active):
            raise TypeError(f"configuration must be a Configuration or a sequence of pairs (j, σ), got "
                            f"{type(active).__name__}")
        pairs = []
        for i, pair in enumerate(active):
            if not _checks.is_sequence(pair) or len(pair) != 2:
                raise TypeError(f"configuration[{i}] must be a pair (j, σ), got {pair!r}")
            j = _checks.nonnegative_int(f"configuration[{i}] index j", pair[0])
            sigma = _checks.real(f"configuration[{i}] value σ", pair[1], minimum=0)
            if j >= self.spectrum.rank or any(j == k for k, _ in pairs):
                raise ValueError(f"configuration[{i}] index j = {j} must name a distinct nonzero singular value of "
                                 f"Ȳ (0 ≤ j < {self.spectrum.rank})")
            pairs.append((j, sigma))
        if len(pairs) > self.d_min:
            raise ValueError(f"configuration has {len(pairs)} active components, more than d_min = {self.d_min}")
        return tuple(pairs)

    def kind(self, configuration):
        """The kind of a configuration, from the closed-form classification of Chapter 2.

        Returns
        -------
        ClosedFormKind
            ``(kind, degenerate, rule)``; ``kind`` is one of :data:`KINDS`.
        """
        if not isinstance(configuration, Configuration):
            raise TypeError(f"configuration must be a Configuration (from configurations() or identify()), got "
                            f"{type(configuration).__name__}")
        active = self._active(configuration.active)
        branches = configuration.branches
        if not _checks.is_sequence(branches):
            raise TypeError(f"configuration.branches must be a tuple with one of {BRANCHES} per active pair, "
                            f"got {type(branches).__name__}")
        if len(branches) != len(active):
            raise ValueError(f"configuration.branches must have one entry per active pair ({len(active)}), "
                             f"got {len(branches)}")
        for i, ((j, sigma), branch) in enumerate(zip(active, branches)):
            expected = self._branch(j, sigma)
            if branch != expected:
                raise ValueError(f"configuration.branches[{i}] is {branch!r}, but σ = {sigma:.6g} is on the root "
                                 f"{expected!r} of equation (2) for y[{j}] = {self.spectrum.y[j]:.6g} "
                                 f"(one of {BRANCHES}: see dlnbook.scalar.positive_roots)")
        L, y, d_min, tau = self.problem.L, self.spectrum.y, self.d_min, self.tau
        active_j, branches = configuration.indices, configuration.branches
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
                return ClosedFormKind("global minimum", degenerate,
                                      "closed form, L = 2: the top min(d_min, #{y > √Λ}) values active")
            return ClosedFormKind("strict saddle", degenerate, "closed form, L = 2: not the top pattern")
        degenerate = "*" in branches
        if "-" in branches:
            return ClosedFormKind("strict saddle", degenerate,
                                  "closed form, L ≥ 3: a component on the smaller root s₋")
        if skips:
            return ClosedFormKind("strict saddle", degenerate, "closed form, L ≥ 3: a larger singular value skipped")
        if degenerate:
            return ClosedFormKind("non-strict saddle", True,
                                  "closed form, L ≥ 3: top pattern with a component at the double root s*")
        glob = self.tau_glob
        above = all(y[j] >= glob * (1 - THRESHOLD_RTOL) for j in active_j)
        next_free = k == d_min or not inactive or max(inactive) <= glob * (1 + THRESHOLD_RTOL)
        if above and next_free:
            return ClosedFormKind("global minimum", False,
                                  "closed form, L ≥ 3: top pattern at s₊ activating every y > τ^glob")
        return ClosedFormKind("local minimum", False, "closed form, L ≥ 3: top pattern at s₊, not every "
                                                      "y > τ^glob active (or one ≤ τ^glob active)")

    def global_minimum_loss(self):
        """F at the global minimum: the top ``min(d_min, #{y > τ^glob})`` values active at the larger root."""
        active = []
        for j, v in enumerate(self.spectrum.y):
            if len(active) < self.d_min and v > self.tau_glob * (1 + THRESHOLD_RTOL):
                active.append((j, self._roots(v)[0].sigma))
        return self.problem.loss(self.representative(tuple(active)))

    def identify(self, W):
        """The configuration of a critical point W, from the singular values σ of ``λ_1^{1/2} W_1``.

        Each σ determines its ``y`` through (2); it is matched with the nearest unused singular value
        of Ȳ (relative tolerance 1e−5).

        Raises
        ------
        ValueError
            If some σ matches no singular value of Ȳ (W is not critical).
        """
        problem, spectrum = self.problem, self.spectrum
        W = problem.check_weights(W)
        L, tau = problem.L, self.tau
        log_mu = self._log_mu
        sigmas = np.linalg.svd(np.sqrt(problem.lambdas[0]) * W[0], compute_uv=False)
        sigmas = sigmas[sigmas > 1e-6 * sigmas[0]] if sigmas.size and sigmas[0] > 0 else []
        y_scale = max(spectrum.y[0] if spectrum.y.size else 0.0, tau)
        used, found = set(), []
        for sigma in sigmas:
            t = math.log(sigma) - 0.5 * log_mu                             # s = σ/√μ: y = s^L + μ s^{2−L}
            with np.errstate(over="ignore"):                               # y = inf: no match, said below
                y_hat = float(np.exp(np.logaddexp(L * t, log_mu + (2 - L) * t)))
            candidates = [j for j in range(spectrum.y.size) if j not in used and spectrum.y[j] > 0
                          and abs(spectrum.y[j] - y_hat) <= 1e-5 * y_scale]
            if not candidates:
                raise ValueError(f"W is not a critical point of this problem: the layer singular value "
                                 f"σ = {sigma:.6g} solves equation (2) for y = {y_hat:.6g}, which is not a "
                                 f"singular value of Ȳ")
            j = min(candidates, key=lambda i: (abs(spectrum.y[i] - y_hat), i))
            used.add(j)
            found.append((j, float(sigma), self._branch(j, sigma)))
        found.sort()
        return Configuration(tuple((j, s) for j, s, _ in found), tuple(b for _, _, b in found))

