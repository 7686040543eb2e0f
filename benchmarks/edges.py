"""The distance to the critical set at research scale: the assignment problem against listing every orbit.

A whitened problem with r singular values above τ_L has up to 3^r critical configurations (L ≥ 3).

* ``listing`` (the algorithm before the assignment): list every configuration, Mirsky's bound for each,
  then align the representatives in increasing order of the bound (two starts each, alignment to
  1e−15) until the next bound exceeds the best distance, at most 64 of them;
* ``new`` (:func:`dlnbook.distance_to_critical_set`): Mirsky's minimum over all configurations as one
  assignment problem; the configurations in increasing order of their bounds without listing them (a
  lazy k-best enumeration), the best-ranked aligned as listing does, all at once; rotations and
  configuration chosen in turn from a few starts. Problems with at most 100 configurations are listed.

Printed for r = 3, 4 (listed by both) and r = 8 (6561 configurations), on random W far from the
critical set and on points near it, at three λ: the times (CPU time of this process; run with
``OMP_NUM_THREADS=1``) and the distribution of their per-point ratios, the difference of the lower
bounds, the distribution of the ratio of the upper bounds (new / old ≤ 1 is no looser) with the count
of points where the new one is looser, and the distributions of upper/lower. Then the time at r = 24
(3^24 configurations, where listing is impossible) of ``distance_to_critical_set``,
``error_bound_ratio`` and ``estimate_error_bound``, and upper/lower there.

Run ``python benchmarks/edges.py`` (a few minutes) or ``--quick``. Timings depend on the machine and
its load; the ratios are what to read.
"""

import argparse
import statistics
import time

import numpy as np

import dlnbook
from dlnbook import Problem
from dlnbook.critical_set import CriticalSet
from dlnbook.distance import _apply, _configuration, _listed


def listing_bracket(problem, W, max_alignments=64, max_sweeps=500):
    """The bracket by listing every configuration (the algorithm the assignment replaced, which the
    library keeps for problems with few configurations), with the witness's kind and loss as it returned them."""
    closed_form = CriticalSet(problem)
    (distance, R, picked, C), lower = _listed(problem, closed_form, W, max_sweeps, max_alignments)
    closed_form.kind(_configuration(closed_form.spectrum, picked)), problem.loss(_apply(R, C))
    return min(lower, distance), distance


def timed(function, *args, **kwargs):
    """(CPU seconds of this process, result): steadier than the wall clock on a shared machine."""
    start = time.process_time()
    result = function(*args, **kwargs)
    return time.process_time() - start, result


def target_problem(r, L=3, lam=0.05, top=3.0):
    return Problem.from_target(np.diag(np.linspace(top, 1.0, r)), widths=[r] * (L - 1), lam=lam)


def near_point(problem, rng, eps):
    """A random element of a random orbit of the critical set, moved by eps in a random direction."""
    closed_form = CriticalSet(problem)
    configurations = closed_form.configurations()
    C = closed_form.representative(configurations[int(rng.integers(len(configurations)))], rng=rng)
    D = [rng.normal(size=Cl.shape) for Cl in C]
    scale = eps / dlnbook.norm(D)
    return [Cl + scale * Dl for Cl, Dl in zip(C, D)]


def sample_points(r, n_far, n_near):
    """``(label, problem, W)``: far from the critical set (random W at three scales) and near it, at three λ."""
    for lam, top in ((0.05, 3.0), (0.02, 3.0), (0.1, 4.0)):
        problem = target_problem(r, lam=lam, top=top)
        share = 2 if lam == 0.05 else 1
        for seed in range(share * n_far):
            yield "far", problem, problem.random_weights(seed=seed, scale=(0.5, 1.0, 2.0)[seed % 3])
        rng = np.random.default_rng(r)
        for k in range(share * n_near):
            yield "near", problem, near_point(problem, rng, (1e-3, 1e-2, 0.1, 0.3, 1.0)[k % 5])


