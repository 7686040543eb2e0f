"""The scalar equation of a critical point and its thresholds (Chapters 1 and 2).

Every active component of a critical point of the whitened loss is one number ``σ ≥ 0`` that solves,
for the singular value ``y`` of Ȳ it is aligned with,

.. math::

    \\sigma^{2L-2} - \\sqrt{\\Lambda}\\, y\\, \\sigma^{L-2} + \\Lambda = 0, \\qquad \\Lambda = \\prod_l \\lambda_l .
    \\qquad\\qquad (2)

* :func:`threshold`, :func:`global_threshold`: the values of ``y`` above which (2) has positive
  roots, and above which an active component lowers the loss.
* :func:`positive_roots`, :func:`stationarity_roots`: the roots of (2), with and without their branch labels.
* :func:`scalar_critical_points`: the smallest example of all, the two-layer scalar loss
  ``F(a, b) = ½(ab − y)² + λ/2 (a² + b²)`` of Chapter 1, with the kinds of :func:`dlnbook.critical.classify`.
"""

import math
import sys
from typing import NamedTuple

import numpy as np

from . import _checks

#: ``y`` counts as equal to a threshold τ when ``|y − τ| ≤ THRESHOLD_RTOL · τ``: then (2) has a
#: double root (L ≥ 3) or no positive root (L = 2).
THRESHOLD_RTOL = 1e-10

#: The labels of the positive roots of equation (2), in this order the larger root ``s₊``, the smaller
#: root ``s₋`` (both for L ≥ 3 and ``y > τ_L``) and the double root ``s*`` (L ≥ 3 and ``y = τ_L``).
#: For L = 2 the one positive root is labelled ``"+"``.
BRANCHES = ("+", "-", "*")

#: Relative tolerance under which ``|y|`` and ``λ`` count as equal in :func:`scalar_critical_points`.
SCALAR_TIE_RTOL = 1e-9


class _Product(NamedTuple):
    """Λ = Π λ_l as ``mantissa · 2^exponent``: Λ itself under- or overflows for deep networks
    (λ = 1e−4, L = 100 gives 1e−400), its roots Λ^{1/q} (such as μ = Λ^{1/L}, the geometric mean of
    the λ_l) do not."""
    mantissa: float
    exponent: int

    @property
    def plain(self):
        """Λ as a float when it is far from under- and overflow (the direct formulas are then exact to the
        last bit as they always were), else None."""
        return math.ldexp(self.mantissa, self.exponent) if -800 < self.exponent < 800 else None

    @classmethod
    def of(cls, L, lam):
        """Λ from a positive scalar (every layer) or L positive numbers."""
        if not isinstance(lam, (str, bytes, set, frozenset, dict)) and np.ndim(lam) == 0 and L > 10_000:
            return cls._power(_checks.positive_real("lam", lam), L)      # λ^L by squaring: no list of L values
        lambdas = _checks.regularization(lam, L)
        with np.errstate(over="ignore", under="ignore"):
            plain = float(np.prod(lambdas))
        if 0 < plain < np.inf and -800 < math.frexp(plain)[1] < 800:
            return cls(*math.frexp(plain))                               # the product as it always was
        product = cls(0.5, 1)
        for value in lambdas:
            product = product.times(*math.frexp(value))
        return product

    def times(self, mantissa, exponent):
        """Λ · mantissa · 2^exponent, renormalized."""
        m, shift = math.frexp(self.mantissa * mantissa)
        return _Product(m, self.exponent + exponent + shift)

    @classmethod
    def _power(cls, value, n):
        result, base = cls(0.5, 1), cls(*math.frexp(value))
        while n:
            if n & 1:
                result = result.times(*base)
            base = base.times(*base)
            n >>= 1
        return result

    @property
    def log(self):
        """log Λ."""
        return math.log(self.mantissa) + self.exponent * math.log(2)

    def root(self, q, factor=1.0, what="the result"):
        """``factor · Λ^{1/q}`` to a few ulps: the exponent is divided exactly, ``2^{e/q} = 2^k 2^{r/q}``."""
        if self.plain is not None:
            return factor * self.plain ** (1.0 / q)
        k, r = divmod(self.exponent, q)
        try:
            base = (math.ldexp(self.mantissa, r) ** (1.0 / q) if r < 1000     # one rounding
                    else self.mantissa ** (1.0 / q) * 2.0 ** (r / q))
            return math.ldexp(factor * base, k)
        except OverflowError:
            raise ValueError(f"{what} is about 10^{(self.log / q) / math.log(10):.0f}, beyond the largest "
                             f"float; use smaller lam") from None


