"""Tests of dlnbook.errorbound: the condition, the bracket of the distance, the ratio and κ estimates.

Every claim is checked against something computed independently here (math.md §3, §4):

* the threshold condition against a threshold found by bisection on the minimum of ``h`` (not
  ``dlnbook.threshold``), on both sides of it and at it;
* the bracket of the distance against a known orbit element: its distance to the input is the size
  of the perturbation; to first order the true distance is the perturbation's component normal to the
  orbit, computed from a tangent space built here from the group's generators; for singular-value
  moves the true distance is known exactly;
* Mirsky's lower bound against the distance to many explicit critical points;
* the bounded ratio at nondegenerate points against ``1 / h_min`` from the exact Hessian's eigenvalues;
* the blow-up at thresholds against the predicted log–log slopes (−1 for L ≥ 3, −2 for L = 2);
* the Hessian kernel against the orbit's tangent space, and the predicted extra kernel directions.
"""

import pathlib
import re
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from helpers import SETTINGS, flat, haar, list_norm, numerical_threshold, random_direction  # noqa: E402

from dlnbook import Problem, critical_points, threshold  # noqa: E402
from dlnbook.critical import hessian_null_tolerance, orbit_tangent_basis  # noqa: E402
from dlnbook.data import planted  # noqa: E402
from dlnbook.distance import distance_to_critical_set  # noqa: E402
from dlnbook.errorbound import error_bound_holds, error_bound_ratio, estimate_error_bound, normal_hessian  # noqa: E402
from dlnbook.scalar import THRESHOLD_RTOL  # noqa: E402

pytestmark = pytest.mark.unit


# --- independent computations --------------------------------------------------------------------

def skew(n):
    """A basis of the n×n skew-symmetric matrices: the eigenvectors of eigenvalue 1 of the orthogonal
    projection A ↦ (A − Aᵀ)/2, written as an n²×n² matrix acting on row-major vectors."""
    if n < 2:
        return []
    units = np.eye(n * n).reshape(n * n, n, n)
    projection = np.array([(E - E.T).reshape(-1) / 2 for E in units]).T
    values, vectors = np.linalg.eigh(projection)
    return [v.reshape(n, n) for v in vectors[:, values > 0.5].T]


def tangent_space(problem, W, tie=1e-9):
    """Orthonormal basis of the orbit's tangent space, from the group's generators (written here)."""
    L, dims = problem.L, problem.dims
    U, y, Vt = np.linalg.svd(problem.B)
    V = Vt.T
    rank = int(np.sum(y > tie * max(y[0], 1e-300)))
    vecs = []

    def push(parts):
        vecs.append(flat(parts))

    for l in range(1, L):                     # hidden unit layer l: W_l → R W_l, W_{l+1} → W_{l+1} Rᵀ
        for A in skew(dims[l]):
            parts = [np.zeros_like(w) for w in W]
            parts[l - 1] = A @ W[l - 1]
            parts[l] = -W[l] @ A
            push(parts)
    start = 0
    while start < rank:                       # tied groups: a common rotation of u's and v's
        stop = start + 1
        while stop < rank and y[start] - y[stop] <= tie * y[0]:
            stop += 1
        for E in skew(stop - start):
            parts = [np.zeros_like(w) for w in W]
            parts[-1] = parts[-1] + U[:, start:stop] @ E @ U[:, start:stop].T @ W[-1]
            parts[0] = parts[0] - W[0] @ V[:, start:stop] @ E @ V[:, start:stop].T
            push(parts)
        start = stop
    for E in skew(dims[-1] - rank):           # null spaces, independently on each side
        parts = [np.zeros_like(w) for w in W]
        parts[-1] = U[:, rank:] @ E @ U[:, rank:].T @ W[-1]
        push(parts)
    for E in skew(dims[0] - rank):
        parts = [np.zeros_like(w) for w in W]
        parts[0] = -W[0] @ V[:, rank:] @ E @ V[:, rank:].T
        push(parts)
    if not vecs:
        return np.zeros((problem.n_params, 0))
    Q, s, _ = np.linalg.svd(np.array(vecs).T, full_matrices=False)
    return Q[:, s > 1e-9 * max(list_norm(W), 1e-300)]


