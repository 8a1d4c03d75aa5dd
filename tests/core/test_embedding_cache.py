"""Embedding cache: reuse, recompute on any change, augmented views."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from conftest import make_image
from tl_course.core import backbones, embedding_cache, images, model_builders


@pytest.fixture
def folder(tmp_path):
    for cls, color in (("a", (250, 10, 10)), ("b", (10, 10, 250))):
        for i in range(3):
            make_image(tmp_path / "imgs" / cls / f"{i}.jpg", color=tuple(c + 2 * i for c in color))
    return images.scan_image_folder(tmp_path / "imgs")


@pytest.fixture
def embedder():
    base = backbones.load_backbone("mobilenet", 128, weights=None)
    return model_builders.build_embedder(base, "mobilenet", 128)


def test_rerun_reuses_cache(folder, embedder, tmp_path):
    first = embedding_cache.embed(embedder, folder, 128, cache_dir=tmp_path / "c")
    second = embedding_cache.embed(embedder, folder, 128, cache_dir=tmp_path / "c")
    assert not first.from_cache and second.from_cache
    assert first.features.shape == (6, 256) and np.array_equal(first.features, second.features)
    assert first.labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_any_change_recomputes(folder, embedder, tmp_path):
    cache = tmp_path / "c"
    key = embedding_cache.cache_key(embedder, folder, 128)
    embedding_cache.embed(embedder, folder, 128, cache_dir=cache)
    assert embedding_cache.cache_key(embedder, folder, 160) != key  # input size
    other_weights = model_builders.build_embedder(backbones.load_backbone("mobilenet", 128, weights=None), "mobilenet", 128)
    assert embedding_cache.cache_key(other_weights, folder, 128) != key  # weights
    other_arch = model_builders.build_embedder(backbones.load_backbone("mobilenet_v2", 128, weights=None), "mobilenet_v2", 128)
    assert embedding_cache.cache_key(other_arch, folder, 128) != key  # backbone
    assert embedding_cache.cache_key(embedder, folder.subset([0, 1, 2, 3]), 128) != key  # which files
    # same originals, decoded from a copy made by another version of a conversion (e.g. EXIF orientation)
    recopied = dataclasses.replace(folder, paths=[Path(p).with_name("v2_" + Path(p).name) for p in folder.paths])
    assert embedding_cache.cache_key(embedder, recopied, 128) != key
    make_image(Path(folder.sources[0]), color=(0, 255, 0))  # same file name, new content
    assert embedding_cache.cache_key(embedder, folder, 128) != key
    assert not embedding_cache.embed(embedder, folder, 128, cache_dir=cache).from_cache


def test_embed_augmented_shape_and_cache(tmp_path):
    import keras

    for cls, color in (("a", (250, 10, 10)), ("b", (10, 10, 250))):
        for i in range(2):
            make_image(tmp_path / "imgs" / cls / f"{i}.png", size=(40, 40), color=color)
    folder = images.scan_image_folder(tmp_path / "imgs")
    embedder = model_builders.build_embedder(backbones.load_backbone("mobilenet", 32, weights=None), "mobilenet", 32)
    flip = keras.Sequential([keras.layers.RandomFlip("horizontal", seed=0), keras.layers.RandomBrightness(0.5, seed=1)])
    first = embedding_cache.embed_augmented(embedder, folder, 32, flip, copies=2, cache_dir=tmp_path / "c")
    assert first.shape == (2, 4, 256) and first.dtype == np.float32
    assert not np.allclose(first[0], first[1], rtol=1e-3, atol=0)  # two different random copies (random-init features are tiny)
    assert len(list((tmp_path / "c").glob("*.npz"))) == 1
    again = embedding_cache.embed_augmented(embedder, folder, 32, flip, copies=2, cache_dir=tmp_path / "c")
    assert np.array_equal(first, again)
    assert embedding_cache.embed_augmented(embedder, folder, 32, flip, copies=1, cache_dir=tmp_path / "c").shape[0] == 1
    other = keras.Sequential([keras.layers.RandomFlip("horizontal", seed=5), keras.layers.RandomBrightness(0.5, seed=1)])
    embedding_cache.embed_augmented(embedder, folder, 32, other, copies=2, cache_dir=tmp_path / "c")
    assert len(list((tmp_path / "c").glob("*.npz"))) == 3  # another seed, another cache entry
