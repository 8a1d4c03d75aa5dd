"""Heads, freezing, unfreezing with BatchNorm kept frozen, parameter counts, saving."""

import keras
import numpy as np
import pytest

from tl_course import backbones, models


@pytest.fixture
def base():
    return backbones.load_backbone("mobilenet_v2", 96, weights=None)


def test_classifier_shapes_and_counts(base):
    models.freeze(base)
    model = models.build_classifier(base, "mobilenet_v2", 5, 96)
    out = model.predict(np.random.uniform(0, 255, (2, 96, 96, 3)).astype("float32"), verbose=0)
    assert out.shape == (2, 5) and np.allclose(out.sum(axis=1), 1, atol=1e-5)
    counts = models.count_params(model)
    assert counts.trainable == 1280 * 5 + 5
    assert counts.total == model.count_params()


def test_unfreeze_top_blocks_keeps_batchnorm_frozen(base):
    models.freeze(base)
    names = models.unfreeze_top_blocks(base, "mobilenet_v2", 1)
    assert "block_16_project" in names and "Conv_1" in names
    assert not any(isinstance(base.get_layer(n), keras.layers.BatchNormalization) for n in names)
    assert not base.get_layer("block_15_project").trainable
    assert not base.get_layer("block_16_project_BN").trainable
    with_bn = models.unfreeze_top_blocks(base, "mobilenet_v2", 1, train_batchnorm=True)
    assert "block_16_project_BN" in with_bn


def test_frozen_weights_and_bn_statistics_do_not_move_in_training(base):
    models.freeze(base)
    models.unfreeze_top_blocks(base, "mobilenet_v2", 1)
    model = models.build_classifier(base, "mobilenet_v2", 3, 96, dropout=0.0)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    before = models.snapshot_weights(model)
    x = np.random.default_rng(0).uniform(0, 255, (8, 96, 96, 3)).astype("float32")
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0)
    moved = set(models.moved_weights(before, model))
    trainable = {w.path for w in model.trainable_weights}
    assert {"block_16_project/kernel", "Conv_1/kernel", "predictions/kernel"} <= trainable
    assert not any("block_15" in p or "_BN/" in p or "_bn/" in p for p in trainable)
    assert moved <= trainable, sorted(moved - trainable)  # nothing frozen moved, BN statistics included
    assert {"predictions/kernel", "Conv_1/kernel"} <= moved, sorted(moved)


def test_base_training_true_moves_bn_statistics(base):
    models.freeze(base)
    models.unfreeze_top_blocks(base, "mobilenet_v2", 1, train_batchnorm=True)
    model = models.build_classifier(base, "mobilenet_v2", 3, 96, base_training=True)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = models.snapshot_weights(model)
    x = np.random.default_rng(0).uniform(0, 255, (8, 96, 96, 3)).astype("float32")
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0)
    assert any("block_16_project_BN/moving_mean" in p for p in models.moved_weights(before, model))


def test_saved_classifier_reloads_with_preprocessing(base, tmp_path):
    model = models.build_classifier(base, "mobilenet_v2", 4, 96)
    x = np.random.default_rng(1).uniform(0, 255, (3, 96, 96, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert np.allclose(model.predict(x, verbose=0), again.predict(x, verbose=0), atol=1e-6)


def test_head_and_embedder():
    head = models.build_head(16, 3)
    assert head.output_shape == (None, 3)
    base = backbones.load_backbone("mobilenet", 128, weights=None, pooling=None)
    embedder = models.build_embedder(base, "mobilenet", 128)
    assert embedder.output_shape == (None, 256)  # pooled by the embedder when the base is not
