"""Lesson 07's helpers: images per second, the backbone table (measured rows and skipped ones), its figure."""

import logging

import numpy as np
import pytest

import keras
from conftest import make_image
from tl_course.core import backbones, images
from tl_course.lessons import model_hubs


@pytest.fixture
def folders(tmp_path):
    """A train and a test folder of two plainly different classes (red and blue), 4 photos each per class."""
    made = {}
    for split in ("train", "test"):
        for cls, color in (("red", (240, 20, 20)), ("blue", (20, 20, 240))):
            for i in range(4):
                make_image(tmp_path / split / cls / f"{i}.png", size=(40, 40), color=tuple(c + 3 * i for c in color))
        made[split] = images.scan_image_folder(tmp_path / split)
    return made["train"], made["test"]


def test_images_per_second_is_images_over_the_fastest_run(monkeypatch):
    calls = []
    monkeypatch.setattr(model_hubs.timing, "time_predict", lambda model, x, batch_size, repeats: calls.append(repeats) or 0.5)
    assert model_hubs.images_per_second("model", np.zeros((10, 4, 4, 3)), repeats=2) == 20.0 and calls == [2]
    with pytest.raises(ValueError, match="at least one image"):
        model_hubs.images_per_second("model", np.zeros((0, 4, 4, 3)))


def test_images_per_second_times_a_real_model():
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.GlobalAveragePooling2D()])
    rate = model_hubs.images_per_second(model, np.zeros((32, 8, 8, 3), np.float32), repeats=1)
    assert np.isfinite(rate) and rate > 0


def test_backbone_table_measures_what_is_available_and_skips_the_rest(folders, monkeypatch):
    train, test = folders
    monkeypatch.setattr(backbones, "weights_status", lambda name, size: (name == "mobilenet", f"missing {name}_{size}.h5"))
    monkeypatch.setattr(backbones, "load_backbone", lambda name, size: _random_mobilenet(size))  # no weights needed
    level = logging.getLogger("tensorflow").level
    rows = model_hubs.backbone_table(train, test, [("mobilenet", 32), ("resnet50", 224)], timing_images=4, repeats=1)
    assert logging.getLogger("tensorflow").level == level  # the retracing warnings are silenced only while it measures
    assert [(r.name, r.image_size) for r in rows] == [("mobilenet", 32), ("resnet50", 224)]
    measured, skipped = rows
    assert not measured.skipped and 0.0 <= measured.accuracy <= 1.0 and measured.images_per_second > 0
    assert measured.parameters == _random_mobilenet(32).count_params()  # the embedder's size: the base, no head
    assert skipped.skipped == "missing resnet50_224.h5" and np.isnan(skipped.accuracy)


def _random_mobilenet(size):
    return keras.applications.MobileNet(alpha=0.25, weights=None, include_top=False, pooling="avg", input_shape=(size, size, 3))


def test_accuracy_vs_speed_plots_one_labelled_point_per_measured_row():
    rows = [model_hubs.BackboneRow("a", 128, 0.8, 900.0, 400_000), model_hubs.BackboneRow("b", 160, 0.85, 300.0, 1_000_000),
            model_hubs.BackboneRow("c", 224, skipped="missing c.h5")]
    ax = model_hubs.accuracy_vs_speed(rows).axes[0]
    points = [tuple(c.get_offsets()[0]) for c in ax.collections]
    assert points == [(900.0, 0.8), (300.0, 0.85)]
    assert [t.get_text() for t in ax.texts] == ["a 128px", "b 160px"]
    assert ax.get_xscale() == "log"
