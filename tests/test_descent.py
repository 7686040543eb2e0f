"""dlnbook.descent: gradient descent on the regularized loss (Chapter 4).

Each run is compared with an independent computation: the plain loop ``W ← W − η Problem.grad(W)``,
``Problem.loss`` at its iterates, the exact Hessian (for the step estimate and the predicted rate
ρ = max(|1 − η h_min|, |1 − η h_max|) of math.md §5), and B separate runs for the batched descent.
"""

import pathlib
import sys

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from helpers import SETTINGS, list_norm, problems, random_weights, stack  # noqa: E402

from dlnbook import Problem  # noqa: E402
from dlnbook.data import planted  # noqa: E402
from dlnbook import (BatchTrajectory, Trajectory, gradient_descent, gradient_descent_batch,  # noqa: E402
                     predicted_rate)
from dlnbook.problem import evaluate, gradient  # noqa: E402
from dlnbook.steps import DIVERGENCE_FACTOR  # noqa: E402

pytestmark = pytest.mark.unit


def plain_descent(problem, W, eta, steps):
    """The loop a reader writes: every iterate, by Problem.grad."""
    iterates = [[w.copy() for w in W]]
    for _ in range(steps):
        W = [w - eta * g for w, g in zip(W, problem.grad(W))]
        iterates.append(W)
    return iterates


def small_problem(lam=0.1, seed=0):
    rng = np.random.default_rng(seed)
    return Problem(rng.normal(size=(4, 30)) / 4, rng.normal(size=(3, 30)), widths=[5, 4], lam=lam)


# --- the formulas on raw arrays ------------------------------------------------------------------

@SETTINGS
@given(problems())
def test_raw_gradient_and_loss_are_problems(case):
    problem, rng = case
    W = random_weights(problem, rng)
    F, prefixes, G = evaluate(W, problem.C, problem.B, problem.half_yy, problem.lambdas)
    assert abs(F - problem.loss(W)) <= 1e-12 * max(1.0, abs(problem.loss(W)))
    for a, b in zip(gradient(W, prefixes, G, problem.lambdas), problem.grad(W)):
        np.testing.assert_array_equal(a, b)          # the same operations: bitwise equal


@SETTINGS
@given(problems(), st.integers(min_value=1, max_value=4))
def test_raw_formulas_on_stacks_with_per_run_lambdas(case, B):
    problem, rng = case
    Ws = [random_weights(problem, rng) for _ in range(B)]
    lams = [rng.uniform(0.01, 1.0, size=problem.L) for _ in range(B)]
    stacked_lam = [np.array([lam[l] for lam in lams])[:, None, None] for l in range(problem.L)]
    F, prefixes, G = evaluate(stack(Ws), problem.C, problem.B, problem.half_yy, stacked_lam)
    grads = gradient(stack(Ws), prefixes, G, stacked_lam)
    for b in range(B):
        single = Problem(problem.X, problem.Y, problem.dims[1:-1], lams[b])
        assert abs(F[b] - single.loss(Ws[b])) <= 1e-12 * max(1.0, abs(F[b]))
        for g, expected in zip(grads, single.grad(Ws[b])):
            np.testing.assert_allclose(g[b], expected, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(expected).max()))


# --- one run ---------------------------------------------------------------------------------------

