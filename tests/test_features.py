"""Embedding extraction and its on-disk cache."""

from pathlib import Path

import numpy as np
import pytest

from conftest import make_image
from tl_course import backbones, features, images, models


@pytest.fixture
def folder(tmp_path):
    for cls, color in (("a", (250, 10, 10)), ("b", (10, 10, 250))):
        for i in range(3):
            make_image(tmp_path / "imgs" / cls / f"{i}.jpg", color=tuple(c + 2 * i for c in color))
    return images.scan_image_folder(tmp_path / "imgs")


@pytest.fixture
def embedder():
    base = backbones.load_backbone("mobilenet", 128, weights=None)
    return models.build_embedder(base, "mobilenet", 128)


def test_rerun_reuses_cache(folder, embedder, tmp_path):
    first = features.embed(embedder, folder, 128, cache_dir=tmp_path / "c")
    second = features.embed(embedder, folder, 128, cache_dir=tmp_path / "c")
    assert not first.from_cache and second.from_cache
    assert first.features.shape == (6, 256) and np.array_equal(first.features, second.features)
    assert first.labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_any_change_recomputes(folder, embedder, tmp_path):
    cache = tmp_path / "c"
    key = features.cache_key(embedder, folder, 128)
    features.embed(embedder, folder, 128, cache_dir=cache)
    assert features.cache_key(embedder, folder, 160) != key  # input size
    other_weights = models.build_embedder(backbones.load_backbone("mobilenet", 128, weights=None), "mobilenet", 128)
    assert features.cache_key(other_weights, folder, 128) != key  # weights
    other_arch = models.build_embedder(backbones.load_backbone("mobilenet_v2", 128, weights=None), "mobilenet_v2", 128)
    assert features.cache_key(other_arch, folder, 128) != key  # backbone
    assert features.cache_key(embedder, folder.subset([0, 1, 2, 3]), 128) != key  # which files
    make_image(Path(folder.sources[0]), color=(0, 255, 0))  # same file name, new content
    assert features.cache_key(embedder, folder, 128) != key
    assert not features.embed(embedder, folder, 128, cache_dir=cache).from_cache
