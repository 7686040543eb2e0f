"""Unit and property tests of dlnbook.Problem: the loss (1), its gradient and Hessian, imbalance.

Every numerical claim is compared with an independent computation: the loss from the raw data,
finite differences, torch autograd (float64), or a closed form (math.md §§1–3).
"""

import pathlib
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from helpers import (SETTINGS, axpy, dims, direct_loss, fd_derivative, flat, fro, lambdas_,  # noqa: E402
                     list_norm, problems, random_direction, random_weights, seeds, torch_loss)

import dlnbook  # noqa: E402
from dlnbook import Problem, imbalance  # noqa: E402
from dlnbook.data import planted  # noqa: E402

pytestmark = pytest.mark.unit


# --- construction and attributes ---------------------------------------------------------------

def test_attributes_follow_the_definitions():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 7)), rng.normal(size=(2, 7))
    problem = Problem(X, Y, widths=[4, 5], lam=[0.1, 0.2, 0.3])
    assert problem.L == 3
    assert problem.dims == (3, 4, 5, 2)
    assert problem.lambdas == (0.1, 0.2, 0.3)
    assert all(type(lam) is float for lam in problem.lambdas)
    assert problem.N == 7
    assert problem.shapes == [(4, 3), (5, 4), (2, 5)]
    assert problem.n_params == 12 + 20 + 10
    np.testing.assert_allclose(problem.C, X @ X.T, rtol=1e-14, atol=0)
    np.testing.assert_allclose(problem.B, Y @ X.T, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(problem.X, X)
    np.testing.assert_array_equal(problem.Y, Y)
    assert problem.target is problem.B
    assert all(a.dtype == np.float64 for a in (problem.X, problem.Y, problem.C, problem.B))
    assert "dims=(3, 4, 5, 2)" in repr(problem) and "N=7" in repr(problem)


def test_scalar_lam_is_used_for_every_layer():
    problem = Problem(np.eye(2), np.ones((3, 2)), widths=[1, 2, 3], lam=0.25)
    assert problem.lambdas == (0.25,) * 4
    assert problem.L == 4


def test_integer_and_numpy_inputs_are_accepted():
    problem = Problem([[1, 2, 3]], [[1, 0, 1]], widths=(np.int64(2),), lam=np.array([0.5, 1.0]))
    assert problem.dims == (1, 2, 1)
    assert problem.lambdas == (0.5, 1.0)
    assert problem.X.dtype == np.float64


def test_problem_keeps_its_own_read_only_copies_of_the_data():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(2, 5)), rng.normal(size=(3, 5))
    X0, Y0 = X.copy(), Y.copy()
    problem = Problem(X, Y, [2], 0.1)
    W = problem.random_weights(seed=0)
    before = problem.loss(W)
    # the caller's arrays are untouched and still writeable
    assert X.flags.writeable and Y.flags.writeable
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    # changing them afterwards does not change the problem
    X[:] = 0.0
    Y[:] = 0.0
    assert problem.loss(W) == before
    np.testing.assert_array_equal(problem.X, X0)
    # the stored statistics are read-only
    for array in (problem.X, problem.Y, problem.C, problem.B):
        with pytest.raises(ValueError):
            array[0, 0] = 1.0


@SETTINGS
@given(problems())
def test_methods_do_not_mutate_or_alias_their_inputs(case):
    problem, rng = case
    W = random_weights(problem, rng)
    V = random_direction(problem, rng)
    W0, V0 = [w.copy() for w in W], [v.copy() for v in V]
    problem.loss(W)
    G = problem.grad(W)
    Hv = problem.hvp(W, V)
    problem.hessian(W)
    problem.product(W)
    imbalance(problem, W)
    w = problem.flatten(W)
    for a, b in zip(W + V, W0 + V0):
        np.testing.assert_array_equal(a, b)
    # outputs are fresh arrays: writing into them leaves W and V alone
    for out in G + Hv + [w]:
        out[...] = np.nan
    for a, b in zip(W + V, W0 + V0):
        np.testing.assert_array_equal(a, b)
    flat_w = flat(W0)
    U = problem.unflatten(flat_w)
    U[0][...] = np.nan
    np.testing.assert_array_equal(flat_w, flat(W0))


