"""Embeddings: run a backbone once over a dataset, cache the result on disk.

Taught in `01_feature_extraction`: a frozen backbone gives the same output
every epoch, so computing it once and training the head on the cached
embeddings gives the same model for a fraction of the time. The cache key is
a digest of the embedder's architecture and weights, the input size, and the
content of every image file, so any change recomputes.

`embed_texts` does the same for sentences (taught in `08_text_transfer`): its key
is the text encoder's architecture and weights, the settings that turn text into
vectors (tokenizer, sequence length, pooling) and every text itself.
"""

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from tl_course.core import pipeline, settings

__all__ = ["Embeddings", "cache_key", "embed", "embed_augmented", "embed_texts"]


@dataclasses.dataclass
class Embeddings:
    """Features of a dataset's images or texts.

    Attributes:
        features: `float32 (n, dim)`.
        labels: `int (n,)`; empty for texts embedded without labels.
        from_cache: True when read from disk instead of computed.
        seconds: wall time of this call.
        path: the cache file.
    """

    features: np.ndarray
    labels: np.ndarray
    from_cache: bool
    seconds: float
    path: Path


def _digest_weights(model):
    h = hashlib.sha256()
    for w in model.weights:
        h.update(w.path.encode())
        h.update(np.ascontiguousarray(w.numpy()).tobytes())
    return h.hexdigest()


def _digest_architecture(model):
    config = json.dumps(model.get_config(), sort_keys=True, default=str)
    return hashlib.sha256(config.encode()).hexdigest()


