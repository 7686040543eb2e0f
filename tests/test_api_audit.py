"""Every argument of every public function, tried with hostile values.

The public API is what the API appendix documents: :func:`appendix_callables` reads the
``autofunction`` / ``autoclass`` / ``automodule ... :members:`` lines of ``chapters/api.md`` (a class
brings its constructor and its public methods), so the appendix and this audit cannot drift apart.
:data:`AUDIT` must have a row for every argument of every one of them, except the callables of
:data:`EXCLUDED` (each with its reason): a new function or argument without a row fails
:func:`test_every_public_argument_has_a_row`, and a public name of ``dlnbook`` that the appendix does
not document fails :func:`test_the_appendix_documents_every_public_name`.
Each row gives a valid call and hostile values for one argument; the call with that argument replaced
must raise a TypeError or a ValueError whose message names the argument (never a numpy or torch error
from deep inside, never a silent NaN).
"""

import importlib
import inspect
import math
import pathlib
import re

import numpy as np
import pytest

import dlnbook
from dlnbook import Problem, critical, data, descent, plots, rates, scalar, steps, torch_backend, trajectory
from dlnbook.critical_set import Configuration

pytestmark = pytest.mark.unit

try:
    import torch
except ImportError:                                     # pragma: no cover - torch is in requirements
    torch = None

# --- what is public --------------------------------------------------------------------------------

APPENDIX = pathlib.Path(__file__).resolve().parents[1] / "chapters" / "api.md"

#: Public callables that get no rows, and why. Every other callable the appendix documents is audited.
EXCLUDED = {
    # Result records: built by the library and read by the user, never an input; their constructors
    # are not an input boundary (checking every field would slow every result down and protect no one).
    **{name: "a result record built by the library" for name in (
        "scalar.Root", "scalar.ScalarCriticalPoints", "critical_set.Spectrum", "critical_set.ClosedFormKind",
        "critical.CriticalPoint", "critical.Classification", "distance.DistanceBracket",
        "errorbound.ErrorBoundCheck", "errorbound.RatioBracket", "errorbound.ErrorBoundEstimate",
        "errorbound.NormalHessian", "Trajectory", "BatchTrajectory", "rates.LinearRate", "rates.RatePrediction")},
    # Plain records a user may build and pass on: checked where they are consumed (rows below).
    "critical_set.Configuration": "checked by CriticalSet.kind and CriticalSet.representative, which take it",
    "descent.Backend": "checked by descent.run_batch, which takes it",
    # Building blocks of the descent loops, called at every iteration (or once per run, inside the loop)
    # on numpy arrays or torch tensors that the public entry points have checked: a check here would
    # cost every iteration. Their module docstrings say so.
    **{name: "an unchecked building block of the loops; inputs are checked at the public entry points"
       for name in ("problem.inner", "problem.prefix_products", "problem.evaluate", "problem.gradient",
                    "problem.squared_norm", "steps.curvature", "steps.first_step", "steps.sufficient_decrease",
                    "steps.divergence_limit", "steps.suggested_step", "steps.per_run")},
}


def _public_methods(cls):
    return {member: value for member, value in inspect.getmembers(cls)
            if not member.startswith("_") and (inspect.isfunction(value) or inspect.ismethod(value))}


def appendix_callables():
    """``{name: callable}`` of what ``chapters/api.md`` documents, named as there without ``dlnbook.``."""
    found = {}

    def add(name, obj, members=None):
        if inspect.isclass(obj):
            found[name] = obj
            for member, value in _public_methods(obj).items():
                if members is None or member in members:
                    found[f"{name}.{member}"] = value
        elif callable(obj):
            found[name] = obj

    lines = APPENDIX.read_text().splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"\.\. (autofunction|autoclass|automodule):: dlnbook\.(\S+)", line.strip())
        if not match:
            continue
        directive, name = match.groups()
        options = []                                   # the directive's option lines, ":members: ..." among them
        for following in lines[i + 1:]:
            if not following.strip().startswith(":"):
                break
            options.append(following.strip())
        members = [re.match(r":members:(.*)", option).group(1) for option in options if option.startswith(":members:")]
        listed = [m.strip() for m in members[0].split(",") if m.strip()] if members else []
        if directive == "automodule":
            module = importlib.import_module(f"dlnbook.{name}")
            if members and not listed:                 # a bare :members: documents every public member
                listed = getattr(module, "__all__", [m for m, v in vars(module).items() if not m.startswith("_")
                                                     and getattr(v, "__module__", None) == module.__name__])
            for member in listed:
                add(f"{name}.{member}", getattr(module, member))
        else:
            module, _, attribute = f"dlnbook.{name}".rpartition(".")     # dlnbook.explore.x: the module's x
            add(name, getattr(importlib.import_module(module), attribute), listed or None)
    return found