# --- weights helpers ---------------------------------------------------------------------------

def test_flatten_is_row_major_layer_by_layer():
    problem = Problem(np.ones((2, 4)), np.ones((3, 4)), widths=[4], lam=1.0)
    W = [np.arange(8.0).reshape(4, 2), 100 + np.arange(12.0).reshape(3, 4)]
    expected = np.array([0, 1, 2, 3, 4, 5, 6, 7] + [100 + k for k in range(12)], dtype=float)
    np.testing.assert_array_equal(problem.flatten(W), expected)
    U = problem.unflatten(np.arange(20.0))
    assert [u.shape for u in U] == [(4, 2), (3, 4)]
    assert U[0][2, 1] == 2 * 2 + 1            # layer 1, row 2, column 1
    assert U[1][1, 3] == 8 + 1 * 4 + 3        # layer 2 starts after the 8 entries of layer 1


@SETTINGS
@given(problems())
def test_flatten_unflatten_round_trip(case):
    problem, rng = case
    W = random_weights(problem, rng)
    w = problem.flatten(W)
    assert w.shape == (problem.n_params,)
    np.testing.assert_array_equal(w, flat(W))
    back = problem.unflatten(w)
    assert [b.shape for b in back] == problem.shapes
    for a, b in zip(back, W):
        np.testing.assert_array_equal(a, b)
    v = rng.normal(size=problem.n_params)
    np.testing.assert_array_equal(problem.flatten(problem.unflatten(v)), v)


def test_zeros_and_random_weights():
    problem = Problem(np.ones((50, 60)), np.ones((3, 60)), widths=[200], lam=0.1)
    Z = problem.zeros()
    assert [z.shape for z in Z] == problem.shapes and all(not z.any() for z in Z)
    W = problem.random_weights(seed=3, scale=2.0)
    assert [w.shape for w in W] == problem.shapes
    # reproducible, seed-dependent, proportional to scale, zero at scale 0
    for a, b in zip(W, problem.random_weights(seed=3, scale=2.0)):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(W[0], problem.random_weights(seed=4, scale=2.0)[0])
    for a, b in zip(W, problem.random_weights(seed=3, scale=1.0)):
        np.testing.assert_allclose(a, 2.0 * b, rtol=1e-15)
    assert all(not w.any() for w in problem.random_weights(seed=3, scale=0.0))
    # entries N(0, scale²/d_{l-1}): layer 1 has 10 000 entries, fan-in 50
    assert abs(np.mean(W[0])) < 5 * (2.0 / np.sqrt(50)) / np.sqrt(W[0].size)      # 5 standard errors
    np.testing.assert_allclose(np.var(W[0]), 4.0 / 50, rtol=0.05)
    np.testing.assert_allclose(np.var(W[1]), 4.0 / 200, rtol=0.25)   # 600 entries


@SETTINGS
@given(problems())
def test_product_is_the_end_to_end_matrix(case):
    problem, rng = case
    W = random_weights(problem, rng)
    P = problem.product(W)
    assert P.shape == (problem.dims[-1], problem.dims[0])
    expected = np.eye(problem.dims[0])
    for w in W:
        expected = w @ expected
    np.testing.assert_allclose(P, expected, rtol=1e-12, atol=1e-14 * max(fro(expected), 1.0))


# --- 5. the loss from sufficient statistics equals the direct formula ---------------------------

@SETTINGS
@given(problems(), st.sampled_from([0.0, 0.3, 1.0, 2.0]))
def test_loss_equals_direct_formula(case, scale):
    problem, rng = case
    W = random_weights(problem, rng, scale)
    value = problem.loss(W)
    assert isinstance(value, float)
    expected = direct_loss(problem.X, problem.Y, problem.lambdas, W)
    assert abs(value - expected) <= 1e-10 * expected      # expected >= the penalty > 0 (or W = 0)


