"""Tests of dlnbook.critical: thresholds, roots of (2), the enumerated critical points and their kinds.

Every claim is checked against an independent computation (math.md §3):

* thresholds against numerical minimization / root finding written here (bisection, ``numpy.roots``);
* enumerated points against the gradient of :class:`dlnbook.Problem` (and rotated orbit elements);
* the number of configurations against a brute-force count over all assignments of roots;
* the closed-form kinds against exact Hessian inertia (:func:`classify`), the loss ordering, and long
  batched gradient-descent runs written here from the definition of the whitened loss.
"""

import itertools
import pathlib
import re
import sys

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from helpers import SETTINGS, bisect, list_norm, numerical_threshold  # noqa: E402

from dlnbook import Problem  # noqa: E402
from dlnbook import (KINDS, classify, critical_points, global_threshold, hidden_rotation_dimension,  # noqa: E402
                     orbit_dimension, require_whitened, scalar_critical_points, stationarity_roots, threshold)
from dlnbook.data import planted  # noqa: E402

pytestmark = pytest.mark.unit

FEW = settings(SETTINGS, max_examples=30)


# --- independent reference computations ------------------------------------------------------------

def positive_roots_numpy(y, L, Lam):
    """Positive real roots of σ^{2L−2} − √Λ y σ^{L−2} + Λ by numpy.roots (companion matrix)."""
    coefficients = np.zeros(2 * L - 1)
    coefficients[0] = 1.0
    coefficients[L] -= np.sqrt(Lam) * y          # the σ^{L−2} term
    coefficients[-1] += Lam
    roots = np.roots(coefficients)
    return np.sort([r.real for r in roots if abs(r.imag) <= 1e-6 * abs(r) and r.real > 0])


def scalar_energy_gain(y, L, lam):
    """F(one component active at the larger root) − F(0) for a width-1 network, via Problem.loss."""
    lam = list(lam)
    problem = Problem.from_target([[y]], widths=[1] * (L - 1), lam=lam)
    Lam = float(np.prod(lam))
    sigma = positive_roots_numpy(y, L, Lam)[-1]
    W = [np.array([[sigma / np.sqrt(l)]]) for l in lam]
    return problem.loss(W) - problem.loss(problem.zeros())


def cancellation_scale(problem, W):
    """The size of the two terms of ∇F that cancel at a critical point: ‖fit part‖ + ‖λ W‖, summed over layers."""
    G = problem.grad(W)
    return sum(np.linalg.norm(g - lam * w) + np.linalg.norm(lam * w) for g, w, lam in zip(G, W, problem.lambdas))


def batched_gd(Ybar, lambdas, dims, starts, steps):
    """Gradient descent with per-run Armijo steps on ½‖P − Ȳ‖² + Σ λ_l/2 ‖W_l‖², all starts at once.

    Written from the definition (batched matrix products), independent of dlnbook. Returns final losses.
    """
    lam = np.asarray(lambdas)
    W = [w.copy() for w in starts]
    B = W[0].shape[0]

    def loss_and_grad(W, need_grad=True):
        prefixes = [None]
        for w in W:
            prefixes.append(w if prefixes[-1] is None else w @ prefixes[-1])
        R = prefixes[-1] - Ybar
        F = 0.5 * np.sum(R * R, axis=(1, 2)) + sum(0.5 * l * np.sum(w * w, axis=(1, 2)) for l, w in zip(lam, W))
        if not need_grad:
            return F, None
        G, back = [None] * len(W), R
        for l in range(len(W) - 1, -1, -1):
            left = back if prefixes[l] is None else back @ np.swapaxes(prefixes[l], 1, 2)
            G[l] = left + lam[l] * W[l]
            back = np.swapaxes(W[l], 1, 2) @ back
        return F, G

    eta = np.full(B, 0.1)
    F, G = loss_and_grad(W)
    for _ in range(steps):
        g2 = sum(np.sum(g * g, axis=(1, 2)) for g in G)
        trial = [w - eta[:, None, None] * g for w, g in zip(W, G)]
        F_trial, _ = loss_and_grad(trial, need_grad=False)
        ok = F_trial <= F - 0.5 * eta * g2
        W = [np.where(ok[:, None, None], t, w) for t, w in zip(trial, W)]
        eta = np.where(ok, eta * 1.2, eta * 0.5)
        F, G = loss_and_grad(W)
    return F, G


