"""Self-training and FixMatch-style views (taught in 04_semi_supervised, used in 06_domain_adaptation)."""

import numpy as np
import pytest

from tl_course.core import evaluation, sampling, self_training


def test_select_pseudo_labels_threshold_and_per_class_balance():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.55, 0.45]])
    mask, pseudo = self_training.select_pseudo_labels(probs, threshold=0.6)
    assert mask.tolist() == [True, True, True, True, False] and pseudo.tolist() == [0, 0, 0, 1, 0]
    mask, _ = self_training.select_pseudo_labels(probs, threshold=0.0, per_class=2)
    assert mask.tolist() == [True, True, False, True, False]  # two most confident class-0 rows, the only class-1 row
    assert not self_training.select_pseudo_labels(probs, threshold=0.95)[0].any()


def test_self_training_uses_unlabelled_blobs_and_logs_rounds(blobs):
    x, y = blobs(60, seed=0, spread=1.2)
    xt, yt = blobs(100, seed=1, spread=1.2)
    lab, unl = sampling.labelled_split(y, 0.03, seed=0)
    base = evaluation.fit_probe(x[lab], y[lab], C=0.5).score(xt, yt)
    run = self_training.self_train(x[lab], y[lab], x[unl], per_class=15, rounds=3, y_unl=y[unl], C=0.5)
    assert [r.round for r in run.rounds] == [1, 2, 3]
    assert [r.added for r in run.rounds] == [45, 90, 135] and run.rounds[-1].per_class.tolist() == [45, 45, 45]
    assert all(0.8 <= r.accuracy <= 1 for r in run.rounds)
    assert run.model.score(xt, yt) >= base
    assert np.isnan(self_training.self_train(x[lab], y[lab], x[unl], rounds=1).rounds[0].accuracy)  # no true labels given


def test_fixmatch_trains_on_strong_views_and_checks_shapes(blobs):
    x, y = blobs(30, seed=2)
    lab, unl = sampling.labelled_split(y, 0.1, seed=0)
    rng = np.random.default_rng(0)
    weak = x[None] + rng.normal(0, 0.1, (2,) + x.shape)
    strong = x[None] + rng.normal(0, 0.5, (3,) + x.shape)
    run = self_training.fixmatch(np.concatenate([x[None, lab], weak[:, lab]]), y[lab], weak[:, unl], strong[:, unl],
                                 threshold=0.0, per_class=5, rounds=2, y_unl=y[unl])
    assert [r.added for r in run.rounds] == [15, 30]
    assert run.model.score(x, y) > 0.9
    with pytest.raises(ValueError, match="views shaped \\(copies, n, dim\\)"):
        self_training.fixmatch(x[lab], y[lab], weak[:, unl], strong[:, unl])


def test_log_round_counts_pseudo_labels_and_scores_them_when_true_labels_are_given():
    mask = np.array([True, True, False, True])
    pseudo = np.array([0, 2, 1, 2])
    r = self_training.log_round(3, mask, pseudo, np.array([0, 1, 1, 2]), num_classes=3)
    assert (r.round, r.added) == (3, 3) and r.accuracy == 2 / 3 and r.per_class.tolist() == [1, 0, 2]
    assert np.isnan(self_training.log_round(1, mask, pseudo, None, 3).accuracy)
    assert np.isnan(self_training.log_round(1, np.zeros(4, bool), pseudo, np.zeros(4, int), 3).accuracy)  # nothing kept
