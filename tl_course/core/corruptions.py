"""Seeded, deterministic image corruptions: the same photos as another camera would take them.

Taught in `06_domain_adaptation`, where a corrupted copy of photos the source never sees is the
target domain, as ImageNet-C (Hendrycks and Dietterich, 2019) builds its shifted test sets: a
few kinds of corruption, each at five severities.
"""

import keras
import numpy as np

__all__ = ["KINDS", "corrupt"]

KINDS = ("low_light", "fog", "blur")
_DIM = (0.5, 0.35, 0.25, 0.15, 0.1)  # low light: share of the light left, severity 1-5
_NOISE = (0.02, 0.03, 0.04, 0.05, 0.06)  # low light: sensor noise, as a share of full scale
_FOG = (0.3, 0.45, 0.6, 0.7, 0.8)  # fog: weight of the haze
_BLUR = (2, 3, 4, 6, 8)  # blur: downsampling factor


def corrupt(pixels, ids, kind="low_light", severity=3, seed=0):
    """Return the photos as a second camera would see them: a seeded corruption of each one.

    Deterministic: a photo's corruption depends only on `(seed, its id)`, so the same photo gets
    the same noise in every draw, whatever else is in the batch.

    Args:
        pixels: `float (n, h, w, 3)` in [0, 255].
        ids: int `(n,)`, one id per photo (its index in the dataset).
        kind: one of `KINDS`: `"low_light"` (darker, with sensor noise), `"fog"` (a bright,
            uneven haze) or `"blur"` (a low-resolution camera: downsampled, then scaled back up).
        severity: 1 (mild) to 5 (severe).
        seed: the corruption's seed.

    Returns:
        `uint8 (n, h, w, 3)`.

    Raises:
        ValueError: unknown `kind`, a severity outside 1-5, or `ids` not one per photo.
    """
    pixels = np.asarray(pixels, np.float32)
    ids = np.asarray(ids)
    if kind not in KINDS:
        raise ValueError(f"Expected a corruption in {KINDS}; received {kind!r}.")
    if isinstance(severity, bool) or not isinstance(severity, (int, np.integer)) or not 1 <= severity <= 5:
        raise ValueError(f"Expected an int severity from 1 to 5; received {severity!r}.")
    if pixels.ndim != 4 or pixels.shape[-1] != 3 or ids.shape != (len(pixels),):
        raise ValueError(f"Expected pixels (n, h, w, 3) and one id per photo; received {pixels.shape} and {ids.shape}.")
    if kind == "blur" and min(pixels.shape[1:3]) < _BLUR[severity - 1]:
        raise ValueError(f"Expected photos of at least {_BLUR[severity - 1]} pixels a side for blur at severity {severity}; "
                         f"received {pixels.shape[1]}x{pixels.shape[2]}.")
    out = np.empty(pixels.shape, np.uint8)
    h, w = pixels.shape[1:3]
    for i, (image, photo) in enumerate(zip(pixels, ids)):
        rng = np.random.default_rng([int(seed), int(photo)])
        if kind == "low_light":
            image = image * _DIM[severity - 1] + rng.normal(0, 255 * _NOISE[severity - 1], image.shape)
        elif kind == "fog":
            haze = rng.uniform(150, 255, (4, 4, 1)).astype(np.float32)
            haze = np.asarray(keras.ops.image.resize(haze, (h, w), interpolation="bilinear"))
            image = image * (1 - _FOG[severity - 1]) + haze * _FOG[severity - 1]
        else:
            small = keras.ops.image.resize(image, (h // _BLUR[severity - 1], w // _BLUR[severity - 1]), antialias=True)
            image = np.asarray(keras.ops.image.resize(small, (h, w), interpolation="bilinear"))
        out[i] = np.clip(np.round(image), 0, 255)
    return out