@SETTINGS
@given(problems(max_L=4), st.sampled_from([1, 3, 7]))
def test_iterates_and_records_follow_the_plain_loop(case, record_every):
    problem, rng = case
    W0 = random_weights(problem, rng, 0.5)
    # a step small enough for these problems: below 1/‖∇²F(W0)‖, and only 25 steps
    eta = 0.2 / max(1.0, np.abs(np.linalg.eigvalsh(problem.hessian(W0))).max())
    run = gradient_descent(problem, W0, step=eta, max_iter=25, tol=0.0, record_every=record_every)
    iterates = plain_descent(problem, W0, eta, 25)
    assert run.status == "max_iter" and run.iterations == 25
    expected_its = sorted(set(range(0, 26, record_every)) | {25})
    np.testing.assert_array_equal(run.iteration, expected_its)
    for k, loss, g in zip(run.iteration, run.loss, run.grad_norm):
        assert abs(loss - problem.loss(iterates[k])) <= 1e-12 * max(1.0, abs(loss))
        assert abs(g - list_norm(problem.grad(iterates[k]))) <= 1e-12 * max(1.0, g)
    for a, b in zip(run.W, iterates[-1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13 * max(1.0, np.abs(b).max()))
    # distance to the last iterate, by replaying the run
    expected = [list_norm([a - b for a, b in zip(iterates[k], iterates[-1])]) for k in run.iteration]
    np.testing.assert_allclose(run.distance, expected, rtol=1e-10, atol=1e-13)
    assert run.distance[-1] == 0.0


def test_converged_stops_at_the_first_smallgradient():
    problem = small_problem()
    run = gradient_descent(problem, problem.random_weights(seed=0), step=0.1, tol=1e-8)
    assert run.status == "converged"
    assert run.grad_norm[-1] <= 1e-8 < run.grad_norm[-2]
    assert run.iteration[-1] == run.iterations == len(run.loss) - 1
    assert "converged" in run.message
    assert run.suggested_step is None


def test_a_critical_start_converges_at_once():
    problem = Problem.from_target(np.diag([2.0, 1.0]), widths=[2, 2], lam=0.1)
    run = gradient_descent(problem, problem.zeros(), step=0.1)
    assert run.status == "converged" and run.iterations == 0 and run.grad_norm.tolist() == [0.0]


def test_divergence_stops_with_finite_records_and_a_smaller_step():
    problem = small_problem()
    W0 = problem.random_weights(seed=0)
    run = gradient_descent(problem, W0, step=10.0, max_iter=1000)
    assert run.status == "diverged"
    assert np.all(np.isfinite(run.loss)) and np.all(np.isfinite(run.grad_norm))
    assert all(np.all(np.isfinite(w)) for w in run.W)
    assert np.all(run.loss <= DIVERGENCE_FACTOR * run.loss[0])
    assert f"iteration {run.iterations + 1}" in run.message
    assert 0 < run.suggested_step < 10.0
    # the last iterate is what the plain loop gives after that many steps
    for a, b in zip(run.W, plain_descent(problem, W0, 10.0, run.iterations)[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    again = gradient_descent(problem, W0, step=run.suggested_step, max_iter=20_000)
    assert again.status == "converged"


def test_overflow_is_divergence_not_nan():
    problem = small_problem()
    run = gradient_descent(problem, problem.random_weights(seed=1, scale=30.0), step=1e3, max_iter=50)
    assert run.status == "diverged"
    assert np.all(np.isfinite(run.loss)) and np.all(np.isfinite(run.distance))


@SETTINGS
@given(problems(max_L=4))
def test_backtracking_decreases_the_loss_at_every_step(case):
    problem, rng = case
    W0 = random_weights(problem, rng, 1.5)
    run = gradient_descent(problem, W0, step=None, max_iter=300, tol=1e-9)
    assert run.status in ("converged", "max_iter")
    slack = 1e-13 * (np.abs(run.loss) + 0.5 * np.sum(problem.Y ** 2))
    assert np.all(np.diff(run.loss) <= slack[1:])
    assert 0 < run.step <= run.initial_step
    # the first trial step is 1/ℓ₀, ℓ₀ the largest |Hessian eigenvalue| at W0 (power iteration: from below)
    top = np.abs(np.linalg.eigvalsh(problem.hessian(W0))).max()
    assert 0.9 * top <= 1 / run.initial_step <= top * (1 + 1e-6)


def test_backtracking_halves_the_step_when_it_must():
    problem = small_problem()
    W0 = problem.random_weights(seed=0, scale=2.0)
    run = gradient_descent(problem, W0, step=None, max_iter=2000, tol=1e-10)
    ratio = run.initial_step / run.step
    assert ratio == 2.0 ** round(np.log2(ratio))        # only halvings
    # replaying with the recorded schedule reproduces the run: its distance ends at zero, starts at ‖W0 − W_K‖
    assert run.distance[-1] == 0.0
    assert run.distance[0] == pytest.approx(list_norm([a - b for a, b in zip(W0, run.W)]), rel=1e-12)


def test_sufficient_statistics_make_n_irrelevant():
    runs = []
    for N in (10, 20_000):
        X, Y = planted(4, 3, N, [2.0, 1.0, 0.5], seed=3, noise=0.5)
        problem = Problem(X, Y, widths=[3, 3], lam=0.1)
        runs.append(gradient_descent(problem, problem.random_weights(seed=0), step=0.1, max_iter=500))
    np.testing.assert_allclose(runs[0].grad_norm, runs[1].grad_norm, rtol=1e-9, atol=1e-12)
    for a, b in zip(runs[0].W, runs[1].W):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


# --- the rate -----------------------------------------------------------------------------------------

def synthetic(q, n=400, transient=0.0, noise_floor=0.0, flat_from=None):
    k = np.arange(n)
    g = 3.0 * q ** k * (1 + transient * 0.5 ** k) + noise_floor
    if flat_from is not None:
        g[flat_from:] = 1e-20 * g[0]                      # flat noise from there on
    return Trajectory(k, g, g, None, n - 1, "max_iter", 0.1, None, "", lambda: np.zeros(n))


def test_linear_rate_recovers_a_geometric_sequence():
    rate = synthetic(0.97, transient=5.0).linear_rate()
    assert rate.q == pytest.approx(0.97, rel=1e-6)
    assert rate.start > 0 and rate.stop == 399          # the transient is left out
    assert rate.max_residual <= 0.01
    explicit = synthetic(0.97, transient=5.0).linear_rate(start=100, stop=200)
    assert (explicit.start, explicit.stop) == (100, 200)
    assert explicit.q == pytest.approx(0.97, rel=1e-9)


def test_linear_rate_stops_at_the_rounding_floor():
    rate = synthetic(0.9, n=600, noise_floor=1e-30, flat_from=300).linear_rate()
    assert rate.stop < 300 and rate.q == pytest.approx(0.9, rel=1e-6)


def test_linear_rate_needs_enough_records():
    with pytest.raises(ValueError, match="start"):
        synthetic(0.9).linear_rate(start=10, stop=12)


def test_fitted_rate_is_the_predicted_rate():
    # whitened data, L = 3, equal λ: ρ = max(|1 − η h_min|, |1 − η h_max|) from the Hessian at the limit
    X, Y = planted(5, 3, 5, [2.0, 1.5, 0.2], seed=0)
    problem = Problem(X, Y, widths=[4, 4], lam=0.1)
    eta = 0.05
    run = gradient_descent(problem, problem.random_weights(seed=1), step=eta, max_iter=20_000, tol=1e-11)
    assert run.status == "converged"
    h = np.linalg.eigvalsh(problem.hessian(run.W))
    nonzero = h[np.abs(h) > 1e-6]
    assert nonzero.min() > 0                           # a local minimum (up to its flat symmetry directions)
    rho = max(abs(1 - eta * nonzero.min()), abs(1 - eta * nonzero.max()))
    assert run.linear_rate().q == pytest.approx(rho, abs=1e-5)


# --- batches ----------------------------------------------------------------------------------------

def assert_same_run(a, b, rtol=1e-12):
    assert a.status == b.status and a.iterations == b.iterations
    np.testing.assert_array_equal(a.iteration, b.iteration)
    np.testing.assert_allclose(a.loss, b.loss, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(a.grad_norm, b.grad_norm, rtol=rtol, atol=rtol)
    for x, y in zip(a.W, b.W):
        np.testing.assert_allclose(x, y, rtol=0, atol=rtol * max(1.0, np.abs(y).max()))
    np.testing.assert_allclose(a.distance, b.distance, rtol=0, atol=rtol * max(1.0, b.distance[0]))
    assert a.step == pytest.approx(b.step, rel=rtol)


@pytest.mark.parametrize("step", [0.1, None, [0.1, 10.0, 0.05, 0.3]])
def test_batch_is_b_separate_runs(step):
    problem = small_problem(lam=[0.05, 0.1, 0.2])
    starts = [problem.random_weights(seed=s) for s in range(4)]
    batch = gradient_descent_batch(problem, stack(starts), step=step, max_iter=3000, tol=1e-9, record_every=7)
    assert isinstance(batch, BatchTrajectory) and len(batch) == 4
    for b, W0 in enumerate(starts):
        eta = step[b] if isinstance(step, list) else step
        single = gradient_descent(problem, W0, step=eta, max_iter=3000, tol=1e-9, record_every=7)
        assert_same_run(batch[b], single)
        assert batch.status[b] == single.status
        assert batch.loss[b] == pytest.approx(single.loss[-1], rel=1e-12)
    if isinstance(step, list):
        assert batch.status[1] == "diverged" and "diverged" in repr(batch)


def test_batch_of_problems_is_separate_runs():
    problems_ = [small_problem(lam=lam, seed=seed) for seed, lam in enumerate([0.05, 0.1, [0.1, 0.2, 0.3]])]
    starts = [p.random_weights(seed=7) for p in problems_]
    batch = gradient_descent_batch(problems_, stack(starts), step=0.1, max_iter=1500, tol=1e-9)
    for b, (p, W0) in enumerate(zip(problems_, starts)):
        assert_same_run(batch[b], gradient_descent(p, W0, step=0.1, max_iter=1500, tol=1e-9))
    assert batch[-1].iterations == batch.iterations[2]


def test_batch_rates_and_indexing():
    problem = small_problem()
    batch = gradient_descent_batch(problem, stack([problem.random_weights(seed=s) for s in range(3)]),
                                   step=0.1, tol=1e-10)
    rates = batch.linear_rates()
    assert rates.shape == (3,)
    for b in range(3):
        assert rates[b] == batch[b].linear_rate().q
    with pytest.raises(IndexError):
        batch[3]
    with pytest.raises(TypeError):
        batch["0"]


# --- the figure and bad input -------------------------------------------------------------------------

def test_plot_draws_the_curve_and_the_fit():
    problem = small_problem()
    run = gradient_descent(problem, problem.random_weights(seed=0), step=0.1, tol=1e-10)
    fig, ax = plt.subplots()
    assert run.plot(ax=ax, distance=True) is ax
    assert len(ax.get_lines()) == 3
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), run.grad_norm)
    assert ax.get_xlabel() and ax.get_ylabel() and "converged" in ax.get_title()
    assert any(f"{run.linear_rate().q:.5f}" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(fig)


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(step=-0.1), ValueError, r"step"),
    (dict(step="big"), TypeError, r"step"),
    (dict(max_iter=-1), ValueError, r"max_iter"),
    (dict(tol=-1.0), ValueError, r"tol"),
    (dict(record_every=0), ValueError, r"record_every"),
    (dict(progress="yes"), TypeError, r"progress"),
])
def test_bad_options_are_named(kwargs, error, pattern):
    problem = small_problem()
    with pytest.raises(error, match=pattern):
        gradient_descent(problem, problem.random_weights(seed=0), **kwargs)


