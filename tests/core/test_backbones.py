"""Backbone registry: weight files, offline errors, blocks, real ImageNet weights."""

import numpy as np
import pytest

from tl_course.core import backbones, embedding_cache, model_builders, settings


def test_registry_covers_required_families():
    assert {"mobilenet_v2", "mobilenet", "efficientnet_b0", "resnet50"} <= set(backbones.BACKBONES)
    assert {"convnext_tiny", "efficientnet_v2_b0"} & set(backbones.BACKBONES)
    for spec in backbones.BACKBONES.values():
        assert callable(spec.build_fn()) and callable(spec.preprocess()) and spec.default_size > 0


def test_unknown_backbone_lists_known_names():
    with pytest.raises(ValueError) as error:
        backbones.load_backbone("vgg99")
    assert "mobilenet_v2" in str(error.value) and "resnet50" in str(error.value) and "'vgg99'" in str(error.value)


@pytest.mark.parametrize("name,size,alpha,top,expected", [
    ("mobilenet_v2", 160, 0.35, False, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_160_no_top.h5"),
    ("mobilenet_v2", 150, 1.0, True, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"),
    ("mobilenet", 128, 0.25, True, "mobilenet_2_5_128_tf.h5"),
    ("mobilenet", 224, 0.25, False, "mobilenet_2_5_224_tf_no_top.h5"),
    ("efficientnet_b0", None, None, False, "efficientnetb0_notop.h5"),
    ("resnet50", None, None, False, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ("convnext_tiny", None, None, True, "convnext_tiny.h5"),
])
def test_weight_file_names_match_keras(name, size, alpha, top, expected):
    assert backbones.get_backbone(name).weights_file(size, alpha, top) == expected


def test_missing_weights_offline_name_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        backbones.load_backbone("efficientnet_b0", allow_download=False)
    text = str(error.value)
    assert "efficientnetb0_notop.h5" in text and str(tmp_path / "models") in text
    assert "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5" in text


def test_failed_download_becomes_file_not_found(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path)
    spec = backbones.get_backbone("mobilenet_v2")

    def offline_constructor(**kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- unreachable")

    monkeypatch.setattr(type(spec), "build_fn", lambda self: offline_constructor)
    with pytest.raises(FileNotFoundError, match="mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_160_no_top.h5"):
        backbones.load_backbone("mobilenet_v2", 160, allow_download=True)


def test_other_size_no_top_file_is_reused(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    spec = backbones.get_backbone("mobilenet_v2")
    (tmp_path / "models" / spec.weights_file(224)).write_bytes(b"h5")
    monkeypatch.setattr(settings, "keras_home", lambda: tmp_path)
    weights, note = backbones.resolve_weights("mobilenet_v2", 160, allow_download=False)
    assert weights.endswith("_0.35_224_no_top.h5") and "reused at 160px" in note
    with pytest.raises(FileNotFoundError):  # a different width never reuses another alpha
        backbones.resolve_weights("mobilenet_v2", 160, alpha=1.0, allow_download=False)
    with pytest.raises(FileNotFoundError):  # with top, the classifier depends on the size
        backbones.resolve_weights("mobilenet_v2", 160, include_top=True, allow_download=False)


def test_blocks_of_mobilenet_v2():
    base = backbones.load_backbone("mobilenet_v2", 96, weights=None)
    blocks = backbones.block_names(base, "mobilenet_v2")
    assert blocks[0] == "stem" and blocks[-1] == "block_16" and len(blocks) == 17
    top = {layer.name for layer in backbones.layers_in_top_blocks(base, "mobilenet_v2", 2)}
    assert {"block_16_project", "block_15_expand", "Conv_1", "out_relu"} <= top
    assert "block_14_project" not in top
    with pytest.raises(ValueError, match="n_blocks"):
        backbones.layers_in_top_blocks(base, "mobilenet_v2", 18)


@pytest.mark.parametrize("name,first_top", [("mobilenet", "block_13"), ("efficientnet_b0", "block7a"), ("resnet50", "conv5_block3")])
def test_blocks_of_other_families(name, first_top):
    base = backbones.load_backbone(name, 96 if name != "mobilenet" else 128, weights=None)
    blocks = backbones.block_names(base, name)
    assert blocks[-1] == first_top and len(blocks) > 5


def test_cached_mobilenet_v2_at_160_is_real_imagenet(imagenet_weights, flowers):
    """The 224-px no-top file loaded at 160 px: ~0.84 5-fold accuracy on the flowers (asset README)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    from tl_course.core import images

    folder = images.scan_image_folder(flowers)
    base = backbones.load_backbone("mobilenet_v2", 160)
    embedded = embedding_cache.embed(model_builders.build_embedder(base, "mobilenet_v2", 160), folder, 160)
    scores = cross_val_score(LogisticRegression(max_iter=2000), embedded.features, embedded.labels, cv=5)
    print(f"5-fold accuracy {scores.mean():.3f}")
    assert scores.mean() >= 0.80
    untrained = backbones.load_backbone("mobilenet_v2", 160, weights=None)
    assert not np.allclose(untrained.get_layer("Conv1").get_weights()[0], base.get_layer("Conv1").get_weights()[0])


def test_resolve_weights_looks_in_the_folder_it_is_given(tmp_path):
    with pytest.raises(FileNotFoundError, match="not available offline") as error:
        backbones.resolve_weights("mobilenet_v2", 160, allow_download=False, models_dir=tmp_path)
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_160_no_top.h5" in str(error.value)
    assert str(tmp_path) in str(error.value)
    (tmp_path / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5").write_bytes(b"")
    weights, note = backbones.resolve_weights("mobilenet_v2", 160, allow_download=False, models_dir=tmp_path)
    assert weights == str(tmp_path / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5")
    assert "trained at 224px" in note
