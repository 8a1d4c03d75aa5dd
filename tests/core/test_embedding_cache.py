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


class _TextEncoder:
    """A tiny real text encoder: characters -> token ids -> Embedding -> mean over tokens. Records each call's batch."""

    def __init__(self, seed=0, length=8):
        import keras

        keras.utils.set_random_seed(seed)
        self.length, self.calls = length, []
        self.model = keras.Sequential([keras.Input((length,), dtype="int32"), keras.layers.Embedding(128, 4),
                                       keras.layers.GlobalAveragePooling1D()])

    def __call__(self, texts):
        self.calls.append(list(texts))
        ids = np.array([[ord(c) % 128 for c in text[:self.length].ljust(self.length)] for text in texts], "int32")
        return self.model(ids, training=False)


TEXTS = ["great phone", "awful battery", "works fine", "never again", "love it"]
SETTINGS = {"tokenizer": "characters", "sequence_length": 8, "pooling": "mean"}


def test_embed_texts_caches_and_encodes_in_batches(tmp_path):
    encoder = _TextEncoder()
    first = embedding_cache.embed_texts(encoder.model, encoder, TEXTS, SETTINGS, labels=[1, 0, 1, 0, 1], batch_size=2,
                                        cache_dir=tmp_path / "c")
    assert not first.from_cache and first.features.shape == (5, 4) and first.features.dtype == np.float32
    assert [len(batch) for batch in encoder.calls] == [2, 2, 1] and sum(encoder.calls, []) == TEXTS
    assert first.labels.tolist() == [1, 0, 1, 0, 1] and first.labels.dtype.kind == "i"
    np.testing.assert_allclose(first.features, encoder(TEXTS), rtol=1e-6)
    encoder.calls.clear()
    second = embedding_cache.embed_texts(encoder.model, encoder, TEXTS, SETTINGS, cache_dir=tmp_path / "c")
    assert second.from_cache and encoder.calls == [] and second.path == first.path
    assert np.array_equal(first.features, second.features)
    assert second.labels.shape == (0,) and second.labels.dtype.kind == "i", "no labels given: an empty int array"
    again = embedding_cache.embed_texts(encoder.model, encoder, TEXTS, SETTINGS, cache_dir=tmp_path / "c", use_cache=False)
    assert not again.from_cache and len(encoder.calls) == 1, "use_cache=False recomputes, in batches of 64"


def test_embed_texts_key_changes_with_texts_settings_and_weights(tmp_path):
    encoder = _TextEncoder()

    def path(texts=TEXTS, settings=SETTINGS, model=encoder.model):
        return embedding_cache.embed_texts(model, encoder, texts, settings, cache_dir=tmp_path / "c").path

    key = path()
    assert path(TEXTS[:4]) != key and path(TEXTS[:-1] + ["love it!"]) != key  # which texts, their content
    assert path(["great phone awful battery"] + TEXTS[2:]) != key and path(list(reversed(TEXTS))) != key
    assert path(settings={**SETTINGS, "sequence_length": 16}) != key
    assert path(model=_TextEncoder(seed=1).model) != key  # other weights
    assert path() == key and len(list((tmp_path / "c").glob("*.npz"))) == 7


@pytest.mark.parametrize("texts, settings, labels, batch_size, expected", [
    ("great phone", SETTINGS, None, 64, "wrap it in a list"),
    ([], SETTINGS, None, 64, "non-empty list of strings; received 0 items"),
    (["ok", 3], SETTINGS, None, 64, "one of them int 3"),
    (TEXTS, {"tokenizer": object()}, None, 64, "JSON-serialisable dict"),
    (TEXTS, SETTINGS, [1, 0], 64, r"one label per text, shape \(5,\); received shape \(2,\)"),
    (TEXTS, SETTINGS, None, 0, "batch_size as an int >= 1; received 0"),
])
def test_embed_texts_refuses_bad_input(tmp_path, texts, settings, labels, batch_size, expected):
    encoder = _TextEncoder()
    with pytest.raises(ValueError, match=expected):
        embedding_cache.embed_texts(encoder.model, encoder, texts, settings, labels=labels, batch_size=batch_size,
                                    cache_dir=tmp_path)


def test_embed_texts_refuses_an_encoder_of_the_wrong_shape(tmp_path):
    encoder = _TextEncoder()
    with pytest.raises(ValueError, match=r"\(2, dim\) features; received shape \(4,\)"):
        embedding_cache.embed_texts(encoder.model, lambda batch: np.zeros(4), TEXTS, SETTINGS, batch_size=2, cache_dir=tmp_path)