def quantiles(values, digits=4):
    q = np.quantile(values, [0.0, 0.25, 0.5, 0.75, 1.0])
    return "  ".join(f"{name} {v:.{digits}f}" for name, v in zip(("min", "q1", "median", "q3", "max"), q))


def compare(r, n_far, n_near):
    """Listing against the new bracket on the points of :func:`sample_points` at r singular values above τ."""
    rows = []
    for label, problem, W in sample_points(r, n_far, n_near):
        t_old, (old_lower, old_upper) = timed(listing_bracket, problem, W)
        t_new, (lower, upper, _) = timed(dlnbook.distance_to_critical_set, problem, W)
        rows.append((label, t_old, t_new, abs(lower - old_lower) / old_lower, upper / old_upper,
                     old_upper / old_lower, upper / lower))
    print(f"r = {r}, L = 3, widths {r}, λ = 0.05, 0.02, 0.1: {CriticalSet(target_problem(r)).count()} configurations, "
          f"{len(rows)} points ({sum(row[0] == 'far' for row in rows)} far from the critical set, "
          f"{sum(row[0] == 'near' for row in rows)} near it)")
    for label in ("far", "near"):
        part = [row for row in rows if row[0] == label]
        print(f"  {label:4s} listing {statistics.median(row[1] for row in part) * 1e3:8.1f} ms, new "
              f"{statistics.median(row[2] for row in part) * 1e3:7.1f} ms (medians); old/new per point: "
              f"{quantiles([row[1] / row[2] for row in part], 1)}")
    ratios = np.array([row[4] for row in rows])
    print(f"  max relative difference of the lower bounds: {max(row[3] for row in rows):.2e}")
    print(f"  upper new/old: {quantiles(ratios)}  (looser than listing at {int(np.sum(ratios > 1 + 1e-12))} "
          f"of {len(rows)}, tighter by more than 0.1 % at {int(np.sum(ratios < 1 - 1e-3))})")
    for label in ("far", "near"):
        part = [row for row in rows if row[0] == label]
        print(f"  upper/lower {label:4s} listing: {quantiles([row[5] for row in part], 3)}")
        print(f"  upper/lower {label:4s} new:     {quantiles([row[6] for row in part], 3)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer points")
    args = parser.parse_args()
    scale = 1 if args.quick else 4
    dlnbook.distance_to_critical_set(target_problem(3), target_problem(3).zeros())      # imports scipy

    for r in (3, 4):                  # 27 and 81 configurations: listed, as before
        compare(r, 2 * scale, 2 * scale)
    compare(8, 2 * scale, 2 * scale)

    problem = target_problem(24)
    print(f"r = 24, L = 3, widths 24, λ = 0.05: {CriticalSet(problem).count()} configurations (listing impossible)")
    times, ratios = [], []
    for seed in range(3 * scale):
        W = problem.random_weights(seed=seed, scale=(0.5, 1.0, 2.0)[seed % 3])
        t, (lower, upper, _) = timed(dlnbook.distance_to_critical_set, problem, W)
        times.append(t)
        ratios.append(upper / lower)
    print(f"  distance_to_critical_set: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
          f"over {len(times)} random W")
    t, _ = timed(dlnbook.error_bound_ratio, problem, problem.random_weights(seed=0))
    print(f"  error_bound_ratio:        {t:.2f} s")
    print(f"  upper/lower: {quantiles(ratios, 3)}")
    W_bar = dlnbook.distance_to_critical_set(problem, problem.random_weights(seed=0)).witness.W
    t, _ = timed(dlnbook.estimate_error_bound, problem, W_bar, [1e-3], n_random=1, seed=0, max_worst=1)
    print(f"  estimate_error_bound (one radius, one random and one worst direction; the Hessian of "
          f"{problem.n_params} parameters): {t:.2f} s")


if __name__ == "__main__":
    main()
