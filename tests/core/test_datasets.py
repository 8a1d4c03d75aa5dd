"""Dataset registry: offline-first lookup, clear errors, registered archives."""

import pytest

from conftest import make_image
from tl_course.core import datasets


def test_registry_has_flowers_with_official_url_and_sha256():
    entry = datasets.registry()["flower_photos"]
    assert entry["url"] == "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
    assert len(entry["sha256"]) == 64 and int(entry["sha256"], 16)
    assert entry["folder"] == "flower_photos"


def test_data_folder_setting_wins(tmp_path, monkeypatch):
    make_image(tmp_path / "flower_photos" / "daisy" / "a.jpg")
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path))
    assert datasets.dataset_path("flower_photos", allow_download=False) == tmp_path / "flower_photos"


@pytest.mark.parametrize("name, expected", [
    ("flower_photos", ["flower_photos", "TL_COURSE_DATA", "flower_photos.tgz"]),
    ("oxford_iiit_pet", ["oxford_iiit_pet", "images.tar.gz", "put its images/ folder, renamed oxford_iiit_pet/,"]),
])
def test_missing_offline_names_the_folder_to_make(tmp_path, monkeypatch, name, expected):
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    monkeypatch.setattr(datasets.settings, "keras_home", lambda: tmp_path / "keras")
    with pytest.raises(FileNotFoundError, match="not available offline") as error:
        datasets.dataset_path(name)
    text = str(error.value)
    assert str(tmp_path / name) in text
    assert all(part in text for part in expected), text

def test_failed_download_becomes_file_not_found(tmp_path, monkeypatch):
    monkeypatch.delenv("TL_COURSE_DATA", raising=False)
    monkeypatch.setattr(datasets.settings, "keras_home", lambda: tmp_path / "keras")

    def offline_download(name):
        raise Exception("URL fetch failure: network unreachable")

    monkeypatch.setattr(datasets, "download", offline_download)
    with pytest.raises(FileNotFoundError, match="not available offline"):
        datasets.dataset_path("flower_photos", allow_download=True)


def test_unknown_dataset_lists_known():
    with pytest.raises(ValueError, match="flower_photos"):
        datasets.dataset_path("imagenet21k")


def test_data_folder_pointing_at_the_dataset_itself(tmp_path, monkeypatch):
    make_image(tmp_path / "flower_photos" / "daisy" / "a.jpg")
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path / "flower_photos"))
    monkeypatch.setattr(datasets.settings, "keras_home", lambda: tmp_path / "keras")
    with pytest.raises(FileNotFoundError, match=f"Set TL_COURSE_DATA={tmp_path}"):
        datasets.dataset_path("flower_photos", allow_download=False)


def test_registry_has_oxford_pets_with_official_url_and_sha256():
    entry = datasets.registry()["oxford_iiit_pet"]
    assert entry["url"] == "https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz"
    assert entry["sha256"] == "67195c5e1c01f1ab5f9b6a5d22b8c27a580d896ece458917e61d459337fa318d"
    assert entry["folder"] == "oxford_iiit_pet" and entry["inner"] == "images"
