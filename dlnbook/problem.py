"""The regularized squared loss of a deep linear network (Chapter 1).

.. math::

    F(W) = \\tfrac12 \\lVert W_L \\cdots W_1 X - Y \\rVert_F^2
           + \\sum_{l=1}^L \\tfrac{\\lambda_l}{2} \\lVert W_l \\rVert_F^2 .

The data enter only through the sufficient statistics :math:`C = X X^\\top` and
:math:`B = Y X^\\top` (and the number :math:`\\lVert Y \\rVert_F^2`), computed once, so the cost of
``loss``, ``grad`` and ``hvp`` does not depend on the number of samples ``N``.

The formulas on raw arrays (:func:`inner`, :func:`prefix_products`, :func:`evaluate`,
:func:`gradient`, :func:`squared_norm`) are the building blocks of the descent loops, called at every
iteration on numpy arrays or torch tensors: they check nothing, so that they cost only their
arithmetic. The public entry points check their inputs once (the methods of :class:`~dlnbook.Problem` through
:meth:`Problem.check_weights <dlnbook.Problem.check_weights>`, :func:`dlnbook.gradient_descent`, ...);
call the raw formulas only on arrays checked that way.
"""

import math

import numpy as np

from . import _checks


# --- the formulas on raw arrays ------------------------------------------------------------------
# ``W`` is a list of arrays, each (d_l, d_{l-1}) or stacked (B, d_l, d_{l-1}); ``lambdas`` is a
# sequence of floats or, for stacked runs with their own parameters, of arrays of shape (B, 1, 1).
# The same code serves numpy arrays and torch tensors (dlnbook.descent, dlnbook.torch_backend).

def _t(A):
    """Transpose of the last two axes (``A.T`` for a matrix, every matrix of a stack otherwise)."""
    return A.T if A.ndim == 2 else A.swapaxes(-1, -2)


def inner(A, B):
    """``⟨A, B⟩ = Σ A_ij B_ij`` over the last two axes (a number for matrices, one per matrix of a stack)."""
    if A.ndim == 2 and isinstance(A, np.ndarray):
        return np.vdot(A, B)                       # one call: the cheapest form for a single matrix
    return (A * B).sum((-2, -1))


def prefix_products(W):
    """``[W_{0:1}, W_{1:1}, ..., W_{L:1}]``, ``W_{l:1} = W_l ⋯ W_1``, with ``W_{0:1} = None`` for the identity."""
    prefixes = [None, W[0]]
    for Wl in W[1:]:
        prefixes.append(Wl @ prefixes[-1])
    return prefixes


def evaluate(W, C, B, half_yy, lambdas):
    """``F(W)``, the prefix products ``W_{l:1}`` and ``G = P C − B``: the loss of Chapter 1.

    The fit is ``½‖PX − Y‖² = ½ tr(P C Pᵀ) − tr(P Bᵀ) + ½‖Y‖²`` (the sufficient statistics, so the
    cost does not depend on N), written with the product ``P C`` that the gradient needs as well.
    """
    prefixes = prefix_products(W)
    P = prefixes[-1]
    PC = P @ C
    loss = 0.5 * inner(PC, P) - inner(P, B) + half_yy
    for lam, Wl in zip(lambdas, W):
        loss = loss + 0.5 * (lam if isinstance(lam, float) else lam[..., 0, 0]) * inner(Wl, Wl)
    return loss, prefixes, PC - B


def _back(W, G):
    """``[A_1, ..., A_L]`` with ``A_l = W_{L:l+1}ᵀ G``, by one backward sweep."""
    A = [G]
    for Wl in reversed(W[1:]):
        A.append(_t(Wl) @ A[-1])
    return A[::-1]


def gradient(W, prefixes, G, lambdas):
    """``∇_{W_l} F = W_{L:l+1}ᵀ G W_{l-1:1}ᵀ + λ_l W_l`` from ``G = P C − B`` and the prefix products.

    One backward sweep and the prefix products: O(L) matrix products, on single weight lists and
    on stacks, with numpy arrays or torch tensors (see :func:`evaluate`).
    """
    return [(Al if prev is None else Al @ _t(prev)) + lam * Wl
            for Al, prev, Wl, lam in zip(_back(W, G), prefixes[:-1], W, lambdas)]


