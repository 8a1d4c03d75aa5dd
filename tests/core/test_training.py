"""Timed fit, epoch timer, discriminative learning rates, warmup then cosine."""

import time

import keras
import numpy as np
import pytest

from tl_course.core import freezing, model_builders, training


class _Sleep(keras.callbacks.Callback):
    """Make epoch 1 (the second) visibly slower than the others."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            time.sleep(0.3)


def _two_layer_model():
    inputs = keras.Input((4,))
    body = keras.layers.Dense(4, name="body")
    head = keras.layers.Dense(2, name="head")
    return keras.Model(inputs, head(body(inputs))), body


def _first_steps(model, before):
    return {w.path: float(np.abs(w.numpy() - before[w.path]).max()) for w in model.trainable_weights}


def test_discriminative_adam_scales_steps_per_layer():
    """With Adam the first step is about lr per weight, so factors show directly in the step size."""
    inputs = keras.Input((4,))
    body = keras.layers.Dense(4, name="body")
    head = keras.layers.Dense(2, name="head")
    model = keras.Model(inputs, head(body(inputs)))
    model.compile(optimizer=training.DiscriminativeAdam(1e-2, factors=[(body, 0.1)]), loss="mse")
    before = freezing.snapshot_weights(model)
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model.fit(x, np.ones((16, 2), "float32"), epochs=1, batch_size=16, verbose=0)
    step = {w.path: np.abs(w.numpy() - before[w.path]).max() for w in model.weights}
    assert np.isclose(step["head/kernel"], 1e-2, rtol=0.05)
    assert np.isclose(step["body/kernel"], 1e-3, rtol=0.05)


def test_timed_fit_on_a_dataset_raises_no_shuffle_warning():
    import warnings

    import tensorflow as tf

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    ds = tf.data.Dataset.from_tensor_slices((np.ones((8, 3), "float32"), np.zeros(8, "int32"))).batch(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        history, seconds = training.timed_fit(model, ds, epochs=2)
    assert len(history["loss"]) == 2 and seconds > 0


def test_epoch_timer_records_each_epoch_in_order():
    model = model_builders.build_head(3, 2)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    timer = training.EpochTimer()
    # _Sleep's on_epoch_begin runs after the timer's, so its sleep counts in epoch 1.
    history, seconds = training.timed_fit(model, x, y, epochs=4, callbacks=[timer, _Sleep()])
    assert len(timer.seconds) == 4 == len(history["loss"])
    assert all(s > 0 for s in timer.seconds) and sum(timer.seconds) <= seconds
    assert timer.seconds[1] >= 0.3 and timer.seconds[2] < 0.3
    training.timed_fit(model, x, y, epochs=2, callbacks=[timer])
    assert len(timer.seconds) == 2, "a new fit starts a new record"


def test_factors_apply_to_a_layer_frozen_when_the_optimizer_is_made():
    model, body = _two_layer_model()
    body.trainable = False
    optimizer = training.DiscriminativeAdam(1e-2, factors=[(body, 0.1)])
    body.trainable = True  # unfrozen after the optimizer was made, before compiling
    model.compile(optimizer=optimizer, loss="mse")
    before = freezing.snapshot_weights(model)
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model.train_on_batch(x, np.ones((16, 2), "float32"))
    step = _first_steps(model, before)
    assert np.isclose(step["head/kernel"], 1e-2, rtol=0.05)
    assert np.isclose(step["body/kernel"], 1e-3, rtol=0.05)


def test_checkpoint_with_discriminative_adam_reloads(tmp_path):
    model, body = _two_layer_model()
    schedule = training.WarmupCosine(1e-2, total_steps=10, warmup_steps=2)
    model.compile(optimizer=training.DiscriminativeAdam(schedule, factors=[(body, 0.1)]), loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model.fit(x, np.ones((16, 2), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "best.keras")
    again = keras.models.load_model(tmp_path / "best.keras")
    assert isinstance(again.optimizer, training.DiscriminativeAdam)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    again.fit(x, np.ones((16, 2), "float32"), epochs=1, verbose=0)  # trains on, with plain factors of 1.0


def test_warmup_then_cosine():
    schedule = training.WarmupCosine(1e-3, total_steps=110, warmup_steps=10, final_fraction=0.1)
    lr = np.array([float(schedule(s)) for s in range(111)])
    assert lr[0] == 0 and np.isclose(lr[5], 5e-4) and np.isclose(lr[10], 1e-3)
    assert np.all(np.diff(lr[:11]) > 0) and np.all(np.diff(lr[10:]) <= 1e-12)
    assert np.isclose(lr[60], 1e-3 * (0.1 + 0.9 * 0.5)) and np.isclose(lr[110], 1e-4)
    again = training.WarmupCosine.from_config(schedule.get_config())
    assert float(again(37)) == float(schedule(37))


@pytest.mark.parametrize("total,warmup", [(0, 0), (10, 10), (10, -1)])
def test_warmup_cosine_rejects_bad_steps(total, warmup):
    with pytest.raises(ValueError, match="Expected total_steps"):
        training.WarmupCosine(1e-3, total, warmup)
