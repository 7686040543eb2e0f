"""Bad input is rejected at the public boundary with a TypeError/ValueError naming the argument.

One test per case. Each asserts the exception type and that the message names the argument (and,
where the contract asks for it, the layer and the expected shape or the offending numbers), never a
numpy error from deep inside. The wording itself is free: only names and numbers are matched.
"""

import re

import numpy as np
import pytest

import dlnbook
from dlnbook import Problem, imbalance
from dlnbook.data import planted, whiten

pytestmark = pytest.mark.unit

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 8))
Y = RNG.normal(size=(2, 8))


def mentions(info, *patterns):
    """Assert that the raised exception's message matches every regex in ``patterns``."""
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not found in {message!r}"


@pytest.fixture
def problem():
    return Problem(X, Y, widths=[4, 5], lam=[0.1, 0.2, 0.3])      # shapes (4,3), (5,4), (2,5)


@pytest.fixture
def W(problem):
    return problem.random_weights(seed=1)


# --- data ---------------------------------------------------------------------------------------

def test_sample_count_mismatch():
    with pytest.raises(ValueError, match=r"\bX\b") as info:
        Problem(X, Y[:, :7], [2], 0.1)
    mentions(info, r"\bY\b", r"\b8\b", r"\b7\b")


def test_x_not_2d():
    with pytest.raises(ValueError, match=r"^X\b") as info:
        Problem(X[0], Y, [2], 0.1)
    mentions(info, r"2-D", r"\(8,\)")


def test_x_3d():
    with pytest.raises(ValueError, match=r"^X\b.*2-D"):
        Problem(X[None], Y, [2], 0.1)


def test_y_not_2d():
    with pytest.raises(ValueError, match=r"^Y\b") as info:
        Problem(X, Y[0], [2], 0.1)
    mentions(info, r"2-D", r"\(8,\)")


def test_x_none():
    with pytest.raises(TypeError, match=r"^X\b"):
        Problem(None, Y, [2], 0.1)


def test_y_string():
    with pytest.raises(TypeError, match=r"^Y\b"):
        Problem(X, "Y", [2], 0.1)


def test_x_ragged():
    with pytest.raises(TypeError, match=r"^X\b"):
        Problem([[1.0, 2.0], [3.0]], Y[:, :2], [2], 0.1)


@pytest.mark.filterwarnings("error")
def test_x_complex():
    with pytest.raises(TypeError, match=r"^X\b"):
        Problem(X + 1j, Y, [2], 0.1)


def test_x_with_zero_columns():
    with pytest.raises(ValueError, match=r"^X\b.*empty") as info:
        Problem(np.zeros((3, 0)), np.zeros((2, 0)), [2], 0.1)
    mentions(info, r"\(3, 0\)")


def test_y_with_zero_rows():
    with pytest.raises(ValueError, match=r"^Y\b.*empty") as info:
        Problem(X, np.zeros((0, 8)), [2], 0.1)
    mentions(info, r"\(0, 8\)")