def test_loss_closed_forms():
    X = np.array([[2.0]])
    Y = np.array([[3.0]])
    problem = Problem(X, Y, widths=[1], lam=[0.5, 0.25])
    # F(a, b) = ½(abx − y)² + λ1/2 a² + λ2/2 b²
    a, b = 1.5, -0.5
    assert problem.loss([np.array([[a]]), np.array([[b]])]) == pytest.approx(
        0.5 * (a * b * 2 - 3) ** 2 + 0.25 * a * a + 0.125 * b * b, rel=1e-15)
    assert problem.loss(problem.zeros()) == pytest.approx(4.5, rel=1e-15)


# --- 1. gradient vs finite differences ----------------------------------------------------------

@SETTINGS
@given(problems(), st.sampled_from([0.5, 1.0, 1.5]))
def test_gradient_matches_directional_finite_differences(case, scale):
    problem, rng = case
    W = random_weights(problem, rng, scale)
    G = problem.grad(W)
    assert [g.shape for g in G] == problem.shapes
    gnorm = list_norm(G)
    for _ in range(3):
        V = random_direction(problem, rng)
        fd = fd_derivative(lambda t: problem.loss(axpy(W, t, V)), 1e-3)
        gv = float(flat(G) @ flat(V))
        # floor: a directional derivative far below ‖∇F‖ (‖V‖ = 1) is compared at that scale
        assert abs(fd - gv) <= 1e-6 * max(abs(fd), abs(gv), 1e-3 * gnorm), (fd, gv)


@SETTINGS
@given(problems())
def test_gradient_matches_coordinatewise_finite_differences(case):
    problem, rng = case
    W = random_weights(problem, rng)
    w = flat(W)
    g = flat(problem.grad(W))
    fd = np.empty_like(w)
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = 1.0
        fd[j] = fd_derivative(lambda t: problem.loss(problem.unflatten(w + t * e)), 1e-3)
    assert np.linalg.norm(fd - g) <= 1e-6 * np.linalg.norm(fd)
    # and layer by layer, so that an error confined to one small layer cannot hide
    start = 0
    for rows, cols in problem.shapes:
        block = slice(start, start + rows * cols)
        start += rows * cols
        assert np.linalg.norm(fd[block] - g[block]) <= 1e-6 * max(np.linalg.norm(fd[block]),
                                                                 1e-3 * np.linalg.norm(fd))


# --- 2. gradient vs torch autograd --------------------------------------------------------------

@SETTINGS
@given(problems(), st.sampled_from([0.3, 1.0, 1.5]))
def test_gradient_matches_torch_autograd(case, scale):
    torch = pytest.importorskip("torch")
    problem, rng = case
    W = random_weights(problem, rng, scale)
    Ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in W]
    value = torch_loss(torch, problem.X, problem.Y, problem.lambdas, Ws)
    expected = torch.autograd.grad(value, Ws)
    G = problem.grad(W)
    total = np.sqrt(sum((e * e).sum().item() for e in expected))
    for g, e in zip(G, expected):
        e = e.numpy()
        assert g.shape == e.shape
        assert fro(g - e) <= 1e-10 * max(fro(e), 1e-3 * total)
    assert abs(problem.loss(W) - value.item()) <= 1e-10 * value.item()


# --- 3. Hessian vs finite differences of the gradient, and symmetric ----------------------------

@SETTINGS
@given(problems())
def test_hessian_matches_finite_differences_of_the_gradient(case):
    problem, rng = case
    W = random_weights(problem, rng)
    H = problem.hessian(W)
    n = problem.n_params
    assert H.shape == (n, n)
    w = flat(W)
    fd = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        fd[:, j] = fd_derivative(lambda t: flat(problem.grad(problem.unflatten(w + t * e))), 1e-3)
    scale = np.linalg.norm(H)
    assert np.linalg.norm(H - fd) <= 1e-6 * np.linalg.norm(fd)
    # column by column: every column holds at least λ_l on the diagonal
    for j in range(n):
        assert np.linalg.norm(H[:, j] - fd[:, j]) <= 1e-6 * max(np.linalg.norm(fd[:, j]), 1e-3 * scale)


@SETTINGS
@given(problems(), st.sampled_from([0.0, 1.0, 2.0]))
def test_hessian_is_symmetric_without_symmetrization(case, scale):
    problem, rng = case
    W = random_weights(problem, rng, scale)
    H = problem.hessian(W)
    assert np.all(np.isfinite(H))
    assert np.linalg.norm(H - H.T) <= 1e-12 * np.linalg.norm(H)