def _tau(L, Lam):
    """τ_L(Λ), with 0⁰ = 1 (so τ_2 = √Λ)."""
    e = 1.0 / (2 * L - 2)
    if Lam.plain is not None:
        return (2 * L - 2) * Lam.plain ** e / (L ** (L * e) * float(L - 2) ** ((L - 2) * e))   # 0.0 ** 0.0 == 1
    factor = (2 * L - 2) / (L ** (L * e) * float(L - 2) ** ((L - 2) * e))
    return Lam.root(2 * L - 2, factor, "τ_L")


def _tau_glob(L, Lam):
    """τ^glob(Λ)."""
    e = 1.0 / (2 * L - 2)
    if Lam.plain is not None:
        return (L - 1) * float(L - 2) ** (-(L - 2) * e) * Lam.plain ** e if L > 2 else Lam.plain ** 0.5
    return Lam.root(2 * L - 2, (L - 1) * float(L - 2) ** (-(L - 2) * e), "τ^glob")


def threshold(L, lam):
    """The threshold τ_L(Λ): equation (2) has a positive root exactly when ``y ≥ τ_L`` (``y > τ_L`` for L = 2).

    .. math::

        \\tau_L(\\Lambda) = \\frac{(2L-2)\\, \\Lambda^{1/(2L-2)}}{L^{L/(2L-2)}\\, (L-2)^{(L-2)/(2L-2)}},
        \\qquad \\Lambda = \\prod_l \\lambda_l ,

    with ``0⁰ = 1``, so ``τ_2 = √Λ = (λ_1 λ_2)^{1/2}`` (the soft-threshold of two-layer networks).
    For L ≥ 3, at ``y = τ_L`` the two positive roots of (2) merge (a saddle–node); for L = 2 the
    positive root is born from 0 (a pitchfork). Chapter 2, "The scalar equation".

    Parameters
    ----------
    L : int
        Depth, at least 2.
    lam : float or sequence of float
        One positive λ for every layer, or L of them; only their product Λ matters.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        If ``L`` is not an integer ≥ 2 or ``lam`` is not positive with one value per layer.

    Examples
    --------
    >>> from dlnbook import threshold
    >>> round(threshold(2, [0.5, 2.0]), 12), round(threshold(3, 1.0), 6)
    (1.0, 1.754765)
    """
    L = _checks.depth(L)
    return _tau(L, _Product.of(L, lam))


def global_threshold(L, lam):
    """The threshold τ^glob(Λ) above which an active component lowers the loss.

    .. math::

        \\tau^{\\mathrm{glob}}(\\Lambda) = (L-1)\\,(L-2)^{-(L-2)/(2L-2)}\\, \\Lambda^{1/(2L-2)}

    (``= τ_2 = √Λ`` for L = 2). A component with singular value ``y`` active at the larger root of (2)
    changes the loss by ``φ = −½ s^{2L} + ½ (L−2) μ s²`` (``s = σ/√μ``, ``μ = Λ^{1/L}``), which is
    negative exactly when ``y > τ^glob``. For L ≥ 3, ``τ^glob > τ_L``: between the two thresholds a
    component can be active at a local minimum that is not global. Chapter 2, "The classification".

    Parameters
    ----------
    L : int
        Depth, at least 2.
    lam : float or sequence of float
        One positive λ for every layer, or L of them.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        As :func:`threshold`.

    Examples
    --------
    >>> from dlnbook import global_threshold
    >>> round(global_threshold(3, 1.0), 12), round(global_threshold(2, 0.25), 12)
    (2.0, 0.25)
    """
    L = _checks.depth(L)
    return _tau_glob(L, _Product.of(L, lam))