def exported_callables():
    """The callables reachable from ``dlnbook.__all__``: its functions and classes (with their public
    methods) and the public functions of the modules it names."""
    found = []
    for name in dlnbook.__all__:
        obj = getattr(dlnbook, name)
        if inspect.ismodule(obj):
            found += [value for value in vars(obj).values()
                      if inspect.isfunction(value) and value.__module__ == obj.__name__
                      and not value.__name__.startswith("_")]
        elif inspect.isclass(obj):
            found += [obj, *_public_methods(obj).values()]
        elif callable(obj):
            found.append(obj)
    return found


def _identity(obj):
    return getattr(obj, "__func__", obj)


def arguments(function):
    """The arguments of ``function`` a user passes (not self/cls; ``**options`` as its documented keys)."""
    names = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name in ("self", "cls"):
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            names.append("**" + parameter.name)
        else:
            names.append(parameter.name)
    return names


# --- valid calls ----------------------------------------------------------------------------------

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 8))
Y = RNG.normal(size=(2, 8))


def general():
    return Problem(X, Y, widths=[4], lam=0.1)


def whitened():
    return Problem.from_target([[2.0, 0.0], [0.0, 1.5]], widths=[2], lam=0.5)


def point():
    problem = whitened()
    return problem, [np.array(Wl) for Wl in dlnbook.critical_points(problem)[-1].W]


def run():
    problem = whitened()
    return dlnbook.gradient_descent(problem, problem.random_weights(seed=0, scale=0.5), max_iter=60)


def batch_run():
    problem = whitened()
    W0s = [np.stack([Wl, 0.5 * Wl]) for Wl in problem.random_weights(seed=0, scale=0.5)]
    return dlnbook.gradient_descent_batch(problem, W0s, max_iter=60)


def draw(a, b):
    import matplotlib.pyplot as plt
    figure, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [a, b])
    return figure


EXPLORE = dict(draw=draw, controls={"a": [0, 1], "b": [1, 2]}, alt="a line", default=None, labels=None,
               figsize=(2.0, 1.5), dpi=50, max_frames=10)


def explorable():
    return dlnbook.Explorable(**EXPLORE)


def sequential():
    return torch_backend.to_sequential(whitened().random_weights(seed=0))


def grad_tensor(shape):
    return torch.zeros(shape, dtype=torch.float64, requires_grad=True)


# --- hostile values ----------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
#: a positive integer (a size, a count, an iteration limit)
POSITIVE_INT = ["3", 2.5, True, None, 0, -1, NAN, [2]]
#: a nonnegative integer
NONNEGATIVE_INT = ["3", 2.5, True, None, -1, NAN]
#: a seed: None, a nonnegative integer or a numpy Generator
SEED = ["1", 1.5, True, -1, [1], object()]
#: a positive finite real
#: an integer beyond the range of float64, a size beyond any memory, a depth beyond exact floats
HUGE, VAST, DEEPEST = 10**400, 10**30, 2**53 + 1
POSITIVE = ["a", None, NAN, INF, -1.0, 0.0, True, [1.0], 1j, HUGE]
#: a finite real
REAL = ["a", None, NAN, INF, True, [1.0], 1j, HUGE, -HUGE]
#: True or False
FLAG = ["yes", None, 2, 1.0]
#: a Problem
PROBLEM = ["p", None, 3, [1.0], np.array("p")]
#: a whitened Problem
WHITENED_PROBLEM = PROBLEM + [general()]
#: a 0-d tensor: it has __len__, but no length
ZERO_D = [] if torch is None else [torch.tensor(1.0)]
#: a list of weights for the whitened 2-2-2 problem
WEIGHTS = ["W", None, 3, np.zeros((2, 2)), [np.zeros((2, 2))], [np.zeros((2, 2)), np.zeros((3, 2))],
           [np.full((2, 2), NAN), np.zeros((2, 2))], [np.zeros((2, 2)), "W"], *ZERO_D]
#: a matplotlib Axes or None
AX = ["a", 3, [1]]
#: a torch device
DEVICE = [3, "meta", "mps", "gpu", None, ["cpu"], VAST, np.array(["cpu", "cpu"])]
#: a whitened critical point's λ, a scalar or one per layer
LAM = ["a", None, NAN, -1.0, 0.0, True, [0.5], [0.5, "a"], [[0.5, 0.5]]]

#: the options of a rate fit
RATE_OPTIONS = dict(start=["0", True, NAN, [1], 10**6], stop=["0", True, INF, [1], -1],
                    atol=["a", NAN, -1.0, True, None], min_records=POSITIVE_INT + [1, 10**6])

#: one row per (public callable, argument): a valid call (a function returning ``(callable, kwargs)``)
#: and the hostile values for that argument; for methods, the callable is bound to a fresh object
AUDIT = {}


