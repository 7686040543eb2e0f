"""How fast is dlnbook's gradient descent, against what a user would write instead?

Compared on the identical problem, start and step (float64), interleaved in one run, median of repeats:

* ``dlnbook``: :func:`dlnbook.descent.gradient_descent`, which works with the sufficient statistics
  ``C = X Xᵀ``, ``B = Y Xᵀ`` (one step costs the same whatever N);
* ``naive torch``: ``nn.Sequential`` of ``nn.Linear(bias=False)``, the loss
  ``0.5 * ((net(X.T) - Y.T)**2).sum()``, ``torch.optim.SGD(lr=η, weight_decay=λ)``;
* ``raw autograd``: torch autograd on raw weight tensors, ``W ← W − η ∇F`` by hand.

Then the batched descent (:func:`dlnbook.descent.gradient_descent_batch`, and the torch backend on the
CPU): runs per second for B ∈ {1, 10, 100, 1000} against B separate runs. And the time of one widget
update of Chapter 4 (2 000 steps at the chapter's default size, plus the fit of the rate).

Run ``python benchmarks/gd_speed.py`` (about ten minutes on a busy 2-core machine) or ``--quick`` (under a
minute). The last line is
``speedup_vs_naive_torch_at_N=10000: <ratio>`` (L = 3, widths 20). Timings depend on the machine and
its load; the ratios are what to read.
"""

import argparse
import os
import statistics
import time

import numpy as np
import torch

from dlnbook import Problem
from dlnbook.descent import gradient_descent, gradient_descent_batch
from dlnbook import torch_backend


def make_problem(L, width, N, lam=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(width, N)) / np.sqrt(N)          # X Xᵀ ≈ I: the same curvature for every N
    Y = rng.normal(size=(width, N)) / np.sqrt(N) * 3.0
    return Problem(X, Y, widths=[width] * (L - 1), lam=lam)


def time_dlnbook(problem, W0, eta, steps):
    start = time.perf_counter()
    run = gradient_descent(problem, W0, step=eta, max_iter=steps, tol=0.0)
    elapsed = time.perf_counter() - start
    assert run.iterations == steps, run.message
    return elapsed / steps, run.W


def time_naive(problem, W0, eta, steps):
    net = torch_backend.to_sequential(W0)
    optimizer = torch.optim.SGD([{"params": [m.weight], "weight_decay": lam} for m, lam in zip(net, problem.lambdas)],
                                lr=eta)
    X, Y = torch.tensor(problem.X.T), torch.tensor(problem.Y.T)
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = 0.5 * ((net(X) - Y) ** 2).sum()
        loss.backward()
        optimizer.step()
    elapsed = time.perf_counter() - start
    return elapsed / steps, torch_backend.from_sequential(net)


def time_raw(problem, W0, eta, steps):
    W = [torch.tensor(w, requires_grad=True) for w in W0]
    X, Y = torch.tensor(problem.X), torch.tensor(problem.Y)
    start = time.perf_counter()
    for _ in range(steps):
        Z = X
        for w in W:
            Z = w @ Z
        loss = 0.5 * ((Z - Y) ** 2).sum() + sum(0.5 * lam * (w * w).sum() for lam, w in zip(problem.lambdas, W))
        grads = torch.autograd.grad(loss, W)
        with torch.no_grad():
            for w, g in zip(W, grads):
                w -= eta * g
    elapsed = time.perf_counter() - start
    return elapsed / steps, [w.detach().numpy() for w in W]


def max_difference(A, B):
    return max(float(np.abs(a - b).max()) for a, b in zip(A, B))


def speed_table(args):
    print("## One run: time per step (median of repeats), float64, identical problem, start and step")
    print(f"{'L':>2} {'N':>7} | {'dlnbook':>10} {'naive torch':>12} {'raw autograd':>13} | "
          f"{'vs naive':>9} {'vs raw':>8} | iterates agree")
    results = {}
    for L in (3, 5):
        for N in (100, 1_000, 10_000, 100_000):
            problem = make_problem(L, 20, N)
            W0 = problem.random_weights(seed=1)
            eta = 0.02
            ours_steps = args.ours_steps
            torch_steps = max(5, min(args.torch_steps, int(args.torch_budget / (2e-7 * N + 2e-4))))
            ours, naive, raw = [], [], []
            for _ in range(args.repeats):                      # interleaved: the load hits all three alike
                t, _ = time_dlnbook(problem, W0, eta, ours_steps)
                ours.append(t)
                t, W_naive = time_naive(problem, W0, eta, torch_steps)
                naive.append(t)
                t, W_raw = time_raw(problem, W0, eta, torch_steps)
                raw.append(t)
            _, W_ours = time_dlnbook(problem, W0, eta, torch_steps)
            agree = max(max_difference(W_ours, W_naive), max_difference(W_ours, W_raw))
            o, n, r = (statistics.median(x) for x in (ours, naive, raw))
            results[L, N] = (o, n, r)
            print(f"{L:>2} {N:>7} | {o * 1e6:>8.1f}µs {n * 1e6:>10.1f}µs {r * 1e6:>11.1f}µs | "
                  f"{n / o:>8.1f}× {r / o:>7.1f}× | {agree < 1e-9} (max |ΔW| = {agree:.1e} after {torch_steps} steps)")
    return results