# --- hypothesis: whitened problems with ties, zeros and values exactly at τ_L ---------------------

@st.composite
def whitened(draw, max_width=6, max_L=5):
    """(problem, values, L, lam): planted Ȳ whose singular values mix exact τ_L, exact τ^glob, zeros,
    repeats (ties) and generic multiples of τ_L; hidden widths can be narrower than rank Ȳ."""
    L = draw(st.integers(2, max_L))
    d0, dL = draw(st.integers(1, max_width)), draw(st.integers(1, max_width))
    widths = draw(st.lists(st.integers(1, max_width), min_size=L - 1, max_size=L - 1))
    lam = draw(st.lists(st.sampled_from([0.02, 0.05, 0.1, 0.3, 1.0]), min_size=L, max_size=L))
    tau, glob = threshold(L, lam), global_threshold(L, lam)
    values = []
    r = min(d0, dL)
    for _ in range(draw(st.integers(max(1, r - 1), r))):
        what = draw(st.sampled_from(["generic", "tau", "generic", "tie", "zero", "generic", "glob"]))
        if what == "tau":
            values.append(tau)
        elif what == "glob":
            values.append(glob)
        elif what == "zero":
            values.append(0.0)
        elif what == "tie" and values:
            values.append(values[-1])
        else:
            c = draw(st.floats(0.3, 3.0).filter(lambda c: abs(c - 1) > 1e-3 and abs(c * tau - glob) > 1e-3 * glob))
            values.append(c * tau)
    seed = draw(st.integers(0, 2**31))
    X, Y = planted(d0, dL, max(d0, 1), values, seed=seed)
    problem = Problem.from_target(Y @ X.T, widths, lam)
    return problem, values, L, lam


def root_count(value, L, lam):
    """How many positive roots (2) has, decided independently: exact ties by construction, else numpy.roots."""
    tau = threshold(L, lam)
    if value == 0.0:
        return 0
    if value == tau or (L == 2 and value == global_threshold(L, lam)):    # τ^glob = τ_2 for L = 2
        return 0 if L == 2 else 1
    return len(positive_roots_numpy(value, L, float(np.prod(lam))))


def brute_force_count(values, L, lam, d_min):
    """Number of orbits: assign every singular value a choice (inactive or one of its roots), keep those
    with at most d_min active, and identify assignments with the same multiset of (value, root)."""
    choices = [range(root_count(v, L, lam) + 1) for v in values]
    orbits = set()
    for assignment in itertools.product(*choices):
        active = [(v, c) for v, c in zip(values, assignment) if c > 0]
        if len(active) <= d_min:
            orbits.add(tuple(sorted(active)))
    return len(orbits)


# --- thresholds and roots --------------------------------------------------------------------------

@pytest.mark.parametrize("L", range(2, 9))
def test_thresholds_match_numerical_root_finding(L):
    for lam in ([0.1] * L, list(np.linspace(0.05, 0.5, L)), [1.0] * L, [2.0] * L):
        Lam = float(np.prod(lam))
        tau = threshold(L, lam)
        assert abs(tau - numerical_threshold(L, Lam)) <= 1e-10 * tau
        # just below τ_L no positive root, just above two (L ≥ 3) or one (L = 2)
        assert len(positive_roots_numpy(tau * (1 - 1e-6), L, Lam)) == 0
        assert len(positive_roots_numpy(tau * (1 + 1e-4), L, Lam)) == (1 if L == 2 else 2)
        # τ^glob: where activating one component at its larger root stops/starts lowering F
        glob = global_threshold(L, lam)
        lo, hi = tau * (1 + 1e-3), 10 * glob
        assert scalar_energy_gain(lo, L, lam) > 0 or L == 2
        assert scalar_energy_gain(hi, L, lam) < 0
        if L > 2:
            found = bisect(lambda y: scalar_energy_gain(y, L, lam), lo, hi, iterations=80)
            assert abs(found - glob) <= 1e-10 * glob
            assert glob > tau
        else:
            assert glob == pytest.approx(tau, rel=1e-15)
        # only the product Λ matters
        assert threshold(L, Lam ** (1 / L)) == pytest.approx(tau, rel=1e-13)


