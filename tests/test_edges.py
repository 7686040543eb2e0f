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
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from helpers import SETTINGS  # noqa: E402

import dlnbook  # noqa: E402
from dlnbook import Problem, classify, critical_points, global_threshold, stationarity_roots, threshold  # noqa: E402
from dlnbook.critical import require_critical  # noqa: E402
from dlnbook.critical_set import TIE_RTOL  # noqa: E402
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


@pytest.mark.parametrize("L, lam", [(3, 1e-10), (2, 1e-12), (3, 1e-200), (4, 1e-100), (30, 1e-11),
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


@pytest.mark.parametrize("L, lam", [(3, 1e-300), (3, 1e-250), (3, 1e-216)])
def test_roots_below_the_floats_are_refused(L, lam):
    """σ₋ ≈ √Λ/y below the smallest normal float: critical points on it cannot be stored (their weights
    used to come out as W = 0, labelled a strict saddle), so enumerating them is refused, naming lam."""
    Lam = oracle_lambda_product(lam, L)
    assert oracle_roots(3.0, L, Lam)[-1] < sys.float_info.min
    problem = Problem.from_target(np.diag([3.0, 2.0]), widths=[2] * (L - 1), lam=lam)
    with pytest.raises(ValueError, match="lam: .*σ₋ .* cannot be represented"):
        critical_points(problem)
    with pytest.raises(ValueError, match="lam: "):
        stationarity_roots(3.0, L, lam)


def oracle_glob(L, Lam):
    """τ^glob = (L−1)(L−2)^{−(L−2)/(2L−2)} Λ^{1/(2L−2)} (= τ_2 at L = 2), Chapter 2."""
    L = mpmath.mpf(L)
    return (L - 1) * ((L - 2) ** (-(L - 2) / (2 * L - 2)) if L > 2 else 1) * Lam ** (1 / (2 * L - 2))


def theorem_kind(y, L, Lam, d_min, active, branches):
    """The kind of a configuration by the classification theorem of Chapter 2 (math.md §3), from the
    singular values ``y`` of Ȳ, the active indices and their branches, away from τ_L and τ^glob."""
    chosen = sorted(y[j] for j in active)
    left_out = sorted((v for i, v in enumerate(y) if i not in active), reverse=True)
    skips = bool(chosen) and bool(left_out) and left_out[0] > chosen[0]
    if L == 2:
        top = min(d_min, sum(1 for v in y if v > mpmath.sqrt(Lam)))
        return "global minimum" if not skips and len(chosen) == top else "strict saddle"
    if "-" in branches or skips:
        return "strict saddle"
    glob = oracle_glob(L, Lam)
    full = len(chosen) == d_min or not left_out or left_out[0] < glob
    return "global minimum" if all(v > glob for v in chosen) and full else "local minimum"


#: the singular values of Ȳ: multiples of τ_L and τ^glob (below τ_L, between τ_L and τ^glob, above τ^glob)
#: or fixed values whatever λ (far above the thresholds at small λ); drawn with repetition, so ties occur
_levels = st.sampled_from([("tau", 0.5), ("between", 0.3), ("between", 0.7), ("glob", 1.5), ("glob", 4.0),
                           ("fixed", 3.0), ("fixed", 2.0), ("fixed", 1.0)])


@pytest.mark.property
@settings(SETTINGS, max_examples=25)
@given(L=st.sampled_from([2, 3, 4, 5, 6, 8, 12]), exponent=st.floats(min_value=-300.0, max_value=300.0),
       levels=st.lists(_levels, min_size=1, max_size=3), width=st.integers(1, 3), tilt=st.booleans())
@example(L=3, exponent=-10.0, levels=[("fixed", 3.0), ("fixed", 2.0), ("fixed", 1.0)], width=3, tilt=False)
@example(L=2, exponent=-12.0, levels=[("fixed", 3.0), ("fixed", 2.0), ("fixed", 2.0)], width=3, tilt=False)
@example(L=5, exponent=-150.0, levels=[("fixed", 3.0), ("fixed", 2.0), ("fixed", 2.0)], width=3, tilt=True)
@example(L=3, exponent=-200.0, levels=[("glob", 4.0), ("glob", 1.5), ("between", 0.7)], width=3, tilt=True)
@example(L=6, exponent=-120.0, levels=[("glob", 4.0), ("between", 0.3), ("between", 0.3)], width=2, tilt=True)
@example(L=4, exponent=250.0, levels=[("glob", 4.0), ("between", 0.7)], width=2, tilt=False)
@example(L=8, exponent=-275.0, levels=[("fixed", 3.0), ("fixed", 2.0), ("fixed", 2.0)], width=3, tilt=False)
def test_classify_of_every_record_is_the_theorems_kind(L, exponent, levels, width, tilt):
    """At any depth and λ where the critical points are representable, classify (from the exact Hessian)
    gives every record of critical_points the kind the classification theorem gives its configuration,
    and counts every tangent direction of the orbit as a zero eigenvalue."""
    lam = float(10.0 ** exponent)
    Lam = oracle_lambda_product(lam, L)
    tau, glob = oracle_tau(L, Lam), oracle_glob(L, Lam)
    y = []
    for where, c in levels:
        value = {"tau": c * tau, "glob": c * glob, "between": tau + c * (glob - tau), "fixed": c}[where]
        y.append(float(value))
    if L == 2:                                       # τ^glob = τ_2: "between" is empty, use above instead
        y = [v if v < 0.9 * float(tau) or v > 1.1 * float(tau) else 2.0 * float(tau) for v in y]
    y = sorted(y, reverse=True)
    assume(y[0] < 1e100 and y[-1] > 1e-140)          # ‖Ȳ‖² and the loss stay finite and normal floats
    yv = [mpmath.mpf(v) for v in y]
    # values within TIE_RTOL·y_1 of each other are one tied value, and below it zero (documented snapping)
    assume(all(a == b or abs(a - b) > 10 * TIE_RTOL * y[0] for a in y for b in y) and y[-1] > 10 * TIE_RTOL * y[0])
    assume(all(abs(v / tau - 1) > 1e-3 and abs(v / glob - 1) > 1e-3 for v in yv))   # off the thresholds
    target = np.diag(y)
    if tilt:                                         # singular vectors that are not the coordinate axes
        assume(y[-1] > 1e-6 * y[0])                  # (rotated, a value below ε·y_1 is lost in rounding)
        rng = np.random.default_rng(len(y) * L)
        Q1, _ = np.linalg.qr(rng.standard_normal((len(y), len(y))))
        Q2, _ = np.linalg.qr(rng.standard_normal((len(y), len(y))))
        target = Q1 @ target @ Q2.T
    problem = Problem.from_target(target, widths=[width] * (L - 1), lam=lam)
    smallest_root = min(min(oracle_roots(v, L, Lam), default=mpmath.inf) for v in y)
    if smallest_root < sys.float_info.min:
        # a root σ of (2) below the smallest normal float cannot be stored: a clear error, not W = 0
        with pytest.raises(ValueError, match="lam: .* cannot be represented"):
            critical_points(problem)
        return
    records = critical_points(problem)
    spectrum = sorted(np.linalg.svd(target, compute_uv=False), reverse=True)
    for record in records:
        active = [j for j, _ in record.active]
        expected = theorem_kind([mpmath.mpf(float(v)) for v in spectrum], L, Lam, width, active, record.branches)
        assert record.kind == expected, (record, expected)
        result = classify(problem, record.W)
        assert result.kind == expected, (record, result)
        assert result.nullity >= result.orbit_dim, (record, result)     # the orbit's zeros count as zero


def mp_hessian_inertia(L, lam, y, active, branches, dps):
    """(negative, zero) counts of the eigenvalues of ∇²F at the exact critical point, in mpmath at ``dps``
    digits: Ȳ = diag(y), widths = len(y), the roots of (2) found at that precision (oracle_roots)."""
    with mpmath.workdps(dps):
        d, Lam, lam = len(y), mpmath.mpf(lam) ** L, mpmath.mpf(lam)
        W = [mpmath.zeros(d, d) for _ in range(L)]
        for (j, branch) in zip(active, branches):
            roots = oracle_roots(y[j], L, Lam)
            sigma = roots[0] if branch == "+" else roots[-1]
            for l in range(L):
                W[l][j, j] = sigma / mpmath.sqrt(lam)
        Ybar = mpmath.diag([mpmath.mpf(v) for v in y])

        def product(layers):
            out = mpmath.eye(d)
            for M in layers:
                out = M * out
            return out
        P = product(W)
        coords = [(l, a, b) for l in range(L) for a in range(d) for b in range(d)]

        def unit(a, b):
            E = mpmath.zeros(d, d)
            E[a, b] = 1
            return E
        first = [product([unit(a, b) if m == l else W[m] for m in range(L)]) for l, a, b in coords]
        n = len(coords)
        H = mpmath.zeros(n, n)
        for p, (l, a, b) in enumerate(coords):
            for q, (m, c, e) in enumerate(coords):
                value = sum(first[p][i, k] * first[q][i, k] for i in range(d) for k in range(d))
                if p == q:
                    value += lam
                if l != m:
                    second = product([unit(a, b) if i == l else unit(c, e) if i == m else W[i] for i in range(L)])
                    value += sum((P[i, k] - Ybar[i, k]) * second[i, k] for i in range(d) for k in range(d))
                H[p, q] = value
        values = mpmath.eigsy(H, eigvals_only=True)
        size = max(abs(v) for v in values)
        zero = size * mpmath.mpf(10) ** (-(dps // 2))
        return sum(1 for v in values if v < -zero), sum(1 for v in values if abs(v) <= zero)


@pytest.mark.parametrize("L, lam", [(3, 1e-10), (3, 1e-14), (3, 1e-30), (4, 1e-20), (2, 1e-12), (3, 1e5)])
def test_inertia_against_a_50_digit_hessian(L, lam):
    """classify's inertia equals that of the Hessian at the exact critical point computed at high precision
    (widths 2, Ȳ = diag(y): 4L parameters), for every configuration, where the double-precision Hessian
    alone could not resolve the curvature of order λ."""
    y = [3.0, 2.0] if lam < 1 else [3.0 * float(oracle_glob(L, oracle_lambda_product(lam, L))), 0.5]
    problem = Problem.from_target(np.diag(y), widths=[2] * (L - 1), lam=lam)
    dps = 50 + int(2 * abs(np.log10(lam)))
    for record in critical_points(problem):
        active = [j for j, _ in record.active]
        negative, _ = mp_hessian_inertia(L, lam, y, active, record.branches, dps)
        result = classify(problem, record.W)
        assert (negative > 0) == (result.kind == "strict saddle"), (record, negative, result)
        assert (negative > 0) == (record.kind == "strict saddle")


def test_require_critical_still_rejects_a_moved_point():
    problem = Problem.from_target(np.diag([3.0, 2.0, 1.5]), widths=[3, 3], lam=1e-10)
    W = [np.array(Wl) for Wl in critical_points(problem)[-1].W]
    W[0][0, 0] *= 1 + 1e-4
    with pytest.raises(ValueError, match="not a critical point"):
        require_critical(problem, W)


# --- the distance to the critical set without listing its 3^r orbits -------------------------------

def enumerated_mirsky(problem, W):
    """Mirsky's bound minimized by listing every configuration (the 3^r way), from the definition."""
    from dlnbook.critical_set import CriticalSet
    closed_form = CriticalSet(problem)
    s = [np.linalg.svd(Wl, compute_uv=False) for Wl in W]
    best = np.inf
    for configuration in closed_form.configurations():
        sigmas = sorted((sigma for _, sigma in configuration.active), reverse=True)
        total = 0.0
        for sl, lam in zip(s, problem.lambdas):
            target = np.zeros(sl.size)
            target[:len(sigmas)] = np.array(sigmas) / np.sqrt(lam)
            total += np.sum((sl - target) ** 2)
        best = min(best, np.sqrt(total))
    return best


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), L=st.integers(2, 4), r=st.integers(1, 5),
       scale=st.sampled_from([0.05, 0.5, 1.0, 3.0]), tie=st.booleans())
def test_assignment_lower_bound_is_the_enumerated_minimum(seed, L, r, scale, tie):
    rng = np.random.default_rng(seed)
    values = np.sort(rng.uniform(0.2, 3.0, size=r))[::-1]
    if tie and r > 1:
        values[1] = values[0]
    problem = Problem.from_target(np.diag(values), widths=[r + 1] * (L - 1), lam=0.05)
    W = problem.random_weights(seed=rng, scale=scale)
    lower, upper, witness = dlnbook.distance_to_critical_set(problem, W)
    assert lower == pytest.approx(min(enumerated_mirsky(problem, W), upper), rel=1e-10, abs=1e-12)
    # the witness is a critical point at distance upper, with the loss and kind of its configuration
    require_critical(problem, witness.W)
    assert dlnbook.norm([a - b for a, b in zip(W, witness.W)]) == pytest.approx(upper, rel=1e-12)
    assert witness.loss == pytest.approx(problem.loss(witness.W), rel=1e-12, abs=1e-12)


def test_distance_at_research_scale():
    """r = 24 singular values above τ (3^24 configurations): answered without listing them."""
    r = 24
    problem = Problem.from_target(np.diag(np.linspace(3.0, 1.0, r)), widths=[r, r], lam=0.05)
    assert dlnbook.critical_set.CriticalSet(problem).count() == 3 ** r
    W = problem.random_weights(seed=0)
    lower, upper, witness = dlnbook.distance_to_critical_set(problem, W)
    assert 0 < lower <= upper
    require_critical(problem, witness.W)
    assert dlnbook.norm([a - b for a, b in zip(W, witness.W)]) == pytest.approx(upper, rel=1e-12)
    # near one of its critical points the bracket closes on the true distance
    best = witness.W
    rng = np.random.default_rng(1)
    D = [rng.normal(size=Wl.shape) for Wl in best]
    D = [Dl * (1e-6 / dlnbook.norm(D)) for Dl in D]
    near = [a + b for a, b in zip(best, D)]
    lower, upper, _ = dlnbook.distance_to_critical_set(problem, near)
    assert lower <= upper <= 1e-6 * (1 + 1e-6)


def mirsky_of(problem, W, configuration):
    """Mirsky's bound of one configuration, from the definition (sorted singular values, zeros after)."""
    sigmas = sorted((sigma for _, sigma in configuration.active), reverse=True)
    total = 0.0
    for Wl, lam in zip(W, problem.lambdas):
        sl = np.linalg.svd(Wl, compute_uv=False)
        target = np.zeros(sl.size)
        target[:len(sigmas)] = np.array(sigmas) / np.sqrt(lam)
        total += np.sum((sl - target) ** 2)
    return np.sqrt(total)


def small_problem(rng, tie):
    """A whitened problem with r ≤ 5 values (one tie of up to three if ``tie``), depth 2 to 4, widths that
    may cut."""
    r, L = int(rng.integers(1, 6)), int(rng.integers(2, 5))
    values = np.sort(rng.uniform(0.2, 3.0, size=r))[::-1]
    if tie and r > 1:
        values[1:min(3, r)] = values[0]
    widths = [int(rng.integers(1, r + 2)) for _ in range(L - 1)]
    return Problem.from_target(np.diag(values), widths=widths, lam=float(rng.choice([0.02, 0.05, 0.2])))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.05, 0.5, 1.0, 3.0]), tie=st.booleans())
