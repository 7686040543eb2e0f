"""Data sets with a known structure (Chapter 1, the whitening reduction).

With whitened inputs, ``X Xᵀ = I``, the loss depends on the data only through the target
``Ȳ = Y Xᵀ``: ``F(W) = ½‖W_L⋯W_1 − Ȳ‖² + Σ λ_l/2 ‖W_l‖² + const``. :func:`planted` builds such data
with a target whose singular values are chosen exactly, so a singular value can be put exactly where
the theory of later chapters says something happens.
"""

import numpy as np

from . import _checks


def orthonormal_columns(rng, rows, cols=None):
    """A rows×cols matrix with orthonormal columns, uniformly (Haar) random: QR with a sign fix.

    ``cols`` defaults to ``rows``: a Haar-random orthogonal matrix. ``rng`` is a numpy Generator.
    """
    rng = _checks.generator("rng", rng)
    rows = _checks.nonnegative_int("rows", rows)
    cols = rows if cols is None else _checks.nonnegative_int("cols", cols)
    if cols > rows:
        raise ValueError(f"cols must be at most rows = {rows} (orthonormal columns), got {cols}")
    _checks.allocation(2 * rows * cols, f"a rows×cols = {rows}×{cols} matrix and its QR factors")
    if rows == 0 or cols == 0:
        return np.zeros((rows, cols))
    Q, R = np.linalg.qr(rng.normal(size=(rows, cols)))
    return Q * np.sign(np.diag(R))


def planted(d0, dL, N, singular_values, seed=None, noise=0.0):
    """Whitened data ``(X, Y)`` whose target ``Ȳ = Y Xᵀ`` has the given singular values.

    Parameters
    ----------
    d0, dL : int
        Input and output dimensions.
    N : int
        Number of samples; ``N >= d0`` is needed for ``X Xᵀ = I``.
    singular_values : sequence of float
        At most ``min(d0, dL)`` nonnegative numbers; Ȳ gets exactly these singular values (the
        remaining ones are zero). Ties and zeros are allowed.
    seed : int, optional
        Seed for the random singular vectors, input directions and noise. The target Ȳ depends on
        the seed and the singular values only, not on N or the noise.
    noise : float
        Standard deviation of a part of ``Y`` orthogonal to the rows of X. It changes ``‖Y‖`` (and so
        the loss by a constant) but not Ȳ, the gradient or any critical point. Needs ``N > d0``.

    Returns
    -------
    X : ndarray, shape (d0, N)
        Rows orthonormal: ``X Xᵀ = I`` up to rounding (≈1e−15).
    Y : ndarray, shape (dL, N)
        With ``Y Xᵀ = Ȳ = U diag(singular_values) Vᵀ``, U and V random with orthonormal columns.

    Examples
    --------
    >>> from dlnbook.data import planted
    >>> X, Y = planted(3, 2, 10, [2.0, 0.5], seed=0)
    >>> import numpy as np
    >>> np.round(np.linalg.svd(Y @ X.T, compute_uv=False), 12)
    array([2. , 0.5])
    """
    d0 = _checks.positive_int("d0", d0)
    dL = _checks.positive_int("dL", dL)
    N = _checks.positive_int("N", N)
    if N < d0:
        raise ValueError(f"N must be >= d0 for whitened inputs (X Xᵀ = I has rank d0): got N={N}, d0={d0}")
    s = _checks.vector("singular_values", singular_values)
    if len(s) > min(d0, dL):
        raise ValueError(f"singular_values can have at most min(d0, dL) = {min(d0, dL)} entries, got {len(s)}")
    if np.any(s < 0):
        raise ValueError(f"singular_values must be >= 0, got {s.tolist()}")
    noise = _checks.real("noise", noise, minimum=0)
    if noise > 0 and N == d0:
        raise ValueError("noise > 0 needs N > d0: with N = d0 every Y is explained by X")

    _checks.allocation(N * (2 * d0 + dL), f"planted data with d0={d0}, dL={dL}, N={N} (X, Y and their basis)")
    # separate streams: the same seed gives the same target Ȳ whatever N and noise are
    target_rng, input_rng, noise_rng = np.random.default_rng(_checks.seed(seed)).spawn(3)
    r = len(s)
    U, V = orthonormal_columns(target_rng, dL, r), orthonormal_columns(target_rng, d0, r)
    Ybar = (U * s) @ V.T
    X = orthonormal_columns(input_rng, N, d0).T
    Y = Ybar @ X
    if noise > 0:
        E = noise_rng.normal(scale=noise, size=(dL, N))
        with np.errstate(over="ignore", invalid="ignore"):
            Y = Y + E - (E @ X.T) @ X
        if not np.all(np.isfinite(Y)):
            raise ValueError(f"noise = {noise:g} is too large: Y overflows float64")
    return X, Y


def whiten(X, Y):
    """Whitened inputs ``C^{-1/2} X`` (with ``C = X Xᵀ``), so that the new inputs satisfy ``X Xᵀ = I``.

    The fit term is unchanged for the reparametrized first layer ``W_1 C^{1/2}``, but the
    regularizer ``‖W_1‖²`` is not: whitening changes the problem unless ``C = I``.
    The closed-form results of later chapters are about the whitened problem.

    Parameters
    ----------
    X : array_like, shape (d0, N)
        Inputs with full row rank (``N >= d0`` and ``C`` invertible).
    Y : array_like, shape (dL, N)
        Targets (returned unchanged, as float64).

    Returns
    -------
    Xw, Y : ndarray
    """
    X, Y = _checks.data_pair(X, Y)
    if X.shape[0] > X.shape[1]:
        raise ValueError(f"X must have at least as many samples as features to be whitened: "
                         f"X is {X.shape[0]}×{X.shape[1]} (d0×N)")
    # With the thin SVD X = U S Vᵀ, C^{-1/2} X = U Vᵀ: computed without forming C (accurate to
    # rounding even when C is ill-conditioned).
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    if S[-1] <= 1e-12 * S[0]:
        raise ValueError("X must have full row rank to be whitened (X Xᵀ is singular or nearly so); "
                         "drop redundant input features or project onto the span of the data first")
    return U @ Vt, Y