def row(name, call, /, **hostile):
    for argument, values in hostile.items():
        AUDIT[(name, argument)] = (call, values)


def exempt(name, argument, reason):
    """An argument with no hostile values, and why."""
    AUDIT[(name, argument)] = (None, reason)


# Problem and its methods
row("Problem", lambda: (Problem, dict(X=X, Y=Y, widths=[4], lam=0.1)),
    X=["X", None, X[0], np.full((3, 8), NAN), X + 1j, np.zeros((3, 0)), [[HUGE] * 8] * 3],
    Y=["Y", None, Y[0], Y[:, :7], np.full((2, 8), INF), [[-HUGE] * 8] * 2],
    widths=["4", None, 4, [0], [-1], [2.5], [True], [[4]], np.array(4), {4}], lam=LAM)
row("Problem.from_target", lambda: (Problem.from_target, dict(Ybar=[[2.0, 0.0], [0.0, 1.5]], widths=[2], lam=0.5)),
    Ybar=["Y", None, [1.0, 2.0], [[NAN]], [[1e200]]], widths=["2", None, [0], [2.5], [True], np.array(2)], lam=LAM)
for method in ("flatten", "grad", "grad_norm", "loss", "product", "check_weights", "hessian"):
    row(f"Problem.{method}", lambda method=method: (getattr(whitened(), method), dict(W=whitened().zeros())),
        W=WEIGHTS)
row("Problem.loss_batch", lambda: (whitened().loss_batch, dict(W=[np.zeros((3, 2, 2))] * 2)),
    W=["W", None, [np.zeros((2, 2))] * 2, [np.zeros((3, 2, 2)), np.zeros((4, 2, 2))],
       [np.full((3, 2, 2), NAN)] * 2])
row("Problem.hvp", lambda: (whitened().hvp, dict(W=whitened().zeros(), V=whitened().zeros())), W=WEIGHTS, V=WEIGHTS)
row("Problem.hessian", lambda: (whitened().hessian, dict(W=whitened().zeros(), max_params=100)),
    max_params=POSITIVE_INT + [1])
row("Problem.check_weights", lambda: (whitened().check_weights, dict(W=whitened().zeros(), name="W")),
    name=[3, None, ""])
row("Problem.random_weights", lambda: (whitened().random_weights, dict(seed=0, scale=1.0)),
    seed=SEED, scale=["a", None, NAN, INF, -1.0, True, [1.0], 1j])
row("Problem.unflatten", lambda: (whitened().unflatten, dict(w=np.zeros(8))),
    w=["w", None, np.zeros(7), np.zeros((2, 4)), np.full(8, NAN)])
exempt("Problem.zeros", None, "no arguments")
row("imbalance", lambda: (dlnbook.imbalance, dict(problem=whitened(), W=whitened().zeros())),
    problem=PROBLEM, W=WEIGHTS)
row("norm", lambda: (dlnbook.norm, dict(W=[np.zeros((2, 2))])),
    W=["W", None, 3, np.zeros((2, 2)), [np.full((2, 2), NAN)], [np.zeros(2), "a"], [1j * np.ones(2)], {1.0},
       [[HUGE]]])
row("set_memory_limit", lambda: (dlnbook.set_memory_limit, dict(nbytes=dlnbook.memory_limit())),
    nbytes=["1", 2.5, True, 0, -1, NAN, INF])
exempt("memory_limit", None, "no arguments")

# data
row("data.planted", lambda: (data.planted, dict(d0=3, dL=2, N=8, singular_values=[2.0, 1.0], seed=0, noise=0.0)),
    d0=POSITIVE_INT + [VAST], dL=POSITIVE_INT + [VAST], N=POSITIVE_INT + [2, VAST],
    singular_values=["a", None, 2.0, [NAN], [-1.0], [[1.0]], [1.0, 1.0, 1.0]], seed=SEED,
    noise=["a", None, NAN, INF, -1.0, True, 1e308])
row("data.whiten", lambda: (data.whiten, dict(X=X, Y=Y)),
    X=["X", None, X[0], np.full((3, 8), NAN), np.zeros((3, 8))], Y=["Y", None, Y[:, :7], np.full((2, 8), NAN)])
row("data.orthonormal_columns", lambda: (data.orthonormal_columns, dict(rng=np.random.default_rng(0), rows=3, cols=2)),
    rng=["rng", None, 0, True], rows=NONNEGATIVE_INT + [VAST], cols=["2", 2.5, True, -1, 4])

# scalar equation
for name, function in (("scalar.threshold", dlnbook.threshold), ("scalar.global_threshold", dlnbook.global_threshold)):
    row(name, lambda function=function: (function, dict(L=3, lam=0.1)),
        L=POSITIVE_INT + [1, DEEPEST, HUGE], lam=LAM[:-3] + [[0.1, -0.1, 0.1], [0.1]])
