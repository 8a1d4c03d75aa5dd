"""Lesson 06's measures of shift and its adaptation methods, on tiny arrays and tiny models."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tl_course.core import evaluation
from tl_course.lessons import domain_adaptation


def blobs(n_per_class, seed, shift=0.0, spread=0.6, dim=8, classes=3):
    """Gaussian blobs around orthogonal centres; `shift` moves every point along the unused dimensions."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(classes), n_per_class)
    x = np.eye(dim)[y] * 3 + rng.normal(0, spread, (len(y), dim))
    x[:, classes:] += shift
    return x.astype(np.float32), y


def numpy_mmd2(x, y, bandwidth):
    """The biased Gaussian-kernel MMD^2 in float64, written out term by term."""
    def mean_kernel(a, b):
        d = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-d / (2 * bandwidth ** 2)).mean()

    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return mean_kernel(x, x) + mean_kernel(y, y) - 2 * mean_kernel(x, y)


# Gradient reversal

@pytest.mark.parametrize("strength", [1.0, 0.25])
def test_reverse_gradient_is_the_identity_forward_and_negates_the_gradient(strength):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(4, 3)), tf.float32)
    upstream = tf.constant(rng.normal(size=(4, 3)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = domain_adaptation.reverse_gradient(x, strength)
        loss = tf.reduce_sum(y * upstream)  # d loss / d y = upstream
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), -strength * upstream.numpy(), rtol=1e-6)


def test_gradient_reversal_strength_is_a_variable_read_at_run_time():
    layer = domain_adaptation.GradientReversal(0.5)
    x = tf.constant([[1.0, -2.0], [3.0, 4.0]])

    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(3.0 * layer(x))
        return tape.gradient(loss, x)

    traced = tf.function(gradient)
    for strength in (0.5, 2.0, 0.0):
        layer.strength.assign(strength)
        np.testing.assert_allclose(gradient(x).numpy(), np.full((2, 2), -3.0 * strength))  # eager
        np.testing.assert_allclose(traced(x).numpy(), np.full((2, 2), -3.0 * strength))  # in a graph
    assert traced.experimental_get_tracing_count() == 1  # one graph served all three strengths
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_gradient_reversal_config_round_trips_the_strength():
    layer = domain_adaptation.GradientReversal(0.3, name="reversal")
    layer.strength.assign(0.75)  # the value a ramp reached, not the constructor's
    config = layer.get_config()
    assert config["strength"] == pytest.approx(0.75) and config["name"] == "reversal"
    copy = domain_adaptation.GradientReversal.from_config(config)
    assert float(copy.strength.numpy()) == pytest.approx(0.75) and copy.name == "reversal"
    assert keras.saving.get_registered_object("tl_course>GradientReversal") is domain_adaptation.GradientReversal


def test_ramp_starts_at_zero_grows_and_ends_at_tanh_5():
    progress = np.linspace(0, 1, 11)
    values = [domain_adaptation._ramp(p) for p in progress]
    assert values[0] == 0.0 and np.all(np.diff(values) > 0)
    # 2 / (1 + exp(-10)) - 1 = tanh(5): the strength never quite reaches 1
    assert values[-1] == pytest.approx(np.tanh(5)) and values[-1] == pytest.approx(0.99991, abs=1e-5)
    assert domain_adaptation._ramp(1.5) == values[-1]  # past the end of training: held at its final value


# Maximum mean discrepancy

def test_mmd2_is_near_zero_for_one_distribution_and_grows_with_the_shift():
    rng = np.random.default_rng(0)
    n = m = 300
    x, y0 = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
    # Under the null the biased estimate has expectation (1/n + 1/m) (1 - E k(x, x')) <= 1/n + 1/m (the diagonal
    # k(x_i, x_i) = 1 terms); its fluctuation is of the same order, so twice that bound is a safe ceiling.
    same = float(domain_adaptation.mmd2(x, y0))
    assert 0 <= same < 2 * (1 / n + 1 / m)
    shifts = [0.0, 0.5, 1.0, 2.0]
    values = [float(domain_adaptation.mmd2(x, y0 + [s, 0, 0])) for s in shifts]  # same noise, only the shift varies
    assert values[0] == pytest.approx(same) and np.all(np.diff(values) > 0)
    assert values[1] > 2 * (1 / n + 1 / m)  # a half-sigma shift is already above the null's ceiling