def squared_norm(Ws):
    """``Σ_l ‖W_l‖_F²`` (one number per run for stacks), with :func:`inner`."""
    total = inner(Ws[0], Ws[0])
    for Wl in Ws[1:]:
        total = total + inner(Wl, Wl)
    return total


def norm(W):
    """The norm of a list of layers, ``‖W‖ = (Σ_l ‖W_l‖_F²)^{1/2}``: distances in the book use it.

    >>> import numpy as np
    >>> norm([np.ones((2, 2)), np.zeros((1, 2))])
    2.0
    """
    if isinstance(W, np.ndarray) or not _checks.is_sequence(W):
        raise TypeError(f"W must be a sequence of arrays [W_1, ..., W_L], got {type(W).__name__}")
    W = [_checks.float_array(f"W[{i}]", Wl, "an array of real numbers") for i, Wl in enumerate(W)]
    if not all(np.all(np.isfinite(Wl)) for Wl in W):
        raise ValueError("W contains NaN or infinite entries")
    with np.errstate(over="ignore", under="ignore"):
        total = float(np.sqrt(sum(np.sum(np.square(Wl)) for Wl in W)))
    if math.isfinite(total) and total > 1e-150:
        return total
    scale = max((float(np.max(np.abs(Wl))) for Wl in W if Wl.size), default=0.0)   # squares over- or underflow
    if scale == 0.0:
        return 0.0
    total = scale * float(np.sqrt(sum(np.sum(np.square(Wl / scale)) for Wl in W)))
    if not math.isfinite(total):
        raise ValueError(f"‖W‖ overflows float64: W is too large (its largest |entry| is {scale:.3g}); rescale it")
    return total


#: The default limit of ``Problem.hessian`` (and of everything that builds the dense Hessian:
#: ``classify``, ``normal_hessian``, ``estimate_error_bound``, ``predicted_rate``): its eigenvalues then
#: take about a second; at 5000 parameters they took 11 s.
MAX_HESSIAN_PARAMS = 2000


def finite(value, what, name, array=None):
    """``value`` if every entry is finite; otherwise a ValueError saying that ``what`` overflows because
    ``name`` is too large (its largest entry in the message), never a silent NaN or inf."""
    if all(np.all(np.isfinite(v)) for v in (value if isinstance(value, list) else [value])):
        return value
    largest = "" if array is None else f" (its largest |entry| is {max(float(np.max(np.abs(a))) for a in array):.3g})"
    raise ValueError(f"{what} overflows float64: {name} is too large{largest}; rescale it")