class Root(NamedTuple):
    """A positive root ``sigma`` of equation (2) and its ``branch`` (one of :data:`BRANCHES`).
    """
    sigma: float
    branch: str


def positive_roots(y, L, lam):
    """The positive roots σ of equation (2) with their branch labels, largest first.

    For L = 2: one root ``"+"`` when ``y > τ_2``. For L ≥ 3: ``"+"`` and ``"-"`` when ``y > τ_L``,
    the double root ``"*"`` when ``y = τ_L`` (within :data:`THRESHOLD_RTOL`), none below. The roots
    are found by bisection to the last bit.

    Parameters
    ----------
    y : float
        A singular value of Ȳ (``y ≥ 0``).
    L : int
        Depth, at least 2.
    lam : float or sequence of float
        One positive λ for every layer, or L of them.

    Returns
    -------
    list of Root

    Raises
    ------
    TypeError, ValueError
        If ``y``, ``L`` or ``lam`` are invalid (see :func:`threshold`), or if the smaller root σ₋ is below
        the smallest normal float (deep networks with tiny λ): its critical points cannot be represented.

    Examples
    --------
    >>> from dlnbook.scalar import positive_roots
    >>> [(round(sigma, 6), branch) for sigma, branch in positive_roots(2.0, 3, 0.1)]
    [(0.393006, '+'), (0.015812, '-')]
    """
    y = _checks.real("y", y, minimum=0)
    L = _checks.depth(L)
    return _roots(y, L, _Product.of(L, lam))


def _roots(y, L, Lam):
    """:func:`positive_roots` from Λ, in the equal-λ variable ``s = σ/√μ``, ``μ = Λ^{1/L}``.

    ``s > 0`` solves (2) exactly when ``h(s) = s^L + μ s^{2−L} = y``; ``h`` is compared with ``y``
    through logarithms, so that ``s^L`` and ``s^{2−L}`` never under- or overflow at any depth.
    """
    mu = Lam.plain ** (1.0 / L) if Lam.plain is not None else Lam.root(L)   # the geometric mean of the λ_l
    log_mu = math.log(mu)
    tau = _tau(L, Lam)
    if y <= 0:
        return []
    log_y = math.log(y)
    scale = math.sqrt(mu)                     # σ = s √μ
    if L == 2:
        if y <= tau * (1 + THRESHOLD_RTOL):
            return []
        return [Root(float(math.sqrt(mu) * math.sqrt(y - mu)), "+")]
    log_s_c = (log_mu + math.log(L - 2) - math.log(L)) / (2 * L - 2)     # h'(s_c) = 0: the minimum of h
    if abs(y - tau) <= THRESHOLD_RTOL * tau:
        return [Root(float(scale * math.exp(log_s_c)), "*")]
    if y < tau:
        return []

    def above(t):
        """Whether h(e^t) > y."""
        return np.logaddexp(L * t, log_mu + (2 - L) * t) > log_y

    if Lam.plain is not None:
        s_c = (mu * (L - 2) / L) ** (1.0 / (2 * L - 2))
        top = y ** (1.0 / L)
        def h_minus_y(s):
            try:
                return s ** L + mu * s ** (2 - L) - y
            except (OverflowError, ZeroDivisionError):
                return math.inf                      # beyond the floats: the log-space search below
        small = _small_bracket(h_minus_y, s_c)
        ends = [h_minus_y(v) if v > 0 else math.inf for v in (small, s_c, top)]
        if all(math.isfinite(v) for v in ends) and ends[0] > 0 and ends[2] > 0:
            lower = _bisect(h_minus_y, small, s_c)
            upper = _bisect(h_minus_y, s_c, top)
            return _two_roots(y, L, scale, upper, lower)

    # h(e^t) > y, with room to spare, at t = log y / L + 1 (s^L alone is e^L y) and at
    # t = (log μ − log y)/(L − 2) − 1 (μ s^{2−L} alone is e^{L−2} y)
    upper = _log_bisect(above, log_s_c, log_y / L + 1)
    lower = _log_bisect(above, (log_mu - log_y) / (L - 2) - 1, log_s_c)
    return _two_roots(y, L, scale, upper, lower)