def test_mmd2_matches_a_numpy_reference_and_is_symmetric():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 5)), rng.normal(0.7, 1.3, size=(25, 5))
    for bandwidth in (0.5, 2.0):
        assert float(domain_adaptation.mmd2(x, y, bandwidth)) == pytest.approx(numpy_mmd2(x, y, bandwidth), abs=1e-5)
    pooled = np.concatenate([x, y])
    rms = np.sqrt(((pooled[:, None] - pooled[None]) ** 2).sum(-1).mean())  # the documented default bandwidth
    assert float(domain_adaptation.mmd2(x, y)) == pytest.approx(numpy_mmd2(x, y, rms), abs=1e-5)
    assert float(domain_adaptation.mmd2(x, y)) == pytest.approx(float(domain_adaptation.mmd2(y, x)), abs=1e-6)
    assert float(domain_adaptation.mmd2(x, y, 0.5)) == pytest.approx(float(domain_adaptation.mmd2(y, x, 0.5)), abs=1e-6)


def test_mmd2_is_exactly_zero_for_identical_samples_and_finite_for_coincident_points():
    x = np.random.default_rng(2).normal(size=(30, 4))
    assert float(domain_adaptation.mmd2(x, x.copy())) == 0.0
    assert float(domain_adaptation.mmd2(x, x.copy(), bandwidth=1.0)) == 0.0
    # every point the same (dead ReLU features are all zero): the default bandwidth would be 0
    zeros = tf.zeros((6, 4))
    with tf.GradientTape() as tape:
        tape.watch(zeros)
        value = domain_adaptation.mmd2(zeros, tf.zeros((9, 4)))
    assert float(value) == 0.0
    assert np.all(np.isfinite(tape.gradient(value, zeros).numpy()))
    assert float(domain_adaptation.mmd2(np.ones((5, 3)), np.ones((7, 3)))) == 0.0


# Domain classifier

def test_domain_probabilities_are_scored_out_of_fold():
    # Each example is a one-hot of its own: a probe that saw an example puts weight on its coordinate and scores it
    # right (in sample, about 0.16 and 0.84 here); a probe that did not see it has a zero weight there and can only
    # answer with its intercept, the same for every example of a fold.
    x = np.eye(40)
    leaky = evaluation.fit_probe(x, np.r_[np.zeros(20), np.ones(20)]).predict_proba(x)[:, 1]
    assert leaky[:20].max() < 0.3 and leaky[20:].min() > 0.7  # the check below could tell a leak
    for folds in (2, 4):
        p_source, p_target = domain_adaptation.domain_probabilities(x[:20], x[20:], folds=folds, seed=0)
        assert p_source.shape == (20,) and p_target.shape == (20,)
        np.testing.assert_allclose(np.r_[p_source, p_target], 0.5, atol=1e-6)  # balanced folds: intercept 0
    p_source, p_target = domain_adaptation.domain_probabilities(x[:28], x[28:], seed=0)  # 28 source, 12 target
    assert p_source.shape == (28,) and p_target.shape == (12,)
    assert np.ptp(np.r_[p_source, p_target]) < 0.05  # still no example told apart from the others


def test_domain_probabilities_are_probabilities_of_the_target():
    xs, _ = blobs(20, seed=0)
    xt, _ = blobs(10, seed=1, shift=2.0)
    p_source, p_target = domain_adaptation.domain_probabilities(xs, xt, folds=3, seed=1)
    assert p_source.shape == (60,) and p_target.shape == (30,)
    assert np.all((0 <= p_source) & (p_source <= 1)) and np.all((0 <= p_target) & (p_target <= 1))
    assert p_target.min() > p_source.max()  # target scores high, source low


def test_proxy_a_distance_is_near_chance_for_one_distribution():
    # 2 x 200 out-of-fold predictions: under the null the accuracy's standard error is sqrt(0.25 / 400) = 0.025;
    # the band is 4 standard errors.
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        distance, accuracy = domain_adaptation.proxy_a_distance(rng.normal(size=(200, 5)), rng.normal(size=(260, 5)),
                                                                seed=seed)
        assert abs(accuracy - 0.5) < 4 * 0.025
        assert distance == pytest.approx(2 * (1 - 2 * (1 - accuracy))) and abs(distance) < 0.4