def mirsky(problem, W, points):
    """min over the configurations of (Σ_l ‖s(W_l) − s_l‖²)^{1/2}, s_l the layer singular values σ/√λ_l."""
    best = np.inf
    for p in points:
        total = 0.0
        for Wl, lam in zip(W, problem.lambdas):
            s = np.linalg.svd(Wl, compute_uv=False)
            target = np.zeros_like(s)
            sig = np.sort([sigma for _, sigma in p.active])[::-1] / np.sqrt(lam)
            target[:sig.size] = sig
            total += float(np.sum((s - target) ** 2))
        best = min(best, np.sqrt(total))
    return best


def hessian_kernel(problem, W):
    H = problem.hessian(W)
    values, vectors = np.linalg.eigh(H)
    tol = hessian_null_tolerance(H, values, orbit_tangent_basis(problem, W), problem.L)
    return vectors[:, np.abs(values) <= tol], values


def instance(L, values, widths, lam, d0=None, dL=None, seed=0):
    d0 = d0 or len(values)
    dL = dL or len(values)
    X, Y = planted(d0, dL, d0 + 2, values, seed=seed)
    return Problem(X, Y, widths=widths, lam=lam)


# Nondegenerate instances: no singular value within 10% of τ_L. Ties, zero singular values,
# non-square targets, bottlenecks and unequal λ included.
NONDEGENERATE = {
    "L2 ties": lambda: instance(2, [2.0, 2.0, 0.9], [3], [0.3, 0.6]),
    "L3 square": lambda: instance(3, [2.0, 1.3, 0.4], [3, 3], 0.2),
    "L3 ties, wide": lambda: instance(3, [1.5, 1.5, 0.0], [4, 3], [0.1, 0.2, 0.4], d0=4, dL=3),
    "L3 bottleneck": lambda: instance(3, [2.0, 1.2, 0.9], [3, 1], 0.15),
    "L4 square": lambda: instance(4, [2.5, 1.9], [2, 2, 2], 0.3),
}


def threshold_instance(L, lam=0.3, widths=None, seed=1):
    """y = (2.5 τ_L, τ_L), the second singular value exactly at the threshold."""
    tau = threshold(L, lam)
    return instance(L, [2.5 * tau, tau], widths or [2] * (L - 1), lam, seed=seed)


# --- the condition -------------------------------------------------------------------------------

@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_error_bound_holds_false_exactly_at_the_threshold(L):
    lam = [0.1, 0.3, 0.2, 0.4, 0.5][:L]
    Lam = float(np.prod(lam))
    tau = numerical_threshold(L, Lam)
    for factor, expected in [(0.5, True), (1 - 1e-6, True), (1.0, False), (1 + 1e-6, True), (2.0, True)]:
        problem = instance(L, [3.0 * tau, factor * tau, 0.2 * tau], [3] * (L - 1), lam)
        result = error_bound_holds(problem)
        assert result.holds is expected and bool(result) is expected
        assert np.isclose(result.tau, tau, rtol=1e-9, atol=0)
        if expected:
            assert result.offending == ()
        else:
            assert len(result.offending) == 1 and np.isclose(result.offending[0], tau, rtol=1e-9, atol=0)


def test_threshold_ties_are_decided_with_the_documented_tolerance():
    tau = threshold(3, 0.2)
    inside = instance(3, [2.0, tau * (1 + 0.5 * THRESHOLD_RTOL)], [2, 2], 0.2)
    outside = instance(3, [2.0, tau * (1 + 100 * THRESHOLD_RTOL)], [2, 2], 0.2)
    assert not error_bound_holds(inside)
    assert error_bound_holds(outside)


def test_error_bound_holds_depends_on_lambda_only_through_the_product():
    tau = threshold(3, [0.1, 0.2, 0.4])
    for lam in ([0.1, 0.2, 0.4], [0.2, 0.2, 0.2], [0.8, 0.05, 0.2]):
        assert not error_bound_holds(instance(3, [1.0 + tau, tau], [2, 2], lam))