for name, function in (("scalar.stationarity_roots", dlnbook.stationarity_roots),
                       ("scalar.positive_roots", scalar.positive_roots)):
    row(name, lambda function=function: (function, dict(y=2.0, L=3, lam=0.1)),
        y=REAL + [-1.0], L=POSITIVE_INT + [1, DEEPEST, HUGE], lam=LAM[:-3] + [[0.1]])
row("scalar.scalar_critical_points", lambda: (dlnbook.scalar_critical_points, dict(lam=0.5, y=2.0)),
    lam=POSITIVE, y=REAL)

# the critical set
for name in ("critical.critical_points", "critical.iter_critical_points"):
    function = getattr(critical, name.split(".")[-1])
    if name.endswith("iter_critical_points"):
        call = (lambda function=function: (lambda **kw: list(function(**kw)), dict(problem=whitened(), seed=None)))
    else:
        call = (lambda function=function: (function, dict(problem=whitened(), seed=None)))
    row(name, call, problem=WHITENED_PROBLEM, seed=SEED)
row("critical.critical_points", lambda: (critical.critical_points, dict(problem=whitened(), max_configurations=100)),
    max_configurations=POSITIVE_INT + [1])
for name in ("critical.count_critical_points", "errorbound.error_bound_holds", "critical_set.require_whitened"):
    function = {"require_whitened": dlnbook.require_whitened, "error_bound_holds": dlnbook.error_bound_holds}.get(
        name.split(".")[-1], critical.count_critical_points)
    row(name, lambda function=function: (function, dict(problem=whitened())), problem=WHITENED_PROBLEM)
row("critical_set.CriticalSet", lambda: (dlnbook.CriticalSet, dict(problem=whitened())), problem=WHITENED_PROBLEM)
row("critical_set.Spectrum.of", lambda: (dlnbook.Spectrum.of, dict(problem=whitened())), problem=PROBLEM)
for method in ("configurations", "count", "global_minimum_loss", "iter_configurations"):
    exempt(f"critical_set.CriticalSet.{method}", None, "no arguments")
row("critical_set.CriticalSet.identify", lambda: (dlnbook.CriticalSet(point()[0]).identify, dict(W=point()[1])),
    W=WEIGHTS)
#: Configuration records built by hand with bad fields (Configuration itself is a plain NamedTuple)
BAD_CONFIGURATIONS = [Configuration("a", ("+",)), Configuration(None, None), Configuration(((0, NAN),), ("+",)),
                      Configuration(((9, 1.0),), ("+",)), Configuration(((0, "s"),), ("+",))]
#: a depth-3 problem, whose critical points lie on two roots "+" and "-"
DEEP = Problem.from_target([[2.0, 0.0], [0.0, 1.5]], widths=[2, 2], lam=0.1)
ON_MINUS = dlnbook.CriticalSet(DEEP).configurations()[-1]           # both components on the root "-"
assert ON_MINUS.branches == ("-", "-")
row("critical_set.CriticalSet.kind", lambda: (dlnbook.CriticalSet(DEEP).kind, dict(configuration=ON_MINUS)),
    configuration=["c", None, 3, [(5, 1.0)], [(0, NAN)], *BAD_CONFIGURATIONS,
                   ON_MINUS._replace(branches=("+", "+")), ON_MINUS._replace(branches=("-",)),
                   ON_MINUS._replace(branches="--"), ON_MINUS._replace(branches=("x", "-")),
                   ON_MINUS._replace(branches=None), ON_MINUS._replace(branches=("*", "-"))])
row("critical_set.CriticalSet.representative", lambda: (dlnbook.CriticalSet(whitened()).representative,
                                           dict(configuration=[(0, 1.0)], rng=None)),
    configuration=["c", None, 3, [(5, 1.0)], [(0, NAN)], [(0, -1.0)], *BAD_CONFIGURATIONS, {(0, 1.0)},
                   np.array(0), [{0, 1.0}]], rng=["r", 3, True])
for prefix in ("critical.",):
    for name in ("classify", "orbit_dimension", "orbit_tangent_basis", "hidden_rotation_dimension", "require_critical"):
        function = getattr(critical, name)
        problems = PROBLEM if name in ("hidden_rotation_dimension", "require_critical") else WHITENED_PROBLEM
        row(prefix + name, lambda function=function: (function, dict(problem=point()[0], W=point()[1])),
            problem=problems, W=WEIGHTS)
    row(prefix + "classify", lambda: (critical.classify, dict(problem=point()[0], W=point()[1], max_params=100)),
        max_params=POSITIVE_INT + [1])
    row(prefix + "require_critical", lambda: (critical.require_critical,
                                              dict(problem=point()[0], W=point()[1], name="W")), name=[3, None, ""])