def test_threshold_coefficients():
    expected = {2: 1.0, 3: 1.754765, 4: 1.889882, 5: 1.937819, 6: 1.960132}
    for L, c in expected.items():
        assert threshold(L, 1.0) == pytest.approx(c, abs=1e-6)
    for L, c in {3: 2.0, 4: 2.381102, 5: 2.649351, 6: 2.871746}.items():
        assert global_threshold(L, 1.0) == pytest.approx(c, abs=1e-6)


@FEW
@given(L=st.integers(2, 8), lam=st.floats(0.01, 2.0), c=st.floats(0.0, 4.0))
@example(L=3, lam=0.1, c=1.0)             # at the double root, and just beside it on both sides
@example(L=4, lam=0.3, c=1.0005)
@example(L=5, lam=0.7, c=0.9995)
@example(L=2, lam=0.5, c=1.0005)
def test_stationarity_roots_match_numpy_roots(L, lam, c):
    Lam = lam ** L
    tau = threshold(L, lam)
    y = c * tau
    roots = stationarity_roots(y, L, lam)
    assert roots[0] == 0.0 and np.all(np.diff(roots) > 0)
    for sigma in roots[1:]:
        residual = sigma ** (2 * L - 2) - np.sqrt(Lam) * y * sigma ** (L - 2) + Lam
        assert abs(residual) <= 1e-12 * (sigma ** (2 * L - 2) + Lam)
    if abs(c - 1) >= 1e-3:
        np.testing.assert_allclose(roots[1:], positive_roots_numpy(y, L, Lam), rtol=1e-7)
    else:
        # near the double root numpy's roots split into a complex pair: count the roots instead, two
        # above τ_L, one (the double root) at it, none below (for L = 2: one above √Λ, none at or below)
        at = abs(y - tau) <= 1e-10 * tau
        expected = (1 if y > tau and not at else 0) if L == 2 else (1 if at else 2 if y > tau else 0)
        assert len(roots) - 1 == expected


@pytest.mark.parametrize("L", range(3, 9))
def test_double_root_listed_once(L):
    lam = [0.1 * (l + 1) for l in range(L)]
    tau = threshold(L, lam)
    roots = stationarity_roots(tau, L, lam)
    assert len(roots) == 2
    Lam = float(np.prod(lam))
    mu = Lam ** (1 / L)
    # at the double root s*^{2L−2} = μ (L−2)/L, with σ = s √μ
    assert roots[1] == pytest.approx(np.sqrt(mu) * (mu * (L - 2) / L) ** (1 / (2 * L - 2)), rel=1e-13)
    # and it is a root of (2) and of its derivative
    sigma = roots[1]
    value = sigma ** (2 * L - 2) - np.sqrt(Lam) * tau * sigma ** (L - 2) + Lam
    slope = (2 * L - 2) * sigma ** (2 * L - 3) - (L - 2) * np.sqrt(Lam) * tau * sigma ** (L - 3)
    assert abs(value) <= 1e-12 * Lam and abs(slope) <= 1e-10 * Lam / sigma


def test_two_layer_roots_soft_threshold():
    assert stationarity_roots(1.0, 2, 1.0).tolist() == [0.0]          # y = √Λ: no positive root
    np.testing.assert_allclose(stationarity_roots(3.0, 2, [0.5, 2.0]), [0.0, np.sqrt(2.0)], rtol=1e-15)


# --- the enumeration -----------------------------------------------------------------------------

