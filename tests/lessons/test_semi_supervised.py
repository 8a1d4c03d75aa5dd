"""Lesson 04's methods and figures."""

import numpy as np
import pytest

from tl_course.core import evaluation, sampling
from tl_course.lessons import semi_supervised


def blobs(n_per_class, seed, spread=0.6, dim=8, classes=3):
    """Gaussian blobs around orthogonal centres: embeddings a linear head separates well."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:classes] * 3
    y = np.repeat(np.arange(classes), n_per_class)
    return centres[y] + rng.normal(0, spread, (len(y), dim)), y


def test_select_pseudo_labels_threshold_and_per_class_balance():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.55, 0.45]])
    mask, pseudo = semi_supervised.select_pseudo_labels(probs, threshold=0.6)
    assert mask.tolist() == [True, True, True, True, False] and pseudo.tolist() == [0, 0, 0, 1, 0]
    mask, _ = semi_supervised.select_pseudo_labels(probs, threshold=0.0, per_class=2)
    assert mask.tolist() == [True, True, False, True, False]  # two most confident class-0 rows, the only class-1 row
    assert not semi_supervised.select_pseudo_labels(probs, threshold=0.95)[0].any()


def test_self_training_uses_unlabelled_blobs_and_logs_rounds():
    x, y = blobs(60, seed=0, spread=1.2)
    xt, yt = blobs(100, seed=1, spread=1.2)
    lab, unl = sampling.labelled_split(y, 0.03, seed=0)
    base = evaluation.fit_probe(x[lab], y[lab], C=0.5).score(xt, yt)
    run = semi_supervised.self_train(x[lab], y[lab], x[unl], per_class=15, rounds=3, y_unl=y[unl], C=0.5)
    assert [r.round for r in run.rounds] == [1, 2, 3]
    assert [r.added for r in run.rounds] == [45, 90, 135] and run.rounds[-1].per_class.tolist() == [45, 45, 45]
    assert all(0.8 <= r.accuracy <= 1 for r in run.rounds)
    assert run.model.score(xt, yt) >= base
    assert np.isnan(semi_supervised.self_train(x[lab], y[lab], x[unl], rounds=1).rounds[0].accuracy)  # no true labels given


def test_fixmatch_trains_on_strong_views_and_checks_shapes():
    x, y = blobs(30, seed=2)
    lab, unl = sampling.labelled_split(y, 0.1, seed=0)
    rng = np.random.default_rng(0)
    weak = x[None] + rng.normal(0, 0.1, (2,) + x.shape)
    strong = x[None] + rng.normal(0, 0.5, (3,) + x.shape)
    run = semi_supervised.fixmatch(np.concatenate([x[None, lab], weak[:, lab]]), y[lab], weak[:, unl], strong[:, unl],
                        threshold=0.0, per_class=5, rounds=2, y_unl=y[unl])
    assert [r.added for r in run.rounds] == [15, 30]
    assert run.model.score(x, y) > 0.9
    with pytest.raises(ValueError, match="views shaped \\(copies, n, dim\\)"):
        semi_supervised.fixmatch(x[lab], y[lab], weak[:, unl], strong[:, unl])


def test_co_training_grows_a_shared_pool_from_two_views():
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
    run = semi_supervised.self_train(x[lab], y[lab], x[unl], rounds=2, y_unl=y[unl])
    fig = semi_supervised.pseudo_label_rounds({"a": run, "b": run})
    assert len(fig.axes) == 3 and all(len(ax.lines) == 2 for ax in fig.axes)
    assert list(fig.axes[2].lines[0].get_ydata()) == [int(r.per_class.min()) for r in run.rounds]
    fig = semi_supervised.accuracy_vs_labels([2, 5], {"a": np.ones((3, 2)), "b": np.zeros((3, 2))})
    assert len(fig.axes[0].lines) == 2 and list(fig.axes[0].lines[0].get_xdata()) == [2, 5]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["2", "5"]