def _two_roots(y, L, scale, upper, lower):
    """The roots σ = √μ s of both branches, refusing a σ₋ that floats cannot hold."""
    log_sigma = math.log(lower) + math.log(scale) if lower > 0 else -math.inf
    if log_sigma < math.log(sys.float_info.min):
        # σ₋ would be stored as 0 or as a subnormal with lost digits: the critical points on it (and their
        # weights, built from σ) cannot be represented, so say so instead of returning W = 0
        size = f"≈ 1e{log_sigma / math.log(10):.0f}, below the smallest normal float" if lower > 0 else \
            "below the smallest float"
        raise ValueError(f"lam: for y = {y:.6g} at depth L = {L} the smaller root of (2) is σ₋ {size}; the "
                         f"critical points on it cannot be represented in floats (a larger λ, or a target of "
                         f"another scale, avoids this)")
    return [Root(float(scale * upper), "+"), Root(float(scale * lower), "-")]


def _bisect(f, a, b):
    """A root of f in [a, b] (f(a), f(b) of opposite signs), to the last bit."""
    fa = f(a)
    while True:
        m = 0.5 * (a + b)
        if m <= a or m >= b:
            return m
        fm = f(m)
        if fm == 0:
            return m
        if (fm > 0) == (fa > 0):
            a, fa = m, fm
        else:
            b = m


def _small_bracket(f, s_c):
    """A point in (0, s_c) where f > 0 (f → +∞ as s → 0+), or 0.0 if there is none in floats."""
    s = s_c / 2
    while s > 0 and not f(s) > 0:
        s /= 2
    return s


def _log_bisect(above, a, b):
    """The root s of h(s) = y with log s in [a, b] (``above`` differs at the ends), to the last bit of s.

    Bisects in t = log s until the bracket stops shrinking, then in s itself (a bracket of relative width
    about 1e−13 by then), so that the root has full relative precision whatever its size.
    """
    above_a = above(a)
    while True:
        m = 0.5 * (a + b)
        if m <= a or m >= b:
            break
        if above(m) == above_a:
            a = m
        else:
            b = m
    s_a, s_b = sorted((math.exp(a), math.exp(b)))
    s_a, s_b = s_a * (1 - 1e-12), s_b * (1 + 1e-12)      # exp rounds: keep the root inside
    low_above = above(math.log(s_a)) if s_a > 0 else True
    while True:
        m = 0.5 * (s_a + s_b)
        if m <= s_a or m >= s_b:
            return m
        if above(math.log(m)) == low_above:
            s_a = m
        else:
            s_b = m