@settings(SETTINGS, max_examples=80)
@given(case=whitened(), seed=st.integers(0, 1000))
def test_every_enumerated_point_is_critical(case, seed):
    problem, values, L, lam = case
    records = critical_points(problem)
    rotated = critical_points(problem, seed=seed)
    assert len(records) == len(rotated) >= 1
    assert all(np.all(w == 0) for w in records[0].W)
    for p, q in zip(records, rotated):
        for W in (p.W, q.W):
            assert list_norm(problem.grad(W)) <= 1e-9 * cancellation_scale(problem, W)
        assert q.active == p.active and q.kind == p.kind and q.degenerate == p.degenerate
        assert abs(q.loss - p.loss) <= 1e-10 * (abs(p.loss) + 1)
        assert p.kind in KINDS
        # layer l's singular values are λ_l^{-1/2} σ, in every layer, for the rotated element too
        sigmas = np.sort([s for _, s in q.active])[::-1]
        for lam, w in zip(problem.lambdas, q.W):
            s = np.linalg.svd(w, compute_uv=False)
            np.testing.assert_allclose(s[:len(sigmas)], sigmas / np.sqrt(lam), rtol=1e-9, atol=1e-12)
            assert np.all(s[len(sigmas):] <= 1e-9 * max(1.0, s[0]))
    # a rotated element is not the representative (when the orbit is not a point)
    if any(p.active for p in records) and max(problem.dims[1:-1]) > 1:
        assert any(not all(np.allclose(a, b) for a, b in zip(p.W, q.W)) for p, q in zip(records, rotated) if p.active)


@settings(SETTINGS, max_examples=80)
@given(case=whitened())
def test_number_of_configurations_matches_brute_force(case):
    problem, values, L, lam = case
    records = critical_points(problem)
    assert len(records) == brute_force_count(values, L, lam, min(problem.dims))
    # distinct records are distinct orbits: the multiset of (y_j, σ) differs
    y = np.linalg.svd(problem.target, compute_uv=False)
    keys = {tuple(sorted((round(y[j], 8), round(s, 8)) for j, s in p.active)) for p in records}
    assert len(keys) == len(records)


@FEW
@given(case=whitened(max_width=4, max_L=4), pick=st.integers(0, 2**31))
def test_classify_agrees_with_the_enumeration(case, pick):
    problem, values, L, lam = case
    records = critical_points(problem, seed=pick)
    rng = np.random.default_rng(pick)
    chosen = [p for p in records if p.degenerate or "minimum" in p.kind]
    others = [p for p in records if p not in chosen]
    chosen += [others[i] for i in rng.permutation(len(others))[:6]]
    for p in chosen[:14]:
        result = classify(problem, p.W)
        assert result.kind == p.kind, (p, result)
        assert result.degenerate == p.degenerate, (p, result)
        assert result.orbit_dim == orbit_dimension(problem, p.W)
        if not p.degenerate:        # Morse–Bott: the Hessian kernel is exactly the orbit's tangent space
            assert result.nullity == result.orbit_dim
        else:
            assert result.nullity > result.orbit_dim
        assert (result.n_negative > 0) == (p.kind == "strict saddle")


@settings(SETTINGS, max_examples=80)
@given(case=whitened())
def test_global_minimum_has_the_lowest_loss(case):
    problem, values, L, lam = case
    records = critical_points(problem)
    best = min(p.loss for p in records)
    scale = 1e-9 * (abs(best) + 0.5 * np.sum(problem.target ** 2) + 1e-300)
    glob = [p for p in records if p.kind == "global minimum"]
    assert glob, "every problem has a global minimum"
    for p in records:
        assert (p.kind == "global minimum") == (p.loss <= best + scale), p
    # at L = 2 the local minima form one orbit; for L ≥ 3 the origin is a minimum, spurious iff y_1 > τ^glob
    if L == 2:
        assert not any(p.kind == "local minimum" for p in records)
    else:
        y1 = max(values, default=0.0)
        assert records[0].kind == ("local minimum" if y1 > global_threshold(L, lam) * (1 + 1e-9)
                                   else "global minimum")


# --- fixed instances: degenerate points, gradient descent, W = 0 ------------------------------------

def planted_problem(values, widths, lam, d0=None, dL=None, seed=0):
    d0 = d0 or len(values)
    dL = dL or len(values)
    X, Y = planted(d0, dL, d0, values, seed=seed)
    return Problem.from_target(Y @ X.T, widths, lam)