def test_ranked_configurations_are_the_list_in_order_of_mirsky_bound(seed, scale, tie):
    """The lazy k-best enumeration: every configuration once, bounds as from the definition, nondecreasing."""
    from dlnbook.critical_set import CriticalSet
    from dlnbook.distance import _candidates, _mirsky, _ranked
    rng = np.random.default_rng(seed)
    problem = small_problem(rng, tie)
    W = problem.random_weights(seed=rng, scale=scale)
    closed_form = CriticalSet(problem)
    ranked = list(_ranked(problem, closed_form, W))
    listed = closed_form.configurations()
    assert sorted(map(repr, (c for _, c in ranked))) == sorted(map(repr, listed))
    assert len(ranked) == len(listed) == closed_form.count()
    bounds = np.array([bound for bound, _ in ranked])
    assert bounds == pytest.approx([mirsky_of(problem, W, c) for _, c in ranked], rel=1e-12, abs=1e-12)
    assert np.all(np.diff(bounds) >= -1e-12 * bounds[1:])
    # the first is the assignment's minimum (the lower bound of distance_to_critical_set)
    lower = _mirsky(problem, W, _candidates(closed_form), closed_form.d_min)
    assert lower == pytest.approx(bounds[0], rel=1e-12, abs=1e-12)


def test_ranked_configurations_at_research_scale_come_lazily():
    import itertools

    from dlnbook.critical_set import CriticalSet
    from dlnbook.distance import _ranked
    problem = Problem.from_target(np.diag(np.linspace(3.0, 1.0, 24)), widths=[24, 24], lam=0.05)
    W = problem.random_weights(seed=0)
    first = list(itertools.islice(_ranked(problem, CriticalSet(problem), W), 20))
    bounds = [bound for bound, _ in first]
    assert bounds == sorted(bounds)
    assert len({c for _, c in first}) == 20
    assert [bound for bound in bounds] == pytest.approx([mirsky_of(problem, W, c) for _, c in first], rel=1e-12)