def test_empty_data():
    with pytest.raises(ValueError, match=r"^X\b.*empty"):
        Problem(np.empty((0, 0)), np.empty((0, 0)), [2], 0.1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_x_not_finite(bad):
    Xb = X.copy()
    Xb[1, 2] = bad
    with pytest.raises(ValueError, match=r"^X\b.*(NaN|finite)"):
        Problem(Xb, Y, [2], 0.1)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_y_not_finite(bad):
    Yb = Y.copy()
    Yb[0, 0] = bad
    with pytest.raises(ValueError, match=r"^Y\b.*(NaN|finite)"):
        Problem(X, Yb, [2], 0.1)


# --- widths -------------------------------------------------------------------------------------

def test_widths_empty():
    with pytest.raises(ValueError, match=r"^widths\b"):
        Problem(X, Y, [], 0.1)


def test_widths_not_a_sequence():
    with pytest.raises(TypeError, match=r"^widths\b"):
        Problem(X, Y, 3, 0.1)


def test_widths_a_string():
    with pytest.raises(TypeError, match=r"^widths\b"):
        Problem(X, Y, "3", 0.1)


def test_width_zero():
    with pytest.raises(ValueError, match=r"^widths\[1\]") as info:
        Problem(X, Y, [2, 0], 0.1)
    mentions(info, r"positive|>= ?1|> ?0", r"\b0\b")


def test_width_negative():
    with pytest.raises(ValueError, match=r"^widths\[0\]") as info:
        Problem(X, Y, [-2], 0.1)
    mentions(info, r"-2")


def test_width_non_integer():
    with pytest.raises(TypeError, match=r"^widths\[1\]") as info:
        Problem(X, Y, [3, 2.5], 0.1)
    mentions(info, r"integer", r"2\.5")


def test_width_string():
    with pytest.raises(TypeError, match=r"^widths\[0\]") as info:
        Problem(X, Y, ["3"], 0.1)
    mentions(info, r"integer")


def test_width_bool():
    with pytest.raises(TypeError, match=r"^widths\[0\]"):
        Problem(X, Y, [True], 0.1)


# --- lam ----------------------------------------------------------------------------------------

def test_lam_zero():
    with pytest.raises(ValueError, match=r"^lam\b") as info:
        Problem(X, Y, [2], 0.0)
    mentions(info, r"> ?0|positive")


def test_lam_negative():
    with pytest.raises(ValueError, match=r"^lam\b") as info:
        Problem(X, Y, [2], -0.1)
    mentions(info, r"-0\.1")


def test_lam_nan():
    with pytest.raises(ValueError, match=r"^lam\b.*nan"):
        Problem(X, Y, [2], float("nan"))


def test_lam_inf():
    with pytest.raises(ValueError, match=r"^lam\b.*inf"):
        Problem(X, Y, [2], float("inf"))


def test_lam_wrong_count():
    with pytest.raises(ValueError, match=r"^lam\b") as info:
        Problem(X, Y, [2, 2], [0.1, 0.2])
    mentions(info, r"\b3\b", r"\b2\b")          # expected 3 (one per layer), got 2


def test_lam_string():
    with pytest.raises(TypeError, match=r"^lam\b"):
        Problem(X, Y, [2], "0.1")


def test_lam_none():
    with pytest.raises(TypeError, match=r"^lam\b"):
        Problem(X, Y, [2], None)


def test_lam_bool():
    with pytest.raises(TypeError, match=r"^lam\b"):
        Problem(X, Y, [2], True)


def test_lam_complex():
    with pytest.raises(TypeError, match=r"^lam\b"):
        Problem(X, Y, [2], 1 + 1j)


def test_lam_entry_nonpositive():
    with pytest.raises(ValueError, match=r"^lam\[1\]") as info:
        Problem(X, Y, [2], [0.1, -1.0])
    mentions(info, r"-1")


def test_lam_entry_nan():
    with pytest.raises(ValueError, match=r"^lam\[0\].*nan"):
        Problem(X, Y, [2], [float("nan"), 0.1])


def test_lam_entry_string():
    with pytest.raises(TypeError, match=r"^lam\[1\]"):
        Problem(X, Y, [2], [0.1, "1"])


def test_lam_zero_dimensional_array_is_a_scalar():
    assert Problem(X, Y, [2], np.array(0.1)).lambdas == (0.1, 0.1)


# --- weights ------------------------------------------------------------------------------------

METHODS = {
    "loss": lambda p, W: p.loss(W),
    "grad": lambda p, W: p.grad(W),
    "hessian": lambda p, W: p.hessian(W),
    "hvp": lambda p, W: p.hvp(W, p.zeros()),
    "product": lambda p, W: p.product(W),
    "flatten": lambda p, W: p.flatten(W),
    "check_weights": lambda p, W: p.check_weights(W),
    "imbalance": lambda p, W: imbalance(p, W),
}


@pytest.mark.parametrize("method", METHODS)
def test_weights_wrong_number_of_layers(problem, W, method):
    with pytest.raises(ValueError, match=r"^W\b") as info:
        METHODS[method](problem, W[:2])
    mentions(info, r"\b3\b", r"\b2\b")          # 3 layers expected, 2 given


@pytest.mark.parametrize("method", METHODS)
def test_weights_wrong_shape_in_one_layer(problem, W, method):
    W[1] = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r"^W\[1\]") as info:
        METHODS[method](problem, W)
    mentions(info, r"layer 2", r"\(5, 4\)", r"\(4, 5\)")     # the layer, expected and given shapes