def test_proxy_a_distance_is_near_two_for_separated_blobs():
    rng = np.random.default_rng(0)
    source = np.eye(8)[0] * 3 + rng.normal(0, 0.3, (100, 8))
    target = np.eye(8)[1] * 3 + rng.normal(0, 0.3, (60, 8))  # larger source: subsampled to 60, chance stays 0.5
    distance, accuracy = domain_adaptation.proxy_a_distance(source, target)
    assert accuracy > 0.98 and distance > 1.9


# AdaBN

def tiny_backbone(name="backbone", bn_name="bn"):
    """Input -> Conv2D -> BatchNormalization -> GlobalAveragePooling2D, frozen as a pretrained backbone is."""
    inputs = keras.Input((4, 4, 2))
    hidden = keras.layers.Conv2D(3, 1, name=f"{name}_conv")(inputs)
    hidden = keras.layers.BatchNormalization(name=bn_name)(hidden)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(hidden), name=name)
    model.get_layer(bn_name).moving_mean.assign([0.5, -1.0, 2.0])  # "pretrained" statistics, unlike the data's
    model.get_layer(bn_name).moving_variance.assign([2.0, 0.5, 1.5])
    model.trainable = False
    return model


def pixels(n, seed):
    return np.random.default_rng(seed).normal(2.0, 3.0, (n, 4, 4, 2)).astype(np.float32)