class Problem:
    """A regularized deep linear network problem.

    Parameters
    ----------
    X : array_like, shape (d0, N)
        Inputs, one sample per column.
    Y : array_like, shape (dL, N)
        Targets, one sample per column.
    widths : sequence of int
        The ``L - 1`` hidden widths ``d_1, ..., d_{L-1}`` (at least one: depth ``L >= 2``).
    lam : float or sequence of float
        The regularization parameters: one positive number for every layer, or ``L`` of them.

    Attributes
    ----------
    L : int
        Depth (number of weight matrices).
    dims : tuple of int
        Layer widths ``(d0, d1, ..., dL)``; ``W_l`` has shape ``(dims[l], dims[l-1])``.
    lambdas : tuple of float
        ``(λ_1, ..., λ_L)``.
    C, B : ndarray
        The sufficient statistics ``X Xᵀ`` (d0×d0) and ``Y Xᵀ`` (dL×d0), read-only.
    half_yy : float
        ``½‖Y‖_F²``, the constant of the loss.
    N : int
        Number of samples.

    Raises
    ------
    TypeError, ValueError
        If ``X`` or ``Y`` is not a finite non-empty matrix, their sample counts differ, a width
        is not a positive integer, or ``lam`` is not positive and finite with one value per layer.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnbook import Problem
    >>> rng = np.random.default_rng(0)
    >>> problem = Problem(rng.normal(size=(3, 50)), rng.normal(size=(2, 50)), widths=[4, 4], lam=0.1)
    >>> problem.L, problem.dims
    (3, (3, 4, 4, 2))
    """

    def __init__(self, X, Y, widths, lam):
        X, Y = _checks.data_pair(X, Y)
        if not _checks.is_sequence(widths):
            raise TypeError(f"widths must be a sequence of the L-1 hidden widths, got {widths!r}")
        if len(widths) < 1:
            raise ValueError("widths must list at least one hidden width (depth L >= 2); got none")
        hidden = tuple(_checks.positive_int(f"widths[{i}]", w) for i, w in enumerate(widths))
        dims = (X.shape[0], *hidden, Y.shape[0])
        _checks.allocation(sum(a * b for a, b in zip(dims[1:], dims[:-1])),
                           f"one set of weights of widths {list(hidden)} ({X.shape[0]} inputs, {Y.shape[0]} outputs)")
        _checks.allocation(X.shape[0] * (X.shape[0] + Y.shape[0]), f"X Xᵀ and Y Xᵀ for {X.shape[0]} inputs")
        self.dims = dims
        self.L = len(self.dims) - 1
        self.lambdas = _checks.regularization(lam, self.L)
        self.N = X.shape[1]
        self.X, self.Y = X.copy(), Y.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            self.C = X @ X.T
            self.B = Y @ X.T
            self.half_yy = 0.5 * float(np.sum(Y * Y))
            finite(self.C, "X Xᵀ", "X", [X])
            finite(self.half_yy, "‖Y‖²", "Y", [Y])
            finite(self.B, "Y Xᵀ", "X or Y", [X, Y])
        for array in (self.X, self.Y, self.C, self.B):
            array.flags.writeable = False

    @classmethod
    def from_target(cls, Ybar, widths, lam):
        """The whitened problem ``F(W) = ½‖W_L⋯W_1 − Ȳ‖² + Σ λ_l/2 ‖W_l‖²``.

        This is the problem with data ``X = I`` (so ``X Xᵀ = I``) and targets ``Y = Ȳ``; any data
        with ``X Xᵀ = I`` and ``Y Xᵀ = Ȳ`` has the same loss up to a constant and the same gradient.

        Parameters
        ----------
        Ybar : array_like, shape (dL, d0)
            The target matrix Ȳ.
        widths, lam
            As in :class:`Problem`.
        """
        Ybar = _checks.matrix("Ybar", Ybar)
        with np.errstate(over="ignore"):
            finite(0.5 * float(np.sum(np.square(Ybar))), "‖Ȳ‖²", "Ybar", [Ybar])
        _checks.allocation(Ybar.shape[1] ** 2, f"the identity inputs of a target with {Ybar.shape[1]} columns")
        return cls(np.eye(Ybar.shape[1]), Ybar, widths, lam)

    def __repr__(self):
        lam = self.lambdas[0] if len(set(self.lambdas)) == 1 else list(self.lambdas)
        return f"Problem(dims={self.dims}, lam={lam}, N={self.N})"

    @property
    def shapes(self):
        """The shape ``(d_l, d_{l-1})`` of each weight matrix, l = 1..L."""
        return [(self.dims[l], self.dims[l - 1]) for l in range(1, self.L + 1)]

    @property
    def n_params(self):
        """The number of scalar parameters, Σ d_l d_{l-1}."""
        return sum(a * b for a, b in self.shapes)

    @property
    def target(self):
        """Ȳ = Y Xᵀ, the target of the whitened problem (meaningful when X Xᵀ = I)."""
        return self.B

    def check_weights(self, W, name="W"):
        """Return ``W`` as a list of float64 arrays, or raise naming the bad layer.

        Raises
        ------
        TypeError
            If ``W`` is not a sequence of ``L`` matrices.
        ValueError
            If a layer has the wrong shape or non-finite entries.
        """
        name = _checks.label("name", name)
        if isinstance(W, np.ndarray) or not _checks.is_sequence(W):
            raise TypeError(f"{name} must be a sequence of {self.L} weight matrices [W_1, ..., W_L], "
                            f"got {type(W).__name__}")
        if len(W) != self.L:
            raise ValueError(f"{name} must have {self.L} layers (one per weight matrix), got {len(W)}")
        checked = []
        for l, (Wl, shape) in enumerate(zip(W, self.shapes), start=1):
            Wl = _checks.matrix(f"{name}[{l - 1}] (layer {l})", Wl)
            if Wl.shape != shape:
                raise ValueError(f"{name}[{l - 1}] (layer {l}) must have shape {shape} "
                                 f"(d_{l} × d_{l - 1}), got {Wl.shape}")
            checked.append(Wl)
        return checked

    def random_weights(self, seed=None, scale=1.0):
        """Random weights with entries ``N(0, scale² / d_{l-1})`` in layer l.

        Parameters
        ----------
        seed : int or numpy.random.Generator, optional
            Seed for ``numpy.random.default_rng``.
        scale : float
            Overall scale (``1`` keeps the variance of a layer's output equal to its input's).
        """
        scale = _checks.real("scale", scale, minimum=0)
        rng = np.random.default_rng(_checks.seed(seed))
        return [rng.normal(scale=scale / np.sqrt(cols), size=(rows, cols)) for rows, cols in self.shapes]

    def zeros(self):
        """All-zero weights (a critical point of every problem)."""
        return [np.zeros(shape) for shape in self.shapes]

    # --- the loss and its derivatives --------------------------------------------------------

    def product(self, W):
        """The end-to-end matrix ``P = W_L ⋯ W_1`` (shape dL × d0)."""
        W = self.check_weights(W)
        with np.errstate(over="ignore", invalid="ignore"):
            return finite(prefix_products(W)[-1], "W_L ⋯ W_1", "W", W)

    def loss(self, W):
        """The regularized loss F(W) (Chapter 1, equation of the loss).

        Uses ``½‖PX − Y‖² = ½ tr(P C Pᵀ) − tr(P Bᵀ) + ½‖Y‖²``, so the cost is independent of N.
        """
        W = self.check_weights(W)
        with np.errstate(over="ignore", invalid="ignore"):
            return float(finite(evaluate(W, self.C, self.B, self.half_yy, self.lambdas)[0], "F(W)", "W", W))

    def loss_batch(self, W):
        """The loss of many weight configurations at once.

        Parameters
        ----------
        W : sequence of ndarray
            ``[W_1, ..., W_L]`` with a leading batch axis: layer l has shape ``(B, d_l, d_{l-1})``.

        Returns
        -------
        ndarray, shape (B,)
            ``F`` of each configuration (stacked matrix products; the same values as :meth:`loss`).
        """
        if isinstance(W, np.ndarray) or not _checks.is_sequence(W):
            raise TypeError(f"W must be a sequence of {self.L} stacked layers, each of shape (B, d_l, d_l-1), "
                            f"got {type(W).__name__}")
        if len(W) != self.L:
            raise ValueError(f"W must have {self.L} stacked layers (one per weight matrix), got {len(W)}")
        W = [_checks.float_array(f"W[{l}] (layer {l + 1})", Wl, "an array of shape (B, d_l, d_l-1)")
             for l, Wl in enumerate(W)]
        batch = W[0].shape[0] if W[0].ndim == 3 else None
        for l, (Wl, shape) in enumerate(zip(W, self.shapes), start=1):
            if Wl.ndim != 3 or Wl.shape[1:] != shape or Wl.shape[0] != batch:
                raise ValueError(f"W[{l - 1}] (layer {l}) must have shape (B, {shape[0]}, {shape[1]}) with "
                                 f"the same B for every layer, got {Wl.shape}")
            if not np.all(np.isfinite(Wl)):
                raise ValueError(f"W[{l - 1}] (layer {l}) contains NaN or infinite entries")
        with np.errstate(over="ignore", invalid="ignore"):
            return finite(evaluate(W, self.C, self.B, self.half_yy, self.lambdas)[0], "F(W)", "W", W)

    def grad(self, W):
        """The gradient ``[∇_{W_1} F, ..., ∇_{W_L} F]``.

        ``∇_{W_l} F = W_{L:l+1}ᵀ (P C − B) W_{l-1:1}ᵀ + λ_l W_l``, with ``W_{b:a} = W_b ⋯ W_a``.
        Prefix products ``W_{l:1}`` and the backward sweep ``A_l = W_{L:l+1}ᵀ (P C − B)`` make this
        O(L) matrix products.
        """
        W = self.check_weights(W)
        with np.errstate(over="ignore", invalid="ignore"):
            prefixes = prefix_products(W)
            return finite(gradient(W, prefixes, prefixes[-1] @ self.C - self.B, self.lambdas), "∇F(W)", "W", W)

    def grad_norm(self, W):
        """``‖∇F(W)‖``, the norm (:func:`norm`) of the gradient."""
        return norm(self.grad(W))

    def hvp(self, W, V):
        """The Hessian-vector product ``∇²F(W)[V]``, as a list of L matrices.

        Differentiates the gradient formula along ``V`` (forward mode through the prefix products
        and the backward sweep): O(L) matrix products, exact up to rounding.
        """
        W = self.check_weights(W)
        V = self.check_weights(V, name="V")
        with np.errstate(over="ignore", invalid="ignore"):
            return self._hvp(W, V)

    def _hvp(self, W, V):
        prefixes = prefix_products(W)
        # d(W_{l:1}) along V, for l = 0..L (d of the identity is zero: None)
        dprefixes = [None, V[0]]
        for l in range(1, self.L):
            dprefixes.append(V[l] @ prefixes[l] + W[l] @ dprefixes[l])
        G = prefixes[-1] @ self.C - self.B
        dG = dprefixes[-1] @ self.C
        A = _back(W, G)
        # dA_l, backward: A_{l-1} = W_lᵀ A_l  =>  dA_{l-1} = V_lᵀ A_l + W_lᵀ dA_l
        dA = [dG]
        for Wl, Vl, Al in zip(reversed(W[1:]), reversed(V[1:]), reversed(A[1:])):
            dA.append(Vl.T @ Al + Wl.T @ dA[-1])
        dA = dA[::-1]
        out = []
        for Al, dAl, prev, dprev, Vl, lam in zip(A, dA, prefixes[:-1], dprefixes[:-1], V, self.lambdas):
            term = dAl if prev is None else dAl @ prev.T
            if dprev is not None:
                term = term + Al @ dprev.T
            out.append(term + lam * Vl)
        return finite(out, "∇²F(W)[V]", "W or V", W + V)

    def hessian(self, W, max_params=MAX_HESSIAN_PARAMS):
        """The dense Hessian ``∇²F(W)``, an n×n matrix with n = Σ d_l d_{l-1}.

        Coordinates are the layers' entries in order, each layer row-major (see :meth:`flatten`).
        Built column by column from :meth:`hvp`; meant for small problems.

        Raises
        ------
        ValueError
            If n exceeds ``max_params`` (the dense matrix would be too large).
        """
        W = self.check_weights(W)
        max_params = _checks.positive_int("max_params", max_params)
        n = self.n_params
        if n > max_params:
            raise ValueError(f"the dense Hessian would be {n}×{n}; max_params={max_params}. "
                             f"Use hvp for large problems, or raise max_params")
        H = np.empty((n, n))
        basis = np.zeros(n)
        for j in range(n):
            basis[j] = 1.0
            H[:, j] = self.flatten(self.hvp(W, self.unflatten(basis)))
            basis[j] = 0.0
        return H

    # --- flat vectors ------------------------------------------------------------------------

    def flatten(self, W):
        """Concatenate the layers (row-major) into one vector of length :attr:`n_params`."""
        return np.concatenate([Wl.ravel() for Wl in self.check_weights(W)])

    def unflatten(self, w):
        """Inverse of :meth:`flatten`."""
        w = _checks.vector("w", w)
        if w.shape != (self.n_params,):
            raise ValueError(f"w must be a vector of length {self.n_params}, got shape {w.shape}")
        out, start = [], 0
        for rows, cols in self.shapes:
            out.append(w[start:start + rows * cols].reshape(rows, cols).copy())
            start += rows * cols
        return out


def imbalance(problem, W):
    """The imbalance matrices ``D_l = λ_{l+1} W_{l+1}ᵀ W_{l+1} − λ_l W_l W_lᵀ``, l = 1..L−1.

    For every W, ``D_l = W_{l+1}ᵀ ∇_{l+1}F − ∇_l F W_lᵀ`` (the balancedness identity,
    Chapter 1), so all D_l vanish at a critical point.

    Returns
    -------
    list of ndarray
        L−1 symmetric matrices, ``D_l`` of shape d_l × d_l.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a dlnbook.Problem, got {type(problem).__name__}")
    W = problem.check_weights(W)
    lam = problem.lambdas
    with np.errstate(over="ignore", invalid="ignore"):
        return finite([lam[l + 1] * W[l + 1].T @ W[l + 1] - lam[l] * W[l] @ W[l].T for l in range(problem.L - 1)],
                      "the imbalance", "W", W)
