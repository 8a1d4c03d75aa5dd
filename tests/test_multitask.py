"""Backbone splitting, model copies, inference timing and Oxford-IIIT Pet labels."""

import keras
import numpy as np
import pytest

from conftest import make_image
from tl_course import backbones, data, images, models, multitask


@pytest.fixture
def base():
    return backbones.load_backbone("mobilenet_v2", 96, weights=None)


def test_split_backbone_recomposes_the_backbone(base):
    bottom, top = multitask.split_backbone(base, "mobilenet_v2", 1)
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 96, 96, 3)).astype("float32")
    maps = bottom.predict(pixels, verbose=0)
    assert maps.shape == (2, 3, 3, 56)  # block_15's output at 96 px, alpha 0.35
    whole = models.build_embedder(base, "mobilenet_v2", 96).predict(pixels, verbose=0)
    assert np.allclose(top.predict(maps, verbose=0), whole, atol=1e-4)
    assert top.layers[1].name == "block_16_expand" and "Conv_1" in [layer.name for layer in top.layers]
    assert not any(layer.name.startswith("block_15") for layer in top.layers)
    assert top.get_layer("Conv_1") is base.get_layer("Conv_1")  # the top is the base's own layers


def test_split_backbone_cuts_across_a_residual_block(base):
    bottom, top = multitask.split_backbone(base, "mobilenet_v2", 2)
    assert bottom.output.shape[1:] == (3, 3, 56) and top.get_layer("block_15_add") is base.get_layer("block_15_add")


@pytest.mark.parametrize("n", [0, 17, -1])
def test_split_backbone_rejects_bad_block_counts(base, n):
    with pytest.raises(ValueError, match="n_top_blocks between 1 and 16"):
        multitask.split_backbone(base, "mobilenet_v2", n)


def test_copy_model_is_independent_and_keeps_trainable_flags(base):
    models.unfreeze_top_blocks(base, "mobilenet_v2", 1)
    _, top = multitask.split_backbone(base, "mobilenet_v2", 1)
    copy = multitask.copy_model(top, name="copy")
    assert copy.name == "copy"
    assert models.count_params(copy) == models.count_params(top) and models.count_params(top).trainable > 0
    assert not copy.get_layer("Conv_1_bn").trainable and copy.get_layer("Conv_1").trainable
    maps = np.random.default_rng(1).normal(size=(2, 3, 3, 56)).astype("float32")
    assert np.allclose(copy.predict(maps, verbose=0), top.predict(maps, verbose=0), atol=1e-5)
    copy.get_layer("Conv_1").kernel.assign(np.zeros(copy.get_layer("Conv_1").kernel.shape))
    assert np.abs(top.get_layer("Conv_1").kernel.numpy()).sum() > 0


def test_time_predict_returns_the_fastest_run():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    seconds = multitask.time_predict(model, np.zeros((8, 4), "float32"), batch_size=4, repeats=2)
    assert 0 < seconds < 5
    with pytest.raises(ValueError, match="repeats >= 1"):
        multitask.time_predict(model, np.zeros((8, 4), "float32"), repeats=0)


def test_compare_predict_times_ranks_a_bigger_model_slower():
    small = keras.Sequential([keras.Input((64,)), keras.layers.Dense(2)])
    big = keras.Sequential([keras.Input((64,))] + [keras.layers.Dense(2048) for _ in range(6)])
    x = np.zeros((512, 64), "float32")
    small_s, big_s = multitask.compare_predict_times([small, big], x, batch_size=256, repeats=3)
    assert 0 < small_s < big_s


def test_compare_train_step_times_trains_each_model_on_its_targets():
    small = keras.Sequential([keras.Input((64,)), keras.layers.Dense(1)])
    big = keras.Sequential([keras.Input((64,))] + [keras.layers.Dense(2048) for _ in range(4)] + [keras.layers.Dense(1)])
    for model in (small, big):
        model.compile(optimizer="sgd", loss="mse")
    x = np.ones((256, 64), "float32")
    before = small.get_weights()[0].copy()
    small_s, big_s = multitask.compare_train_step_times([small, big], x, [np.ones(256), np.zeros(256)], repeats=3)
    assert 0 < small_s < big_s
    assert not np.allclose(small.get_weights()[0], before)  # it really trained
    with pytest.raises(ValueError, match="one target per model"):
        multitask.compare_train_step_times([small, big], x, [np.ones(256)])


def test_pet_species_follows_the_capital_letter_rule():
    breeds = ["Abyssinian", "British_Shorthair", "american_bulldog", "pug"]
    assert multitask.pet_species(breeds).tolist() == [0, 0, 1, 1]
    assert multitask.PET_SPECIES[0] == "cat"


def test_pets_by_breed_makes_breed_folders(tmp_path):
    raw = tmp_path / "oxford_iiit_pet" / "images"
    for name in ["Abyssinian_1.jpg", "Abyssinian_2.jpg", "British_Shorthair_10.jpg", "great_pyrenees_3.jpg"]:
        make_image(raw / name)
    (raw / "Abyssinian_1.mat").write_bytes(b"not an image")
    target = multitask.pets_by_breed(tmp_path / "oxford_iiit_pet", tmp_path / "by_breed")
    folder = images.scan_image_folder(target)
    assert folder.class_names == ["Abyssinian", "British_Shorthair", "great_pyrenees"]
    assert folder.counts() == {"Abyssinian": 2, "British_Shorthair": 1, "great_pyrenees": 1}
    assert multitask.pet_species(folder.class_names)[folder.labels].tolist() == [0, 0, 0, 1]
    assert multitask.pets_by_breed(raw, tmp_path / "by_breed") == target  # a second call reuses the links


def test_pets_by_breed_names_what_it_expected(tmp_path):
    make_image(tmp_path / "photos" / "holiday.jpg")
    with pytest.raises(FileNotFoundError, match="<Breed>_<number>.jpg"):
        multitask.pets_by_breed(tmp_path / "photos", tmp_path / "out")


def test_registry_has_oxford_pets_with_official_url_and_sha256():
    entry = data.registry()["oxford_iiit_pet"]
    assert entry["url"] == "https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz"
    assert entry["sha256"] == "67195c5e1c01f1ab5f9b6a5d22b8c27a580d896ece458917e61d459337fa318d"
    assert entry["folder"] == "oxford_iiit_pet" and entry["inner"] == "images"


def test_missing_pets_message_names_the_folder_to_make(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    monkeypatch.setattr(data.settings, "keras_home", lambda: tmp_path / "keras")
    with pytest.raises(FileNotFoundError) as error:
        data.dataset_path("oxford_iiit_pet")
    text = str(error.value)
    assert str(tmp_path / "oxford_iiit_pet") in text and "images.tar.gz" in text
    assert "put its images/ folder, renamed oxford_iiit_pet/," in text
