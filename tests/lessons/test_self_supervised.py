"""Lesson 12's plumbing on tiny images: the encoder, the two views, contrastive pretraining."""

import keras
import numpy as np
import pytest

from tl_course.lessons import self_supervised as ssl


def test_small_encoder_joins_every_block():
    encoder = ssl.small_encoder(16, widths=(4, 8))
    assert encoder.output_shape == (None, 12)
    assert [layer.name for layer in encoder.layers if layer.name.endswith("_pool")] == ["block1_pool", "block2_pool"]
    assert ssl.small_encoder(16, widths=(5,)).output_shape == (None, 5)
    with pytest.raises(ValueError, match=r"at least one block of >= 1 filters; received widths=\(\)"):
        ssl.small_encoder(16, widths=())


def test_two_views_differ_and_stay_in_range():
    images = np.random.default_rng(0).uniform(0, 255, (6, 16, 16, 3)).astype("float32")
    a, b = (keras.ops.convert_to_numpy(v) for v in ssl.two_views(images))
    assert a.shape == b.shape == images.shape
    assert 0 <= a.min() and a.max() <= 255 and 0 <= b.min() and b.max() <= 255
    assert not np.allclose(a, b), "the two views of an image should differ"
    with pytest.raises(ValueError, match=r"crop_fraction in \(0, 1\]; received 0"):
        ssl.two_views(images, crop_fraction=0)


def test_contrastive_pretrainer_fits_on_image_batches():
    images = np.random.default_rng(1).uniform(0, 255, (32, 16, 16, 3)).astype("float32")
    encoder = ssl.small_encoder(16, widths=(4, 8))
    before = [w.copy() for w in encoder.get_weights()]

    def pair_loss(z_a, z_b):
        return keras.ops.mean((z_a - z_b) ** 2)

    model = ssl.ContrastivePretrainer(encoder, keras.layers.Dense(3), pair_loss)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(images, batch_size=16, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert any(not np.array_equal(a, b) for a, b in zip(before, encoder.get_weights())), "the encoder should train in place"