row("critical.skew_basis", lambda: (critical.skew_basis, dict(n=3)), n=NONNEGATIVE_INT + [VAST])
row("critical.hessian_null_tolerance", lambda: (critical.hessian_null_tolerance,
                                                dict(H=np.eye(2), eigenvalues=np.ones(2), tangent=np.zeros((2, 0)),
                                                     L=2)),
    H=["H", None, np.zeros(2), np.zeros((2, 3)), np.full((2, 2), NAN)], eigenvalues=["e", None, np.ones(3), [NAN, 1]],
    tangent=["T", None, np.zeros(2), np.zeros((3, 1))], L=POSITIVE_INT + [1, HUGE])

# distance and error bound
for prefix in ("errorbound.",):
    row(prefix + "error_bound_ratio", lambda: (dlnbook.error_bound_ratio,
                                               dict(problem=whitened(), W=whitened().random_weights(seed=0))),
        problem=WHITENED_PROBLEM, W=WEIGHTS[:-3])
    row(prefix + "error_bound_ratio", lambda: (dlnbook.error_bound_ratio,
                                               dict(problem=whitened(), W=whitened().random_weights(seed=0),
                                                    max_alignments=4, max_sweeps=50)),
        **{"**options": None})
    row(prefix + "estimate_error_bound", lambda: (dlnbook.estimate_error_bound,
                                                  dict(problem=point()[0], W_bar=point()[1], radii=[1e-3, 1e-4],
                                                       n_random=2, seed=0, max_worst=1)),
        problem=WHITENED_PROBLEM, W_bar=WEIGHTS, radii=["r", None, [], [NAN], [-1e-3], [0.0], [[1e-3]], 1e-3],
        n_random=NONNEGATIVE_INT + [VAST], seed=SEED, max_worst=NONNEGATIVE_INT, **{"**options": None})
    row(prefix + "normal_hessian", lambda: (dlnbook.normal_hessian,
                                            dict(problem=point()[0], W_bar=point()[1], max_directions=2)),
        problem=WHITENED_PROBLEM, W_bar=WEIGHTS, max_directions=POSITIVE_INT)
row("distance.distance_to_critical_set", lambda: (dlnbook.distance_to_critical_set,
                                         dict(problem=whitened(), W=whitened().random_weights(seed=0),
                                              max_alignments=4, max_sweeps=50)),
    problem=WHITENED_PROBLEM, W=WEIGHTS[:-3], max_alignments=POSITIVE_INT, max_sweeps=POSITIVE_INT,
    max_ranked=POSITIVE_INT)
row("errorbound.ErrorBoundEstimate.slope",
    lambda: (dlnbook.estimate_error_bound(*point(), radii=[1e-3, 1e-4], n_random=1, seed=0).slope,
             dict(which="kappa")),
    which=["speed", None, 3, {}, ["kappa"], np.array("kappa")])

# descent
DESCENT_OPTIONS = dict(step=["a", NAN, INF, -0.1, 0.0, True, [0.1]], max_iter=NONNEGATIVE_INT, tol=REAL + [-1.0],
                       record_every=POSITIVE_INT, progress=FLAG)
for name, function in (("gradient_descent", dlnbook.gradient_descent),
                       ("torch_backend.gradient_descent", torch_backend.gradient_descent)):
    row(name, lambda function=function: (function, dict(problem=whitened(), W0=whitened().zeros(), max_iter=5)),
        problem=PROBLEM, W0=WEIGHTS, **DESCENT_OPTIONS)
row("gradient_descent", lambda: (dlnbook.gradient_descent, dict(problem=whitened(), W0=whitened().zeros(), max_iter=5)),
    callback=[3, "f", lambda k: None])
row("torch_backend.gradient_descent", lambda: (torch_backend.gradient_descent,
                                               dict(problem=whitened(), W0=whitened().zeros(), max_iter=5)),
    device=DEVICE)
STACKED = ["W", None, whitened().zeros(), [np.zeros((2, 2, 2))], [np.zeros((2, 2, 2)), np.zeros((3, 2, 2))],
           [np.full((2, 2, 2), NAN)] * 2, *ZERO_D]
for name, function in (("gradient_descent_batch", dlnbook.gradient_descent_batch),
                       ("torch_backend.gradient_descent_batch", torch_backend.gradient_descent_batch)):
    row(name, lambda function=function: (function, dict(problem=whitened(), W0s=[np.zeros((2, 2, 2))] * 2,
                                                         max_iter=5)),
        problem=PROBLEM + [[]], W0s=STACKED, **DESCENT_OPTIONS)
row("torch_backend.gradient_descent_batch", lambda: (torch_backend.gradient_descent_batch,
                                                     dict(problem=whitened(), W0s=[np.zeros((2, 2, 2))] * 2,
                                                          max_iter=5)), device=DEVICE)
