"""Image folders: bad files reported and skipped, odd modes converted, seeded subsets."""

import io
import os
import struct
import warnings
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import make_image
from tl_course.core import images, pipeline


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


def _two_good_classes(root):
    """Write three good photos in each of two classes, the neighbours every bad file below sits among."""
    for i in range(3):
        make_image(root / "daisy" / f"good{i}.jpg")
        make_image(root / "roses" / f"good{i}.png", fmt="PNG")
    return root


def _scan(root, tmp_path):
    """Scan `root` and return `(folder, the one warning's text)`."""
    with pytest.warns(images.ImageFolderWarning) as caught:
        folder = images.scan_image_folder(root, converted_dir=tmp_path / "rgb")
    assert len(caught) == 1
    return folder, str(caught[0].message)


def _png_claiming(path, width, height):
    """Write a real 1 x 1 PNG whose header claims `width x height` pixels (a decompression bomb's signature)."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    # bytes 12:29 are the IHDR chunk's type and data (width, height, then 5 bytes), 29:33 its CRC
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:33] = header + struct.pack(">I", zlib.crc32(header))
    path.write_bytes(bytes(data))


def test_a_decompression_bomb_is_reported_and_skipped(tmp_path):
    root = _two_good_classes(tmp_path / "flowers")
    _png_claiming(root / "daisy" / "bomb.png", 15000, 15000)
    limit = Image.MAX_IMAGE_PIXELS
    folder, message = _scan(root, tmp_path)
    assert Image.MAX_IMAGE_PIXELS == limit  # Pillow's global limit is left alone
    assert [(p.split("/")[-1], r) for p, r in folder.skipped] == [("bomb.png", folder.skipped[0][1])]
    claimed = f"{15000 * 15000} pixels"  # Pillow refuses to open it before reading a byte of pixel data
    assert claimed in folder.skipped[0][1] and "bomb.png" in message and claimed in message
    assert folder.counts() == {"daisy": 3, "roses": 3}


def test_a_16_bit_png_is_scaled_like_its_8_bit_version(tmp_path):
    root = _two_good_classes(tmp_path / "flowers")
    ramp = np.tile(np.linspace(0, 255, 24).round().astype(np.uint8), (20, 1))
    Image.fromarray(ramp * np.uint16(257)).save(root / "roses" / "deep.png")  # 0..65535, what a scanner writes
    Image.fromarray(ramp).save(root / "roses" / "flat.png")
    assert Image.open(root / "roses" / "deep.png").mode.startswith("I")
    folder, message = _scan(root, tmp_path)
    by_source = dict(zip([s.split("/")[-1] for s in folder.sources], folder.paths))
    assert "deep.png" in message and folder.counts() == {"daisy": 3, "roses": 5}
    assert np.array_equal(_decode(by_source["deep.png"]), _decode(by_source["flat.png"]))


def test_an_exif_rotated_jpeg_is_decoded_upright(tmp_path):
    root = _two_good_classes(tmp_path / "flowers")
    upright = np.zeros((24, 20, 3), np.uint8)  # portrait: red sky over a blue lake
    upright[:12] = (255, 0, 0)
    upright[12:] = (0, 0, 255)
    # A camera held sideways stores the pixels turned 90 degrees and says so in EXIF (orientation 6).
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(root / "daisy" / "sideways.jpg", exif=exif, quality=95)
    folder, message = _scan(root, tmp_path)
    assert "sideways.jpg" in message and folder.counts() == {"daisy": 4, "roses": 3}
    index = [s.split("/")[-1] for s in folder.sources].index("sideways.jpg")
    pixels = _decode(folder.paths[index])
    assert pixels.shape == (24, 20, 3)
    assert np.allclose(pixels[3, 10], [255, 0, 0], atol=12) and np.allclose(pixels[20, 10], [0, 0, 255], atol=12)
    seen, _ = pipeline.load_arrays(folder.subset([index]), 24)  # what the model is fed
    assert seen[0, 3, 10].argmax() == 0 and seen[0, 20, 10].argmax() == 2


def test_images_in_nested_subfolders_are_reported_not_included(tmp_path):
    root = _two_good_classes(tmp_path / "flowers")
    nested = [root / "daisy" / "extra" / f"more{i}.jpg" for i in range(4)] + [root / "daisy" / "extra" / "deep" / "x.jpg"]
    for path in nested:
        make_image(path)
    make_image(root / "daisy" / ".ipynb_checkpoints" / "hidden.jpg")  # hidden folders stay ignored
    folder, message = _scan(root, tmp_path)
    assert folder.counts() == {"daisy": 3, "roses": 3}
    assert not any("extra" in s for s in folder.sources)
    assert sorted(p for p, _ in folder.ignored) == sorted(str(p) for p in nested)
    assert "5 file(s) in nested subfolders" in message and "more0.jpg" in message and "hidden.jpg" not in message
    assert "and 2 more" in message  # a few examples, not every file


def test_broken_symlinks_are_reported_not_included(tmp_path):
    root = _two_good_classes(tmp_path / "flowers")
    os.symlink(tmp_path / "moved_away.jpg", root / "roses" / "gone.jpg")
    os.symlink(make_image(tmp_path / "elsewhere" / "linked.jpg"), root / "roses" / "linked.jpg")  # a good link is kept
    folder, message = _scan(root, tmp_path)
    assert folder.counts() == {"daisy": 3, "roses": 4}
    assert any(s.endswith("linked.jpg") for s in folder.sources) and not any(s.endswith("gone.jpg") for s in folder.sources)
    assert folder.ignored == [(str(root / "roses" / "gone.jpg"), "broken symbolic link")]
    assert "1 broken symbolic link(s)" in message and "gone.jpg" in message
