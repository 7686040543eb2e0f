"""Tests of dlnbook.data (planted whitened data, whitening) and of Problem.from_target."""

import pathlib
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from helpers import SETTINGS, dims, fro, seeds  # noqa: E402

from dlnbook import Problem  # noqa: E402
from dlnbook.data import planted, whiten  # noqa: E402

pytestmark = pytest.mark.unit

# singular values with ties and zeros on purpose
singular_value = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0]),
                           st.floats(min_value=0.0, max_value=10.0))


@st.composite
def planted_args(draw, noisy=False):
    d0, dL = draw(dims), draw(dims)
    N = draw(st.integers(min_value=d0 + (1 if noisy else 0), max_value=30))
    s = draw(st.lists(singular_value, min_size=0, max_size=min(d0, dL)))
    return d0, dL, N, s, draw(seeds)


def expected_spectrum(s, d0, dL):
    """All min(d0, dL) singular values, descending: the given ones and zeros for the rest."""
    r = min(d0, dL)
    return np.sort(np.concatenate([np.asarray(s, dtype=float), np.zeros(r - len(s))]))[::-1]


def assert_whitened(X, tol=1e-12):
    d0 = X.shape[0]
    assert np.max(np.abs(X @ X.T - np.eye(d0))) <= tol


# --- 7. planted ---------------------------------------------------------------------------------

@SETTINGS
@given(planted_args())
def test_planted_has_exactly_the_requested_singular_values(args):
    d0, dL, N, s, seed = args
    X, Y = planted(d0, dL, N, s, seed=seed)
    assert X.shape == (d0, N) and Y.shape == (dL, N)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert_whitened(X)
    found = np.linalg.svd(Y @ X.T, compute_uv=False)
    expected = expected_spectrum(s, d0, dL)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-12 * max(1.0, expected.max(initial=0.0)))
    # without noise, Y lies in the row space of X: Y = (Y Xᵀ) X
    np.testing.assert_allclose(Y, (Y @ X.T) @ X, rtol=0, atol=1e-12 * max(1.0, fro(Y)))


@SETTINGS
@given(planted_args(noisy=True), st.floats(min_value=0.01, max_value=3.0))
def test_planted_noise_changes_y_but_not_the_target(args, noise):
    d0, dL, N, s, seed = args
    X0, Y0 = planted(d0, dL, N, s, seed=seed)
    X, Y = planted(d0, dL, N, s, seed=seed, noise=noise)
    assert_whitened(X)
    np.testing.assert_array_equal(X, X0)        # the noise is drawn after X and Ȳ
    scale = max(1.0, fro(Y))
    np.testing.assert_allclose(Y @ X.T, Y0 @ X0.T, rtol=0, atol=1e-12 * scale)
    found = np.linalg.svd(Y @ X.T, compute_uv=False)
    expected = expected_spectrum(s, d0, dL)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-12 * scale)
    E = Y - Y0
    # the noise is really there (N > d0 leaves room), and orthogonal to the rows of X
    assert fro(E) > 1e-3 * noise
    np.testing.assert_allclose(E @ X.T, 0.0, rtol=0, atol=1e-12 * scale)
    assert fro(Y) ** 2 == pytest.approx(fro(Y0) ** 2 + fro(E) ** 2, rel=1e-10)


def test_planted_noise_has_the_requested_standard_deviation():
    # E is Gaussian with std `noise`, projected onto the (N − d0)-dim complement of X's rows
    d0, dL, N, noise = 2, 50, 400, 0.7
    X, Y = planted(d0, dL, N, [1.0], seed=3, noise=noise)
    X0, Y0 = planted(d0, dL, N, [1.0], seed=3)
    residual = fro(Y - Y0) ** 2 / (dL * (N - d0))
    assert residual == pytest.approx(noise ** 2, rel=0.03)