# --- 4. Hessian-vector products -----------------------------------------------------------------

@SETTINGS
@given(problems())
def test_hvp_equals_dense_hessian_times_vector(case):
    problem, rng = case
    W = random_weights(problem, rng)
    V = [rng.normal(size=shape) for shape in problem.shapes]
    H = problem.hessian(W)
    v = flat(V)
    Hv = problem.hvp(W, V)
    assert [a.shape for a in Hv] == problem.shapes
    assert np.linalg.norm(flat(Hv) - H @ v) <= 1e-12 * np.linalg.norm(np.abs(H) @ np.abs(v))
    # linear in V
    Hv2 = problem.hvp(W, [2.5 * a - b for a, b in zip(V, W)])
    expected = 2.5 * flat(Hv) - flat(problem.hvp(W, W))
    bound = np.linalg.norm(np.abs(H) @ (2.5 * np.abs(v) + np.abs(flat(W))))
    assert np.linalg.norm(flat(Hv2) - expected) <= 1e-12 * bound


@SETTINGS
@given(problems(), st.sampled_from([0.3, 1.0, 1.5]))
def test_hvp_matches_torch_double_backward(case, scale):
    torch = pytest.importorskip("torch")
    problem, rng = case
    W = random_weights(problem, rng, scale)
    V = random_direction(problem, rng)
    Ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in W]
    value = torch_loss(torch, problem.X, problem.Y, problem.lambdas, Ws)
    grads = torch.autograd.grad(value, Ws, create_graph=True)
    inner = sum((g * torch.as_tensor(v)).sum() for g, v in zip(grads, V))
    expected = [e.numpy() for e in torch.autograd.grad(inner, Ws)]
    Hv = problem.hvp(W, V)
    total = np.sqrt(sum(fro(e) ** 2 for e in expected))
    for a, e in zip(Hv, expected):
        assert fro(a - e) <= 1e-10 * max(fro(e), 1e-3 * total)


@SETTINGS
@given(problems())
def test_hvp_matches_finite_differences_of_the_gradient(case):
    problem, rng = case
    W = random_weights(problem, rng)
    V = random_direction(problem, rng)
    fd = fd_derivative(lambda t: flat(problem.grad(axpy(W, t, V))), 1e-3)
    Hv = flat(problem.hvp(W, V))
    assert np.linalg.norm(Hv - fd) <= 1e-6 * np.linalg.norm(fd)


# --- 9. closed-form Hessians --------------------------------------------------------------------

@SETTINGS
@given(problems(min_L=3, max_L=5))
def test_hessian_at_zero_is_diag_lambda_for_depth_at_least_3(case):
    problem, _ = case
    H = problem.hessian(problem.zeros())
    expected = np.diag(np.concatenate([np.full(r * c, lam)
                                       for lam, (r, c) in zip(problem.lambdas, problem.shapes)]))
    np.testing.assert_allclose(H, expected, rtol=0, atol=1e-14 * max(problem.lambdas))
    assert np.all(np.linalg.eigvalsh(H) > 0)        # W = 0 is a strict local minimum (L >= 3)


@SETTINGS
@given(problems(min_L=2, max_L=2))
def test_hessian_at_zero_for_depth_2(case):
    """The quadratic form at 0 is λ1‖V1‖² + λ2‖V2‖² − 2 tr(V2 V1 Bᵀ), B = Y Xᵀ."""
    problem, _ = case
    d0, d1, d2 = problem.dims
    lam1, lam2 = problem.lambdas
    B = problem.Y @ problem.X.T
    n1 = d1 * d0
    expected = np.diag([lam1] * n1 + [lam2] * (d2 * d1))
    for i in range(d1):              # (W_1)_{ij} has flat index i*d0 + j
        for j in range(d0):
            for k in range(d2):      # (W_2)_{ki} has flat index n1 + k*d1 + i
                expected[i * d0 + j, n1 + k * d1 + i] = -B[k, j]
                expected[n1 + k * d1 + i, i * d0 + j] = -B[k, j]
    H = problem.hessian(problem.zeros())
    np.testing.assert_allclose(H, expected, rtol=0, atol=1e-13 * max(np.abs(expected).max(), 1.0))


