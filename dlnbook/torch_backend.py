"""Gradient descent on torch tensors, and the bridge to ``torch.nn`` (Chapter 4).

* :func:`gradient_descent_batch` / :func:`gradient_descent`: the descent of :mod:`dlnbook.descent`
  (the same formulas, the same step rules, the same results) on torch tensors, on the CPU or on a
  CUDA device. Many runs at once is where a GPU pays off.
* :func:`to_sequential` / :func:`from_sequential`: weights ``[W_1, ..., W_L]`` as the network a
  torch user writes, ``nn.Sequential`` of ``nn.Linear(d_{l-1}, d_l, bias=False)``, and back. Layer l's
  ``weight`` is ``W_l`` itself (shape ``(d_l, d_{l-1})``), so ``net(X.T) = (W_L ⋯ W_1 X)ᵀ``; plain
  ``torch.optim.SGD(lr=η, weight_decay=λ_l)``, one parameter group per layer, on the loss
  ``0.5 * ((net(X.T) - Y.T)**2).sum()`` is then gradient descent on F.

This module needs torch (``pip install torch``); the rest of ``dlnbook`` needs only numpy.
"""

import numpy as np

from . import _checks
from .descent import Backend, run_batch
from .problem import Problem
from .steps import check_step


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("dlnbook.torch_backend needs torch (pip install torch)") from None
    return torch


def resolve_device(device="cpu"):
    """``device`` as a ``torch.device``; ``"auto"`` is CUDA when present, else the CPU.

    Raises
    ------
    RuntimeError
        If a CUDA device is asked for and torch sees none.
    ValueError
        If ``device`` is not a CPU or CUDA device torch knows (``'meta'`` or ``'mps'``, for example:
        the descent computes in float64).
    """
    torch = _torch()
    if isinstance(device, str) and device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:<n>', 'auto' or a torch.device, got {device!r} "
                         f"({error})") from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be a CPU or CUDA device ('cpu', 'cuda', 'cuda:<n>', 'auto'), got "
                         f"{str(device)!r}: the descent needs float64, which {device.type!r} devices do not "
                         f"compute with")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device={str(device)!r} was asked for, but torch sees no CUDA device here; "
                           f"use device='cpu' (or 'auto', which falls back to the CPU)")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device={str(device)!r}: torch sees only {torch.cuda.device_count()} CUDA device(s)")
    return device


def _backend(device):
    torch = _torch()

    def asarray(a):
        if isinstance(a, torch.Tensor):
            return a.to(device=device, dtype=torch.float64)
        return torch.tensor(np.array(a, dtype=np.float64), device=device)

    def asnumpy(t):
        return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)

    return Backend(torch, asarray, asnumpy)


def gradient_descent_batch(problem, W0s, step=None, max_iter=10_000, tol=1e-10, record_every=1, progress=False,
                           device="cpu"):
    """B gradient descents at once on torch tensors (float64): :func:`dlnbook.gradient_descent_batch`
    on a device.

    Parameters
    ----------
    problem, W0s, step, max_iter, tol, record_every, progress
        As in :func:`dlnbook.gradient_descent_batch` (``W0s`` may be numpy arrays or tensors).
    device : str or torch.device
        ``"cpu"`` (default), ``"cuda"``, ``"cuda:<n>"``, or ``"auto"`` (CUDA when present).

    Returns
    -------
    dlnbook.BatchTrajectory
        With numpy arrays (moved back from the device).

    Raises
    ------
    RuntimeError
        If CUDA is asked for and not present.
    TypeError, ValueError
        As in :func:`dlnbook.gradient_descent_batch`.
    """
    torch = _torch()
    device = resolve_device(device)
    W0s = [w.detach().cpu().numpy() if isinstance(w, torch.Tensor) else w for w in W0s] \
        if _checks.is_sequence(W0s) and not isinstance(W0s, np.ndarray) else W0s
    return run_batch(_backend(device), problem, W0s, step, max_iter, tol, record_every, progress)