# --- the bracket of the distance -----------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(NONDEGENERATE))
def test_bracket_around_rotated_critical_points(name):
    """lower ≤ true ≤ upper ≤ ‖E‖, upper ≈ ‖E normal to the orbit‖, the witness is on the right orbit."""
    problem = NONDEGENERATE[name]()
    rng = np.random.default_rng(7)
    size = 1e-5
    for p in critical_points(problem, seed=11):
        E = [size * d for d in random_direction(problem, rng)]
        W = [a + b for a, b in zip(p.W, E)]
        lower, upper, witness = distance_to_critical_set(problem, W)
        assert witness.active == p.active and witness.branches == p.branches
        assert list_norm(problem.grad(witness.W)) <= 1e-12 * max(1.0, list_norm(witness.W))
        assert np.isclose(list_norm([a - b for a, b in zip(W, witness.W)]), upper, rtol=1e-12, atol=0)
        assert 0 <= lower <= upper <= size * (1 + 1e-9)
        assert np.isclose(lower, min(mirsky(problem, W, critical_points(problem)), upper), rtol=1e-9, atol=0)
        T = tangent_space(problem, p.W)
        e = flat(E)
        normal = float(np.linalg.norm(e - T @ (T.T @ e)))     # the true distance, to first order
        assert abs(upper - normal) <= 1e-3 * size
        assert lower <= normal + 1e-3 * size


@pytest.mark.parametrize("name", sorted(NONDEGENERATE))
def test_rotated_critical_points_are_found_exactly(name):
    problem = NONDEGENERATE[name]()
    for p in critical_points(problem, seed=3):
        lower, upper, witness = distance_to_critical_set(problem, p.W)
        assert upper <= 1e-10 * max(1.0, list_norm(p.W))
        assert witness.active == p.active


@pytest.mark.parametrize("name", sorted(NONDEGENERATE))
def test_bracket_is_tight_for_singular_value_moves(name):
    """Move only the layers' singular values of a representative, then rotate: Mirsky is exact."""
    problem = NONDEGENERATE[name]()
    rng = np.random.default_rng(5)
    L, dims = problem.L, problem.dims
    for p in critical_points(problem):
        k = len(p.active)
        moves = [np.zeros(shape) for shape in problem.shapes]
        for l, (rows, cols) in enumerate(problem.shapes):
            if k == 0:
                continue
            delta = rng.uniform(-1e-4, 1e-4, size=k)
            if l == 0:                       # W_1 = Σ_i σ_i λ_1^{-1/2} e_i v_iᵀ: move along its rows
                rows_ = p.W[0][:k]
                moves[0][:k] = delta[:, None] * rows_ / np.linalg.norm(rows_, axis=1, keepdims=True)
            elif l == L - 1:
                cols_ = p.W[-1][:, :k]
                moves[-1][:, :k] = cols_ / np.linalg.norm(cols_, axis=0, keepdims=True) * delta
            else:
                moves[l][np.arange(k), np.arange(k)] = delta
        if L >= 3 and min(dims[1], dims[2]) > k:  # an inactive slot of layer 2 moves from 0 to a positive value
            moves[1][k, k] = 7e-5
        expected = list_norm(moves)
        if expected == 0:
            continue
        W = [a + b for a, b in zip(p.W, moves)]
        Q = [np.eye(dims[0])] + [haar(rng, d) for d in dims[1:-1]] + [np.eye(dims[-1])]
        W = [Q[l + 1] @ W[l] @ Q[l].T for l in range(L)]      # a random hidden rotation
        lower, upper, _ = distance_to_critical_set(problem, W)
        assert upper / lower <= 1 + 1e-6
        assert abs(upper - expected) <= 1e-6 * expected
        assert abs(lower - expected) <= 1e-9 * expected


def test_lower_bound_never_exceeds_the_distance_to_an_explicit_critical_point():
    problem = NONDEGENERATE["L3 ties, wide"]()
    rng = np.random.default_rng(2)
    points = [p for seed in range(4) for p in critical_points(problem, seed=seed)]
    for trial in range(6):
        W = [rng.normal(scale=0.6, size=shape) for shape in problem.shapes]
        lower, upper, witness = distance_to_critical_set(problem, W)
        distances = [list_norm([a - b for a, b in zip(W, p.W)]) for p in points]
        assert lower <= min(distances) + 1e-12
        assert np.isclose(lower, mirsky(problem, W, critical_points(problem)), rtol=1e-9, atol=0)
        assert lower < 0.99 * upper                     # far from the critical set: a true gap
        assert upper <= min(distances) + 1e-12          # aligning beats random orbit elements
        assert list_norm(problem.grad(witness.W)) <= 1e-12 * max(1.0, list_norm(witness.W))


@given(seed=st.integers(0, 2**32 - 1), L=st.integers(2, 4), k=st.integers(1, 3),
       width=st.integers(1, 4), lam=st.floats(0.05, 0.5))
