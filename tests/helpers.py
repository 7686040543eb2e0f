"""Shared hypothesis strategies and independent reference computations for the dlnbook tests.

Everything here is written from the definitions (math.md §1), not from ``dlnbook``'s code, so that a
test comparing the two can fail:

* :func:`direct_loss` evaluates ``½‖W_L⋯W_1 X − Y‖² + Σ λ_l/2 ‖W_l‖²`` from the raw data by applying
  the layers to ``X`` one after the other (no sufficient statistics, no prefix products);
* :func:`torch_loss` is the same formula in torch (float64), for autograd cross-checks;
* :func:`fd_derivative` is a fourth-order central difference.

Import with ``from helpers import ...``: the test modules put this directory on ``sys.path`` themselves,
so the import works whatever pytest's import mode is.
"""

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import dlnbook

#: Reproducible, modest hypothesis settings used by every property test (no example database, so a
#: run leaves no ``.hypothesis/`` folder behind and never depends on a previous run).
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

depths = st.integers(min_value=2, max_value=5)
dims = st.integers(min_value=1, max_value=6)
sample_counts = st.integers(min_value=1, max_value=30)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
#: λ log-uniform in [1e-3, 1].
lambdas_ = st.floats(min_value=-3.0, max_value=0.0).map(lambda e: float(10.0 ** e))


@st.composite
def problems(draw, min_L=2, max_L=5, whitened=None):
    """A random :class:`dlnbook.Problem` with one random λ per layer.

    Returns ``(problem, rng)`` with ``rng`` a numpy Generator seeded by hypothesis, for the test's
    own random weights and directions. ``whitened=True`` forces planted data with ``X Xᵀ = I``.
    """
    L = draw(st.integers(min_value=min_L, max_value=max_L))
    d0, dL = draw(dims), draw(dims)
    widths = draw(st.lists(dims, min_size=L - 1, max_size=L - 1))
    lam = draw(st.lists(lambdas_, min_size=L, max_size=L))
    rng = np.random.default_rng(draw(seeds))
    if whitened is None:
        whitened = draw(st.booleans())
    if whitened:
        N = draw(st.integers(min_value=d0, max_value=30))
        k = draw(st.integers(min_value=0, max_value=min(d0, dL)))
        s = rng.uniform(0.0, 3.0, size=k)
        X, Y = dlnbook.data.planted(d0, dL, N, s, seed=int(rng.integers(2**32)),
                                    noise=0.3 if N > d0 else 0.0)
    else:
        N = draw(sample_counts)
        xscale = draw(st.sampled_from([1.0, 1.0 / np.sqrt(N)]))
        X = xscale * rng.normal(size=(d0, N))
        Y = rng.normal(size=(dL, N))
    problem = dlnbook.Problem(X, Y, widths, lam)
    return problem, rng


def random_weights(problem, rng, scale=1.0):
    """Gaussian weights, entries N(0, scale²/d_{l-1}) (independent of ``Problem.random_weights``)."""
    return [scale * rng.normal(size=shape) / np.sqrt(shape[1]) for shape in problem.shapes]


def random_direction(problem, rng):
    """A random direction ``[V_1, ..., V_L]`` of unit Frobenius norm over all layers."""
    V = [rng.normal(size=shape) for shape in problem.shapes]
    norm = np.sqrt(sum(np.sum(v * v) for v in V))
    return [v / norm for v in V]


def flat(W):
    """Row-major concatenation of the layers, written with numpy alone."""
    return np.concatenate([np.asarray(w, dtype=np.float64).reshape(-1) for w in W])


def axpy(W, t, V):
    """``W + t V`` layer by layer."""
    return [w + t * v for w, v in zip(W, V)]


def fd_derivative(f, h):
    """Fourth-order central difference of ``f`` at 0: error O(h⁴) + O(eps·|f|/h)."""
    return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h)


def forward(W, X):
    """``W_L ⋯ W_1 X``, applying the layers to the data one after the other."""
    Z = np.asarray(X, dtype=np.float64)
    for w in W:
        Z = w @ Z
    return Z


def direct_loss(X, Y, lambdas, W):
    """The loss (1) of math.md computed from the raw data."""
    R = forward(W, X) - Y
    return 0.5 * float(np.sum(R * R)) + sum(0.5 * lam * float(np.sum(w * w)) for lam, w in zip(lambdas, W))


def torch_loss(torch, X, Y, lambdas, Ws):
    """The loss (1) in torch: ``Ws`` are float64 tensors, ``X``, ``Y`` numpy arrays."""
    Z = torch.tensor(np.array(X, dtype=np.float64))
    for w in Ws:
        Z = w @ Z
    R = Z - torch.tensor(np.array(Y, dtype=np.float64))
    return 0.5 * (R * R).sum() + sum(0.5 * lam * (w * w).sum() for lam, w in zip(lambdas, Ws))


def fro(A):
    return float(np.linalg.norm(np.asarray(A, dtype=np.float64).reshape(-1)))


def list_norm(W):
    return float(np.sqrt(sum(np.sum(np.asarray(w) ** 2) for w in W)))


def stack(Ws):
    """Weight lists ``[W_1, ..., W_L]`` stacked layer by layer: layer l gets shape ``(B, d_l, d_{l-1})``."""
    return [np.stack(layers) for layers in zip(*Ws)]


def haar(rng, n):
    """A Haar-random n×n orthogonal matrix: QR of a Gaussian matrix, signs fixed by diag(R) > 0."""
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def bisect(f, a, b, iterations=200):
    """A sign change of ``f`` in [a, b] by a fixed number of bisections."""
    fa = f(a)
    for _ in range(iterations):
        m = 0.5 * (a + b)
        fm = f(m)
        if (fm > 0) == (fa > 0):
            a, fa = m, fm
        else:
            b = m
    return 0.5 * (a + b)


def numerical_threshold(L, Lam):
    """inf over σ > 0 of y(σ) = (σ^{2L−2} + Λ) / (√Λ σ^{L−2}): equation (2) has a positive root iff y ≥ this."""
    def y_of(sigma):
        return (sigma ** (2 * L - 2) + Lam) / (np.sqrt(Lam) * sigma ** (L - 2))
    if L == 2:
        return y_of(1e-12 * Lam ** 0.25)          # y(σ) = (σ² + Λ)/√Λ decreases to √Λ as σ → 0

    def dy(sigma, h=1e-7):                        # the sign of y'(σ), from a centred difference of log y
        return np.log(y_of(sigma * (1 + h))) - np.log(y_of(sigma * (1 - h)))
    s = bisect(dy, 1e-6 * Lam ** (1 / (2 * L)), 1e3 * Lam ** (1 / (2 * L)))
    return y_of(s)