def test_hessian_depth_2_scalar_origin_eigenvalues():
    """F(a, b) = ½(abx − y)² + λ/2(a² + b²): origin eigenvalues λ ∓ |xy| (math.md §4)."""
    x, y, lam = 1.5, -2.0, 0.7
    problem = Problem([[x]], [[y]], widths=[1], lam=lam)
    H = problem.hessian(problem.zeros())
    np.testing.assert_allclose(np.linalg.eigvalsh(H), [lam - abs(x * y), lam + abs(x * y)], rtol=1e-14)
    # and the block [[λ1, −y], [−y, λ2]] with unequal λ and whitened x = 1
    problem = Problem.from_target([[y]], widths=[1], lam=[0.3, 0.8])
    np.testing.assert_allclose(problem.hessian(problem.zeros()), [[0.3, -y], [-y, 0.8]], rtol=1e-15)


@pytest.mark.parametrize("s, lam", [(1.2, 0.1), (0.8, 0.5), (0.5, 0.01)])
def test_hessian_depth_3_scalar_critical_point(s, lam):
    """f(a,b,c) = ½(abc − y)² + λ/2(a²+b²+c²); at (s,s,s) with s⁴ − ys + λ = 0 the point is critical
    and the Hessian is 2λI + (s⁴ − λ)11ᵀ (math.md §4)."""
    y = (s ** 4 + lam) / s
    problem = Problem.from_target([[y]], widths=[1, 1], lam=lam)
    W = [np.array([[s]])] * 3
    for g in problem.grad(W):
        assert abs(g.item()) <= 1e-14 * (s ** 4 + lam)
    np.testing.assert_allclose(problem.hessian(W), 2 * lam * np.eye(3) + (s ** 4 - lam) * np.ones((3, 3)),
                               rtol=1e-13, atol=1e-14)
    # sign flips of an even number of layers are critical points with the same energy
    W2 = [np.array([[-s]]), np.array([[-s]]), np.array([[s]])]
    assert problem.loss(W2) == pytest.approx(problem.loss(W), rel=1e-15)
    assert max(abs(g.item()) for g in problem.grad(W2)) <= 1e-14 * (s ** 4 + lam)


# --- zero is a critical point; the gradient formula at a simple point --------------------------

@SETTINGS
@given(problems())
def test_zero_is_critical_with_loss_half_norm_y_squared(case):
    problem, _ = case
    Z = problem.zeros()
    assert all(not g.any() for g in problem.grad(Z))
    assert problem.loss(Z) == pytest.approx(0.5 * fro(problem.Y) ** 2, rel=1e-12, abs=1e-300)


def test_gradient_closed_form_depth_2_scalar():
    x, y, l1, l2, a, b = 2.0, 3.0, 0.5, 0.25, 1.5, -0.5
    problem = Problem([[x]], [[y]], widths=[1], lam=[l1, l2])
    ga, gb = problem.grad([np.array([[a]]), np.array([[b]])])
    r = a * b * x - y
    assert ga.item() == pytest.approx(r * b * x + l1 * a, rel=1e-15)
    assert gb.item() == pytest.approx(r * a * x + l2 * b, rel=1e-15)


# --- 6. balancedness ----------------------------------------------------------------------------

@SETTINGS
@given(problems(), st.sampled_from([0.3, 1.0, 2.0]))
def test_balancedness_identity(case, scale):
    problem, rng = case
    W = random_weights(problem, rng, scale)
    G = problem.grad(W)
    D = imbalance(problem, W)
    assert len(D) == problem.L - 1
    lam = problem.lambdas
    for l in range(problem.L - 1):
        d = problem.dims[l + 1]
        assert D[l].shape == (d, d)
        lhs = W[l + 1].T @ G[l + 1] - G[l] @ W[l].T
        terms = fro(W[l + 1]) * fro(G[l + 1]) + fro(G[l]) * fro(W[l])
        assert fro(lhs - D[l]) <= 1e-10 * max(terms, fro(D[l]))
        # the definition, index by index: λ_{l+1} W_{l+1}ᵀW_{l+1} − λ_l W_l W_lᵀ
        by_definition = lam[l + 1] * W[l + 1].T @ W[l + 1] - lam[l] * W[l] @ W[l].T
        scale_d = lam[l + 1] * fro(W[l + 1]) ** 2 + lam[l] * fro(W[l]) ** 2
        assert fro(D[l] - by_definition) <= 1e-13 * scale_d
        assert fro(D[l] - D[l].T) <= 1e-14 * scale_d