@SETTINGS
def test_bracket_property(seed, L, k, width, lam):
    rng = np.random.default_rng(seed)
    values = np.sort(rng.uniform(0.0, 3.0, size=k))[::-1]
    problem = instance(L, values, [width] * (L - 1), lam, d0=k + 1, dL=k, seed=seed % 1000)
    points = critical_points(problem, seed=seed % 97)
    p = points[rng.integers(len(points))]
    size = 10.0 ** rng.uniform(-6, -3)
    E = [size * d for d in random_direction(problem, rng)]
    W = [a + b for a, b in zip(p.W, E)]
    lower, upper, witness = distance_to_critical_set(problem, W)
    assert 0 <= lower <= upper <= size * (1 + 1e-9)
    assert list_norm(problem.grad(witness.W)) <= 1e-11 * max(1.0, list_norm(witness.W))


# --- the ratio -----------------------------------------------------------------------------------

def test_error_bound_ratio_is_the_bracket_over_the_gradient_list_norm():
    problem = NONDEGENERATE["L3 square"]()
    rng = np.random.default_rng(0)
    p = critical_points(problem, seed=1)[4]
    W = [a + 1e-3 * d for a, d in zip(p.W, random_direction(problem, rng))]
    ratio = error_bound_ratio(problem, W)
    lower, upper, _ = distance_to_critical_set(problem, W)
    g = list_norm(problem.grad(W))
    assert np.isclose(ratio.grad_norm, g, rtol=1e-14, atol=0)
    assert np.isclose(ratio.upper, upper / g, rtol=1e-12, atol=0)
    assert np.isclose(ratio.lower, lower / g, rtol=1e-12, atol=0)


# --- κ around nondegenerate points: bounded ----------------------------------------------------------

@pytest.mark.parametrize("name", ["L2 ties", "L3 square", "L3 bottleneck", "L4 square"])
def test_ratio_stays_bounded_at_nondegenerate_points(name):
    problem = NONDEGENERATE[name]()
    assert error_bound_holds(problem)
    radii = np.logspace(-2, -6, 5)                       # four decades
    points = critical_points(problem, seed=4)
    chosen = [points[0], next(p for p in points if "saddle" in p.kind),
              next(p for p in points if p.kind == "global minimum")]
    for p in chosen:
        estimate = estimate_error_bound(problem, p.W, radii, n_random=3, seed=1)
        H = problem.hessian(p.W)
        eigenvalues = np.linalg.eigvalsh(H)
        tol = hessian_null_tolerance(H, eigenvalues, orbit_tangent_basis(problem, p.W), problem.L)
        h_min = float(np.min(np.abs(eigenvalues[np.abs(eigenvalues) > tol])))
        assert estimate.kernel_normal_dim == 0
        assert np.isclose(estimate.h_min, h_min, rtol=1e-8, atol=0)
        kappa = estimate.kappa
        assert np.max(kappa) / np.min(kappa) <= 1.05             # bounded over four decades
        assert abs(estimate.worst[-1, 0] * h_min - 1) <= 1e-3   # → 1 / h_min along its eigenvector
        assert np.all(estimate.random[-2:] <= (1 + 1e-3) / h_min)
        assert abs(estimate.slope()) <= 0.02
        assert np.all(estimate.kappa_lower <= kappa)


# --- κ at threshold instances: the predicted blow-up --------------------------------------------------

@pytest.mark.parametrize("L, predicted", [(2, -2.0), (3, -1.0), (4, -1.0)])
def test_ratio_blows_up_with_the_predicted_power_at_thresholds(L, predicted):
    problem = threshold_instance(L)
    assert not error_bound_holds(problem)
    radii = np.logspace(-1, -4, 7) if L == 2 else np.logspace(-2, -6, 9)
    degenerate = [p for p in critical_points(problem, seed=6) if p.degenerate]
    assert degenerate
    for p in degenerate:
        estimate = estimate_error_bound(problem, p.W, radii, n_random=2, seed=3)
        assert estimate.kernel_normal_dim >= 1
        worst = np.max(estimate.worst, axis=1)
        slope = np.polyfit(np.log(radii), np.log(worst), 1)[0]
        assert abs(slope - predicted) <= 0.15
        assert np.isclose(estimate.slope("worst"), slope, rtol=1e-12, atol=0)
        # the certified lower end grows too: the blow-up is real, not an artefact of the alignment
        lower_slope = np.polyfit(np.log(radii), np.log(np.max(estimate.worst_lower, axis=1)), 1)[0]
        assert abs(lower_slope - predicted) <= 0.15
        # random directions leave the degenerate direction at once: bounded ratios there
        assert abs(estimate.slope("random")) <= 0.1


