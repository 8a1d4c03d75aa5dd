"""Lesson 04's methods and figures."""

import numpy as np
import pytest

from tl_course.core import evaluation, sampling, self_training
from tl_course.lessons import semi_supervised


def test_co_training_grows_a_shared_pool_from_two_views(blobs):
    x, y = blobs(40, seed=3)
    x2 = x @ np.random.default_rng(1).normal(size=(8, 5))  # a second, different view of the same examples
    lab, unl = sampling.labelled_split(y, 0.05, seed=0)
    run = semi_supervised.co_train([x[lab], x2[lab]], y[lab], [x[unl], x2[unl]], per_class=4, rounds=3, y_unl=y[unl])
    sizes = [r.added for r in run.rounds]
    assert sizes == sorted(sizes) and sizes[0] >= 12 and sizes[-1] <= 2 * 4 * 3 * 3
    assert run.rounds[-1].accuracy > 0.9
    assert run.predict_proba([x, x2]).shape == (len(y), 3) and run.score([x, x2], y) > 0.9
    heads = semi_supervised.CoTraining((run.models[0], run.models[0], evaluation.fit_probe(x[lab], (y[lab] + 1) % 3)), [])
    assert np.allclose(heads.predict_proba([x] * 3), (2 * run.models[0].predict_proba(x) + heads.models[2].predict_proba(x)) / 3)
    with pytest.raises(ValueError, match="two views"):
        semi_supervised.co_train([x[lab]] * 3, y[lab], [x[unl]] * 3)


def test_semi_figures_draw_one_line_per_run():
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1, 2], 10)
    x = np.eye(3)[y] * 3 + rng.normal(0, 0.5, (30, 3))
    lab, unl = sampling.labelled_split(y, 0.2, seed=0)
    run = self_training.self_train(x[lab], y[lab], x[unl], rounds=2, y_unl=y[unl])
    fig = semi_supervised.pseudo_label_rounds({"a": run, "b": run})
    assert len(fig.axes) == 3 and all(len(ax.lines) == 2 for ax in fig.axes)
    assert list(fig.axes[2].lines[0].get_ydata()) == [int(r.per_class.min()) for r in run.rounds]
    fig = semi_supervised.accuracy_vs_labels([2, 5], {"a": np.ones((3, 2)), "b": np.zeros((3, 2))})
    assert len(fig.axes[0].lines) == 2 and list(fig.axes[0].lines[0].get_xdata()) == [2, 5]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["2", "5"]