row("torch_backend.resolve_device", lambda: (torch_backend.resolve_device, dict(device="cpu")), device=DEVICE)
row("torch_backend.to_sequential", lambda: (torch_backend.to_sequential, dict(W=whitened().zeros(), device="cpu")),
    W=["W", None, 3, [], [np.zeros((2, 2)), np.zeros((2, 3))], [np.full((2, 2), NAN)], *ZERO_D], device=DEVICE)
row("torch_backend.from_sequential", lambda: (torch_backend.from_sequential, dict(net=sequential())),
    net=["net", None, 3, [np.zeros((2, 2))]])
row("rates.predicted_rate", lambda: (dlnbook.predicted_rate, dict(problem=point()[0], W=point()[1], step=0.1,
                                                            zero_tol=1e-7)),
    problem=PROBLEM, W=WEIGHTS, step=["a", None, NAN, INF, -0.1, 0.0, True], zero_tol=["a", None, NAN, -1.0, True])
row("Trajectory.linear_rate", lambda: (run().linear_rate, dict(start=None, stop=None, atol=0.01, min_records=5)),
    **RATE_OPTIONS)
row("Trajectory.plot", lambda: (run().plot, dict(ax=None, fit=True, label=None, distance=False)),
    ax=AX, fit=FLAG, label=[3, ["a"]], distance=FLAG, **{"**style": None})
row("BatchTrajectory.linear_rates", lambda: (batch_run().linear_rates, dict()), **{"**kwargs": None})

row("descent.run_batch", lambda: (descent.run_batch, dict(backend=descent.NUMPY, problem=whitened(),
                                                         W0s=[np.zeros((2, 2, 2))] * 2, max_iter=5)),
    backend=["numpy", None, 3, np, (np, np.asarray, np.asarray), descent.Backend(np, None, np.asarray)],
    problem=PROBLEM + [[]], W0s=STACKED, **DESCENT_OPTIONS)
row("steps.check_step", lambda: (steps.check_step, dict(step=[0.1, 0.2], batch=2)),
    step=["a", NAN, INF, -0.1, 0.0, True, [0.1], [0.1, NAN], [0.1, -0.2], [[0.1, 0.2]], ["a", "b"]],
    batch=["2", 2.5, True, 0, -1, NAN, [2], VAST])
row("trajectory.stop_message", lambda: (trajectory.stop_message, dict(status="diverged", iterations=3, tol=1e-10,
                                                                      step=0.1, suggested=0.05, at=2, reason=None)),
    status=["conv", "Converged", None, 3, ["diverged"]], iterations=NONNEGATIVE_INT, tol=REAL + [-1.0],
    step=POSITIVE, suggested=POSITIVE, at=NONNEGATIVE_INT, reason=[3, "", ["a"]])
K = np.arange(10.0)
row("rates.fit_line", lambda: (rates.fit_line, dict(k=K, logg=-0.1 * K)),
    k=["k", None, 3, K[:4], K[:, None], np.full(10, NAN), np.zeros(10), K + 1j, K + 0.5, K - 5, K * 1e300],
    logg=["g", None, 3, K[:4], K[:, None], np.full(10, NAN), np.full(10, INF)])
row("rates.linear_rate", lambda: (rates.linear_rate, dict(k=K, g=np.exp(-0.1 * K), start=None, stop=None, atol=0.01,
                                                          min_records=5)),
    k=["k", None, 3, K[:5], K[:, None], np.full(10, NAN), K + 1j, K[::-1], np.zeros(10), K * 1e300],
    g=["g", None, 3, K[:9], K[:, None], K + 1j],
    **RATE_OPTIONS)

# figures
row("plots.loss_on_plane", lambda: (plots.loss_on_plane, dict(problem=whitened(), W0=whitened().zeros(),
                                                              D1=whitened().random_weights(seed=1),
                                                              D2=whitened().random_weights(seed=2),
                                                              alphas=[0.0, 1.0], betas=[0.0, 1.0])),
    problem=PROBLEM, W0=WEIGHTS, D1=WEIGHTS, D2=WEIGHTS, alphas=["a", None, [], [NAN], [[0.0]], 0.5],
    betas=["b", None, [], [INF]])
row("plots.plot_scalar_landscape", lambda: (plots.plot_scalar_landscape, dict(lam=0.5, y=2.0, ax=None,
                                                                            radius=2.0, n=5)),
    lam=POSITIVE + [1e308], y=REAL + [1e308, -1e308], ax=AX, radius=POSITIVE + [1e308],
    n=POSITIVE_INT + [1, VAST])