def test_bad_problem_and_start_are_named():
    problem = small_problem()
    with pytest.raises(TypeError, match="problem"):
        gradient_descent("problem", problem.random_weights(seed=0))
    with pytest.raises(ValueError, match=r"W0\[1\] \(layer 2\).*\(4, 5\)"):
        gradient_descent(problem, [np.zeros((5, 4)), np.zeros((5, 4)), np.zeros((3, 4))])
    W = stack([problem.random_weights(seed=s) for s in range(2)])
    with pytest.raises(ValueError, match=r"W0s\[0\] \(layer 1\)"):
        gradient_descent_batch(problem, [W[0][0], W[1], W[2]])
    with pytest.raises(ValueError, match="batch size"):
        gradient_descent_batch(problem, [W[0], W[1][:1], W[2]])
    with pytest.raises(ValueError, match="2 starts but 3 problems"):
        gradient_descent_batch([problem] * 3, W)
    with pytest.raises(ValueError, match=r"problem\[1\] has dims"):
        gradient_descent_batch([problem, Problem(np.ones((4, 3)), np.ones((3, 3)), [5], 0.1)], W)
    with pytest.raises(ValueError, match="one step per run"):
        gradient_descent_batch(problem, W, step=[0.1, 0.1, 0.1])


def test_progress_needs_tqdm_only_when_asked():
    problem = small_problem()
    try:
        import tqdm  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="tqdm"):
            gradient_descent(problem, problem.random_weights(seed=0), step=0.1, max_iter=5, progress=True)
    else:
        assert gradient_descent(problem, problem.random_weights(seed=0), step=0.1, max_iter=5,
                                progress=True).iterations == 5
    assert gradient_descent(problem, problem.random_weights(seed=0), step=0.1, max_iter=5).iterations == 5


