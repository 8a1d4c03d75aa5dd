"""Lesson 03's helpers: split a backbone, copy a model, pets by species."""

import numpy as np
import pytest

from conftest import make_image
from tl_course.core import backbones, freezing, images, model_builders
from tl_course.lessons import multi_task


@pytest.fixture
def base():
    return backbones.load_backbone("mobilenet_v2", 96, weights=None)


def test_split_backbone_recomposes_the_backbone(base):
    bottom, top = multi_task.split_backbone(base, "mobilenet_v2", 1)
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 96, 96, 3)).astype("float32")
    maps = bottom.predict(pixels, verbose=0)
    assert maps.shape == (2, 3, 3, 56)  # block_15's output at 96 px, alpha 0.35
    whole = model_builders.build_embedder(base, "mobilenet_v2", 96).predict(pixels, verbose=0)
    assert np.allclose(top.predict(maps, verbose=0), whole, atol=1e-4)
    assert top.layers[1].name == "block_16_expand" and "Conv_1" in [layer.name for layer in top.layers]
    assert not any(layer.name.startswith("block_15") for layer in top.layers)
    assert top.get_layer("Conv_1") is base.get_layer("Conv_1")  # the top is the base's own layers


def test_split_backbone_cuts_across_a_residual_block(base):
    bottom, top = multi_task.split_backbone(base, "mobilenet_v2", 2)
    assert bottom.output.shape[1:] == (3, 3, 56) and top.get_layer("block_15_add") is base.get_layer("block_15_add")


@pytest.mark.parametrize("n", [0, 17, -1])
def test_split_backbone_rejects_bad_block_counts(base, n):
    with pytest.raises(ValueError, match="n_top_blocks between 1 and 16"):
        multi_task.split_backbone(base, "mobilenet_v2", n)


def test_copy_model_is_independent_and_keeps_trainable_flags(base):
    freezing.unfreeze_top_blocks(base, "mobilenet_v2", 1)
    _, top = multi_task.split_backbone(base, "mobilenet_v2", 1)
    copy = multi_task.copy_model(top, name="copy")
    assert copy.name == "copy"
    assert freezing.count_params(copy) == freezing.count_params(top) and freezing.count_params(top).trainable > 0
    assert not copy.get_layer("Conv_1_bn").trainable and copy.get_layer("Conv_1").trainable
    maps = np.random.default_rng(1).normal(size=(2, 3, 3, 56)).astype("float32")
    assert np.allclose(copy.predict(maps, verbose=0), top.predict(maps, verbose=0), atol=1e-5)
    copy.get_layer("Conv_1").kernel.assign(np.zeros(copy.get_layer("Conv_1").kernel.shape))
    assert np.abs(top.get_layer("Conv_1").kernel.numpy()).sum() > 0


def test_pet_species_follows_the_capital_letter_rule():
    breeds = ["Abyssinian", "British_Shorthair", "american_bulldog", "pug"]
    assert multi_task.pet_species(breeds).tolist() == [0, 0, 1, 1]
    assert multi_task.PET_SPECIES[0] == "cat"


def test_pets_by_breed_makes_breed_folders(tmp_path):
    raw = tmp_path / "oxford_iiit_pet" / "images"
    for name in ["Abyssinian_1.jpg", "Abyssinian_2.jpg", "British_Shorthair_10.jpg", "great_pyrenees_3.jpg"]:
        make_image(raw / name)
    (raw / "Abyssinian_1.mat").write_bytes(b"not an image")
    target = multi_task.pets_by_breed(tmp_path / "oxford_iiit_pet", tmp_path / "by_breed")
    folder = images.scan_image_folder(target)
    assert folder.class_names == ["Abyssinian", "British_Shorthair", "great_pyrenees"]
    assert folder.counts() == {"Abyssinian": 2, "British_Shorthair": 1, "great_pyrenees": 1}
    assert multi_task.pet_species(folder.class_names)[folder.labels].tolist() == [0, 0, 0, 1]
    assert multi_task.pets_by_breed(raw, tmp_path / "by_breed") == target  # a second call reuses the links


def test_pets_by_breed_names_what_it_expected(tmp_path):
    make_image(tmp_path / "photos" / "holiday.jpg")
    with pytest.raises(FileNotFoundError, match="<Breed>_<number>.jpg"):
        multi_task.pets_by_breed(tmp_path / "photos", tmp_path / "out")