@pytest.mark.parametrize("method", METHODS)
def test_weights_nan(problem, W, method):
    W[2] = W[2].copy()
    W[2][1, 1] = np.nan
    with pytest.raises(ValueError, match=r"^W\[2\]") as info:
        METHODS[method](problem, W)
    mentions(info, r"layer 3", r"NaN|finite")


@pytest.mark.parametrize("method", METHODS)
def test_weights_single_ndarray(problem, method):
    with pytest.raises(TypeError, match=r"^W\b") as info:
        METHODS[method](problem, np.zeros((3, 4, 4)))
    mentions(info, r"sequence|list", r"\b3\b")


def test_weights_layer_not_2d(problem, W):
    W[0] = W[0].ravel()
    with pytest.raises(ValueError, match=r"^W\[0\]") as info:
        problem.loss(W)
    mentions(info, r"layer 1", r"2-D")


def test_weights_none(problem):
    with pytest.raises(TypeError, match=r"^W\b"):
        problem.grad(None)


def test_hvp_v_wrong_shape(problem, W):
    V = problem.zeros()
    V[0] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"^V\[0\]") as info:
        problem.hvp(W, V)
    mentions(info, r"layer 1", r"\(4, 3\)")


def test_hvp_v_wrong_number_of_layers(problem, W):
    with pytest.raises(ValueError, match=r"^V\b"):
        problem.hvp(W, problem.zeros()[:1])


def test_hvp_v_ndarray(problem, W):
    with pytest.raises(TypeError, match=r"^V\b"):
        problem.hvp(W, problem.flatten(W))


def test_hvp_v_nan(problem, W):
    V = problem.zeros()
    V[1][0, 0] = np.inf
    with pytest.raises(ValueError, match=r"^V\[1\]") as info:
        problem.hvp(W, V)
    mentions(info, r"layer 2")


def test_imbalance_needs_a_problem(W):
    with pytest.raises(TypeError, match=r"^problem\b"):
        imbalance(None, W)


# --- flat vectors, hessian, random weights -------------------------------------------------------

def test_unflatten_wrong_length(problem):
    with pytest.raises(ValueError, match=r"^w\b") as info:
        problem.unflatten(np.zeros(41))
    mentions(info, r"\b42\b", r"\b41\b")


def test_unflatten_not_a_vector(problem):
    with pytest.raises(ValueError, match=r"^w\b") as info:
        problem.unflatten(np.zeros((6, 7)))
    mentions(info, r"\(6, 7\)")


def test_unflatten_non_numeric(problem):
    with pytest.raises(TypeError, match=r"^w\b"):
        problem.unflatten(["a"] * problem.n_params)


def test_hessian_over_max_params(problem, W):
    with pytest.raises(ValueError, match=r"max_params") as info:
        problem.hessian(W, max_params=41)
    mentions(info, r"\b42\b", r"\b41\b")
    assert problem.hessian(W, max_params=42).shape == (42, 42)


def test_random_weights_negative_scale(problem):
    with pytest.raises(ValueError, match=r"^scale\b") as info:
        problem.random_weights(seed=0, scale=-1.0)
    mentions(info, r"-1")


def test_random_weights_nan_scale(problem):
    with pytest.raises(ValueError, match=r"^scale\b.*nan"):
        problem.random_weights(seed=0, scale=float("nan"))


@pytest.mark.parametrize("scale", ["big", None])
def test_random_weights_non_numeric_scale(problem, scale):
    with pytest.raises(TypeError, match=r"^scale\b"):
        problem.random_weights(seed=0, scale=scale)


