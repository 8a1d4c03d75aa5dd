"""Taught in 03_multi_task: split a backbone, copy a part, and label pets by species.

The lesson shares one ImageNet backbone between several
task heads. The lesson freezes the lower part of the backbone, runs it once
and caches its output, then trains the top block and the heads on that cache:
every model in its comparisons sees the very same frozen features. The heads,
the losses and the loss weights are written in the notebook, where they are
taught; this module holds what they stand on. Timing models fairly is
`timing.compare_predict_times` in `core`.

Example:

>>> base = backbones.load_backbone("mobilenet_v2", 160)            # doctest: +SKIP
>>> bottom, top = split_backbone(base, "mobilenet_v2", 1)         # doctest: +SKIP
>>> maps = bottom.predict(pixels)          # (n, 5, 5, 56), once  # doctest: +SKIP
>>> features = top(maps)                   # (n, 1280)            # doctest: +SKIP
"""

import os
import re
import shutil
from pathlib import Path

import numpy as np

from tl_course.core import backbones, model_builders, settings

__all__ = ["PET_SPECIES", "copy_model", "pet_species", "pets_by_breed", "split_backbone"]

PET_SPECIES = ("cat", "dog")
_PET_FILE = re.compile(r"^(?P<breed>[A-Za-z][A-Za-z_]*?)_\d+\.jpe?g$", re.IGNORECASE)


def split_backbone(base, backbone, n_top_blocks):
    """Cut a backbone into a bottom (pixels -> feature map) and a top (feature map -> features).

    The cut lies at the input of the top `n_top_blocks` blocks, as
    `backbones.block_names` counts them. The top reuses the base's own layers
    (the same weights, the same `trainable` flags); the bottom starts with the
    family's `preprocess_input` and calls the base's lower layers with
    `training=False`. Freeze the base first (`freezing.freeze`), as the lesson
    does: in Keras 3 it is freezing, not `training=False`, that keeps
    BatchNormalization's ImageNet statistics if a model holding the bottom is
    ever trained with `fit` (keras-team/keras#20285).

    Args:
        base: a pooled no-top backbone from `backbones.load_backbone`.
        backbone: its registry key, e.g. `"mobilenet_v2"`.
        n_top_blocks: blocks in the top, from 1 to the number of blocks minus 1.

    Returns:
        `(bottom, top)` `keras.Model`s: raw `float32 (batch, size, size, 3)`
        pixels in [0, 255] -> `(batch, h, w, c)`, and `(batch, h, w, c)` ->
        the base's output, e.g. `(batch, 1280)`.

    Raises:
        ValueError: `n_top_blocks` out of range, or a cut that more than one
            tensor crosses.
    """
    import keras

    n_blocks = len(backbones.block_names(base, backbone))
    if not 1 <= n_top_blocks < n_blocks:
        raise ValueError(f"Expected n_top_blocks between 1 and {n_blocks - 1} for {backbone!r}; received {n_top_blocks}.")
    top_layers = backbones.layers_in_top_blocks(base, backbone, n_top_blocks)
    cut = top_layers[0].input
    if isinstance(cut, (list, tuple)):
        raise ValueError(
            f"Expected one tensor to cross the cut below the top {n_top_blocks} block(s) of {backbone!r}; "
            f"received {len(cut)}. Cut at another block."
        )
    bottom_layers = keras.Model(base.inputs, cut, name=f"{backbone}_lower_layers")
    pixels = keras.Input(tuple(base.input.shape[1:]), name="pixels")
    x = model_builders.Preprocess(backbone, name="preprocess")(pixels)
    bottom = keras.Model(pixels, bottom_layers(x, training=False), name=f"{backbone}_bottom")
    top = keras.Model(cut, base.output, name=f"{backbone}_top{n_top_blocks}")
    return bottom, top


def copy_model(model, name=None):
    """Return an independent copy of `model`: same layers, weights and trainable flags.

    Two single-task models each need their own copy of the shared part, so
    training one does not move the other.
    """
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for original, clone in zip(model.layers, copy.layers):
        clone.trainable = original.trainable
    if name is not None:
        copy.name = name
    return copy


def pet_species(breeds):
    """Map Oxford-IIIT Pet breed names to species: 0 cat, 1 dog.

    The dataset names cat breeds with a capital first letter
    (`Abyssinian`, `Bengal`, ...) and dog breeds in lower case
    (`beagle`, `pug`, ...); its README states this rule.

    Args:
        breeds: breed names, e.g. `ImageFolder.class_names`.

    Returns:
        int array, one species index per breed, into `PET_SPECIES`.
    """
    return np.array([0 if name[:1].isupper() else 1 for name in breeds], dtype=int)


def pets_by_breed(root, target=None):
    """Present Oxford-IIIT Pet images as one folder per breed, for `images.scan_image_folder`.

    The archive holds all photos in one folder, named `<Breed>_<number>.jpg`.
    This links each photo into `target/<Breed>/` (a symbolic link, or a hard
    link or a copy where links are not allowed); existing entries are kept,
    so a second call is fast.

    Args:
        root: the extracted `images/` folder, or a folder that holds it.
        target: where the breed folders go; defaults to the course cache.

    Returns:
        `pathlib.Path` of `target`.

    Raises:
        FileNotFoundError: `root` holds no files named like pet photos.
    """
    root = Path(root)
    if (root / "images").is_dir():
        root = root / "images"
    files = sorted(p for p in root.iterdir() if p.is_file() and _PET_FILE.match(p.name)) if root.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"Expected Oxford-IIIT Pet photos named <Breed>_<number>.jpg in {root}; received none. "
            "Extract images.tar.gz and pass its images/ folder."
        )
    target = Path(target) if target is not None else settings.cache_dir("oxford_iiit_pet_by_breed")
    for path in files:
        link = target / _PET_FILE.match(path.name).group("breed") / path.name
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            _link(path.resolve(), link)
    return target


def _link(source, link):
    try:
        os.symlink(source, link)
    except OSError:  # Windows without the symlink privilege, or a file system without links
        try:
            os.link(source, link)
        except OSError:
            shutil.copy2(source, link)
