"""Embeddings of augmented copies (lesson 04): shape, randomness, and the on-disk cache."""

import numpy as np

from conftest import make_image
from tl_course import backbones, features, images, models


def test_embed_augmented_shape_and_cache(tmp_path):
    import keras

    for cls, color in (("a", (250, 10, 10)), ("b", (10, 10, 250))):
        for i in range(2):
            make_image(tmp_path / "imgs" / cls / f"{i}.png", size=(40, 40), color=color)
    folder = images.scan_image_folder(tmp_path / "imgs")
    embedder = models.build_embedder(backbones.load_backbone("mobilenet", 32, weights=None), "mobilenet", 32)
    flip = keras.Sequential([keras.layers.RandomFlip("horizontal", seed=0), keras.layers.RandomBrightness(0.5, seed=1)])
    first = features.embed_augmented(embedder, folder, 32, flip, copies=2, cache_dir=tmp_path / "c")
    assert first.shape == (2, 4, 256) and first.dtype == np.float32
    assert not np.allclose(first[0], first[1], rtol=1e-3, atol=0)  # two different random copies (random-init features are tiny)
    assert len(list((tmp_path / "c").glob("*.npz"))) == 1
    again = features.embed_augmented(embedder, folder, 32, flip, copies=2, cache_dir=tmp_path / "c")
    assert np.array_equal(first, again)
    assert features.embed_augmented(embedder, folder, 32, flip, copies=1, cache_dir=tmp_path / "c").shape[0] == 1
    other = keras.Sequential([keras.layers.RandomFlip("horizontal", seed=5), keras.layers.RandomBrightness(0.5, seed=1)])
    features.embed_augmented(embedder, folder, 32, other, copies=2, cache_dir=tmp_path / "c")
    assert len(list((tmp_path / "c").glob("*.npz"))) == 3  # another seed, another cache entry
