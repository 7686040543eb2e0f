"""The distance to the critical set at research scale: the assignment problem against listing every orbit.

A whitened problem with r singular values above τ_L has up to 3^r critical configurations (L ≥ 3).

* ``listing`` (the algorithm before the assignment): list every configuration, Mirsky's bound for each,
  then align the representatives in increasing order of the bound (two starts each, alignment to
  1e−15) until the next bound exceeds the best distance, at most 64 of them;
* ``assignment`` (:func:`dlnbook.distance_to_critical_set`): Mirsky's minimum over all configurations as
  one assignment problem, then rotations and configuration chosen in turn from a few starts.

Printed: the times and their ratio at r = 8 far from the critical set, the difference of the lower
bounds, the ratio of the upper bounds (new / old ≤ 1 is no looser), the distribution of upper/lower
over random W, and the time at r = 24 (3^24 configurations, where listing is impossible) of
``distance_to_critical_set``, ``error_bound_ratio`` and ``estimate_error_bound``.

Run ``python benchmarks/edges.py`` (about a minute) or ``--quick``. Timings depend on the machine and
its load; the ratios are what to read.
"""

import argparse
import statistics
import time

import numpy as np

import dlnbook
from dlnbook import Problem
from dlnbook.critical_set import CriticalSet
from dlnbook.distance import _apply, _rotate, _starting_rotations


def listing_bracket(problem, W, max_alignments=64, max_sweeps=500):
    """The bracket by listing every configuration (the algorithm the assignment replaced)."""
    closed_form = CriticalSet(problem)
    configurations = closed_form.configurations()
    sigmas = np.zeros((len(configurations), closed_form.d_min))
    for c, configuration in enumerate(configurations):
        values = sorted((sigma for _, sigma in configuration.active), reverse=True)
        sigmas[c, :len(values)] = values
    total = np.zeros(len(configurations))
    for Wl, lam in zip(W, problem.lambdas):
        s = np.linalg.svd(Wl, compute_uv=False)
        total += np.sum((s[:closed_form.d_min] - sigmas / np.sqrt(lam)) ** 2, axis=1) + np.sum(s[closed_form.d_min:] ** 2)
    bounds = np.sqrt(total)
    order = np.argsort(bounds, kind="stable")
    best = np.inf
    for count, c in enumerate(order):
        if count >= max_alignments or bounds[c] >= best:
            break
        C = closed_form.representative(configurations[c])
        for R in _starting_rotations(problem, closed_form.spectrum, W, C):
            R = _rotate(problem, closed_form.spectrum, W, C, R, max_sweeps, rtol=1e-15)
            best = min(best, dlnbook.norm([a - b for a, b in zip(W, _apply(R, C))]))
    return min(float(bounds[order[0]]), best), best


def timed(function, *args, repeats=1, **kwargs):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def target_problem(r, L=3, lam=0.05):
    return Problem.from_target(np.diag(np.linspace(3.0, 1.0, r)), widths=[r] * (L - 1), lam=lam)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer random points")
    args = parser.parse_args()
    n_points = 4 if args.quick else 12

    problem = target_problem(8)
    print(f"r = 8, L = 3, widths 8, λ = 0.05: {CriticalSet(problem).count()} configurations")
    old_times, new_times, lower_gaps, upper_ratios, old_brackets, new_brackets = [], [], [], [], [], []
    for seed in range(n_points):
        W = problem.random_weights(seed=seed, scale=(0.5, 1.0, 2.0)[seed % 3])     # far from the critical set
        t_old, (old_lower, old_upper) = timed(listing_bracket, problem, W)
        t_new, (lower, upper, _) = timed(dlnbook.distance_to_critical_set, problem, W)
        old_times.append(t_old)
        new_times.append(t_new)
        lower_gaps.append(abs(lower - old_lower) / old_lower)
        upper_ratios.append(upper / old_upper)
        old_brackets.append(old_upper / old_lower)
        new_brackets.append(upper / lower)
    print(f"  listing:    median {statistics.median(old_times) * 1e3:8.1f} ms")
    print(f"  assignment: median {statistics.median(new_times) * 1e3:8.1f} ms")
    print(f"  speedup (median of per-point ratios): "
          f"{statistics.median(o / n for o, n in zip(old_times, new_times)):.1f}x")
    print(f"  max relative difference of the lower bounds: {max(lower_gaps):.2e}")
    print(f"  upper new/old: min {min(upper_ratios):.4f}  median {statistics.median(upper_ratios):.4f}  "
          f"max {max(upper_ratios):.4f}  (looser at {sum(u > 1 + 1e-10 for u in upper_ratios)} of {n_points})")
    print(f"  upper/lower listing:    {np.round(sorted(old_brackets), 3).tolist()}")
    print(f"  upper/lower assignment: {np.round(sorted(new_brackets), 3).tolist()}")

    problem = target_problem(24)
    print(f"r = 24, L = 3, widths 24, λ = 0.05: {CriticalSet(problem).count()} configurations (listing impossible)")
    ratios = []
    for seed in range(n_points):
        W = problem.random_weights(seed=seed, scale=(0.5, 1.0, 2.0)[seed % 3])
        t, (lower, upper, _) = timed(dlnbook.distance_to_critical_set, problem, W)
        ratios.append(upper / lower)
        if seed == 0:
            print(f"  distance_to_critical_set: {t:.2f} s")
            t, _ = timed(dlnbook.error_bound_ratio, problem, W)
            print(f"  error_bound_ratio:        {t:.2f} s")
    print(f"  upper/lower over {n_points} random W: {np.round(sorted(ratios), 3).tolist()}")
    W_bar = dlnbook.distance_to_critical_set(problem, problem.random_weights(seed=0)).witness.W
    t, _ = timed(dlnbook.estimate_error_bound, problem, W_bar, [1e-3], n_random=1, seed=0, max_worst=1)
    print(f"  estimate_error_bound (one radius, one random and one worst direction; the Hessian of "
          f"{problem.n_params} parameters): {t:.2f} s")


if __name__ == "__main__":
    main()
