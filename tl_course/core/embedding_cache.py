"""Embeddings: run a backbone once over a dataset, cache the result on disk.

Taught in `01_feature_extraction`: a frozen backbone gives the same output
every epoch, so computing it once and training the head on the cached
embeddings gives the same model for a fraction of the time. The cache key is
a digest of the embedder's architecture and weights, the input size, and the
content of every image file, so any change recomputes.
"""

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from tl_course.core import pipeline, settings

__all__ = ["Embeddings", "cache_key", "embed", "embed_augmented"]


@dataclasses.dataclass
class Embeddings:
    """Features of a dataset's images.

    Attributes:
        features: `float32 (n, dim)`.
        labels: `int (n,)`.
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
    config = json.dumps(embedder.get_config(), sort_keys=True, default=str)
    parts = {
        "architecture": hashlib.sha256(config.encode()).hexdigest(),
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
