"""What keeps BatchNormalization in inference mode while fine-tuning (lesson 02)."""

import keras
import numpy as np
import pytest

from tl_course import backbones, models


@pytest.mark.parametrize("train_batchnorm", [False, True])
def test_only_frozen_batchnorm_keeps_its_statistics_during_fit(train_batchnorm):
    """The base is called with training=False, yet fit() updates trainable BatchNormalization layers."""
    base = backbones.load_backbone("mobilenet_v2", 32, weights=None)
    model = models.build_classifier(base, "mobilenet_v2", 2, 32, base_training=False)
    models.unfreeze_top_blocks(base, "mobilenet_v2", 1, train_batchnorm=train_batchnorm)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = models.snapshot_weights(base)
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    model.train_on_batch(x, np.array([0, 1, 0, 1]))
    moved_statistics = [p for p in models.moved_weights(before, base) if "moving_" in p]
    batchnorms_in_top = [layer for layer in backbones.layers_in_top_blocks(base, "mobilenet_v2", 1)
                         if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(moved_statistics) == (2 * len(batchnorms_in_top) if train_batchnorm else 0)


def test_base_training_sets_the_mode_of_a_plain_call():
    base = backbones.load_backbone("mobilenet_v2", 32, weights=None)
    base.trainable = True
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    for base_training in (False, True):
        model = models.build_classifier(base, "mobilenet_v2", 2, 32, dropout=0.0, base_training=base_training)
        saved = models.snapshot_weights(base)
        plain = keras.ops.convert_to_numpy(model(x))
        for weight in base.weights:
            weight.assign(saved[weight.path])
        inference = keras.ops.convert_to_numpy(model(x, training=False))
        assert np.allclose(plain, inference, atol=1e-6) == (not base_training)
