"""The dataset registry and offline lookup."""

import pytest

from conftest import make_image
from tl_course import data


def test_registry_has_flowers_with_official_url_and_sha256():
    entry = data.registry()["flower_photos"]
    assert entry["url"] == "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
    assert len(entry["sha256"]) == 64 and int(entry["sha256"], 16)
    assert entry["folder"] == "flower_photos"


def test_data_folder_setting_wins(tmp_path, monkeypatch):
    make_image(tmp_path / "flower_photos" / "daisy" / "a.jpg")
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path))
    assert data.dataset_path("flower_photos", allow_download=False) == tmp_path / "flower_photos"


def test_missing_offline_names_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    monkeypatch.setattr(data.settings, "keras_home", lambda: tmp_path / "keras")
    with pytest.raises(FileNotFoundError) as error:
        data.dataset_path("flower_photos")
    text = str(error.value)
    assert str(tmp_path / "flower_photos") in text and "TL_COURSE_DATA" in text and "flower_photos.tgz" in text


def test_failed_download_becomes_file_not_found(tmp_path, monkeypatch):
    monkeypatch.delenv("TL_COURSE_DATA", raising=False)
    monkeypatch.setattr(data.settings, "keras_home", lambda: tmp_path / "keras")

    def offline_download(name):
        raise Exception("URL fetch failure: network unreachable")

    monkeypatch.setattr(data, "download", offline_download)
    with pytest.raises(FileNotFoundError, match="not available offline"):
        data.dataset_path("flower_photos", allow_download=True)


def test_unknown_dataset_lists_known():
    with pytest.raises(ValueError, match="flower_photos"):
        data.dataset_path("imagenet21k")


def test_data_folder_pointing_at_the_dataset_itself(tmp_path, monkeypatch):
    make_image(tmp_path / "flower_photos" / "daisy" / "a.jpg")
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path / "flower_photos"))
    monkeypatch.setattr(data.settings, "keras_home", lambda: tmp_path / "keras")
    with pytest.raises(FileNotFoundError, match=f"Set TL_COURSE_DATA={tmp_path}"):
        data.dataset_path("flower_photos", allow_download=False)