# --- planted, whiten, from_target ---------------------------------------------------------------

def test_planted_n_less_than_d0():
    with pytest.raises(ValueError, match=r"^N\b") as info:
        planted(4, 2, 3, [1.0])
    mentions(info, r"\bd0\b", r"\b3\b", r"\b4\b")


def test_planted_too_many_singular_values():
    with pytest.raises(ValueError, match=r"^singular_values\b") as info:
        planted(4, 2, 10, [1.0, 1.0, 1.0])
    mentions(info, r"\b2\b", r"\b3\b")          # at most min(d0, dL) = 2, got 3


def test_planted_negative_singular_value():
    with pytest.raises(ValueError, match=r"^singular_values\b") as info:
        planted(3, 3, 10, [1.0, -0.5])
    mentions(info, r"-0\.5")


def test_planted_nan_singular_value():
    with pytest.raises(ValueError, match=r"^singular_values\b"):
        planted(3, 3, 10, [np.nan])


def test_planted_singular_values_not_a_sequence():
    with pytest.raises(TypeError, match=r"^singular_values\b"):
        planted(3, 3, 10, 2.0)


def test_planted_singular_values_nested():
    with pytest.raises(ValueError, match=r"^singular_values\b"):
        planted(3, 3, 10, [[1.0, 2.0]])


def test_planted_non_numeric_singular_values():
    with pytest.raises(TypeError, match=r"^singular_values\b"):
        planted(3, 3, 10, ["a"])


def test_planted_noise_with_n_equal_d0():
    with pytest.raises(ValueError, match=r"^noise\b") as info:
        planted(3, 2, 3, [1.0], noise=0.1)
    mentions(info, r"\bN\b", r"\bd0\b")


def test_planted_negative_noise():
    with pytest.raises(ValueError, match=r"^noise\b") as info:
        planted(3, 2, 5, [1.0], noise=-0.1)
    mentions(info, r"-0\.1")


def test_planted_non_numeric_noise():
    with pytest.raises(TypeError, match=r"^noise\b"):
        planted(3, 3, 10, [1.0], noise="x")


def test_planted_dimension_zero():
    with pytest.raises(ValueError, match=r"^d0\b") as info:
        planted(0, 2, 5, [])
    mentions(info, r"positive|>= ?1")


def test_planted_dimension_non_integer():
    with pytest.raises(TypeError, match=r"^dL\b") as info:
        planted(2, 2.5, 5, [])
    mentions(info, r"2\.5")


def test_whiten_rank_deficient():
    Xr = np.vstack([X[:2], X[0] + X[1]])
    with pytest.raises(ValueError, match=r"^X\b.*rank"):
        whiten(Xr, Y)


def test_whiten_fewer_samples_than_features():
    with pytest.raises(ValueError, match=r"^X\b"):
        whiten(X[:, :2], Y[:, :2])


def test_whiten_sample_count_mismatch():
    with pytest.raises(ValueError, match=r"\bX\b") as info:
        whiten(X, Y[:, :5])
    mentions(info, r"\bY\b")


