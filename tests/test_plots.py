"""dlnbook.plots: what each figure draws is the mathematics it claims to show.

The curves are read back from the Axes and compared with the library's numbers (roots of equation (2),
the recorded gradient norms), and the legends use the kind words of ``classify``.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlnbook import Problem, gradient_descent, stationarity_roots, threshold  # noqa: E402
from dlnbook.plots import plot_bifurcation, plot_convergence, plot_scalar_landscape  # noqa: E402

pytestmark = pytest.mark.unit


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.mark.parametrize("L, lam", [(2, 0.5), (3, 0.2), (4, [0.1, 0.2, 0.3, 0.4])])
def test_bifurcation_curves_are_the_roots_of_equation_2(ax, L, lam):
    plot_bifurcation(L, lam, y_max=3.0, ax=ax, n=101)
    drawn = {}                                   # y -> every σ drawn there
    for line in ax.get_lines():
        for y, sigma in zip(*line.get_data()):
            if np.isfinite(sigma) and np.ndim(y) == 0 and line.get_linestyle() == "-":
                drawn.setdefault(round(float(y), 12), set()).add(round(float(sigma), 9))
    tau = threshold(L, lam)
    for y in np.linspace(0.0, 3.0, 101)[::10]:
        if abs(y - tau) < 1e-6:
            continue
        expected = {round(float(s), 9) for s in stationarity_roots(y, L, lam)}
        assert drawn[round(float(y), 12)] == expected
    labels = set(ax.get_legend_handles_labels()[1])
    assert {"global minimum", "saddle"} <= labels


def test_scalar_landscape_marks_the_kinds_of_classify(ax):
    plot_scalar_landscape(0.5, 0.5, ax=ax, n=21)             # |y| = λ: the degenerate origin
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["degenerate global minimum"]


def test_convergence_plot_is_the_recorded_run(ax):
    problem = Problem.from_target([[2.0, 0.0], [0.0, 1.0]], widths=[2], lam=0.1)
    run = gradient_descent(problem, problem.random_weights(seed=0), step=0.1)
    assert plot_convergence(run, ax=ax) is ax
    k, g = ax.get_lines()[0].get_data()
    np.testing.assert_array_equal(k, run.iteration)
    np.testing.assert_array_equal(g, run.grad_norm)
    assert any(f"{run.linear_rate().q:.5f}" in t.get_text() for t in ax.get_legend().get_texts())


@pytest.mark.parametrize("call", [
    lambda: plot_bifurcation(3, 0.1, ax="left"),
    lambda: plot_scalar_landscape(0.5, 1.0, ax=object()),
])
def test_ax_must_be_an_axes(call):
    with pytest.raises(TypeError, match="ax"):
        call()