def gradient_descent(problem, W0, step=None, max_iter=10_000, tol=1e-10, record_every=1, progress=False,
                     device="cpu"):
    """One gradient descent on torch tensors: :func:`dlnbook.gradient_descent` on a device.

    Parameters
    ----------
    problem, W0, step, max_iter, tol, record_every, progress
        As in :func:`dlnbook.gradient_descent`.
    device : str or torch.device
        As in :func:`gradient_descent_batch`.

    Returns
    -------
    dlnbook.Trajectory
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a dlnbook.Problem, got {type(problem).__name__}")
    torch = _torch()
    W0 = [w.detach().cpu().numpy() if isinstance(w, torch.Tensor) else w for w in W0] \
        if _checks.is_sequence(W0) and not isinstance(W0, np.ndarray) else W0
    W = problem.check_weights(W0, name="W0")
    check_step(step)                                    # one run: a number, not one step per run
    return gradient_descent_batch(problem, [Wl[None] for Wl in W], step, max_iter, tol, record_every, progress,
                                  device)[0]


def to_sequential(W, device="cpu"):
    """The network ``nn.Sequential(nn.Linear(d_0, d_1, bias=False), ..., nn.Linear(d_{L-1}, d_L, bias=False))``
    with weights ``W`` (float64).

    Parameters
    ----------
    W : sequence of array_like
        ``[W_1, ..., W_L]``, ``W_l`` of shape ``(d_l, d_{l-1})``, consecutive shapes matching.
    device : str or torch.device
        Where to put the parameters (see :func:`resolve_device`).

    Returns
    -------
    torch.nn.Sequential
        Its l-th module's ``weight`` is a copy of ``W_l``.

    Raises
    ------
    TypeError, ValueError
        If ``W`` is not a list of finite matrices with chained shapes.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnbook.torch_backend import to_sequential, from_sequential
    >>> W = [np.ones((3, 2)), np.ones((1, 3))]
    >>> net = to_sequential(W)
    >>> net
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=False)
      (1): Linear(in_features=3, out_features=1, bias=False)
    )
    >>> [w.shape for w in from_sequential(net)]
    [(3, 2), (1, 3)]
    """
    torch = _torch()
    device = resolve_device(device)
    if isinstance(W, np.ndarray) or not _checks.is_sequence(W):
        raise TypeError(f"W must be a sequence of weight matrices [W_1, ..., W_L], got {type(W).__name__}")
    if len(W) == 0:
        raise ValueError("W must have at least one weight matrix, got none")
    layers = []
    for l, Wl in enumerate(W, start=1):
        if isinstance(Wl, torch.Tensor):
            Wl = Wl.detach().cpu().numpy()
        Wl = _checks.matrix(f"W[{l - 1}] (layer {l})", Wl)
        if layers and Wl.shape[1] != layers[-1].shape[0]:
            raise ValueError(f"W[{l - 1}] (layer {l}) must have {layers[-1].shape[0]} columns to follow layer {l - 1} "
                             f"(shape {layers[-1].shape}), got shape {Wl.shape}")
        layers.append(Wl)
    modules = []
    for Wl in layers:
        linear = torch.nn.Linear(Wl.shape[1], Wl.shape[0], bias=False, dtype=torch.float64, device=device)
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(Wl))
        modules.append(linear)
    return torch.nn.Sequential(*modules)


def from_sequential(net):
    """The weights ``[W_1, ..., W_L]`` (float64 numpy arrays) of a ``nn.Sequential`` of bias-free
    ``nn.Linear`` layers: the inverse of :func:`to_sequential`.

    Raises
    ------
    TypeError
        If ``net`` is not an ``nn.Sequential`` of ``nn.Linear`` modules.
    ValueError
        If ``net`` is empty, or a layer has a bias (the network would not be linear in the sense of this book).
    """
    torch = _torch()
    if not isinstance(net, torch.nn.Sequential):
        raise TypeError(f"net must be a torch.nn.Sequential of nn.Linear layers, got {type(net).__name__}")
    if len(net) == 0:
        raise ValueError("net must have at least one nn.Linear layer, got an empty Sequential")
    W = []
    for i, module in enumerate(net):
        if not isinstance(module, torch.nn.Linear):
            raise TypeError(f"net[{i}] must be an nn.Linear, got {type(module).__name__}")
        if module.bias is not None:
            raise ValueError(f"net[{i}] has a bias; the deep linear networks here have none (bias=False)")
        W.append(module.weight.detach().cpu().numpy().astype(np.float64, copy=True))
    return W