def test_stacked_alignment_is_the_alignment():
    """_rotate_many runs the sweeps of _rotate on each point of a stack, stopping each on its own."""
    from dlnbook.critical_set import CriticalSet
    from dlnbook.distance import _rotate, _rotate_many, _starting_rotations
    problem = Problem.from_target(np.diag([3.0, 2.0, 2.0, 1.0, 0.5]), widths=[5, 6], lam=0.05)
    closed_form = CriticalSet(problem)
    W = problem.random_weights(seed=3)
    points = [closed_form.representative(c) for c in closed_form.configurations()[::7]]
    starts = [(C, R) for C in points for R in _starting_rotations(problem, closed_form.spectrum, W, C)]
    for rtol in (1e-2, 1e-15):
        stacked_C = [np.stack([C[l] for C, _ in starts]) for l in range(3)]
        stacked_R = [np.stack([R[l] for _, R in starts]) for l in range(4)]
        stacked = _rotate_many(problem, closed_form.spectrum, W, stacked_C, stacked_R, 500, rtol)
        for n, (C, R) in enumerate(starts):
            one = _rotate(problem, closed_form.spectrum, W, C, R, 500, rtol)
            for l in range(4):
                np.testing.assert_allclose(stacked[l][n], one[l], atol=1e-12)