def test_predicted_rate_of_the_scalar_minimum():
    # F(a, b) = ½(ab − y)² + λ/2(a² + b²) with y > λ: Hessian eigenvalues 2(y − λ) and 2λ at the minima (Chapter 1)
    lam, y, eta = 0.5, 2.0, 0.3
    problem = Problem.from_target([[y]], widths=[1], lam=lam)
    a0 = np.sqrt(y - lam)
    prediction = predicted_rate(problem, [np.array([[a0]]), np.array([[a0]])], eta)
    assert prediction.h_min == pytest.approx(2 * lam, rel=1e-12)
    assert prediction.h_max == pytest.approx(2 * (y - lam), rel=1e-12)
    assert prediction.rho == pytest.approx(max(abs(1 - eta * 2 * lam), abs(1 - eta * 2 * (y - lam))), rel=1e-12)
    assert (prediction.n_zero, prediction.n_negative) == (0, 0)
    saddle = predicted_rate(problem, problem.zeros(), eta)          # the origin: eigenvalues λ ∓ y
    assert saddle.n_negative == 1 and saddle.h_min == pytest.approx(lam - y, rel=1e-12)
    with pytest.raises(ValueError, match="zero_tol"):
        predicted_rate(problem, problem.zeros(), eta, zero_tol=10.0)


def test_callback_sees_the_recorded_iterates():
    problem = small_problem()
    W0 = problem.random_weights(seed=0)
    seen = []
    run = gradient_descent(problem, W0, step=0.1, max_iter=20, tol=0.0, record_every=6,
                           callback=lambda k, W: seen.append((k, [w.copy() for w in W])))
    assert [k for k, _ in seen] == run.iteration.tolist() == [0, 6, 12, 18, 20]
    iterates = plain_descent(problem, W0, 0.1, 20)
    for k, W in seen:
        for a, b in zip(W, iterates[k]):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)
    with pytest.raises(TypeError, match="callback"):
        gradient_descent(problem, W0, step=0.1, callback=3)