row("plots.plot_bifurcation", lambda: (plots.plot_bifurcation, dict(L=3, lam=0.1, y_max=3.0, ax=None, n=10)),
    L=POSITIVE_INT + [1, VAST], lam=LAM[:-3], y_max=POSITIVE + [1e308], ax=AX, n=POSITIVE_INT + [1, VAST])
row("plots.plot_convergence", lambda: (plots.plot_convergence, dict(trajectory=run(), ax=None, fit=True,
                                                                    label=None, distance=False)),
    trajectory=["t", None, 3], ax=AX, fit=FLAG, label=[3, ["a"]], distance=FLAG, **{"**style": None})

# explorable figures
for name in ("explore", "Explorable"):
    function = getattr(dlnbook, name)
    row(name, lambda function=function: (function, dict(EXPLORE)),
        draw=["draw", None, 3], controls=["c", None, {}, {"a": []}, {"a": [NAN, 1]}, {3: [1, 2]}, {"a": [1, 1]},
                                            {"x": [1, 2]}],
        alt=[None, "", 3], default=["a", 3, {"x": 1}, {"a": 5}], labels=["a", 3, {"x": "X"}, {"a": ""}, {"a": 3}],
        figsize=["7", None, 7.0, (7.0,), (7.0, -1.0), (NAN, 1.0), (1e6, 1e6)],
        dpi=POSITIVE_INT + [10**6, HUGE], max_frames=POSITIVE_INT + [1])
row("Explorable.index", lambda: (explorable().index, dict(a=0, b=1)), **{"**positions": None})
exempt("Explorable.html", None, "no arguments")
exempt("Explorable.widget", None, "no arguments")
exempt("explore.use_book_figures", None, "no arguments")


def a_figure():
    import matplotlib.pyplot as plt
    figure, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    return figure


for name in ("explore.figure_png", "explore.smallest_text"):
    row(name, lambda name=name: (getattr(importlib.import_module("dlnbook.explore"), name.split(".")[1]),
                                 dict(fig=a_figure())),
        fig=["fig", None, 3, np.zeros((2, 2))])

#: finite values whose results overflow float64 (never a silent inf or NaN), added to the rows above
BIG = [np.full((2, 2), 1e200)] * 2
OVERFLOWING = {
    ("norm", "W"): [[np.full((2, 2), 1e308)]],
    ("Problem.product", "W"): [BIG],
    ("Problem.loss", "W"): [BIG],
    ("Problem.loss_batch", "W"): [[np.full((3, 2, 2), 1e200)] * 2],
    ("critical_set.CriticalSet.identify", "W"): [BIG],
    ("distance.distance_to_critical_set", "W"): [BIG, [np.full((2, 2), 1e160)] * 2],
    ("errorbound.normal_hessian", "W_bar"): [BIG, [np.full((2, 2), 1e-8)] * 2],   # and one that is not critical
    ("errorbound.estimate_error_bound", "W_bar"): [BIG],
    ("gradient_descent", "W0"): [BIG],
    ("gradient_descent_batch", "W0s"): [[np.full((2, 2, 2), 1e200)] * 2],
    ("plots.loss_on_plane", "W0"): [BIG],
    ("plots.loss_on_plane", "D1"): [BIG],
    ("rates.predicted_rate", "step"): [1e308],
    ("rates.fit_line", "logg"): [np.full(10, 1e308), np.full(10, -1e3)],
    ("rates.linear_rate", "g"): [-np.exp(-0.1 * K)],
}
for key, values in OVERFLOWING.items():
    call, hostile = AUDIT[key]
    AUDIT[key] = (call, hostile + values)

#: ``**options``-style arguments are audited through the keys they accept (the rows above with None),
#: with these hostile calls: (name, valid call, the options, the option named in the message)
OPTION_CASES = [
    ("error_bound_ratio", lambda: (dlnbook.error_bound_ratio, dict(problem=whitened(),
                                                                   W=whitened().random_weights(seed=0))),
     {"max_alignments": 0}, "max_alignments"),
    ("error_bound_ratio", lambda: (dlnbook.error_bound_ratio, dict(problem=whitened(),
                                                                   W=whitened().random_weights(seed=0))),
     {"max_sweeps": "a"}, "max_sweeps"),
    ("error_bound_ratio", lambda: (dlnbook.error_bound_ratio, dict(problem=whitened(),
                                                                   W=whitened().random_weights(seed=0))),
     {"tolerance": 1e-3}, "tolerance"),
    ("estimate_error_bound", lambda: (dlnbook.estimate_error_bound, dict(problem=point()[0], W_bar=point()[1],
                                                                         radii=[1e-3], n_random=1, seed=0)),
     {"max_sweeps": -1}, "max_sweeps"),
    ("BatchTrajectory.linear_rates", lambda: (batch_run().linear_rates, dict()), {"min_records": 0}, "min_records"),
    ("BatchTrajectory.linear_rates", lambda: (batch_run().linear_rates, dict()), {"speed": 1}, "speed"),
    ("Trajectory.plot", lambda: (run().plot, dict()), {"colour": "r"}, "colour"),
    ("plots.plot_convergence", lambda: (plots.plot_convergence, dict(trajectory=run())), {"colour": "r"},
     "colour"),
    ("Explorable.index", lambda: (explorable().index, dict()), {"c": 0}, "c"),
    ("Explorable.index", lambda: (explorable().index, dict()), {"a": 7}, "a"),
]


