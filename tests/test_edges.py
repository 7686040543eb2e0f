"""The library at the edges: deep networks and extreme λ, against a high-precision oracle.

The thresholds and roots of the scalar equation (2) are checked against ``mpmath`` at 60 digits,
written from the formulas of Chapter 2 (not from ``dlnbook``'s code): depth up to 120 and λ from
1e−300 to 1e300, where Λ = Π λ_l itself is far outside the floats.
"""

import pathlib
import sys

import mpmath
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from helpers import SETTINGS  # noqa: E402

import dlnbook  # noqa: E402
from dlnbook import Problem, classify, critical_points, global_threshold, stationarity_roots, threshold  # noqa: E402
from dlnbook.critical import require_critical  # noqa: E402
from dlnbook.scalar import positive_roots  # noqa: E402

pytestmark = pytest.mark.unit
mpmath.mp.dps = 60

deep = st.integers(min_value=2, max_value=120)
#: λ log-uniform over the whole float range used in practice and beyond
extreme_lam = st.floats(min_value=-300.0, max_value=300.0).map(lambda e: float(10.0 ** e))


def oracle_lambda_product(lam, L):
    return mpmath.fprod([mpmath.mpf(v) for v in (lam if np.ndim(lam) else [lam] * L)])


def oracle_tau(L, Lam):
    """τ_L = (2L−2) Λ^{1/(2L−2)} / (L^{L/(2L−2)} (L−2)^{(L−2)/(2L−2)}), 0⁰ = 1 (Chapter 2)."""
    L = mpmath.mpf(L)
    e = 1 / (2 * L - 2)
    return (2 * L - 2) * Lam ** e / (L ** (L * e) * ((L - 2) ** ((L - 2) * e) if L > 2 else 1))


def oracle_roots(y, L, Lam):
    """The positive roots of σ^{2L−2} − √Λ y σ^{L−2} + Λ = 0, larger first, by bisection in log σ."""
    y = mpmath.mpf(y)

    def g(t):                                            # (2) divided by σ^{L−2}, in t = log σ
        s = mpmath.exp(t)
        return s ** L / mpmath.sqrt(Lam) + mpmath.sqrt(Lam) / s ** (L - 2) - y

    if L == 2:
        mu = mpmath.sqrt(Lam)
        return [mpmath.sqrt(mu * (y - mu))] if y > mu else []
    t_c = (mpmath.log(L - 2) + mpmath.log(Lam) - mpmath.log(L)) / (2 * L - 2)   # g'(σ_c) = 0
    if g(t_c) >= 0:
        return []
    far = 10 + abs(mpmath.log(y)) + abs(mpmath.log(Lam))
    return [mpmath.exp(oracle_bisect(g, t_c, t_c + far)), mpmath.exp(oracle_bisect(g, t_c, t_c - far))]


def oracle_bisect(g, inside, outside):
    """The root of g between ``inside`` (g < 0) and ``outside`` (g > 0), by 300 bisections at 60 digits."""
    assert g(inside) < 0 < g(outside)
    for _ in range(300):
        middle = (inside + outside) / 2
        if g(middle) < 0:
            inside = middle
        else:
            outside = middle
    return (inside + outside) / 2


@SETTINGS
@given(L=deep, lam=extreme_lam)
@example(L=100, lam=1e-4)
@example(L=50, lam=1e-7)
@example(L=30, lam=1e-11)
@example(L=2, lam=1e300)
@example(L=120, lam=1e-300)
def test_thresholds_match_high_precision_oracle(L, lam):
    Lam = oracle_lambda_product(lam, L)
    tau = oracle_tau(L, Lam)
    assert threshold(L, lam) == pytest.approx(float(tau), rel=1e-13)
    e = 1 / mpmath.mpf(2 * L - 2)
    glob = (L - 1) * (L - 2) ** (-(L - 2) * e) * Lam ** e if L > 2 else mpmath.sqrt(Lam)
    assert global_threshold(L, lam) == pytest.approx(float(glob), rel=1e-13)


def test_threshold_of_the_issue_examples():
    # Λ = 1e−400 underflows; τ_100 is 0.01909, not 0
    assert threshold(100, 1e-4) == pytest.approx(0.019089995211860, rel=1e-12)
    assert threshold(50, 1e-7) > 0 and threshold(30, 1e-11) > 0


@SETTINGS
@given(L=deep, lam=extreme_lam, ratio=st.floats(min_value=1.001, max_value=1e6))
@example(L=100, lam=1e-4, ratio=2.0 / 0.019089995211860)
@example(L=3, lam=1e-10, ratio=3.0)
@example(L=3, lam=1e300, ratio=2.0)
def test_roots_match_high_precision_oracle(L, lam, ratio):
    """y = ratio · τ_L: two roots (one for L = 2), each to 1e−12 relative to the oracle."""
    Lam = oracle_lambda_product(lam, L)
    y = float(ratio * oracle_tau(L, Lam))
    expected = oracle_roots(y, L, Lam)
    found = [root.sigma for root in positive_roots(y, L, lam)]
    assert len(found) == len(expected) == (1 if L == 2 else 2)
    for value, reference in zip(found, expected):
        assert np.isfinite(value) and value > 0
        assert value == pytest.approx(float(reference), rel=1e-12)
    assert stationarity_roots(y, L, lam).tolist() == [0.0] + sorted(found)


def test_per_layer_lambdas_at_extreme_depth():
    lam = [10.0 ** e for e in np.linspace(-250, 250, 101)]          # Λ = 1, each λ far from it
    Lam = oracle_lambda_product(lam, 101)
    assert threshold(101, lam) == pytest.approx(float(oracle_tau(101, Lam)), rel=1e-13)
    y = 3.0
    for root, reference in zip(positive_roots(y, 101, lam), oracle_roots(y, 101, Lam)):
        assert root.sigma == pytest.approx(float(reference), rel=1e-12)


@pytest.mark.parametrize("L, lam", [(3, 1e-10), (2, 1e-12), (3, 1e-300), (4, 1e-100), (30, 1e-11),
                                    (100, 1e-4), (3, 0.1), (2, 1e10), (5, 1e100)])
def test_every_record_is_critical_at_any_lambda(L, lam):
    """critical_points' records pass require_critical (and so classify's check) at any λ."""
    values = np.array([3.0, 2.0, 1.5]) * max(1.0, threshold(L, lam) * 2)
    problem = Problem.from_target(np.diag(values), widths=[3] * (L - 1), lam=lam)
    records = critical_points(problem)
    assert len(records) == (8 if L == 2 else 27)
    for record in records:
        require_critical(problem, record.W)
    if L <= 3:
        classify(problem, records[-1].W)       # accepted (the Hessian is built: small problems only)


def test_require_critical_still_rejects_a_moved_point():
    problem = Problem.from_target(np.diag([3.0, 2.0, 1.5]), widths=[3, 3], lam=1e-10)
    W = [np.array(Wl) for Wl in critical_points(problem)[-1].W]
    W[0][0, 0] *= 1 + 1e-4
    with pytest.raises(ValueError, match="not a critical point"):
        require_critical(problem, W)