def test_degenerate_points_at_tau_L_three_layers():
    lam = 0.2
    tau = threshold(3, lam)
    problem = planted_problem([2.5 * tau, tau, 0.5 * tau], [3, 3], lam)
    records = critical_points(problem)
    star = [p for p in records if "*" in p.branches]
    assert star and all(p.degenerate for p in star)
    assert all(not p.degenerate for p in records if "*" not in p.branches)
    top = [p for p in star if p.branches == ("+", "*")]
    assert len(top) == 1 and top[0].kind == "non-strict saddle"
    result = classify(problem, top[0].W)
    assert result.kind == "non-strict saddle" and result.n_negative == 0 and result.nullity > result.orbit_dim
    assert "closed form" in result.rule
    # a non-strict saddle, not a minimum: moving σ* down in all layers at once lowers F (cubic inflection)
    # (and raising it raises F: F is monotone through σ*, an inflection along this curve)
    j, sigma = top[0].active[1]

    def moved(t):
        W = [w.copy() for w in top[0].W]
        for l, w in enumerate(W):
            factor = (sigma + t) / sigma
            if l == 0:
                w[1, :] *= factor
            elif l == problem.L - 1:
                w[:, 1] *= factor
            else:
                w[1, 1] *= factor
        return problem.loss(W)

    assert moved(-1e-2) < top[0].loss < moved(1e-2)


def test_degenerate_points_at_threshold_two_layers():
    lam = [0.5, 2.0]                            # √Λ = 1
    problem = planted_problem([3.0, 1.0], [2], lam)
    records = critical_points(problem)
    assert [p.branches for p in records] == [(), ("+",)]
    origin, top = records
    assert origin.degenerate and origin.kind == "strict saddle"     # y_1 = 3 > √Λ makes 0 a saddle
    assert top.degenerate and top.kind == "global minimum"           # a free slot meets y_2 = √Λ
    for p in records:
        result = classify(problem, p.W)
        assert (result.kind, result.degenerate) == (p.kind, True)
    # without the free slot the global minimum is nondegenerate
    narrow = planted_problem([3.0, 1.0], [1], lam)
    assert [p.degenerate for p in critical_points(narrow)] == [True, False]
    # y_1 = √Λ: the origin is a degenerate global minimum
    only = planted_problem([1.0], [3], lam)
    (origin,) = critical_points(only)
    assert (origin.kind, origin.degenerate) == ("global minimum", True)
    assert classify(only, origin.W).rule.startswith("degenerate")


def test_tied_values_across_the_width_cutoff():
    lam = 0.1
    tau = threshold(3, lam)
    problem = planted_problem([2 * tau, 2 * tau, 2 * tau], [2, 2], lam)
    records = critical_points(problem)
    # one group of three tied values, two roots, at most two active: 1 + 2 + 3 orbits
    assert len(records) == 6
    assert sum(p.kind == "global minimum" for p in records) == 1


@pytest.mark.parametrize("values, widths, lam", [
    ([2.0, 1.2, 0.4], [3, 3], 0.3),                 # L = 3, spurious minimum at 0 and a local minimum
    ([1.5, 1.5, 0.0], [2, 1, 2], 0.2),              # L = 4, tie, zero, bottleneck of width 1
    ([2.0, 0.9], [1], [0.5, 1.0]),                  # L = 2, bottleneck
])
def test_gradient_descent_never_beats_the_global_minimum(values, widths, lam):
    problem = planted_problem(values, widths, lam, seed=3)
    records = critical_points(problem)
    best = min(p.loss for p in records if p.kind == "global minimum")
    assert best == min(p.loss for p in records)
    rng = np.random.default_rng(0)
    # 20 starts: 14 at the usual scale, 6 close to the origin (for L ≥ 3 these find its basin)
    scales = np.array([1.0] * 14 + [0.1] * 6)[:, None, None]
    starts = [scales * rng.normal(scale=1.0 / np.sqrt(cols), size=(20, rows, cols)) for rows, cols in problem.shapes]
    F, G = batched_gd(problem.target, problem.lambdas, problem.dims, starts, steps=3000)
    constant = problem.loss(problem.zeros()) - 0.5 * np.sum(problem.target ** 2)
    F = F + constant                                  # GD minimizes F up to the constant of the whitened form
    assert np.all(F >= best - 1e-10 * abs(best))
    assert np.min(F) <= best + 1e-8 * abs(best), "some start should reach the global minimum"
    # every converged run stopped at the loss of an enumerated critical point
    losses = np.array([p.loss for p in records])
    gnorm = np.sqrt(sum(np.sum(g * g, axis=(1, 2)) for g in G))
    converged = gnorm < 1e-6          # Armijo stalls near 1e-8, where decreases fall below rounding
    assert converged.sum() >= 15
    for value in F[converged]:
        assert np.min(np.abs(losses - value)) <= 1e-9 * abs(value)