@SETTINGS
@given(problems())
def test_imbalance_vanishes_at_zero(case):
    problem, _ = case
    D = imbalance(problem, problem.zeros())
    assert len(D) == problem.L - 1
    for l, d in enumerate(D, start=1):
        assert d.shape == (problem.dims[l], problem.dims[l]) and not d.any()


@st.composite
def closed_form_critical_points(draw):
    """A whitened problem and a critical point from the closed form of math.md §3.

    W_l = λ_l^{-1/2} Q_l diag(σ) Q_{l-1}ᵀ with Q_0 = V, Q_L = U the singular vectors of Ȳ = U diag(y) Vᵀ
    and each y_i chosen so that σ_i solves σ^{2L-2} − sqrt(Λ) y σ^{L-2} + Λ = 0.
    """
    L = draw(st.integers(min_value=2, max_value=5))
    d0, dL = draw(dims), draw(dims)
    widths = draw(st.lists(dims, min_size=L - 1, max_size=L - 1))
    lam = np.array(draw(st.lists(lambdas_, min_size=L, max_size=L)))
    rng = np.random.default_rng(draw(seeds))
    k = draw(st.integers(min_value=1, max_value=min(d0, dL, *widths)))
    Lam = float(np.prod(lam))
    sigma = rng.uniform(0.3, 1.5, size=k) * Lam ** (1 / (2 * L))
    y = (sigma ** (2 * L - 2) + Lam) / (np.sqrt(Lam) * sigma ** (L - 2))
    Q = [np.linalg.qr(rng.normal(size=(d, k)))[0] for d in (d0, *widths, dL)]
    Ybar = (Q[-1] * y) @ Q[0].T
    problem = Problem.from_target(Ybar, widths, lam)
    W = [(Q[l] * sigma) @ Q[l - 1].T / np.sqrt(lam[l - 1]) for l in range(1, L + 1)]
    return problem, W, rng


@SETTINGS
@given(closed_form_critical_points())
def test_gradient_and_imbalance_vanish_at_closed_form_critical_points(case):
    problem, W, _ = case
    G = problem.grad(W)
    # ∇_l F = W_{L:l+1}ᵀ (P − Ȳ) W_{l-1:1}ᵀ + λ_l W_l: the terms cancel; rounding is relative to
    # λ_l ‖W_l‖ and to ‖Ȳ‖ Π_{k≠l} ‖W_k‖ (P − Ȳ is a difference of two large matrices)
    norms = [fro(w) for w in W]
    for l, (g, lam) in enumerate(zip(G, problem.lambdas)):
        others = np.prod(norms[:l] + norms[l + 1:])
        assert fro(g) <= 1e-12 * (lam * norms[l] + fro(problem.target) * others)
    for l, D in enumerate(imbalance(problem, W)):
        assert fro(D) <= 1e-12 * (problem.lambdas[l] * fro(W[l]) ** 2)
    # and the closed form is not trivially critical: moving one layer makes the gradient nonzero
    W2 = [w.copy() for w in W]
    W2[0] = 1.1 * W2[0]
    assert list_norm(problem.grad(W2)) > 1e-3 * problem.lambdas[0] * fro(W[0])


