"""Figures of lesson 04: pseudo-labels per round, accuracy against labelled fraction."""

import numpy as np

from tl_course import plots, semi


def test_semi_figures_draw_one_line_per_run():
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1, 2], 10)
    x = np.eye(3)[y] * 3 + rng.normal(0, 0.5, (30, 3))
    lab, unl = semi.labelled_split(y, 0.2, seed=0)
    run = semi.self_train(x[lab], y[lab], x[unl], rounds=2, y_unl=y[unl])
    fig = plots.pseudo_label_rounds({"a": run, "b": run})
    assert len(fig.axes) == 3 and all(len(ax.lines) == 2 for ax in fig.axes)
    assert list(fig.axes[2].lines[0].get_ydata()) == [int(r.per_class.min()) for r in run.rounds]
    fig = plots.accuracy_vs_fraction([0.1, 0.2], {"a": np.ones((3, 2)), "b": np.zeros((3, 2))})
    assert len(fig.axes[0].lines) == 2