@FEW
@given(L=st.integers(3, 5), data=st.data())
def test_zero_is_a_strict_local_minimum_for_L_at_least_3(L, data):
    lam = data.draw(st.lists(st.floats(1e-3, 2.0), min_size=L, max_size=L))
    big = data.draw(st.floats(0.1, 50.0))
    problem = planted_problem([big, big / 2], [2] * (L - 1), lam, seed=1)
    zero = problem.zeros()
    H = problem.hessian(zero)
    eigenvalues = np.linalg.eigvalsh(H)
    expected = np.sort(np.concatenate([np.full(rows * cols, l) for l, (rows, cols) in zip(lam, problem.shapes)]))
    np.testing.assert_allclose(eigenvalues, expected, rtol=1e-12)
    result = classify(problem, zero)
    glob = global_threshold(L, lam)
    assert result.kind == ("local minimum" if big > glob else "global minimum")
    assert result.n_negative == 0 and result.nullity == 0 and result.orbit_dim == 0
    assert critical_points(problem)[0].kind == result.kind


def test_orbit_dimension_at_a_nondegenerate_point():
    # L = 3, widths (3, 3), one active component with y_1 distinct and nonzero: hidden rotations move it
    # in 2 + 2 directions, the stabilizer of Ȳ (rank 3, distinct values) is finite: dimension 4
    problem = planted_problem([2.0, 1.0, 0.5], [3, 3], 0.3)
    p = critical_points(problem)[1]
    assert len(p.active) == 1 and orbit_dimension(problem, p.W) == 4
    # a zero singular value adds rotations of the null spaces; a tie adds a common rotation
    tied = planted_problem([2.0, 2.0, 0.0], [3, 3], 0.3)
    q = [p for p in critical_points(tied) if p.branches == ("+",)][0]
    # hidden: 2 + 2; stabilizer: the tie (1) and the null spaces (0 + 0, each 1-dimensional):
    # the tie rotation moves the active pair into the inactive one, 1 more direction
    assert orbit_dimension(tied, q.W) == 5


# --- bad input -----------------------------------------------------------------------------------

def test_non_whitened_problem_is_refused_with_advice():
    rng = np.random.default_rng(0)
    problem = Problem(rng.normal(size=(3, 10)), rng.normal(size=(2, 10)), widths=[2], lam=0.1)
    for call in (lambda: critical_points(problem), lambda: classify(problem, problem.zeros()),
                 lambda: require_whitened(problem), lambda: orbit_dimension(problem, problem.zeros())):
        with pytest.raises(ValueError) as info:
            call()
        assert "X Xᵀ = I" in str(info.value) and "dlnbook.data.whiten" in str(info.value)
    # scaled-whitened (X Xᵀ = 2 I) is not whitened either
    X, Y = planted(2, 2, 5, [1.0], seed=0)
    with pytest.raises(ValueError):
        require_whitened(Problem(np.sqrt(2) * X, Y, [2], 0.1))
    assert require_whitened(Problem(X, Y, [2], 0.1)) is not None


