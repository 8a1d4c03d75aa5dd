"""Lesson 10's plumbing on tiny models: frozen statistics, inserted layers, deltas, timing, memory, the figure."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

from tl_course.lessons import parameter_efficient as pe


def _tiny_base(name="tiny"):
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 1, use_bias=False, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, x, name=name)


def _classifier(base=None):
    return pe.build_classifier(base or _tiny_base(), "mobilenet_v2", 3, 8)


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (n, 8, 8, 3)).astype("float32"), rng.integers(0, 3, n)


def test_frozen_statistics_keep_moving_statistics_while_scale_and_shift_train():
    model = _classifier()
    bn = model.get_layer("base").inner.get_layer("bn")
    mean_before, gamma_before = bn.moving_mean.numpy().copy(), bn.gamma.numpy().copy()
    model.compile(keras.optimizers.Adam(0.1), "sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.array_equal(bn.moving_mean.numpy(), mean_before), "the moving mean changed inside fit()"
    assert not np.array_equal(bn.gamma.numpy(), gamma_before), "the BatchNorm scale did not train"


def test_insert_after_reuses_layers_and_adds_new_ones():
    base = _tiny_base()
    inserted = pe.insert_after(base, ["bn"], lambda name, channels: keras.layers.Dense(channels, name=f"extra_{name}"))
    names = [layer.name for layer in inserted.layers]
    assert names.index("extra_bn") == names.index("bn") + 1
    assert inserted.get_layer("conv") is base.get_layer("conv"), "the pretrained layer should be reused, not copied"
    with pytest.raises(ValueError, match=r"Expected names of layers of 'tiny'; received \['nope'\]"):
        pe.insert_after(base, ["nope"], lambda name, channels: None)


def test_delta_round_trip_reproduces_predictions(tmp_path):
    pretrained, copy = _tiny_base(), _tiny_base()
    copy.set_weights(pretrained.get_weights())  # two loads of the same pretrained backbone
    trained, fresh = _classifier(pretrained), _classifier(copy)
    trained.get_layer("base").inner.trainable = False
    fresh.get_layer("base").inner.trainable = False
    trained.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    x, y = _data()
    trained.fit(x, y, epochs=2, batch_size=8, verbose=0)
    size = pe.save_delta(trained, tmp_path / "task.npz")
    assert size == (tmp_path / "task.npz").stat().st_size > 0
    assert set(pe.delta(trained)) == {"predictions/kernel", "predictions/bias"}
    pe.load_delta(fresh, tmp_path / "task.npz")
    assert np.array_equal(np.asarray(trained(x, training=False)), np.asarray(fresh(x, training=False)))


def test_load_delta_says_what_does_not_fit():
    model = _classifier()
    with pytest.raises(ValueError, match="it has no weights"):
        pe.load_delta(model, {"elsewhere/kernel": np.zeros(3)})
    with pytest.raises(ValueError, match=r"Expected predictions/bias of shape \(3,\); the delta has \(4,\)"):
        pe.load_delta(model, {"predictions/bias": np.zeros(4)})


def test_delta_refuses_ambiguous_paths():
    weight = SimpleNamespace(path="dense/kernel", numpy=lambda: np.zeros(2))
    with pytest.raises(ValueError, match=r"distinct weight paths; received \['dense/kernel'\]"):
        pe.delta(SimpleNamespace(trainable_weights=[weight, weight]))


def test_reset_optimizer_zeros_moments_and_keeps_the_learning_rate():
    model = _classifier()
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 4
    pe.reset_optimizer(model)
    assert int(model.optimizer.iterations.numpy()) == 0
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    moments = [v for v in model.optimizer.variables if v is not model.optimizer.learning_rate and v is not model.optimizer.iterations]
    assert moments and all(not np.any(v.numpy()) for v in moments)


def test_step_timer_measures_steps_and_needs_enough_of_them():
    timer = pe.StepTimer()
    with pytest.raises(ValueError, match="more than 1 timed steps; received 0"):
        timer.per_step()
    model = _classifier()
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 8 and timer.per_step() > 0


def test_memory_helpers():
    assert pe.training_state_bytes(1000) == 12_000
    import tensorflow as tf

    if not tf.config.list_logical_devices("GPU"):
        assert pe.peak_accelerator_memory() is None


def test_accuracy_vs_parameters_draws_one_point_per_method():
    fig = pe.accuracy_vs_parameters([{"method": "a", "trainable": 10, "accuracies": [0.5, 0.6]},
                                     {"method": "b", "trainable": 1000, "accuracies": [0.7, 0.7, 0.8]}])
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.texts] == ["a", "b"]