def _digest_files(files):
    h = hashlib.sha256()
    for name in files:
        h.update(Path(name).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _save_atomically(path, **arrays):
    """Write `arrays` to `path` (.npz) through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def _cached_npz(path, compute, use_cache=True):
    """Return `(arrays, from_cache)`: the `.npz` at `path`, or `compute()`'s dict of arrays, saved there."""
    if use_cache and path.is_file():
        with np.load(path) as stored:
            return {k: stored[k] for k in stored.files}, True
    arrays = compute()
    _save_atomically(path, **arrays)
    return arrays, False


def cache_key(embedder, folder, image_size):
    """Return the hex key for `embedder` on `folder` at `image_size`."""
    parts = {
        "architecture": _digest_architecture(embedder),
        "weights": _digest_weights(embedder),
        "image_size": int(image_size),
        "files": _digest_files(folder.sources),
        # what is decoded: a converted copy's name carries its conversion's version, so features of
        # copies made by an older conversion (e.g. before EXIF orientation was applied) are not reused
        "decoded": [Path(path).name for path in folder.paths],
        "n": len(folder.sources),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def embed(embedder, folder, image_size, batch_size=64, cache_dir=None, use_cache=True):
    """Compute (or load) the embeddings of every image in `folder`.

    Args:
        embedder: model mapping raw pixels `(batch, size, size, 3)` to `(batch, dim)`,
            e.g. from `model_builders.build_embedder`.
        folder: `images.ImageFolder`.
        image_size: square input size in pixels.
        batch_size: images per forward pass.
        cache_dir: folder for `.npz` files; defaults to the course cache.
        use_cache: False always recomputes (and still writes the cache).

    Returns:
        `Embeddings`.
    """
    start = time.perf_counter()
    cache_dir = Path(cache_dir) if cache_dir else settings.cache_dir("embeddings")
    path = cache_dir / f"{cache_key(embedder, folder, image_size)}.npz"

    def compute():
        ds = pipeline.make_dataset(folder, image_size, batch_size, cache=False)
        features = embedder.predict(ds.map(lambda x, y: x), verbose=0).astype(np.float32)
        return {"features": features, "labels": np.asarray(folder.labels)}

    arrays, from_cache = _cached_npz(path, compute, use_cache)
    return Embeddings(arrays["features"], arrays["labels"], from_cache, time.perf_counter() - start, path)


def _without_build_state(config):
    """Drop what a layer's config gains once it is built, so the cache key is stable."""
    if isinstance(config, dict):
        return {k: _without_build_state(v) for k, v in config.items() if k not in ("build_config", "build_input_shape")}
    if isinstance(config, list):
        return [_without_build_state(v) for v in config if not (isinstance(v, dict) and v.get("class_name") == "InputLayer")]
    return config


def embed_augmented(embedder, folder, image_size, augmentation, copies=1, batch_size=64, cache_dir=None):
    """Embed `copies` randomly augmented versions of every image (disk-cached).

    Taught in `04_semi_supervised` (weak and strong views for a FixMatch-style
    method on a frozen backbone). The cache key adds the augmentation's config.

    Args:
        embedder: model from `model_builders.build_embedder`.
        folder: `images.ImageFolder`.
        image_size: square size in pixels.
        augmentation: a Keras layer (or Sequential) of random image layers,
            built with seeds so the copies are reproducible; called with `training=True`.
        copies: augmented versions per image.
        batch_size: images per forward pass.
        cache_dir: folder for `.npz` files; defaults to the course cache.

    Returns:
        `float32 (copies, n, dim)`.
    """
    config = json.dumps(_without_build_state(augmentation.get_config()), sort_keys=True, default=str)
    key = hashlib.sha256(f"{cache_key(embedder, folder, image_size)}|{config}|{copies}".encode()).hexdigest()[:32]
    cache = settings.cache_dir("augmented") if cache_dir is None else Path(cache_dir)

    def compute():
        pixels, _ = pipeline.load_arrays(folder, image_size, batch_size)
        out = []
        for _ in range(copies):
            views = np.concatenate([np.asarray(augmentation(pixels[i:i + batch_size], training=True))
                                    for i in range(0, len(pixels), batch_size)])
            out.append(embedder.predict(views, batch_size=batch_size, verbose=0).astype(np.float32))
        return {"features": np.stack(out)}

    return _cached_npz(cache / f"{key}.npz", compute)[0]["features"]


def _digest_texts(texts):
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _checked_texts(texts):
    """Return `texts` as a list of `str`; raise ValueError for a lone string, no texts, or an item that is not a `str`."""
    if isinstance(texts, (str, bytes)):
        raise ValueError(f"Expected a list of strings; received one {type(texts).__name__}: wrap it in a list, [{texts!r}].")
    texts = list(texts)
    wrong = next((text for text in texts if not isinstance(text, str)), None)
    if not texts or wrong is not None:
        raise ValueError(f"Expected a non-empty list of strings; received {len(texts)} items"
                         + (f", one of them {type(wrong).__name__} {wrong!r}." if wrong is not None else "."))
    return [str(text) for text in texts]


def _text_key(model, encoder_settings, texts):
    """Return the hex key for `model` with `encoder_settings` (embed_texts' `settings`) on `texts`."""
    try:
        described = json.dumps(encoder_settings, sort_keys=True)
    except TypeError as error:
        raise ValueError(f"Expected settings as a JSON-serialisable dict, e.g. {{'sequence_length': 32}}; "
                         f"received {encoder_settings!r} ({error}).") from None
    parts = {"architecture": _digest_architecture(model), "weights": _digest_weights(model),
             "settings": described, "texts": _digest_texts(texts), "n": len(texts)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _encode_in_batches(encode, texts, batch_size):
    """Return `encode`'s float32 `(n, dim)` features, calling it on lists of at most `batch_size` texts."""
    out = []
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        features = np.asarray(encode(batch), dtype=np.float32)
        if features.ndim != 2 or len(features) != len(batch):
            raise ValueError(f"Expected encode to return (batch, dim) = ({len(batch)}, dim) features; "
                             f"received shape {features.shape}.")
        out.append(features)
    return np.concatenate(out)


def _checked_labels(labels, n):
    """Return `labels` as an int array `(n,)`, or an empty one for None."""
    if labels is None:
        return np.zeros(0, int)
    labels = np.asarray(labels).astype(int)
    if labels.shape != (n,):
        raise ValueError(f"Expected one label per text, shape ({n},); received shape {labels.shape}.")
    return labels


def _text_cache_dir(cache_dir):
    return Path(cache_dir) if cache_dir else settings.cache_dir("embeddings")


def embed_texts(model, encode, texts, settings, labels=None, batch_size=64, cache_dir=None, use_cache=True):
    """Compute (or load) the embeddings of `texts` with a text encoder.

    Taught in `08_text_transfer`. The cache key is a digest of `model`'s architecture (its
    `get_config()`) and weights, of `settings`, and of every text, so any change recomputes.

    Args:
        model: the Keras model or layer `encode` runs (e.g. a keras-hub `BertBackbone`); only
            its config and weights are read here, for the key.
        encode: function from a list of `str` (at most `batch_size`) to an array
            `(len(list), dim)`: tokenise, run `model`, pool.
        texts: list of `str`, `(n,)`.
        settings: a JSON-serialisable dict of whatever else changes the features, e.g.
            `{"tokenizer": "all-MiniLM-L6-v2", "sequence_length": 32, "pooling": "mean"}`.
        labels: optional int `(n,)`, returned as is (not part of the key).
        batch_size: texts per `encode` call, at least 1.
        cache_dir: folder for `.npz` files; defaults to the course cache.
        use_cache: False always recomputes (and still writes the cache).

    Returns:
        `Embeddings`: features float32 `(n, dim)`; labels int `(n,)`, or empty without `labels`.

    Raises:
        ValueError: no texts, an item that is not a `str`, labels of another length, settings
            that JSON cannot write, a `batch_size` below 1, or `encode` returning another shape.

    Example:

    >>> found = embed_texts(backbone, encode, ["great phone", "awful"], {"sequence_length": 32})  # doctest: +SKIP
    >>> found.features.shape  # doctest: +SKIP
    (2, 384)
    """
    start = time.perf_counter()
    texts = _checked_texts(texts)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"Expected batch_size as an int >= 1; received {batch_size!r}.")
    labels = _checked_labels(labels, len(texts))
    path = _text_cache_dir(cache_dir) / f"{_text_key(model, settings, texts)}.npz"
    arrays, from_cache = _cached_npz(path, lambda: {"features": _encode_in_batches(encode, texts, batch_size)}, use_cache)
    return Embeddings(arrays["features"], labels, from_cache, time.perf_counter() - start, path)