def listing_upper(problem, W, max_alignments=64, max_sweeps=500):
    """The upper bound of the listing method (every configuration, representatives aligned in increasing
    order of their Mirsky bounds from two starts until the next bound exceeds the best distance)."""
    from dlnbook.critical_set import CriticalSet
    from dlnbook.distance import _apply, _rotate, _starting_rotations
    closed_form = CriticalSet(problem)
    configurations = closed_form.configurations()
    bounds = [mirsky_of(problem, W, c) for c in configurations]
    best = np.inf
    for count, c in enumerate(np.argsort(bounds, kind="stable")):
        if count >= max_alignments or bounds[c] >= best:
            break
        C = closed_form.representative(configurations[c])
        for R in _starting_rotations(problem, closed_form.spectrum, W, C):
            R = _rotate(problem, closed_form.spectrum, W, C, R, max_sweeps, rtol=1e-15)
            best = min(best, dlnbook.norm([a - b for a, b in zip(W, _apply(R, C))]))
    return best


@pytest.mark.slow
@settings(SETTINGS, max_examples=12)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.3, 1.0, 2.0]), r=st.integers(5, 6))
def test_upper_bound_is_no_looser_than_listing(seed, scale, r):
    """Where listing runs and exceeds LISTING_LIMIT (3^5, 3^6 configurations), the upper bound is at most
    the listing method's (to rounding), and the lower bound is the listing minimum."""
    from dlnbook.distance import LISTING_LIMIT
    rng = np.random.default_rng(seed)
    problem = Problem.from_target(np.diag(np.sort(rng.uniform(0.5, 3.0, size=r))[::-1]), widths=[r, r],
                                  lam=float(rng.choice([0.02, 0.05, 0.1])))
    assert dlnbook.count_critical_points(problem) > LISTING_LIMIT
    W = problem.random_weights(seed=rng, scale=scale)
    lower, upper, witness = dlnbook.distance_to_critical_set(problem, W)
    assert upper <= listing_upper(problem, W) * (1 + 1e-12)
    assert lower == pytest.approx(min(enumerated_mirsky(problem, W), upper), rel=1e-10)
    assert dlnbook.norm([a - b for a, b in zip(W, witness.W)]) == pytest.approx(upper, rel=1e-12)


