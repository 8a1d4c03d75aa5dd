"""Freezing, unfreezing with BatchNormalization kept frozen, weights that moved."""

import keras
import numpy as np
import pytest

from tl_course.core import backbones, freezing, model_builders


@pytest.fixture
def base():
    return backbones.load_backbone("mobilenet_v2", 96, weights=None)


def test_unfreeze_top_blocks_keeps_batchnorm_frozen(base):
    freezing.freeze(base)
    names = freezing.unfreeze_top_blocks(base, "mobilenet_v2", 1)
    assert "block_16_project" in names and "Conv_1" in names
    assert not any(isinstance(base.get_layer(n), keras.layers.BatchNormalization) for n in names)
    assert not base.get_layer("block_15_project").trainable
    assert not base.get_layer("block_16_project_BN").trainable
    with_bn = freezing.unfreeze_top_blocks(base, "mobilenet_v2", 1, train_batchnorm=True)
    assert "block_16_project_BN" in with_bn


def test_frozen_weights_and_bn_statistics_do_not_move_in_training(base):
    freezing.freeze(base)
    freezing.unfreeze_top_blocks(base, "mobilenet_v2", 1)
    model = model_builders.build_classifier(base, "mobilenet_v2", 3, 96, dropout=0.0)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    before = freezing.snapshot_weights(model)
    x = np.random.default_rng(0).uniform(0, 255, (8, 96, 96, 3)).astype("float32")
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0)
    moved = set(freezing.moved_weights(before, model))
    trainable = {w.path for w in model.trainable_weights}
    assert {"block_16_project/kernel", "Conv_1/kernel", "predictions/kernel"} <= trainable
    assert not any("block_15" in p or "_BN/" in p or "_bn/" in p for p in trainable)
    assert moved <= trainable, sorted(moved - trainable)  # nothing frozen moved, BN statistics included
    assert {"predictions/kernel", "Conv_1/kernel"} <= moved, sorted(moved)
    freezing.restore_weights(model, before)
    assert freezing.moved_weights(before, model) == []
    with pytest.raises(KeyError, match="was it taken from this model"):
        freezing.restore_weights(model, {path: value for path, value in before.items() if "Conv_1" not in path})


@pytest.mark.parametrize("train_batchnorm", [False, True])
def test_only_frozen_batchnorm_keeps_its_statistics_during_fit(train_batchnorm):
    """The base is called with training=False, yet fit() updates trainable BatchNormalization layers."""
    base = backbones.load_backbone("mobilenet_v2", 32, weights=None)
    model = model_builders.build_classifier(base, "mobilenet_v2", 2, 32, base_training=False)
    freezing.unfreeze_top_blocks(base, "mobilenet_v2", 1, train_batchnorm=train_batchnorm)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = freezing.snapshot_weights(base)
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    model.train_on_batch(x, np.array([0, 1, 0, 1]))
    moved_statistics = [p for p in freezing.moved_weights(before, base) if "moving_" in p]
    batchnorms_in_top = [layer for layer in backbones.layers_in_top_blocks(base, "mobilenet_v2", 1)
                         if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(moved_statistics) == (2 * len(batchnorms_in_top) if train_batchnorm else 0)
