"""Seeded image corruptions: deterministic per photo, graded by severity, validated."""

import numpy as np
import pytest

from tl_course.core import corruptions


def smooth_photos():
    """Three smooth 32 x 32 photos in [0, 255]: waves and a ramp, so blurring removes something."""
    yy, xx = np.mgrid[0:32, 0:32] / 32
    photo = np.stack([128 + 80 * np.sin(4 * np.pi * xx), 128 + 80 * np.cos(4 * np.pi * yy), 100 + 100 * xx * yy], -1)
    return np.stack([photo, photo[::-1], photo[:, ::-1]]).astype(np.float32)


IDS = np.array([5, 9, 11])


@pytest.mark.parametrize("kind", corruptions.KINDS)
def test_corrupt_is_deterministic_per_photo_and_returns_uint8(kind):
    photos = smooth_photos()
    out = corruptions.corrupt(photos, IDS, kind, severity=3, seed=0)
    assert out.dtype == np.uint8 and out.shape == photos.shape
    np.testing.assert_array_equal(out, corruptions.corrupt(photos, IDS, kind, severity=3, seed=0))
    # a photo's corruption does not depend on the batch around it
    alone = corruptions.corrupt(photos[1:2], IDS[1:2], kind, severity=3, seed=0)
    np.testing.assert_array_equal(alone[0], out[1])
    np.testing.assert_array_equal(corruptions.corrupt(photos[::-1], IDS[::-1], kind, 3, seed=0), out[::-1])
    other_seed = corruptions.corrupt(photos, IDS, kind, severity=3, seed=1)
    other_id = corruptions.corrupt(photos[:1], [6], kind, severity=3, seed=0)
    if kind == "blur":  # no randomness at all
        np.testing.assert_array_equal(other_seed, out)
        np.testing.assert_array_equal(other_id[0], out[0])
    else:  # the noise (low light) or the haze (fog) is drawn from (seed, id)
        assert all(not np.array_equal(a, b) for a, b in zip(other_seed, out))
        assert not np.array_equal(other_id[0], out[0])


@pytest.mark.parametrize("kind", corruptions.KINDS)
def test_severity_increases_the_damage(kind):
    photos = smooth_photos()
    damage = [np.abs(corruptions.corrupt(photos, IDS, kind, severity, seed=0).astype(float) - photos).mean()
              for severity in range(1, 6)]
    assert damage[0] > 1 and np.all(np.diff(damage) > 0), damage


def test_low_light_darkens_and_fog_brightens():
    photos = smooth_photos()
    for severity in range(1, 6):
        dark = corruptions.corrupt(photos, IDS, "low_light", severity).astype(float)
        assert dark.mean() < 0.6 * photos.mean()
        assert dark.mean((1, 2, 3)).max() < photos.mean((1, 2, 3)).min()  # every photo, not just on average
    assert corruptions.corrupt(photos, IDS, "fog", 5).astype(float).mean() > photos.mean() + 30  # haze: 150-255


def test_corrupt_clips_to_the_pixel_range():
    dark = corruptions.corrupt(np.zeros((1, 16, 16, 3)), [0], "low_light", 5)
    assert dark.min() == 0 and 0 < dark.max() < 128  # noise below 0 clipped to 0 (not wrapped round to 255)
    assert np.mean(dark == 0) > 0.3  # about half the pixels drew negative noise


@pytest.mark.parametrize("bad, match", [
    (dict(kind="snow"), "received 'snow'"),
    (dict(severity=0), "severity from 1 to 5; received 0"),
    (dict(severity=6), "severity from 1 to 5; received 6"),
    (dict(ids=[1, 2]), r"one id per photo; received \(3, 32, 32, 3\) and \(2,\)"),
    (dict(ids=[[1, 2, 3]]), "one id per photo"),
    (dict(severity=3.0), "int severity from 1 to 5; received 3.0"),
    (dict(severity=True), "received True"),
    (dict(kind="blur", severity=5, pixels=np.zeros((3, 6, 6, 3))), "at least 8 pixels a side for blur at severity 5; received 6x6"),
    (dict(pixels=np.zeros((3, 32, 32, 4))), r"pixels \(n, h, w, 3\)"),
])
def test_corrupt_rejects_bad_arguments(bad, match):
    arguments = dict(pixels=smooth_photos(), ids=IDS, kind="fog", severity=3) | bad
    with pytest.raises(ValueError, match=match):
        corruptions.corrupt(**arguments)
