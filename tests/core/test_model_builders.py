"""Classifier, head and embedder builders; saving with preprocessing."""

import keras
import numpy as np
import pytest

from tl_course.core import backbones, freezing, model_builders


@pytest.fixture
def base():
    return backbones.load_backbone("mobilenet_v2", 96, weights=None)


def test_classifier_shapes_and_counts(base):
    freezing.freeze(base)
    model = model_builders.build_classifier(base, "mobilenet_v2", 5, 96)
    out = model.predict(np.random.uniform(0, 255, (2, 96, 96, 3)).astype("float32"), verbose=0)
    assert out.shape == (2, 5) and np.allclose(out.sum(axis=1), 1, atol=1e-5)
    counts = freezing.count_params(model)
    assert counts.trainable == 1280 * 5 + 5
    assert counts.total == model.count_params()


def test_base_training_true_moves_bn_statistics(base):
    freezing.freeze(base)
    freezing.unfreeze_top_blocks(base, "mobilenet_v2", 1, train_batchnorm=True)
    model = model_builders.build_classifier(base, "mobilenet_v2", 3, 96, base_training=True)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = freezing.snapshot_weights(model)
    x = np.random.default_rng(0).uniform(0, 255, (8, 96, 96, 3)).astype("float32")
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0)
    assert any("block_16_project_BN/moving_mean" in p for p in freezing.moved_weights(before, model))


def test_saved_classifier_reloads_with_preprocessing(base, tmp_path):
    model = model_builders.build_classifier(base, "mobilenet_v2", 4, 96)
    x = np.random.default_rng(1).uniform(0, 255, (3, 96, 96, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert np.allclose(model.predict(x, verbose=0), again.predict(x, verbose=0), atol=1e-6)


def test_head_and_embedder():
    head = model_builders.build_head(16, 3)
    assert head.output_shape == (None, 3)
    base = backbones.load_backbone("mobilenet", 128, weights=None, pooling=None)
    embedder = model_builders.build_embedder(base, "mobilenet", 128)
    assert embedder.output_shape == (None, 256)  # pooled by the embedder when the base is not


def test_base_training_sets_the_mode_of_a_plain_call():
    base = backbones.load_backbone("mobilenet_v2", 32, weights=None)
    base.trainable = True
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    for base_training in (False, True):
        model = model_builders.build_classifier(base, "mobilenet_v2", 2, 32, dropout=0.0, base_training=base_training)
        saved = freezing.snapshot_weights(base)
        plain = keras.ops.convert_to_numpy(model(x))
        for weight in base.weights:
            weight.assign(saved[weight.path])
        inference = keras.ops.convert_to_numpy(model(x, training=False))
        assert np.allclose(plain, inference, atol=1e-6) == (not base_training)
