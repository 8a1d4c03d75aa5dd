"""DiscriminativeAdam as lesson 02 uses it: made before unfreezing, checkpointed, reloaded."""

import keras
import numpy as np

from tl_course import models, training


def _two_layer_model():
    inputs = keras.Input((4,))
    body = keras.layers.Dense(4, name="body")
    head = keras.layers.Dense(2, name="head")
    return keras.Model(inputs, head(body(inputs))), body


def _first_steps(model, before):
    return {w.path: float(np.abs(w.numpy() - before[w.path]).max()) for w in model.trainable_weights}


def test_factors_apply_to_a_layer_frozen_when_the_optimizer_is_made():
    model, body = _two_layer_model()
    body.trainable = False
    optimizer = training.DiscriminativeAdam(1e-2, factors=[(body, 0.1)])
    body.trainable = True  # unfrozen after the optimizer was made, before compiling
    model.compile(optimizer=optimizer, loss="mse")
    before = models.snapshot_weights(model)
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