def test_planted_is_reproducible_and_seed_dependent():
    a = planted(3, 4, 10, [2.0, 1.0], seed=7, noise=0.1)
    b = planted(3, 4, 10, [2.0, 1.0], seed=7, noise=0.1)
    c = planted(3, 4, 10, [2.0, 1.0], seed=8, noise=0.1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.allclose(a[0], c[0]) and not np.allclose(a[1], c[1])


@pytest.mark.parametrize("d0, dL, N, s", [
    (3, 3, 3, [2.0, 2.0, 2.0]),          # all tied, square X (orthogonal)
    (4, 2, 9, [1.5, 1.5]),               # tie, wide target
    (2, 5, 6, [0.0, 0.0]),               # zeros only
    (5, 4, 8, [3.0]),                    # fewer values than min(d0, dL)
    (3, 2, 5, []),                       # none: Ȳ = 0
    (1, 1, 1, [4.25]),
    (6, 6, 30, [0.5, 3.0, 0.0, 3.0]),    # unsorted, tie, zero
])
def test_planted_edge_cases(d0, dL, N, s):
    X, Y = planted(d0, dL, N, s, seed=0)
    assert_whitened(X)
    np.testing.assert_allclose(np.linalg.svd(Y @ X.T, compute_uv=False), expected_spectrum(s, d0, dL),
                               rtol=0, atol=1e-12 * max(1.0, max(s, default=0.0)))
    if not any(s):
        assert not np.any(np.abs(Y) > 1e-15)


@SETTINGS
@given(planted_args(), st.integers(min_value=0, max_value=20), st.sampled_from([0.0, 0.5]))
def test_planted_target_depends_on_seed_and_values_only(args, extra, noise):
    """Documented: the same seed gives the same Ȳ whatever N and the noise are."""
    d0, dL, N, s, seed = args
    X1, Y1 = planted(d0, dL, N, s, seed=seed)
    N2 = N + extra + 1
    X2, Y2 = planted(d0, dL, N2, s, seed=seed, noise=noise)
    assert X2.shape == (d0, N2)
    scale = max(1.0, max(s, default=0.0))
    np.testing.assert_allclose(Y2 @ X2.T, Y1 @ X1.T, rtol=0, atol=1e-12 * scale * max(1.0, noise * np.sqrt(N2)))


def test_planted_docstring_example():
    X, Y = planted(3, 2, 10, [2.0, 0.5], seed=0)
    np.testing.assert_array_equal(np.round(np.linalg.svd(Y @ X.T, compute_uv=False), 12), [2.0, 0.5])


def test_planted_singular_vectors_are_random_not_axis_aligned():
    # the planted target is U diag(s) Vᵀ with random U, V: not just diag(s)
    X, Y = planted(4, 4, 10, [3.0, 2.0, 1.0, 0.5], seed=1)
    Ybar = Y @ X.T
    assert fro(Ybar - np.diag(np.diag(Ybar))) > 0.1


# --- from_target --------------------------------------------------------------------------------

@SETTINGS
@given(dims, dims, st.lists(dims, min_size=1, max_size=4), seeds)
def test_from_target_is_the_whitened_problem(d0, dL, widths, seed):
    rng = np.random.default_rng(seed)
    Ybar = rng.normal(size=(dL, d0))
    Ybar_copy = Ybar.copy()
    lam = list(rng.uniform(1e-3, 1.0, size=len(widths) + 1))
    problem = Problem.from_target(Ybar, widths, lam)
    np.testing.assert_array_equal(Ybar, Ybar_copy)
    assert Ybar.flags.writeable
    assert problem.dims == (d0, *widths, dL)
    assert problem.N == d0
    assert problem.lambdas == tuple(lam)
    np.testing.assert_array_equal(problem.C, np.eye(d0))
    np.testing.assert_array_equal(problem.B, Ybar)
    np.testing.assert_array_equal(problem.target, Ybar)
    # F(W) = ½‖P − Ȳ‖² + Σ λ_l/2 ‖W_l‖²
    W = problem.random_weights(seed=seed)
    P = problem.product(W)
    expected = 0.5 * fro(P - Ybar) ** 2 + sum(0.5 * l * fro(w) ** 2 for l, w in zip(lam, W))
    assert problem.loss(W) == pytest.approx(expected, rel=1e-12)


def test_from_target_accepts_nested_lists():
    problem = Problem.from_target([[1.0, 2.0]], widths=[1], lam=0.5)
    assert problem.dims == (2, 1, 1)
    np.testing.assert_array_equal(problem.target, [[1.0, 2.0]])


# --- whiten -------------------------------------------------------------------------------------

@SETTINGS
@given(dims, dims, st.integers(min_value=0, max_value=24), seeds, st.sampled_from([1e-2, 1.0, 1e3]))
def test_whiten_gives_orthonormal_rows(d0, dL, extra, seed, scale):
    rng = np.random.default_rng(seed)
    N = d0 + extra
    X = scale * rng.normal(size=(d0, N))
    Y = rng.normal(size=(dL, N))
    X_copy, Y_copy = X.copy(), Y.copy()
    Xw, Yw = whiten(X, Y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(Y, Y_copy)
    assert Xw.shape == X.shape and Yw.shape == Y.shape
    cond = np.linalg.cond(X @ X.T)
    assert_whitened(Xw, tol=1e-12)
    np.testing.assert_array_equal(Yw, Y)
    # Xw = M X with M = C^{-1/2}: same row space, and M is symmetric positive definite
    M = Xw @ np.linalg.pinv(X)
    np.testing.assert_allclose(M @ X, Xw, rtol=0, atol=1e-9 * max(1.0, fro(Xw)))
    np.testing.assert_allclose(M, M.T, rtol=0, atol=1e-8 * fro(M))
    assert np.all(np.linalg.eigvalsh(M + M.T) > 0)
    np.testing.assert_allclose(M @ (X @ X.T) @ M, np.eye(d0), rtol=0, atol=1e-8 * max(1.0, cond / 100))


def test_whiten_of_whitened_data_is_the_identity_map():
    X, Y = planted(4, 3, 12, [1.0, 0.5], seed=2)
    Xw, Yw = whiten(X, Y)
    np.testing.assert_allclose(Xw, X, rtol=0, atol=1e-13)


def test_whiten_undoes_a_scalar_multiple_of_whitened_inputs():
    # C = c² I: whitening divides X by c
    X0, Y = planted(3, 2, 10, [2.0, 1.0], seed=4, noise=0.2)
    c = 3.0
    Xw, _ = whiten(c * X0, Y)
    np.testing.assert_allclose(Xw, X0, rtol=0, atol=1e-13)


def test_whiten_then_problem_has_identity_statistics():
    rng = np.random.default_rng(11)
    X, Y = rng.normal(size=(4, 40)), rng.normal(size=(3, 40))
    Xw, Yw = whiten(X, Y)
    problem = Problem(Xw, Yw, [2, 2], 0.1)
    np.testing.assert_allclose(problem.C, np.eye(4), rtol=0, atol=1e-12)


@pytest.mark.parametrize("smallest", [1e-3, 1e-6, 1e-10])
def test_whiten_is_accurate_for_ill_conditioned_inputs(smallest):
    """X Xᵀ = I to rounding whatever cond(X) (accepted up to 1e12): C^{-1/2} X without forming C."""
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    V = np.linalg.qr(rng.normal(size=(50, 3)))[0]
    X = (U * np.array([1.0, 0.5, smallest])) @ V.T
    Xw, _ = whiten(X, np.ones((1, 50)))
    assert_whitened(Xw, tol=1e-12)
    # the exact answer is U Vᵀ (the polar factor of X), determined to about eps / smallest
    np.testing.assert_allclose(Xw, U @ V.T, rtol=0, atol=1e-13 / smallest)
