"""dlnbook.torch_backend: the descent on torch tensors, and the bridge to nn.Sequential.

The reference for the torch descent is the numpy descent (dlnbook.descent); the reference for the
whole chain is plain torch: ``nn.Sequential`` of bias-free ``nn.Linear`` layers, the loss written on
the raw data, autograd and ``torch.optim.SGD`` with weight decay, which must give the iterates of
``dlnbook.descent.gradient_descent``.
"""

import pathlib
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from helpers import stack  # noqa: E402

from dlnbook import Problem, gradient_descent, gradient_descent_batch  # noqa: E402
from dlnbook.problem import evaluate, gradient  # noqa: E402
from dlnbook import torch_backend as tb  # noqa: E402

pytestmark = pytest.mark.unit

HAS_CUDA = torch.cuda.is_available()


def problem_and_data(seed=0, lam=(0.05, 0.1, 0.2)):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(4, 40)) / 4, rng.normal(size=(3, 40))     # not whitened
    return Problem(X, Y, widths=[6, 5], lam=list(lam)), X, Y


def test_sequential_round_trip_and_forward():
    problem, X, _ = problem_and_data()
    W = problem.random_weights(seed=1)
    net = tb.to_sequential(W)
    assert len(net) == 3
    for module, Wl in zip(net, W):
        assert isinstance(module, torch.nn.Linear) and module.bias is None
        assert module.weight.dtype == torch.float64 and tuple(module.weight.shape) == Wl.shape
    for a, b in zip(tb.from_sequential(net), W):
        assert a.dtype == np.float64
        np.testing.assert_array_equal(a, b)
    out = net(torch.tensor(X.T)).detach().numpy()
    np.testing.assert_allclose(out, (problem.product(W) @ X).T, rtol=1e-12, atol=1e-13)
    # the parameters are copies: training the net leaves W alone
    with torch.no_grad():
        net[0].weight.zero_()
    assert np.abs(W[0]).max() > 0


def test_sgd_with_weight_decay_is_gradient_descent():
    problem, X, Y = problem_and_data()
    W0, eta, steps = problem.random_weights(seed=2), 0.05, 300
    net = tb.to_sequential(W0)
    optimizer = torch.optim.SGD([{"params": [m.weight], "weight_decay": lam} for m, lam in zip(net, problem.lambdas)],
                                lr=eta)
    Xt, Yt = torch.tensor(X.T), torch.tensor(Y.T)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = 0.5 * ((net(Xt) - Yt) ** 2).sum()
        losses.append(loss.item() + sum(0.5 * lam * float((m.weight.detach() ** 2).sum()) for m, lam in zip(net, problem.lambdas)))
        loss.backward()
        optimizer.step()
    run = gradient_descent(problem, W0, step=eta, max_iter=steps, tol=0.0)
    assert run.iterations == steps
    for a, b in zip(tb.from_sequential(net), run.W):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.loss[:-1], losses, rtol=1e-10)
    assert run.loss[-1] < run.loss[0]


def test_autograd_gradient_is_the_formula():
    problem, X, Y = problem_and_data(seed=3)
    W = problem.random_weights(seed=4)
    net = tb.to_sequential(W)
    loss = 0.5 * ((net(torch.tensor(X.T)) - torch.tensor(Y.T)) ** 2).sum() + sum(
        0.5 * lam * (m.weight ** 2).sum() for m, lam in zip(net, problem.lambdas))
    loss.backward()
    _, prefixes, G = evaluate(W, problem.C, problem.B, problem.half_yy, problem.lambdas)
    for m, g in zip(net, gradient(W, prefixes, G, problem.lambdas)):
        np.testing.assert_allclose(m.weight.grad.numpy(), g, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("step", [0.05, None, [0.05, 20.0, 0.1]])
def test_torch_batch_is_the_numpy_batch(step):
    problem, _, _ = problem_and_data()
    starts = stack([problem.random_weights(seed=s) for s in range(3)])
    ours = gradient_descent_batch(problem, starts, step=step, max_iter=2000, tol=1e-9, record_every=5)
    theirs = tb.gradient_descent_batch(problem, [torch.tensor(w) for w in starts], step=step, max_iter=2000,
                                       tol=1e-9, record_every=5, device="cpu")
    np.testing.assert_array_equal(ours.status, theirs.status)
    np.testing.assert_array_equal(ours.iterations, theirs.iterations)
    np.testing.assert_allclose(theirs.loss, ours.loss, rtol=1e-12)
    np.testing.assert_allclose(theirs.step, ours.step, rtol=1e-12)
    for a, b in zip(theirs.W, ours.W):
        assert isinstance(a, np.ndarray)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for b in range(3):
        np.testing.assert_allclose(theirs[b].grad_norm, ours[b].grad_norm, rtol=1e-11, atol=1e-14)
        np.testing.assert_allclose(theirs[b].distance, ours[b].distance, rtol=0, atol=1e-11)


def test_single_torch_run_is_the_numpy_run():
    problem, _, _ = problem_and_data()
    W0 = problem.random_weights(seed=5)
    a = tb.gradient_descent(problem, W0, step=0.05, max_iter=500, tol=1e-10)
    b = gradient_descent(problem, W0, step=0.05, max_iter=500, tol=1e-10)
    assert (a.status, a.iterations) == (b.status, b.iterations)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-12)


def test_devices():
    assert tb.resolve_device("cpu").type == "cpu"
    assert tb.resolve_device("auto").type == ("cuda" if HAS_CUDA else "cpu")
    with pytest.raises(ValueError, match="device"):
        tb.resolve_device("abacus")
    if not HAS_CUDA:
        with pytest.raises(RuntimeError, match="CUDA"):
            tb.resolve_device("cuda")
        problem, _, _ = problem_and_data()
        with pytest.raises(RuntimeError, match="CUDA"):
            tb.gradient_descent(problem, problem.random_weights(seed=0), step=0.1, device="cuda")


def test_batch_on_the_best_device_is_the_cpu_batch():
    # "auto" is CUDA where there is a GPU (the check that matters there), the CPU elsewhere
    problem, _, _ = problem_and_data()
    starts = stack([problem.random_weights(seed=s) for s in range(8)])
    cpu = tb.gradient_descent_batch(problem, starts, step=0.05, max_iter=1000, tol=1e-9, device="cpu")
    best = tb.gradient_descent_batch(problem, starts, step=0.05, max_iter=1000, tol=1e-9, device="auto")
    np.testing.assert_array_equal(cpu.iterations, best.iterations)
    np.testing.assert_allclose(best.loss, cpu.loss, rtol=1e-12)


def test_bad_networks_are_named():
    with pytest.raises(TypeError, match="net"):
        tb.from_sequential([torch.nn.Linear(2, 2, bias=False)])
    with pytest.raises(TypeError, match=r"net\[1\]"):
        tb.from_sequential(torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False), torch.nn.ReLU()))
    with pytest.raises(ValueError, match=r"net\[0\].*bias"):
        tb.from_sequential(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    with pytest.raises(ValueError, match=r"W\[1\] \(layer 2\)"):
        tb.to_sequential([np.ones((3, 2)), np.ones((1, 4))])
    with pytest.raises(TypeError, match="W"):
        tb.to_sequential(np.ones((2, 2)))