def stationarity_roots(y, L, lam):
    """The nonnegative solutions σ of equation (2) for one singular value ``y``.

    .. math::

        \\sigma\\,\\big(\\sigma^{2L-2} - \\sqrt{\\Lambda}\\, y\\, \\sigma^{L-2} + \\Lambda\\big) = 0 .

    ``σ = 0`` is always a solution. For L = 2 there is one positive root,
    ``σ = (√Λ (y − √Λ))^{1/2}``, when ``y > τ_2 = √Λ``. For L ≥ 3 there are two positive roots when
    ``y > τ_L``, one double root ``σ* = √μ ((L−2)μ/L)^{1/(2L−2)}`` (``μ = Λ^{1/L}``) when
    ``y = τ_L``, listed once, and none below (see :func:`positive_roots`).

    Parameters
    ----------
    y : float
        A singular value of Ȳ (``y ≥ 0``).
    L : int
        Depth, at least 2.
    lam : float or sequence of float
        One positive λ for every layer, or L of them.

    Returns
    -------
    ndarray
        The roots in increasing order, starting with 0.

    Raises
    ------
    TypeError, ValueError
        If ``y`` is negative or not a real number, or ``L``, ``lam`` are invalid (see :func:`threshold`),
        or if the smaller root is below the smallest normal float (see :func:`positive_roots`).

    Examples
    --------
    >>> from dlnbook import stationarity_roots, threshold
    >>> stationarity_roots(2.0, 2, 1.0).tolist()
    [0.0, 1.0]
    >>> len(stationarity_roots(threshold(3, 0.1), 3, 0.1)), len(stationarity_roots(1.0, 3, 0.1))
    (2, 3)
    """
    return np.array([0.0] + sorted(root.sigma for root in positive_roots(y, L, lam)))


class ScalarCriticalPoints(NamedTuple):
    """The critical points of the two-layer scalar loss (see :func:`scalar_critical_points`).
    """
    points: np.ndarray
    kinds: tuple
    degenerate: tuple


def scalar_critical_points(lam, y):
    """Critical points of ``F(a, b) = ½(ab − y)² + λ/2 (a² + b²)`` and their kinds.

    This is the two-layer scalar network with input ``x = 1`` (Chapter 1, the scalar landscape).
    The closed form derived there: the origin is always critical; if ``|y| > λ`` there are two more,
    ``±(a0, sign(y) a0)`` with ``a0 = sqrt(|y| − λ)``. The Hessian eigenvalues are ``λ ∓ |y|`` at the
    origin and ``2(|y| − λ)``, ``2λ`` at the other two, which gives the kinds, in the words of
    :func:`dlnbook.critical.classify`: the origin is the ``"global minimum"`` when ``|y| < λ`` and a
    ``"strict saddle"`` when ``|y| > λ``, where the other two are the global minima. At ``|y| = λ``
    (up to the relative tolerance :data:`SCALAR_TIE_RTOL`) the origin is a *degenerate* global
    minimum: its Hessian is singular and F grows only like ``t⁴`` along the diagonal ``b = sign(y) a``.

    Parameters
    ----------
    lam : float
        The regularization parameter λ > 0 (the same in both layers).
    y : float
        The target.

    Returns
    -------
    ScalarCriticalPoints
        ``points`` (shape (k, 2), the critical points ``(a, b)``, origin first; k is 1 or 3),
        ``kinds`` (one kind word per point) and ``degenerate`` (one bool per point).

    Raises
    ------
    TypeError
        If ``lam`` or ``y`` is not a real number.
    ValueError
        If ``lam`` is not positive and finite, or ``y`` is not finite.

    Examples
    --------
    >>> from dlnbook import scalar_critical_points
    >>> points, kinds, degenerate = scalar_critical_points(0.5, -2.5)
    >>> points.tolist(), kinds
    ([[0.0, 0.0], [1.4142135623730951, -1.4142135623730951], [-1.4142135623730951, 1.4142135623730951]], ('strict saddle', 'global minimum', 'global minimum'))
    """
    lam = _checks.positive_real("lam", lam)
    y = _checks.real("y", y)
    if abs(abs(y) - lam) <= SCALAR_TIE_RTOL * lam:
        points, kinds, degenerate = np.zeros((1, 2)), ("global minimum",), (True,)
    elif abs(y) < lam:
        points, kinds, degenerate = np.zeros((1, 2)), ("global minimum",), (False,)
    else:
        a0 = np.sqrt(abs(y) - lam)
        sign = np.sign(y)
        points = np.array([[0.0, 0.0], [a0, sign * a0], [-a0, -sign * a0]])
        kinds, degenerate = ("strict saddle", "global minimum", "global minimum"), (False, False, False)
    points.flags.writeable = False
    return ScalarCriticalPoints(points, kinds, degenerate)
