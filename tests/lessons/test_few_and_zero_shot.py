"""Lesson 09's helpers on small arrays: episodes, the few-shot classifiers, ConSE and generalised zero-shot."""

import numpy as np
import pytest

from tl_course.lessons import few_and_zero_shot as fzs


def test_episodes_are_balanced_disjoint_and_nested():
    labels = np.repeat(np.arange(6), 20)
    episodes = fzs.sample_episodes(labels, n_way=4, k_shot=5, n_query=3, episodes=30, seed=1)
    assert len(episodes) == 30
    for episode in episodes:
        assert len(set(episode.classes)) == 4
        assert not set(episode.support.ravel()) & set(episode.query.ravel()), "support and query overlap"
        for row, c in enumerate(episode.classes):
            assert (labels[episode.support[row]] == c).all() and (labels[episode.query[row]] == c).all()
        support, support_y, query, query_y = episode.split(2)
        assert np.array_equal(support, episode.support[:, :2].ravel()), "k shots are the first k of the largest support"
        assert np.bincount(support_y).tolist() == [2] * 4 and np.bincount(query_y).tolist() == [3] * 4
        assert np.array_equal(labels[query], episode.classes[query_y])
    again = fzs.sample_episodes(labels, 4, 5, 3, 30, seed=1)
    assert all(np.array_equal(a.support, b.support) for a, b in zip(episodes, again)), "a seed draws the same episodes"


def test_episodes_say_what_is_wrong():
    labels = np.r_[np.zeros(10, int), np.ones(3, int)]
    with pytest.raises(ValueError, match=r"at least k_shot \+ n_query = 5 examples per class; received \{1: 3\}"):
        fzs.sample_episodes(labels, 2, 2, 3, 1)
    with pytest.raises(ValueError, match="at least n_way=3 classes; received 2"):
        fzs.sample_episodes(labels, 3, 1, 1, 1)
    with pytest.raises(ValueError, match=r"1 <= k <= 2 shots; received 3"):
        fzs.sample_episodes(np.repeat([0, 1], 5), 2, 2, 1, 1)[0].split(3)


def test_classifiers_separate_clear_clusters(blobs):
    x, y = blobs(20, seed=0, classes=3)
    support = np.r_[0:5, 20:25, 40:45]
    query = np.setdiff1d(np.arange(60), support)
    for method in (fzs.nearest_class_mean, fzs.simpleshot, fzs.logistic_regression, fzs.fine_tuned_head):
        assert np.mean(method(x[support], y[support], x[query]) == y[query]) > 0.95, method.__name__


def test_simpleshot_centres_then_normalises():
    support = np.array([[10.0, 1.0], [10.0, -1.0]])
    query = np.array([[10.0, 0.5]])
    assert fzs.nearest_class_mean(support, [0, 1], query).tolist() == [0]
    assert fzs.simpleshot(support, [0, 1], query).tolist() == [0]
    assert fzs.simpleshot(support, [0, 1], np.array([[30.0, -0.2]])).tolist() == [1], "after centring only the sign matters"


def test_fine_tuned_head_without_steps_is_the_cosine_prototype_classifier():
    rng = np.random.default_rng(2)
    x, y, q = rng.normal(size=(12, 5)), np.repeat(np.arange(3), 4), rng.normal(size=(7, 5))
    prototypes = np.stack([fzs.unit(x)[y == c].mean(axis=0) for c in range(3)])
    assert fzs.fine_tuned_head(x, y, q, steps=0).tolist() == np.argmax(fzs.unit(q) @ prototypes.T, axis=1).tolist()


def test_episode_accuracies_and_interval():
    labels = np.repeat(np.arange(3), 10)
    x = np.eye(3)[labels] * 5
    episodes = fzs.sample_episodes(labels, 3, 2, 4, 5)
    assert fzs.episode_accuracies(x, episodes, fzs.nearest_class_mean, k=1).tolist() == [1.0] * 5
    mean, half = fzs.interval([0.5, 0.7, 0.6, 0.6])
    assert mean == pytest.approx(0.6) and half == pytest.approx(1.96 * np.std([0.5, 0.7, 0.6, 0.6], ddof=1) / 2)
    with pytest.raises(ValueError, match="at least 2 episodes"):
        fzs.interval([0.5])


def test_conse_is_the_probability_weighted_mean_of_the_top_names():
    probabilities = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    names = np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    got = fzs.conse_vectors(probabilities, names, top=2)
    assert np.allclose(got[0], (0.6 * names[0] + 0.3 * names[1]) / 0.9)
    assert np.allclose(got[1], (0.7 * names[2] + 0.2 * names[1]) / 0.9)
    assert np.allclose(fzs.conse_vectors(probabilities, names, top=1), names[[0, 2]])
    predicted, similarity = fzs.nearest_vectors(got, np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert predicted.tolist() == [0, 1] and similarity.shape == (2, 2)
    with pytest.raises(ValueError, match=r"1 <= top <= 3; received 4"):
        fzs.conse_vectors(probabilities, names, top=4)


def test_ridge_map_and_generalised_zero_shot(blobs):
    x, y = blobs(30, seed=3, dim=8, classes=4)
    w = fzs.ridge_map(x, np.eye(4)[y], alpha=1e-3)
    assert np.mean(np.argmax(x @ w, axis=1) == y) > 0.95
    class_vectors = np.eye(8)[:4]  # the blobs' centres point along these axes: a perfect "text" space
    result = fzs.generalised_zero_shot(x, y, class_vectors, unseen=[3], seed=0)
    assert result["seen"] > 0.9 and 0 <= result["unseen"] <= 1
    assert result["harmonic"] == pytest.approx(fzs.harmonic_mean(result["seen"], result["unseen"]))
    assert result["unseen_only"] == 1.0, "one unseen class among the unseen alone is always right"
    assert result["scores"].shape == (len(result["test_labels"]), 4) and result["seen_mask"].tolist() == [True, True, True, False]
    assert fzs.harmonic_mean(0.0, 0.9) == 0.0 and fzs.harmonic_mean(0.5, 0.5) == pytest.approx(0.5)


def test_ridge_map_towards_identity_keeps_the_vectors_at_large_alpha():
    rng = np.random.default_rng(4)
    x, targets = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    assert np.allclose(fzs.ridge_map(x, targets, alpha=1e9, towards_identity=True), np.eye(3), atol=1e-6)
    assert np.allclose(fzs.ridge_map(x, targets, alpha=1e9), 0.0, atol=1e-6)
    exact = np.linalg.lstsq(x, targets, rcond=None)[0]
    assert np.allclose(fzs.ridge_map(x, targets, alpha=1e-9, towards_identity=True), exact, atol=1e-6)
    with pytest.raises(ValueError, match="targets' space"):
        fzs.ridge_map(rng.normal(size=(5, 4)), targets[:5], towards_identity=True)