@SETTINGS
@given(closed_form_critical_points())
def test_hessian_annihilates_the_orbit_tangent_at_critical_points(case):
    """F is invariant under W_l → R_l W_l R_{l-1}ᵀ (R_l orthogonal, hidden l): at a critical point
    the tangent vectors V_l = A_l W_l − W_l A_{l-1} (A_l skew, A_0 = A_L = 0) are in ker ∇²F."""
    problem, W, rng = case
    L = problem.L
    A = [None] + [(lambda M: M - M.T)(rng.normal(size=(d, d))) for d in problem.dims[1:-1]] + [None]
    V = []
    for l in range(1, L + 1):
        v = np.zeros(problem.shapes[l - 1])
        if A[l] is not None:
            v = v + A[l] @ W[l - 1]
        if A[l - 1] is not None:
            v = v - W[l - 1] @ A[l - 1]
        V.append(v)
    if list_norm(V) < 1e-8 * list_norm(W):
        return              # no hidden rotation moves this point (e.g. all hidden widths 1)
    Hv = problem.hvp(W, V)
    assert list_norm(Hv) <= 1e-12 * np.linalg.norm(problem.hessian(W), 2) * list_norm(V)
    # a generic direction is not in the kernel (H has λ_l curvature on free directions)
    U = random_direction(problem, rng)
    assert list_norm(problem.hvp(W, U)) > 1e-6 * min(problem.lambdas)


def test_imbalance_is_nonzero_for_unbalanced_weights():
    problem = Problem.from_target(np.ones((2, 2)), widths=[2], lam=[1.0, 2.0])
    W = [np.eye(2), np.eye(2)]
    (D,) = imbalance(problem, W)
    np.testing.assert_allclose(D, np.eye(2), rtol=1e-15)   # 2·I − 1·I


# --- 8. the data enter only through the sufficient statistics -----------------------------------