def test_scalar_two_layer_ratio_matches_the_closed_form():
    """F(a, b) = ½(ab x − y)² + λ/2 (a² + b²) at |xy| = λ: dist/‖∇F‖ = 1/(x² t²) on the diagonal (t, t)."""
    lam = 0.4
    problem = Problem.from_target([[lam]], widths=[1], lam=lam)       # x = 1, y = λ
    for t in (1e-1, 1e-2, 1e-3):
        ratio = error_bound_ratio(problem, [[[t]], [[t]]])
        assert np.isclose(ratio.upper, 1 / t ** 2, rtol=1e-9, atol=0)
        assert np.isclose(ratio.lower, 1 / t ** 2, rtol=1e-9, atol=0)


# --- the Hessian kernel and the orbit ------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(NONDEGENERATE))
def test_hessian_kernel_is_the_orbit_tangent_space_at_nondegenerate_instances(name):
    problem = NONDEGENERATE[name]()
    for p in critical_points(problem, seed=9):
        K, _ = hessian_kernel(problem, p.W)
        T = tangent_space(problem, p.W)
        assert K.shape[1] == T.shape[1]
        assert np.linalg.norm(T - K @ (K.T @ T)) <= 1e-6        # same subspace (T ⊂ ker, equal dimension)
        B = orbit_tangent_basis(problem, p.W)
        assert B.shape == T.shape and np.linalg.norm(B - T @ (T.T @ B)) <= 1e-9
        assert normal_hessian(problem, p.W).kernel_normal_dim == 0


@pytest.mark.parametrize("L", [3, 4])
def test_hessian_kernel_is_larger_at_the_double_root(L):
    lam = 0.3
    problem = threshold_instance(L, lam)
    checked = 0
    for p in critical_points(problem, seed=2):
        K, _ = hessian_kernel(problem, p.W)
        T = tangent_space(problem, p.W)
        if "*" not in p.branches:
            assert K.shape[1] == T.shape[1] and not p.degenerate
            continue
        assert p.degenerate and K.shape[1] == T.shape[1] + 1
        assert normal_hessian(problem, p.W).kernel_normal_dim == 1
        # the predicted extra direction: the s* component's singular value, in every layer at once
        i = p.branches.index("*")
        sigma = p.active[i][1]
        # its layer-l singular direction, read off the rotated point by its singular value σ/√λ
        D = []
        for l, Wl in enumerate(p.W):
            Us, s, Vts = np.linalg.svd(Wl)
            m = int(np.argmin(np.abs(s - sigma / np.sqrt(lam))))
            D.append(np.outer(Us[:, m], Vts[m]) / np.sqrt(lam))
        d = flat(D) / list_norm(D)
        assert np.linalg.norm(problem.hessian(p.W) @ d) <= 1e-8
        assert np.linalg.norm(T.T @ d) <= 1e-8
        checked += 1
    assert checked >= 2


def test_hessian_kernel_is_larger_at_two_layer_thresholds_with_a_free_slot():
    lam = [0.2, 0.45]
    problem = threshold_instance(2, lam, widths=[2])             # y_2 = √(λ1 λ2)
    U, y, Vt = np.linalg.svd(problem.B)
    checked = 0
    for p in critical_points(problem, seed=4):
        K, _ = hessian_kernel(problem, p.W)
        T = tangent_space(problem, p.W)
        active = [j for j, _ in p.active]
        free = len(active) < 2
        if 1 in active or not free:
            assert K.shape[1] == T.shape[1] and not p.degenerate
            continue
        assert p.degenerate and K.shape[1] > T.shape[1]
        # one null direction per free slot: both slots at W = 0, one beside an active y_1
        assert normal_hessian(problem, p.W).kernel_normal_dim == K.shape[1] - T.shape[1] == 2 - len(active)
        # a free hidden slot e: orthogonal to the rows of W_1; predicted null direction (√λ2 e v₂ᵀ, √λ1 u₂ eᵀ)
        Us, s, _ = np.linalg.svd(p.W[0])
        e = Us[:, -1]
        D = [np.sqrt(lam[1]) * np.outer(e, Vt[1]), np.sqrt(lam[0]) * np.outer(U[:, 1], e)]
        d = flat(D) / list_norm(D)
        assert np.linalg.norm(problem.hessian(p.W) @ d) <= 1e-10
        assert np.linalg.norm(T.T @ d) <= 1e-10
        checked += 1
    assert checked == 2                                             # W = 0 and "y_1 active"