# --- the tests -------------------------------------------------------------------------------------

def test_every_public_argument_has_a_row():
    """A new public function or argument must get a row in AUDIT (and a row must not outlive its argument)."""
    public = appendix_callables()
    assert set(EXCLUDED) - set(public) == set(), "exclusions of callables the appendix does not document"
    expected = set()
    for name, function in public.items():
        if name in EXCLUDED:
            continue
        names = arguments(function)
        expected |= {(name, argument) for argument in names} if names else {(name, None)}
    assert expected - set(AUDIT) == set(), "public arguments without a row in AUDIT"
    assert set(AUDIT) - expected == set(), "rows in AUDIT for arguments that no longer exist"


def test_the_appendix_documents_every_public_name():
    """Every function and class reachable from ``dlnbook.__all__`` (and every public method) is in the appendix,
    so it is audited above (or excluded, with its reason)."""
    documented = {id(_identity(obj)) for obj in appendix_callables().values()}
    missing = [f"{getattr(obj, '__module__', '?')}.{obj.__qualname__}" for obj in exported_callables()
               if id(_identity(obj)) not in documented]
    assert missing == [], "public names the API appendix does not document"


def test_the_appendix_is_read():
    """The parser finds what the appendix shows (a guard against a parser that silently finds nothing)."""
    public = appendix_callables()
    assert {"Problem", "Problem.loss", "problem.evaluate", "scalar.positive_roots", "critical_set.CriticalSet.kind",
            "descent.run_batch", "steps.check_step", "trajectory.stop_message", "rates.fit_line",
            "torch_backend.resolve_device", "Explorable.index", "explore"} <= set(public)
    assert "Trajectory.replay" not in public and "critical_set.KINDS" not in public


def _cases():
    for (name, argument), (call, values) in AUDIT.items():
        if call is None or values is None:
            continue
        for i, value in enumerate(values):
            yield pytest.param(name, argument, call, value, id=f"{name}-{argument}-{i}")


def _names(message, argument):
    return re.search(rf"(^|[^A-Za-z_]){re.escape(argument)}([^A-Za-z_]|$)", message) is not None


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name, argument, call, value", list(_cases()))
def test_hostile_value_is_refused_naming_the_argument(name, argument, call, value):
    import matplotlib.pyplot as plt
    function, kwargs = call()
    function(**kwargs)                                     # the valid call works
    kwargs[argument] = value
    try:
        with pytest.raises((TypeError, ValueError)) as info:
            function(**kwargs)
    finally:
        plt.close("all")
    assert type(info.value) in (TypeError, ValueError), f"{type(info.value).__name__}: {info.value}"
    assert _names(str(info.value), argument), f"{argument!r} not named in: {info.value}"


@pytest.mark.parametrize("name, call, options, argument", OPTION_CASES, ids=[f"{c[0]}-{c[3]}" for c in OPTION_CASES])
def test_hostile_option_is_refused_naming_it(name, call, options, argument):
    import matplotlib.pyplot as plt
    function, kwargs = call()
    try:
        with pytest.raises((TypeError, ValueError)) as info:
            function(**kwargs, **options)
    finally:
        plt.close("all")
    assert type(info.value) in (TypeError, ValueError)
    assert _names(str(info.value), argument), f"{argument!r} not named in: {info.value}"


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_tensors_that_require_grad_are_accepted_where_arrays_are():
    """Arrays may be torch tensors, even ones that require grad: their values are read (detached)."""
    problem = whitened()
    W = [grad_tensor(shape) for shape in problem.shapes]
    assert problem.loss(W) == problem.loss(problem.zeros())
    assert dlnbook.norm(W) == 0.0
    stacked = [grad_tensor((3, *shape)) for shape in problem.shapes]
    assert np.array_equal(problem.loss_batch(stacked), problem.loss_batch([np.zeros((3, *s)) for s in problem.shapes]))
    assert Problem(torch.tensor(X, requires_grad=True), Y, [4], 0.1).loss(general().zeros()) == \
        general().loss(general().zeros())
    assert math.isclose(dlnbook.gradient_descent(problem, W, max_iter=3).loss[-1],
                        dlnbook.gradient_descent(problem, problem.zeros(), max_iter=3).loss[-1])