@pytest.mark.parametrize("values, widths", [([3.0, 2.0, 1.5], [3, 3]), (np.linspace(3.0, 1.0, 8), [8, 8])])
def test_the_bracket_holds_the_known_distance(values, widths):
    """On the critical set the distance is 0. Scaling the first layer of a critical point C by 1 + t moves it
    by ε = t ‖C_1‖, and its distance is then exactly ε: at most ε (C is critical), at least ε when Mirsky's
    bound of C's own configuration, ε, is the least (checked)."""
    from dlnbook.critical_set import CriticalSet
    problem = Problem.from_target(np.diag(values), widths=widths, lam=0.05)
    closed_form = CriticalSet(problem)
    rng = np.random.default_rng(0)
    for configuration in closed_form.configurations()[::max(1, closed_form.count() // 12)]:
        C = closed_form.representative(configuration, rng=rng)
        lower, upper, _ = dlnbook.distance_to_critical_set(problem, C)
        assert lower <= upper <= 1e-9 * (1 + dlnbook.norm(C))
        if configuration.active:
            eps = 1e-4 * dlnbook.norm([C[0]])
            moved = [C[0] * (1 + 1e-4)] + list(C[1:])
            lower, upper, witness = dlnbook.distance_to_critical_set(problem, moved)
            assert lower <= eps * (1 + 1e-9) and eps * (1 - 1e-9) <= upper <= eps * (1 + 1e-6)
            assert lower == pytest.approx(eps, rel=1e-6)


@pytest.mark.parametrize("values, widths, lam", [
    ([3.0, 2.0, 1.5], [3, 3], 0.1), ([2.0, 2.0, 1.0, 1.0, 0.5], [4, 4], 0.1), ([2.0, 2.0, 2.0, 1.0], [3], 0.3),
    ([3.0, 2.0, 2.0, 1.0, 1.0, 1.0], [6, 6, 6], 0.02), ([3.0, 1.0], [1, 2], 0.05)])
def test_lazy_records_are_the_list(values, widths, lam):
    problem = Problem.from_target(np.diag(values), widths=widths, lam=lam)
    listed = critical_points(problem)
    lazy = list(dlnbook.iter_critical_points(problem))
    assert dlnbook.count_critical_points(problem) == len(listed) == len(lazy)
    for a, b in zip(listed, lazy):
        assert (a.active, a.branches, a.kind, a.degenerate, a.loss) == (b.active, b.branches, b.kind, b.degenerate,
                                                                        b.loss)
        assert all(np.array_equal(x, y) for x, y in zip(a.W, b.W))


def test_lazy_records_at_research_scale():
    import itertools
    problem = Problem.from_target(np.diag(np.linspace(3.0, 1.0, 24)), widths=[24, 24], lam=0.05)
    assert dlnbook.count_critical_points(problem) == 3 ** 24
    first = list(itertools.islice(dlnbook.iter_critical_points(problem, seed=0), 50))
    assert [len(p.active) for p in first[:3]] == [0, 1, 1]
    for record in first[::10]:
        require_critical(problem, record.W)
    with pytest.raises(ValueError, match="max_configurations"):
        critical_points(problem)


# --- never a silent NaN or inf ---------------------------------------------------------------------

def huge_weights(problem):
    return [np.full(shape, 1e200) for shape in problem.shapes]


@pytest.mark.parametrize("call, pattern", [
    (lambda p, W: p.loss(W), r"F\(W\) overflows float64: W is too large"),
    (lambda p, W: p.grad(W), r"∇F\(W\) overflows float64: W is too large"),
    (lambda p, W: p.hvp(W, W), r"overflows float64: W or V is too large"),
    (lambda p, W: dlnbook.imbalance(p, W), r"imbalance overflows float64: W is too large"),
    (lambda p, W: dlnbook.gradient_descent(p, W), r"∇F\(W0\) overflows float64.*W0 is too large"),
    (lambda p, W: dlnbook.gradient_descent(p, W, step=0.1), r"W0 is too large"),
    (lambda p, W: dlnbook.gradient_descent_batch(p, [np.stack([Wl, 0 * Wl]) for Wl in W]), r"run\(s\) \[0\]"),
])
def test_overflow_is_an_error_naming_the_argument(call, pattern):
    import warnings
    problem = Problem.from_target([[2.0, 0.0], [0.0, 1.0]], widths=[2], lam=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # no RuntimeWarning leaks either
        with pytest.raises(ValueError, match=pattern):
            call(problem, huge_weights(problem))


def test_huge_data_is_refused_and_norm_stays_finite():
    with pytest.raises(ValueError, match=r"X Xᵀ overflows float64: X is too large"):
        Problem(np.eye(2) * 1e155, np.eye(2), [2], 0.1)
    with pytest.raises(ValueError, match=r"‖Y‖² overflows float64: Y is too large"):
        Problem(np.eye(2), np.eye(2) * 1e155, [2], 0.1)
    assert dlnbook.norm([np.full((2, 2), 1e200)]) == pytest.approx(2e200, rel=1e-15)
    assert dlnbook.norm([np.full((2, 2), 1e-200)]) == pytest.approx(2e-200, rel=1e-15)


@pytest.mark.parametrize("seed", range(10))
def test_a_run_next_to_an_exact_fit_is_not_diverged(seed):
    """Rounding makes F(W0) a tiny negative number at some of these starts (seed 1: −4.4e−16)."""
    rng = np.random.default_rng(seed)
    problem = Problem.from_target(rng.normal(size=(3, 3)), widths=[3], lam=1e-300)
    U, s, Vt = np.linalg.svd(problem.target)
    W = [np.diag(np.sqrt(s)) @ Vt, U @ np.diag(np.sqrt(s))]
    W[0] = W[0] + 1e-9 * rng.normal(size=(3, 3))
    run = dlnbook.gradient_descent(problem, W, step=0.05, tol=1e-13, max_iter=2000)
    assert run.status != "diverged", run.message
    assert run.loss[-1] <= abs(run.loss[0]) + 1e-12


def test_a_diverged_message_says_what_happened():
    problem = Problem.from_target([[2.0]], widths=[1], lam=0.1)
    run = dlnbook.gradient_descent(problem, [np.array([[3.0]]), np.array([[3.0]])], step=10.0)
    assert run.status == "diverged"
    assert "exceeded" in run.message and "try step=" in run.message
    assert run.suggested_step < 10.0


# --- bad input: the cases found at the edges, one table ----------------------------------------------

def _small():
    return Problem.from_target([[2.0, 0.0], [0.0, 1.0]], widths=[2], lam=0.1)


def _short_run():
    problem = _small()
    return dlnbook.gradient_descent(problem, problem.random_weights(seed=0), max_iter=3)


def _torch_descent(**options):
    from dlnbook import torch_backend
    problem = _small()
    return torch_backend.gradient_descent(problem, problem.random_weights(seed=0), max_iter=2, **options)


BAD_INPUT = [
    ("device='meta'", lambda: _torch_descent(device="meta"), ValueError, r"device must be a CPU or CUDA device.*'meta'"),
    ("device='mps'", lambda: _torch_descent(device="mps"), ValueError, r"device must be a CPU or CUDA device.*'mps'"),
    ("device=3.5", lambda: _torch_descent(device=3.5), ValueError, r"device must be"),
    ("linear_rate(min_records=1)", lambda: _short_run().linear_rate(min_records=1), ValueError, r"min_records"),
    ("plot(ax='a')", lambda: _short_run().plot(ax="a"), TypeError, r"ax must be a matplotlib Axes"),
    ("random_weights(seed=True)", lambda: _small().random_weights(seed=True), TypeError, r"seed"),
    ("critical_points(seed=True)", lambda: critical_points(_small(), seed=True), TypeError, r"seed"),
    ("iter_critical_points(seed=True)", lambda: dlnbook.iter_critical_points(_small(), seed=True), TypeError, r"seed"),
    ("planted(seed=1.5)", lambda: dlnbook.data.planted(2, 2, 4, [1.0], seed=1.5), TypeError, r"seed"),
    ("hessian(max_params=True)", lambda: _small().hessian(_small().zeros(), max_params=True), TypeError,
     r"max_params"),
    ("hessian(max_params=0)", lambda: _small().hessian(_small().zeros(), max_params=0), ValueError, r"max_params"),
    ("norm('abc')", lambda: dlnbook.norm("abc"), TypeError, r"W must be a sequence"),
    ("norm([[nan]])", lambda: dlnbook.norm([[[np.nan]]]), ValueError, r"NaN"),
    ("norm([['a']])", lambda: dlnbook.norm([[["a"]]]), TypeError, r"W\[0\]"),
    ("widths=[10**9]", lambda: Problem(np.eye(2), np.eye(2), [10 ** 9], 0.1), ValueError,
     r"29.8 GiB of memory, more than the limit of 2 GiB.*set_memory_limit"),
    ("planted(10**5, 1, 10**5)", lambda: dlnbook.data.planted(10 ** 5, 1, 10 ** 5, [1.0]), ValueError,
     r"GiB of memory, more than the limit"),
    ("a 20000-column target", lambda: Problem.from_target(np.ones((1, 20000)), [2], 0.1), ValueError,
     r"20000 columns would take about 2.98 GiB"),
    ("set_memory_limit(0)", lambda: dlnbook.set_memory_limit(0), ValueError, r"nbytes"),
    ("set_memory_limit('1GB')", lambda: dlnbook.set_memory_limit("1GB"), TypeError, r"nbytes"),
    ("distance_to_critical_set(max_alignments=0)",
     lambda: dlnbook.distance_to_critical_set(_small(), _small().zeros(), max_alignments=0), ValueError,
     r"max_alignments"),
    ("distance_to_critical_set(max_ranked=0)",
     lambda: dlnbook.distance_to_critical_set(_small(), _small().zeros(), max_ranked=0), ValueError, r"max_ranked"),
    ("distance_to_critical_set(max_ranked=2.5)",
     lambda: dlnbook.distance_to_critical_set(_small(), _small().zeros(), max_ranked=2.5), TypeError, r"max_ranked"),
]


@pytest.mark.parametrize("case, call, exception, pattern", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_at_the_edges(case, call, exception, pattern):
    with pytest.raises(exception, match=pattern):
        result = call()
        if hasattr(result, "__next__"):                   # a generator checks when it is created
            next(result)


def test_tensors_that_require_grad_are_read_detached():
    torch = pytest.importorskip("torch")
    problem = _small()
    W = problem.random_weights(seed=0)
    tensors = [torch.tensor(Wl, requires_grad=True) for Wl in W]
    assert problem.loss(tensors) == problem.loss(W)
    assert dlnbook.norm(tensors) == dlnbook.norm(W)
    X = torch.eye(2, requires_grad=True)
    assert Problem(X, 2 * X, [2], 0.1).loss(W) == Problem(np.eye(2), 2 * np.eye(2), [2], 0.1).loss(W)
    run = dlnbook.gradient_descent(problem, tensors, max_iter=5)
    assert np.array_equal(run.W[0], dlnbook.gradient_descent(problem, W, max_iter=5).W[0])


def test_callbacks_receive_copies():
    problem = _small()
    W = problem.random_weights(seed=0)
    seen = []

    def meddle(k, Wk):
        seen.append(float(Wk[0][0, 0]))
        Wk[0][...] = 0.0                                  # changes the copy only
        Wk.clear()

    meddled = dlnbook.gradient_descent(problem, W, max_iter=20, callback=meddle)
    plain = dlnbook.gradient_descent(problem, W, max_iter=20)
    assert meddled.status == plain.status and np.array_equal(meddled.loss, plain.loss)
    assert len(seen) == len(plain.loss)


def test_the_memory_limit_can_be_raised_and_restored():
    old = dlnbook.set_memory_limit(16 * 1024 ** 3)
    try:
        assert dlnbook.memory_limit() == 16 * 1024 ** 3
        with pytest.raises(ValueError, match="more than the limit of 16 GiB"):
            Problem(np.eye(2), np.eye(2), [10 ** 9], 0.1)
    finally:
        dlnbook.set_memory_limit(None)
    assert dlnbook.memory_limit() == old == 2 * 1024 ** 3


def test_threshold_at_absurd_depth_is_instant_and_right():
    # τ_L → 2 √μ as L → ∞ (here μ = λ = 0.1); Λ = 0.1^(10^9) is never formed
    assert threshold(10 ** 9, 0.1) == pytest.approx(2 * np.sqrt(0.1), rel=1e-6)


def test_torch_descent_from_an_overflowing_start_is_an_error():
    pytest.importorskip("torch")
    from dlnbook import torch_backend
    problem = _small()
    with pytest.raises(ValueError, match=r"overflows float64 at the start"):
        torch_backend.gradient_descent(problem, huge_weights(problem))


def test_dense_hessian_work_is_refused_beyond_the_default_limit():
    """classify at 4800 parameters spent 11 s in the eigenvalues alone; the default now stops at 2000."""
    problem = Problem.from_target(np.diag(np.linspace(3.0, 1.0, 40)), widths=[40, 40], lam=0.05)
    with pytest.raises(ValueError, match=r"4800×4800; max_params=2000"):
        classify(problem, problem.zeros())
    with pytest.raises(TypeError, match="max_params"):
        classify(_small(), _small().zeros(), max_params="many")
    assert classify(_small(), _small().zeros(), max_params=8).kind == "strict saddle"