# --- bad input ---------------------------------------------------------------------------------------

@pytest.fixture
def whitened():
    return NONDEGENERATE["L3 square"]()


def test_non_whitened_problem_is_refused():
    rng = np.random.default_rng(0)
    problem = Problem(rng.normal(size=(3, 10)), rng.normal(size=(2, 10)), widths=[2, 2], lam=0.1)
    for call in (lambda: error_bound_holds(problem),
                 lambda: distance_to_critical_set(problem, problem.zeros()),
                 lambda: error_bound_ratio(problem, problem.random_weights(seed=0)),
                 lambda: estimate_error_bound(problem, problem.zeros(), [1e-3])):
        with pytest.raises(ValueError, match=r"whiten"):
            call()


def test_not_a_problem():
    with pytest.raises(TypeError, match=r"problem"):
        error_bound_holds("Ybar")
    with pytest.raises(TypeError, match=r"problem"):
        distance_to_critical_set(np.eye(2), [np.eye(2)] * 2)


def test_weights_of_the_wrong_shape(whitened):
    W = whitened.random_weights(seed=0)
    W[1] = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"layer 2.*\(3, 3\)"):
        distance_to_critical_set(whitened, W)
    with pytest.raises(ValueError, match=r"3 layers"):
        error_bound_ratio(whitened, W[:2])
    with pytest.raises(TypeError, match=r"W_bar"):
        estimate_error_bound(whitened, np.zeros(3), [1e-3])


def test_non_finite_weights(whitened):
    W = whitened.random_weights(seed=0)
    W[0][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"layer 1.*NaN"):
        distance_to_critical_set(whitened, W)
    W[0][0, 0] = np.inf
    with pytest.raises(ValueError, match=r"layer 1.*infinite"):
        error_bound_ratio(whitened, W)


def test_ratio_at_an_exact_critical_point_is_refused(whitened):
    with pytest.raises(ValueError, match=r"critical"):
        error_bound_ratio(whitened, whitened.zeros())


@pytest.mark.parametrize("kwargs, exception, pattern", [
    ({"radii": []}, ValueError, r"radii"),
    ({"radii": [1e-3, -1e-3]}, ValueError, r"radii.*positive"),
    ({"radii": [1e-3, np.nan]}, ValueError, r"radii.*NaN"),
    ({"radii": "small"}, TypeError, r"radii"),
    ({"radii": [1e-3], "n_random": -1}, ValueError, r"n_random"),
    ({"radii": [1e-3], "n_random": 2.5}, TypeError, r"n_random"),
    ({"radii": [1e-3], "n_random": True}, TypeError, r"n_random"),
    ({"radii": [1e-3], "seed": "zero"}, TypeError, r"seed"),
    ({"radii": [1e-3], "max_worst": 0}, ValueError, r"max_worst"),
])
def test_estimate_bad_options(whitened, kwargs, exception, pattern):
    with pytest.raises(exception, match=pattern):
        estimate_error_bound(whitened, whitened.zeros(), **kwargs)


def test_estimate_needs_a_critical_point(whitened):
    with pytest.raises(ValueError, match=r"W_bar is not a critical point"):
        estimate_error_bound(whitened, whitened.random_weights(seed=0), [1e-3])


def test_bad_limits(whitened):
    W = whitened.random_weights(seed=0)
    for option in ("max_alignments", "max_sweeps"):
        with pytest.raises((TypeError, ValueError), match=re.escape(option)):
            distance_to_critical_set(whitened, W, **{option: 0})


def test_cached_configurations_go_with_their_problem():
    import gc
    import weakref

    problem = Problem.from_target([[2.0, 0.0], [0.0, 1.0]], widths=[2, 2], lam=0.3)
    critical_points(problem)
    distance_to_critical_set(problem, problem.random_weights(seed=0))
    alive = weakref.ref(problem)
    del problem
    gc.collect()
    assert alive() is None