def test_batch_norm_statistics_are_the_layer_inputs_mean_and_variance():
    base = tiny_backbone()
    bn = base.get_layer("bn")
    assert not bn.trainable
    x = pixels(24, seed=0)
    h = np.asarray(keras.Model(base.inputs, bn.input).predict(x, verbose=0), np.float64)  # what the layer sees
    mean, variance = domain_adaptation.batch_norm_statistics(base, x, batch_size=32)["bn"]  # one batch
    np.testing.assert_allclose(mean, h.mean((0, 1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(variance, h.var((0, 1, 2)), rtol=1e-5)
    # three equal batches: the mean of the batch means is the overall mean; the variance, the batches' mean variance
    mean, variance = domain_adaptation.batch_norm_statistics(base, x, batch_size=8)["bn"]
    np.testing.assert_allclose(mean, h.mean((0, 1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(variance, np.mean([h[i:i + 8].var((0, 1, 2)) for i in (0, 8, 16)], 0), rtol=1e-5)


def test_batch_norm_statistics_leave_the_model_as_it_was():
    base = tiny_backbone()
    bn = base.get_layer("bn")
    before = base.predict(pixels(8, seed=1), verbose=0)
    domain_adaptation.batch_norm_statistics(base, pixels(24, seed=0), batch_size=8)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), [0.5, -1.0, 2.0])
    np.testing.assert_array_equal(bn.moving_variance.numpy(), [2.0, 0.5, 1.5])
    assert bn.momentum == 0.99 and bn.trainable is False and base.trainable is False
    assert base.trainable_weights == []
    np.testing.assert_array_equal(base.predict(pixels(8, seed=1), verbose=0), before)


def test_using_statistics_swaps_them_in_for_the_block_only():
    base = tiny_backbone()
    x = pixels(24, seed=0)
    statistics = domain_adaptation.batch_norm_statistics(base, x)
    before = base.predict(x, verbose=0)
    with domain_adaptation.using_statistics(base, statistics) as model:
        assert model is base
        inside = base.predict(x, verbose=0)
    assert np.abs(inside - before).max() > 0.1
    np.testing.assert_array_equal(base.predict(x, verbose=0), before)
    # normalised with the data's own statistics, each channel's output averages to the layer's beta (0)
    np.testing.assert_allclose(inside.mean(0), 0.0, atol=1e-3)
    # an embedder around the backbone finds the backbone's layers; an error inside the block still restores them
    inputs = keras.Input((4, 4, 2))
    embedder = keras.Model(inputs, keras.layers.Dense(2)(base(inputs)))
    with pytest.raises(RuntimeError, match="inside"):
        with domain_adaptation.using_statistics(embedder, statistics):
            np.testing.assert_allclose(base.get_layer("bn").moving_mean.numpy(), statistics["bn"][0])
            raise RuntimeError("inside")
    np.testing.assert_array_equal(base.predict(x, verbose=0), before)


def test_using_statistics_rejects_another_models_layers():
    base, other = tiny_backbone(), tiny_backbone(name="other", bn_name="other_bn")
    statistics = domain_adaptation.batch_norm_statistics(other, pixels(8, seed=0))
    with pytest.raises(ValueError, match="BatchNormalization layers of backbone"):
        with domain_adaptation.using_statistics(base, statistics):
            pass
    inputs = keras.Input((4, 4, 2))
    both = keras.Model(inputs, keras.layers.Concatenate()([base(inputs), other(inputs)]))
    with pytest.raises(ValueError, match="Expected statistics for the 2"):  # one of its two layers is missing
        with domain_adaptation.using_statistics(both, statistics):
            pass
    np.testing.assert_array_equal(base.get_layer("bn").moving_mean.numpy(), [0.5, -1.0, 2.0])


# Feature adapters

SEEDS = (0, 1, 2)
EPOCHS = 20


@pytest.fixture(scope="module")
def domains():
    xs, ys = blobs(32, seed=0)
    xt, yt = blobs(32, seed=1, shift=1.5)
    return xs, ys, xt, yt


@pytest.fixture(scope="module")
def adapters(domains):
    """`{(method, seed): Adapter}` for "none" and a heavily weighted "mmd", on three seeds."""
    xs, ys, xt, _ = domains
    return {(method, seed): domain_adaptation.fit_adapter(xs, ys, xt, method=method, weight=10.0, epochs=EPOCHS,
                                                         units=16, seed=seed)
            for method in ("none", "mmd") for seed in SEEDS}


def check_adapter(adapter, x, units=16, classes=3):
    proba = adapter.predict_proba(x)
    assert proba.shape == (len(x), classes) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    features = adapter.transform(x)
    assert features.shape == (len(x), units) and np.all(features >= 0)  # a ReLU layer


def test_fit_adapter_without_alignment_trains_a_source_head(adapters, domains):
    xs, ys, xt, _ = domains
    adapter = adapters["none", 0]
    check_adapter(adapter, xt)
    assert sorted(adapter.history) == ["loss"] and len(adapter.history["loss"]) == EPOCHS
    assert adapter.history["loss"][-1] < adapter.history["loss"][0]


def test_fit_adapter_with_mmd_logs_the_penalty_and_aligns_the_features(adapters, domains):
    xs, _, xt, _ = domains
    check_adapter(adapters["mmd", 0], xt)
    assert {"align_loss", "label_loss", "loss"} <= set(adapters["mmd", 0].history)
    for seed in SEEDS:  # on every seed, not one lucky draw
        shift = {method: float(domain_adaptation.mmd2(adapters[method, seed].transform(xs),
                                                      adapters[method, seed].transform(xt)))
                 for method in ("none", "mmd")}
        assert shift["mmd"] < 0.75 * shift["none"], (seed, shift)


def test_fit_adapter_with_dann_ramps_the_reversal(domains, monkeypatch):
    made = []

    class Recorded(domain_adaptation.GradientReversal):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(domain_adaptation, "GradientReversal", Recorded)
    xs, ys, xt, _ = domains
    epochs, batch_size, weight = 4, 32, 0.5
    adapter = domain_adaptation.fit_adapter(xs, ys, xt, method="dann", weight=weight, epochs=epochs, units=16,
                                            batch_size=batch_size, seed=0)
    check_adapter(adapter, xt)
    assert {"label_loss", "source_domain_loss", "target_domain_loss", "loss"} <= set(adapter.history)
    assert len(made) == 1
    # set before each step from the share of steps done: the last of the 4 x 3 steps ran at progress 11/12
    steps = epochs * (len(xs) // batch_size)
    assert float(made[0].strength.numpy()) == pytest.approx(weight * domain_adaptation._ramp((steps - 1) / steps), rel=1e-6)
    assert 0.99 * weight < float(made[0].strength.numpy()) <= weight


def test_fit_adapter_rejects_an_unknown_method(domains):
    xs, ys, xt, _ = domains
    with pytest.raises(ValueError, match="received 'coral'"):
        domain_adaptation.fit_adapter(xs, ys, xt, method="coral")
