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


SENTENCES = "sentiment_labelled_sentences"


def test_registry_has_the_sentiment_sentences_without_a_published_checksum():
    entry = datasets.registry()[SENTENCES]
    assert entry["url"] == "https://archive.ics.uci.edu/static/public/331/sentiment+labelled+sentences.zip"
    assert entry["sha256"] is None and entry["size_bytes"] is None and "no checksum" in entry["note"]
    assert entry["folder"] == SENTENCES and entry["inner"] == "sentiment labelled sentences"
    assert entry["layout"] == "tab_separated_sentences" and entry["license"].startswith("CC BY 4.0")


def test_every_registered_checksum_is_a_sha256_or_null():
    for name, entry in datasets.registry().items():
        assert entry["sha256"] is None or (len(entry["sha256"]) == 64 and int(entry["sha256"], 16)), name
        assert entry["sha256"] is not None or "checksum" in entry.get("note", ""), f"{name}: say why none is checked"


def test_a_null_checksum_downloads_unchecked(tmp_path, monkeypatch):
    import keras

    asked = {}

    def fake_get_file(**kwargs):
        asked.update(kwargs)
        return str(tmp_path / "datasets" / kwargs["fname"])

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    path = datasets.download(SENTENCES)
    assert asked["file_hash"] is None and asked["extract"] is True and asked["fname"] == SENTENCES
    assert path == tmp_path / "datasets" / SENTENCES / "sentiment labelled sentences", "the zip's folder, space included"


def test_the_sentiment_sentences_are_found_in_the_data_folder(tmp_path, monkeypatch):
    folder = tmp_path / SENTENCES
    folder.mkdir()
    (folder / "yelp_labelled.txt").write_text("Wow... Loved this place.\t1\n")
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path))
    assert datasets.dataset_path(SENTENCES, allow_download=False) == folder
    assert datasets.dataset_status(SENTENCES) == (folder, f"found at {folder}")


def test_missing_sentences_offline_say_to_rename_the_zips_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(datasets.settings, "keras_home", lambda: tmp_path / "keras")
    with pytest.raises(FileNotFoundError, match="put its sentiment labelled sentences/ folder, renamed sentiment_labelled_sentences/,"):
        datasets.dataset_path(SENTENCES, allow_download=False)


def test_the_offline_assets_hold_the_three_sites():
    """Where TL_COURSE_DATA names the offline assets (.ci/run), the sentences are found there as is."""
    path, note = datasets.dataset_status(SENTENCES)
    if path is None:
        pytest.skip(f"{SENTENCES} not found offline ({note}): set TL_COURSE_DATA (see README)")
    files = {"amazon_cells_labelled.txt", "yelp_labelled.txt", "imdb_labelled.txt"}
    assert files <= {p.name for p in path.iterdir()}
    lines = (path / "yelp_labelled.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1000 and all(line.rsplit("\t", 1)[1].strip() in ("0", "1") for line in lines)