@pytest.mark.parametrize("call, exception, pattern", [
    (lambda: threshold(1, 0.1), ValueError, r"L must be at least 2"),
    (lambda: threshold(0, 0.1), ValueError, r"\bL\b"),
    (lambda: threshold(2.5, 0.1), TypeError, r"\bL\b"),
    (lambda: threshold(3, [0.1, 0.2]), ValueError, r"lam.*3"),
    (lambda: threshold(3, -0.1), ValueError, r"lam"),
    (lambda: global_threshold(1, 0.1), ValueError, r"L must be at least 2"),
    (lambda: global_threshold(3, "a"), TypeError, r"lam"),
    (lambda: stationarity_roots(-1.0, 3, 0.1), ValueError, r"\by\b.*>= 0"),
    (lambda: stationarity_roots("1", 3, 0.1), TypeError, r"\by\b"),
    (lambda: stationarity_roots(1.0, 1, 0.1), ValueError, r"L must be at least 2"),
    (lambda: stationarity_roots(np.nan, 3, 0.1), ValueError, r"\by\b"),
    (lambda: critical_points("problem"), TypeError, r"problem"),
    (lambda: critical_points(Problem.from_target([[1.0]], [1], 0.1), seed=1.5), TypeError, r"seed"),
    (lambda: critical_points(Problem.from_target([[1.0]], [1], 0.1), seed=True), TypeError, r"seed"),
    (lambda: critical_points(Problem.from_target(np.diag([5.0, 4.0, 3.0, 2.0]), [4, 4], 0.1), max_configurations=10),
     ValueError, r"81.*max_configurations"),
    (lambda: classify(Problem.from_target([[1.0]], [1], 0.1), [np.ones((1, 1)), np.ones((1, 1))]),
     ValueError, r"not a critical point"),
    (lambda: classify(Problem.from_target([[1.0]], [1], 0.1), [np.ones((2, 1))]), ValueError, r"2 layers"),
    (lambda: Problem.from_target([[1.0]], [0], 0.1), ValueError, r"widths\[0\]"),
])
def test_bad_input(call, exception, pattern):
    with pytest.raises(exception) as info:
        call()
    assert re.search(pattern, str(info.value)), str(info.value)


@pytest.mark.parametrize("lam, y", [(0.5, 2.0), (0.5, -2.0), (0.5, 0.3), (0.5, -0.5), (0.5, 0.5), (1.2, 3.0)])
def test_scalar_example_kinds_are_those_of_classify(lam, y):
    points, kinds, degenerate = scalar_critical_points(lam, y)
    problem = Problem.from_target([[y]], widths=[1], lam=lam)
    for (a, b), kind, flat in zip(points, kinds, degenerate):
        W = [np.array([[a]]), np.array([[b]])]
        assert list_norm(problem.grad(W)) <= 1e-12
        result = classify(problem, W)
        assert (result.kind, result.degenerate) == (kind, flat)
    # every critical point is listed: as many as the closed form has orbit elements for a 1×1 target
    assert len(points) == (3 if abs(y) > lam else 1)


def test_hidden_rotations_are_the_whole_orbit_when_the_stabilizer_is_trivial():
    # distinct nonzero singular values and a square, full-rank Ȳ: Stab(Ȳ) adds no direction
    X, Y = planted(3, 3, 20, [2.0, 1.5, 1.0], seed=4)
    problem = Problem(X, Y, widths=[4, 3], lam=0.1)
    for W in [problem.random_weights(seed=s) for s in range(3)] + [p.W for p in critical_points(problem, seed=1)]:
        assert hidden_rotation_dimension(problem, W) == orbit_dimension(problem, W)
    W = problem.random_weights(seed=0)
    assert hidden_rotation_dimension(problem, W) == 4 * 3 // 2 + 3 * 2 // 2     # all of O(4) × O(3)


def test_hidden_rotations_need_no_whitened_data():
    rng = np.random.default_rng(0)
    problem = Problem(rng.normal(size=(3, 10)), rng.normal(size=(2, 10)), widths=[4], lam=0.1)
    assert hidden_rotation_dimension(problem, problem.random_weights(seed=0)) == 6
    with pytest.raises(ValueError):
        hidden_rotation_dimension(problem, [np.zeros((4, 3))])