def test_whiten_nan():
    Xb = X.copy()
    Xb[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^X\b"):
        whiten(Xb, Y)


def test_from_target_not_2d():
    with pytest.raises(ValueError, match=r"^Ybar\b"):
        Problem.from_target(np.ones(3), [2], 0.1)


def test_from_target_nan():
    with pytest.raises(ValueError, match=r"^Ybar\b"):
        Problem.from_target(np.array([[1.0, np.nan]]), [2], 0.1)


# --- nothing mutates the caller's arrays --------------------------------------------------------

def test_problem_does_not_mutate_or_freeze_the_callers_arrays():
    Xc, Yc = X.copy(), Y.copy()
    problem = Problem(Xc, Yc, [2], 0.1)
    W = problem.random_weights(seed=0)
    problem.loss(W), problem.grad(W), problem.hessian(W), problem.hvp(W, W)
    assert Xc.flags.writeable and Yc.flags.writeable
    np.testing.assert_array_equal(Xc, X)
    np.testing.assert_array_equal(Yc, Y)
    Xc[0, 0] += 1.0                       # still writeable in practice


def test_from_target_does_not_mutate_or_freeze_ybar():
    Ybar = np.arange(6.0).reshape(2, 3)
    Problem.from_target(Ybar, [2], 0.1)
    assert Ybar.flags.writeable
    np.testing.assert_array_equal(Ybar, np.arange(6.0).reshape(2, 3))


def test_weights_are_not_frozen(problem, W):
    problem.loss(W)
    problem.hvp(W, W)
    assert all(w.flags.writeable for w in W)


def test_planted_and_whiten_leave_their_inputs_alone():
    s = np.array([2.0, 1.0])
    planted(3, 2, 6, s, seed=0, noise=0.1)
    np.testing.assert_array_equal(s, [2.0, 1.0])
    Xc, Yc = X.copy(), Y.copy()
    whiten(Xc, Yc)
    np.testing.assert_array_equal(Xc, X)
    np.testing.assert_array_equal(Yc, Y)
    assert Xc.flags.writeable and Yc.flags.writeable


# --- one rule: the wrong type is a TypeError, the right type with a wrong value a ValueError ---------

def _whitened():
    return Problem.from_target([[2.0, 0.0], [0.0, 1.0]], widths=[2], lam=0.1)


def _torch_backend():
    pytest.importorskip("torch")
    from dlnbook import torch_backend
    return torch_backend


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: dlnbook.gradient_descent(_whitened(), _whitened().zeros(), max_iter=2.5), TypeError, r"max_iter"),
    (lambda: dlnbook.gradient_descent(_whitened(), _whitened().zeros(), max_iter=-1), ValueError, r"max_iter"),
    (lambda: dlnbook.gradient_descent_batch([], [np.zeros((1, 2, 2))] * 2), ValueError, r"problem"),
    (lambda: dlnbook.gradient_descent_batch(3, [np.zeros((1, 2, 2))] * 2), TypeError, r"problem"),
    (lambda: dlnbook.estimate_error_bound(_whitened(), _whitened().zeros(), [1e-3], n_random=-1), ValueError,
     r"n_random"),
    (lambda: dlnbook.estimate_error_bound(_whitened(), _whitened().zeros(), [1e-3], n_random=1.0), TypeError,
     r"n_random"),
    (lambda: dlnbook.critical_points(_whitened(), seed="one"), TypeError, r"seed"),
    (lambda: planted(2, 2, 4, [1.0], seed=1.5), TypeError, r"seed"),
    (lambda: _whitened().random_weights(seed=[1]), TypeError, r"seed"),
    (lambda: _whitened().hessian(_whitened().zeros(), max_params=0), ValueError, r"max_params"),
    (lambda: _whitened().hessian(_whitened().zeros(), max_params=10.0), TypeError, r"max_params"),
    (lambda: _whitened().loss_batch(np.zeros((2, 1, 2, 2))), TypeError, r"W"),
    (lambda: _whitened().loss_batch([np.zeros((1, 2, 2))]), ValueError, r"W"),
    (lambda: dlnbook.gradient_descent(_whitened(), _whitened().random_weights(seed=0), step=0.1,
                                      max_iter=50).linear_rate(min_records=1), ValueError, r"min_records"),
    (lambda: dlnbook.gradient_descent(_whitened(), _whitened().random_weights(seed=0), step=0.1,
                                      max_iter=50).linear_rate(atol="1%"), TypeError, r"atol"),
    (lambda: _torch_backend().to_sequential([]), ValueError, r"W"),
    (lambda: _torch_backend().to_sequential(np.zeros((2, 2))), TypeError, r"W"),
])
def test_wrong_type_is_a_type_error_and_wrong_value_a_value_error(call, error, pattern):
    with pytest.raises(error) as info:
        call()
    mentions(info, pattern)
