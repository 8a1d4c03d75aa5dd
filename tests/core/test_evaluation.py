"""Accuracy, the linear probe and paired comparisons."""

import numpy as np
import pytest

from tl_course.core import evaluation


def test_compare_paired():
    a = np.array([0.80, 0.82, 0.78, 0.81])
    assert evaluation.compare_paired(a, a - 0.05).verdict == "a"
    assert evaluation.compare_paired(a - 0.05, a).verdict == "b"
    tie = evaluation.compare_paired(a, a + np.array([0.02, -0.02, 0.01, -0.01]))
    assert tie.verdict == "tie" and np.isclose(tie.mean_diff, 0)
    # mean / standard error = 2.4: beyond 2, but within Student's t for 4 degrees of freedom (2.776)
    diffs = np.array([0.05, 0.01, 0.03, 0.06, -0.005])
    small = evaluation.compare_paired(diffs, np.zeros(5))
    half = 2.776 * diffs.std(ddof=1) / np.sqrt(5)
    assert small.verdict == "tie" and np.allclose(small.ci, (diffs.mean() - half, diffs.mean() + half))
    assert evaluation.compare_paired(np.tile(diffs, 4), np.zeros(20)).verdict == "a"  # more runs, same effect
    with pytest.raises(ValueError, match="equal-length"):
        evaluation.compare_paired([0.1], [0.2])


def test_fit_probe_separates_blobs_and_accuracy_scores_a_model():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    x = np.eye(8)[y] * 3 + rng.normal(0, 0.6, (len(y), 8))
    probe = evaluation.fit_probe(x[::2], y[::2])
    assert probe.score(x[1::2], y[1::2]) > 0.9
    identity = lambda batch, training=False: batch[:, :3]  # noqa: E731 (a model's call signature)
    assert evaluation.accuracy(identity, np.eye(3)[[0, 1, 2, 2]], [0, 1, 2, 0]) == 0.75


def test_accuracy_difference_and_standard_error():
    assert np.isclose(evaluation.standard_error(0.8, 100), 0.04)
    assert evaluation.standard_error(1.0, 40) == 0.0
    d = evaluation.accuracy_difference(0.8, 0.6, 100)
    assert np.isclose(d.diff, 0.2) and np.isclose(d.se, np.hypot(0.04, np.sqrt(0.24 / 100)))
    assert np.allclose(d.ci, (0.2 - 2 * d.se, 0.2 + 2 * d.se))
    assert str(d) == f"+0.200, 95% interval [{0.2 - 2 * d.se:+.3f}, {0.2 + 2 * d.se:+.3f}]"
    with pytest.raises(ValueError, match="at least 1 test example"):
        evaluation.standard_error(0.5, 0)


def test_comparison_prints_mean_and_interval():
    c = evaluation.compare_paired([0.9, 0.8, 0.7], [0.8, 0.8, 0.6])
    assert str(c) == f"{c.mean_diff:+.3f}, 95% interval [{c.ci[0]:+.3f}, {c.ci[1]:+.3f}]"
    assert str(c).startswith("+0.067, 95% interval [")


def test_fit_probe_sample_weight_zero_drops_examples_and_ones_change_nothing():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    x = np.eye(8)[y] * 3 + rng.normal(0, 1.2, (len(y), 8))  # overlapping blobs: every example moves the fit
    dropped = rng.random(len(y)) < 0.3
    weighted = evaluation.fit_probe(x, y, sample_weight=np.where(dropped, 0.0, 1.0))
    without = evaluation.fit_probe(x[~dropped], y[~dropped])
    everything = evaluation.fit_probe(x, y)
    assert np.allclose(weighted[-1].coef_, without[-1].coef_, atol=1e-6)
    assert np.allclose(weighted[-1].intercept_, without[-1].intercept_, atol=1e-6)
    assert np.allclose(weighted.predict_proba(x), without.predict_proba(x), atol=1e-6)
    assert not np.allclose(weighted[-1].coef_, everything[-1].coef_, atol=1e-2)  # the dropped examples mattered
    ones = evaluation.fit_probe(x, y, sample_weight=np.ones(len(y)))
    assert np.allclose(ones[-1].coef_, everything[-1].coef_, atol=1e-6)
    assert np.allclose(ones.predict_proba(x), everything.predict_proba(x), atol=1e-6)
    # the weights' scale trades against C: importance weights should average 1 to keep the probe's regularisation
    doubled = evaluation.fit_probe(x, y, sample_weight=np.full(len(y), 2.0))
    assert np.allclose(doubled[-1].coef_, evaluation.fit_probe(x, y, C=20.0)[-1].coef_, atol=1e-6)
    assert not np.allclose(doubled[-1].coef_, everything[-1].coef_, atol=1e-2)


def test_accuracy_calls_the_model_in_batches_with_the_same_result():
    import keras

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 6)).astype("float32"), rng.integers(0, 3, 300)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    whole = float(np.mean(np.argmax(model(x, training=False), axis=-1) == y))
    sizes = []

    def counting(batch, training=False):
        sizes.append((len(batch), training))
        return model(batch, training=training)

    assert evaluation.accuracy(counting, x, y, batch_size=128) == whole
    assert sizes == [(128, False), (128, False), (44, False)]
    assert evaluation.accuracy(model, x, y) == evaluation.accuracy(model, x, y, batch_size=7) == whole
    with pytest.raises(ValueError, match="batch_size as an int >= 1; received 0"):
        evaluation.accuracy(model, x, y, batch_size=0)
    with pytest.raises(ValueError, match="received 300 examples and 299 labels"):
        evaluation.accuracy(model, x, y[:-1])


def test_outputs_in_batches_equal_one_call_and_check_the_batch():
    import keras

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    x = np.random.default_rng(0).normal(size=(7, 3))
    whole = np.asarray(model(x.astype("float32"), training=False))
    assert np.allclose(evaluation.outputs_in_batches(model, x, batch_size=3), whole, atol=1e-6)
    with pytest.raises(ValueError, match="batch_size as an int >= 1; received 0"):
        evaluation.outputs_in_batches(model, x, batch_size=0)