@SETTINGS
@given(problems(whitened=True), st.integers(min_value=0, max_value=25), st.data())
def test_same_statistics_same_gradient_and_loss_up_to_a_constant(case, extra, data):
    problem, rng = case
    X1, Y1 = problem.X, problem.Y
    d0, dL = problem.dims[0], problem.dims[-1]
    Ybar = Y1 @ X1.T
    widths, lam = problem.dims[1:-1], problem.lambdas
    # (a) the whitened problem with the same target; (b) other whitened data, other N, same target
    N2 = d0 + extra
    X2, _ = planted(d0, dL, N2, [], seed=int(rng.integers(2**32)))
    E = rng.normal(size=(dL, N2))
    Y2 = Ybar @ X2 + (E - (E @ X2.T) @ X2)
    others = [Problem.from_target(Ybar, widths, lam), Problem(X2, Y2, widths, lam)]
    assert others[0].N == d0 and others[1].N == N2
    W = random_weights(problem, rng, data.draw(st.sampled_from([0.5, 1.0, 1.5])))
    G1 = problem.grad(W)
    base = problem.loss(W) - 0.5 * fro(Y1) ** 2
    for other in others:
        np.testing.assert_allclose(other.C, np.eye(d0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(other.B, Ybar, rtol=0, atol=1e-12 * max(fro(Ybar), 1.0))
        for g1, g2 in zip(G1, other.grad(W)):
            assert fro(g1 - g2) <= 1e-10 * max(fro(g1), list_norm(G1))
        shifted = other.loss(W) - 0.5 * fro(other.Y) ** 2
        scale = problem.loss(W) + other.loss(W) + fro(problem.product(W)) ** 2 + fro(Ybar) ** 2
        assert abs(base - shifted) <= 1e-10 * scale
    # the constant itself: F_X(W) − F_{Ȳ}(W) = ½‖Y‖² − ½‖YXᵀ‖²
    const = problem.loss(W) - others[0].loss(W)
    assert const == pytest.approx(0.5 * fro(Y1) ** 2 - 0.5 * fro(Ybar) ** 2,
                                  abs=1e-10 * (problem.loss(W) + fro(Y1) ** 2))


@SETTINGS
@given(problems(whitened=True), st.integers(min_value=1, max_value=40), st.data())
def test_planted_data_with_different_n_give_the_same_gradient(case, extra, data):
    """planted(..., seed) with two sample counts: same Ȳ, so the same gradient, and losses that differ
    by the constant ½‖Y₁‖² − ½‖Y₂‖²."""
    problem, rng = case
    d0, dL = problem.dims[0], problem.dims[-1]
    s = rng.uniform(0.0, 3.0, size=data.draw(st.integers(min_value=0, max_value=min(d0, dL))))
    seed = int(rng.integers(2**32))
    widths, lam = problem.dims[1:-1], problem.lambdas
    X1, Y1 = planted(d0, dL, d0, s, seed=seed)
    X2, Y2 = planted(d0, dL, d0 + extra, s, seed=seed, noise=data.draw(st.sampled_from([0.0, 1.0])))
    p1, p2 = Problem(X1, Y1, widths, lam), Problem(X2, Y2, widths, lam)
    assert (p1.N, p2.N) == (d0, d0 + extra)
    W = random_weights(problem, rng)
    G1, G2 = p1.grad(W), p2.grad(W)
    for g1, g2 in zip(G1, G2):
        assert fro(g1 - g2) <= 1e-10 * max(fro(g1), list_norm(G1))
    difference = p1.loss(W) - p2.loss(W)
    assert difference == pytest.approx(0.5 * fro(Y1) ** 2 - 0.5 * fro(Y2) ** 2,
                                       abs=1e-10 * (p1.loss(W) + p2.loss(W)))


def test_loss_does_not_touch_the_samples():
    """After construction only C, B and ‖Y‖² are used: hiding X and Y changes nothing."""
    rng = np.random.default_rng(5)
    problem = Problem(rng.normal(size=(3, 1000)), rng.normal(size=(2, 1000)), [4, 2], 0.05)
    W = problem.random_weights(seed=1)
    V = problem.random_weights(seed=2)
    reference = problem.loss(W), problem.grad(W), problem.hvp(W, V)
    problem.X = problem.Y = None
    assert problem.loss(W) == reference[0]
    for a, b in zip(problem.grad(W) + problem.hvp(W, V), reference[1] + reference[2]):
        np.testing.assert_array_equal(a, b)


# --- random λ per layer actually matters ------------------------------------------------------

@SETTINGS
@given(problems(), lambdas_)
def test_each_lambda_enters_its_own_layer(case, new):
    problem, rng = case
    W = random_weights(problem, rng)
    G = problem.grad(W)
    l = int(rng.integers(problem.L))
    lam = list(problem.lambdas)
    delta = new - lam[l]
    lam[l] = new
    other = Problem(problem.X, problem.Y, problem.dims[1:-1], lam)
    G2 = other.grad(W)
    for k, (a, b) in enumerate(zip(G, G2)):
        expected = delta * W[k] if k == l else np.zeros_like(W[k])
        assert fro(b - a - expected) <= 1e-12 * (fro(a) + fro(b) + 1e-300)
    assert other.loss(W) - problem.loss(W) == pytest.approx(0.5 * delta * fro(W[l]) ** 2,
                                                             abs=1e-12 * (problem.loss(W) + other.loss(W)))


def test_package_exports():
    assert dlnbook.Problem is Problem and dlnbook.imbalance is imbalance
    assert set(dlnbook.__all__) >= {"Problem", "imbalance", "data"}


@SETTINGS
@given(problems(), st.integers(1, 4))
def test_loss_batch_equals_loss_of_each_configuration(case, batch):
    problem, rng = case
    configurations = [random_weights(problem, rng) for _ in range(batch)]
    stacked = [np.stack(layer) for layer in zip(*configurations)]
    expected = [problem.loss(W) for W in configurations]
    np.testing.assert_allclose(problem.loss_batch(stacked), expected, rtol=1e-12, atol=1e-12)


def test_loss_batch_rejects_mismatched_batches():
    problem = Problem.from_target(np.ones((2, 2)), [3], 0.1)
    with pytest.raises(ValueError, match=r"W\[1\] \(layer 2\) must have shape \(B, 2, 3\)"):
        problem.loss_batch([np.zeros((4, 3, 2)), np.zeros((5, 2, 3))])


def test_the_library_imports_neither_pyplot_nor_torch():
    """``import dlnbook`` needs only numpy: figures import matplotlib (and explorables PIL and ipywidgets),
    the torch backend torch, when used. Every module is imported, plots and explore included.
    """
    import subprocess
    import sys

    code = ("import sys\n"
            "import dlnbook, dlnbook.plots, dlnbook.explore, dlnbook.steps, dlnbook.rates, dlnbook.distance\n"
            "print(sorted(m for m in ('matplotlib', 'matplotlib.pyplot', 'torch', 'PIL', 'ipywidgets') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
