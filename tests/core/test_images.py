"""Image folders: bad files reported and skipped, odd modes converted, seeded subsets."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from conftest import make_image
from tl_course.core import images


def _decode(path):
    return tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False).numpy()


@pytest.fixture
def messy(tmp_path):
    root = tmp_path / "flowers"
    for i in range(3):
        make_image(root / "daisy" / f"good{i}.jpg")
        make_image(root / "roses" / f"good{i}.png", fmt="PNG")
    good = (root / "daisy" / "good0.jpg").read_bytes()
    (root / "daisy" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (root / "daisy" / "empty.jpg").write_bytes(b"")
    (root / "roses" / "notes.jpg").write_text("this is not an image")
    make_image(root / "roses" / "alpha.png", mode="RGBA", fmt="PNG")
    make_image(root / "roses" / "gray.jpg", mode="L")
    make_image(root / "roses" / "cmyk.jpg", mode="CMYK", fmt="JPEG")
    make_image(root / "roses" / "palette.png", mode="P", fmt="PNG")
    (root / "tulips").mkdir()
    (root / "LICENSE.txt").write_text("top-level files are not classes")
    (root / "daisy" / ".DS_Store").write_bytes(b"junk")
    return root


def test_bad_files_are_reported_and_skipped(messy, tmp_path):
    with pytest.warns(images.ImageFolderWarning) as caught:
        folder = images.scan_image_folder(messy, converted_dir=tmp_path / "rgb")
    message = str(caught[0].message)
    skipped = {p.split("/")[-1]: reason for p, reason in folder.skipped}
    assert set(skipped) == {"truncated.jpg", "empty.jpg", "notes.jpg"}
    assert skipped["empty.jpg"] == "empty file" and skipped["notes.jpg"] == "not an image"
    assert skipped["truncated.jpg"].startswith("corrupt image")
    assert folder.empty_classes == ["tulips"] and "tulips" in message
    assert folder.class_names == ["daisy", "roses"]
    assert folder.counts() == {"daisy": 3, "roses": 7}
    assert all(name in message for name in ("truncated.jpg", "empty.jpg", "notes.jpg"))


def test_odd_modes_become_rgb_and_decode(messy, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = images.scan_image_folder(messy, converted_dir=tmp_path / "rgb")
    converted = {p.split("/")[-1] for p, _ in folder.converted}
    assert converted == {"alpha.png", "cmyk.jpg", "palette.png"}
    by_source = dict(zip([s.split("/")[-1] for s in folder.sources], folder.paths))
    assert by_source["gray.jpg"].endswith("gray.jpg")  # TensorFlow expands grayscale itself
    for name in ("alpha.png", "cmyk.jpg", "palette.png", "gray.jpg"):
        pixels = _decode(by_source[name])
        assert pixels.shape == (20, 24, 3)
    # CMYK (0, 255, 255, 0) is pure red; RGBA half-transparent blue is composited on white.
    assert np.allclose(_decode(by_source["cmyk.jpg"])[10, 10], [255, 0, 0], atol=3)
    assert np.allclose(_decode(by_source["alpha.png"])[10, 10], [127, 127, 255], atol=3)
    assert (messy / "roses" / "cmyk.jpg").exists()  # originals untouched


def test_fewer_than_two_classes_is_an_error(tmp_path):
    make_image(tmp_path / "only" / "a.jpg")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="at least 2 class folders"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            images.scan_image_folder(tmp_path)


def test_missing_folder_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        images.scan_image_folder(tmp_path / "nope")


def test_per_class_subset_is_seeded_and_skips_bad_files(messy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = images.scan_image_folder(messy, per_class=2, seed=1)
        b = images.scan_image_folder(messy, per_class=2, seed=1)
    assert a.counts() == {"daisy": 2, "roses": 2}
    assert a.sources == b.sources
    assert not any(s.endswith(("truncated.jpg", "empty.jpg", "notes.jpg")) for s in a.sources)


def test_subset_and_report(messy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = images.scan_image_folder(messy)
    sub = folder.subset([0, len(folder) - 1])
    assert len(sub) == 2 and sub.labels.tolist() == [0, 1]
    assert "10 images in 2 classes" in folder.report() and "skipped" in folder.report()


def test_images_without_class_folders_get_a_clear_error(tmp_path):
    make_image(tmp_path / "a.jpg")
    make_image(tmp_path / "b.jpg")
    with pytest.raises(ValueError, match="received 2 images directly in it"):
        images.scan_image_folder(tmp_path)