def n_independence(args):
    print()
    print("## dlnbook's step time against N, all N interleaved in every repeat (median of repeats)")
    Ns = (100, 1_000, 10_000, 100_000)
    for L in (3, 5):
        problems = {N: make_problem(L, 20, N) for N in Ns}
        W0 = problems[100].random_weights(seed=1)
        times = {N: [] for N in Ns}
        for _ in range(2 * args.repeats):
            for N in Ns:
                times[N].append(time_dlnbook(problems[N], W0, 0.02, args.ours_steps)[0])
        medians = [statistics.median(times[N]) for N in Ns]
        print(f"L = {L}: " + ", ".join(f"N = {N}: {t * 1e6:.1f}µs" for N, t in zip(Ns, medians))
              + f"; varies by {(max(medians) - min(medians)) / min(medians) * 100:.1f}% (max − min over min)")


def batch_table(args):
    print()
    print("## Batched runs: L = 3, widths 20, N = 1000, constant step (median of repeats)")
    print(f"{'B':>5} | {'numpy batch, per step':>22} {'run-steps/s':>12} {'vs B single runs':>17} | "
          f"{'torch CPU batch, per step':>26} {'vs B single runs':>17} | same as single runs")
    problem = make_problem(3, 20, 1_000)
    starts_all = [problem.random_weights(seed=s) for s in range(max(args.batches))]
    single = statistics.median(time_dlnbook(problem, starts_all[0], 0.02, args.ours_steps)[0]
                               for _ in range(args.repeats))
    for B in args.batches:
        starts = [np.stack(layers) for layers in zip(*starts_all[:B])]
        steps = max(10, min(args.ours_steps, int(args.batch_work / B)))
        np_times, torch_times = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            batch = gradient_descent_batch(problem, starts, step=0.02, max_iter=steps, tol=0.0, record_every=steps)
            np_times.append((time.perf_counter() - t0) / steps)
            t0 = time.perf_counter()
            torch_backend.gradient_descent_batch(problem, starts, step=0.02, max_iter=steps, tol=0.0,
                                                 record_every=steps, device="cpu")
            torch_times.append((time.perf_counter() - t0) / steps)
        check = min(B, 3)
        same = all(max_difference([w[b] for w in batch.W],
                                  gradient_descent(problem, starts_all[b], step=0.02, max_iter=steps, tol=0.0).W) < 1e-12
                   for b in range(check))
        tn, tt = statistics.median(np_times), statistics.median(torch_times)
        print(f"{B:>5} | {tn * 1e6:>20.1f}µs {B / tn:>12.0f} {B * single / tn:>16.1f}× | "
              f"{tt * 1e6:>24.1f}µs {B * single / tt:>16.1f}× | {same}")


def widget_timing(args):
    print()
    print("## One widget update of Chapter 4: 2 000 steps at the default size, and the fitted rate")
    from dlnbook.data import planted
    X, Y = planted(20, 10, 100, np.linspace(3.0, 0.3, 10), seed=0)
    problem = Problem(X, Y, widths=[16, 16], lam=0.1)
    W0 = problem.random_weights(seed=0)
    times = []
    for _ in range(2 * args.repeats + 1):
        start = time.perf_counter()
        run = gradient_descent(problem, W0, step=0.02, max_iter=2000, tol=0.0)
        run.linear_rate()
        times.append(time.perf_counter() - start)
    print(f"widget_update_2000_steps_ms: {statistics.median(times) * 1e3:.1f} (median; fastest "
          f"{min(times) * 1e3:.1f}; problem dims {problem.dims})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats (under a minute)")
    args = parser.parse_args()
    args.repeats = 3 if args.quick else 7
    args.ours_steps = 200 if args.quick else 2000
    args.torch_steps = 30 if args.quick else 200
    args.torch_budget = 0.15 if args.quick else 2.0        # seconds per torch measurement, roughly
    args.batch_work = 2e4 if args.quick else 2e5            # run-steps per batched measurement
    args.batches = (1, 10, 100, 1000)
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, {os.cpu_count()} CPUs")
    results = speed_table(args)
    n_independence(args)
    batch_table(args)
    widget_timing(args)
    o, n, _ = results[3, 10_000]
    print()
    print(f"speedup_vs_naive_torch_at_N=10000: {n / o:.1f}")


if __name__ == "__main__":
    main()
